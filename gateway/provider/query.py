"""The OneRoster 1.2 query parameters (``filter``, ``sort``/``orderBy``, ``fields``, ``limit``/
``offset``) as SQLAlchemy clauses over the store's flat stream tables.

Independent of the web framework: every problem is a :class:`QueryError` carrying the imsx
``codeMinor``, a message a vendor's developer can act on, and the HTTP status.

Filter grammar (the REST bindings' "Filtering" section: ``field<op>'value'``, predicates
joined by ``AND``/``OR``)::

    filter    := and-group ( " OR " and-group )*
    and-group := predicate ( " AND " predicate )*
    predicate := field op value
    field     := name ( "." name )*           e.g. school.sourcedId, roles.org.sourcedId
    op        := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"
    value     := "'" text "'"                 a quote inside the text is written twice: O''Brien

Decisions where the spec is silent:

- ``AND`` binds tighter than ``OR`` (``a OR b AND c`` is ``a OR (b AND c)``), as in SQL; there
  are no parentheses. ``AND``/``OR`` are accepted in any case but need spaces around them.
- Values must be single-quoted; an unquoted or double-quoted value, an unknown operator or
  field, an unbalanced quote or an empty piece (``a='1' AND``) is an ``invalid_filter_field``
  error, never a guess. Spaces around fields and operators are allowed, and a filter that
  arrives still percent-encoded (``status%3D%27active%27``) is decoded once.
- ``=`` is exact and case-sensitive (enumerations match their vocabulary in any case);
  ``~`` is a case-insensitive substring match. ``x=''`` matches records without ``x``
  (the store keeps an empty value as absent) and ``!=`` includes records without the field.
- Multi-valued fields (``grades``, ``terms.sourcedId``, ``userIds.identifier``, a user's
  ``roles.*``): ``=``, ``~`` and the comparisons hold when some item matches; ``!=`` holds
  when no item equals the value (the negation of ``=``).
- A date-time field compared with a date means that date's midnight UTC
  (``dateLastModified>'2026-01-01'``); a date-time without offset is UTC. A date field takes
  a date only. Numbers compare numerically, booleans take ``'true'``/``'false'``.
- A user's ``roles.*`` match the roles the provider nests into the user: the active ones, or
  all of them for a user without an active role (see ``gateway.provider.reader``).
- Passwords can be neither filtered nor sorted on.
- A value containing NUL (U+0000) is an ``invalid_filter_field`` error on every database:
  no stored text holds one (PostgreSQL cannot), and binding one fails there.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal, get_args
from urllib.parse import quote, unquote_plus, urlencode

import sqlalchemy as sa

from gateway.model.oneroster import STREAM_MODELS, json_field
from gateway.model.schema import STREAMS, Column
from gateway.store.tables import stream_tables

__all__ = [
    "MAX_PREDICATES",
    "And",
    "Condition",
    "Field",
    "FieldMap",
    "Filter",
    "Op",
    "Or",
    "Page",
    "Predicate",
    "QueryError",
    "QueryWarning",
    "compile_filter",
    "field_map",
    "filter_clause",
    "format_filter",
    "link_header",
    "page",
    "parse_filter",
    "select_fields",
    "sort_clause",
]

Op = Literal["=", "!=", ">", ">=", "<", "<=", "~"]
OPS: tuple[Op, ...] = get_args(Op)
_ORDERING = frozenset({">", ">=", "<", "<="})

MAX_PREDICATES = 32
"""More predicates than this in one filter is refused (each may be a subquery)."""
MAX_FILTER_LENGTH = 4000

Condition = Callable[[sa.FromClause, Op, str], sa.ColumnElement[bool]]
"""How a field turns ``op`` and the (unquoted) value into SQL over a stream's table."""


class QueryError(Exception):
    """A query parameter the provider cannot honour, as OneRoster reports it."""

    def __init__(self, code_minor: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code_minor = code_minor
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class QueryWarning:
    """A problem the spec answers with a warning rather than a failure (an unknown sort or
    selection field: the request is served in the default order, or with every field)."""

    code_minor: str
    message: str


def _filter_error(message: str) -> QueryError:
    return QueryError("invalid_filter_field", message)


# --------------------------------------------------------------------------------------
# The filter's syntax tree


@dataclass(frozen=True, slots=True)
class Predicate:
    field: str
    op: Op
    value: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Predicate, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Predicate | And, ...]


Filter = Predicate | And | Or


def format_filter(node: Filter) -> str:
    """The filter text of ``node``; ``parse_filter(format_filter(f)) == f``."""
    match node:
        case Predicate(field, op, value):
            quoted = value.replace("'", "''")
            return f"{field}{op}'{quoted}'"
        case And(items):
            return " AND ".join(format_filter(p) for p in items)
        case Or(items):
            return " OR ".join(format_filter(p) for p in items)
    raise TypeError(f"not a filter: {node!r}")  # pragma: no cover


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OP_RUN = re.compile(r"[=!<>~:^$*]+")
_LOGICAL = re.compile(r"(AND|OR)(?=\s|$)", re.IGNORECASE)
_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"\S{1,40}")
_OPS_TEXT = " ".join(OPS)


def parse_filter(text: str) -> Filter:
    """The syntax tree of a ``filter`` parameter; QueryError ``invalid_filter_field`` for
    anything that is not a well-formed filter (fields are checked by :func:`compile_filter`).
    """
    if "'" not in text and "%" in text:
        decoded = unquote_plus(text)  # encoded twice on the way; harmless to undo once
        if "'" in decoded:
            text = decoded
    if len(text) > MAX_FILTER_LENGTH:
        raise _filter_error(f"The filter is {len(text)} characters long; at most "
                            f"{MAX_FILTER_LENGTH} are accepted.")
    s = text
    n = len(s)
    pos = _SPACE.match(s, 0).end()  # type: ignore[union-attr]
    if pos == n:
        raise _filter_error("The filter is empty; leave the parameter out to get every "
                            "record, or write field='value'.")
    groups: list[list[Predicate]] = [[]]
    count = 0
    after: str | None = None  # the logical operator just read
    while True:
        pos = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
        if pos == n:
            raise _filter_error(f"The filter ends with {after}; write a predicate after it "
                                f"(field='value') or remove it.")
        predicate, pos = _predicate(s, pos, after)
        groups[-1].append(predicate)
        count += 1
        if count > MAX_PREDICATES:
            raise _filter_error(f"The filter has more than {MAX_PREDICATES} predicates; "
                                f"split the request.")
        end = _SPACE.match(s, pos).end()  # type: ignore[union-attr]
        if end == n:
            break
        shown = _format_predicate(predicate)
        if end == pos:
            raise _filter_error(
                f"Unexpected {_word(s, pos)!r} right after {shown}. A value ends at its "
                f"closing quote; to put a quote inside a value write it twice "
                f"(familyName='O''Brien').")
        logical = _LOGICAL.match(s, end)
        if logical is None:
            raise _filter_error(f"Expected AND or OR after {shown}, found "
                                f"{_word(s, end)!r}.")
        after = logical.group(1).upper()
        if after == "OR":
            groups.append([])
        pos = logical.end()
    ands: list[Predicate | And] = [g[0] if len(g) == 1 else And(tuple(g)) for g in groups]
    return ands[0] if len(ands) == 1 else Or(tuple(ands))


def _word(s: str, pos: int) -> str:
    m = _WORD.match(s, pos)
    return m.group() if m else s[pos:pos + 1]


def _format_predicate(p: Predicate) -> str:
    return format_filter(p)


def _predicate(s: str, pos: int, after: str | None) -> tuple[Predicate, int]:
    n = len(s)
    where = f"after {after}" if after else "at the start of the filter"
    if s[pos] == "(":
        raise _filter_error("Parentheses are not supported in filters; AND binds tighter "
                            "than OR (a='1' OR b='2' AND c='3' is a='1' OR (b='2' AND c='3')).")
    m = _NAME.match(s, pos)
    if m is None:
        raise _filter_error(f"Expected a field name {where}, found {_word(s, pos)!r}; write "
                            f"field='value'.")
    field = m.group()
    if field.upper() in ("AND", "OR"):
        if after:
            raise _filter_error(f"{after} is followed by {field.upper()}; write a predicate "
                                f"(field='value') between them.")
        raise _filter_error(f"The filter starts with {field.upper()}; write a predicate "
                            f"(field='value') before it.")
    pos = _SPACE.match(s, m.end()).end()  # type: ignore[union-attr]
    if pos == n:
        raise _filter_error(f"{field} has no operator and value; write {field}='value' "
                            f"(operators: {_OPS_TEXT}).")
    m = _OP_RUN.match(s, pos)
    if m is None:
        raise _filter_error(f"Expected an operator after {field}, found {_word(s, pos)!r}; "
                            f"use one of {_OPS_TEXT}, e.g. {field}='value'.")
    op_text = m.group()
    if op_text not in OPS:
        raise _filter_error(f"Unknown operator {op_text!r} after {field}; use one of "
                            f"{_OPS_TEXT}.")
    op: Op = next(o for o in OPS if o == op_text)
    pos = _SPACE.match(s, m.end()).end()  # type: ignore[union-attr]
    if pos == n:
        raise _filter_error(f"{field}{op} has no value; write {field}{op}'value'.")
    if s[pos] != "'":
        token = _word(s, pos)
        if s[pos] == '"':
            bare = token.strip('"')
            raise _filter_error(f"The value of {field} is in double quotes; OneRoster filter "
                                f"values take single quotes: {field}{op}'{bare}'.")
        raise _filter_error(f"The value of {field} must be in single quotes: "
                            f"{field}{op}'{token}'.")
    start = pos
    pos += 1
    chars: list[str] = []
    while True:
        if pos >= n:
            raise _filter_error(f"The value of {field} starting at {s[start:start + 20]!r} "
                                f"has no closing quote; to put a quote inside a value write "
                                f"it twice (familyName='O''Brien').")
        c = s[pos]
        if c == "'":
            if pos + 1 < n and s[pos + 1] == "'":
                chars.append("'")
                pos += 2
                continue
            pos += 1
            break
        chars.append(c)
        pos += 1
    return Predicate(field, op, "".join(chars)), pos


# --------------------------------------------------------------------------------------
# Fields


@dataclass(frozen=True, slots=True)
class Field:
    """One filterable (and maybe sortable) field path of a stream's JSON."""

    path: str
    kind: str
    """The schema kind (str, date, list, ref, ...), or ``related`` for another table's rows."""
    condition: Condition
    sort_key: Callable[[sa.FromClause], sa.ColumnElement[Any]] | None = None
    nullable: bool = True


class FieldMap:
    """The field paths a stream's ``filter``, ``sort`` and ``fields`` may name.

    Built from the schema by :meth:`for_stream` (or :func:`field_map`): ``sourcedId``,
    ``status``, ``dateLastModified``, each column's JSON name, ``x.sourcedId`` (and bare
    ``x``) for references, ``terms.sourcedId`` for reference lists, ``userIds.type`` and
    ``userIds.identifier`` for users, and ``roles.*`` (``roles.org.sourcedId``, ``roles.role``,
    ``roles.roleType``, ...) for users. Maps are immutable; :meth:`with_field` and
    :meth:`with_nested` return extended copies.
    """

    def __init__(self, stream: str, fields: Mapping[str, Field],
                 selectable: Iterable[str]) -> None:
        self.stream = stream
        self.fields: Mapping[str, Field] = dict(fields)
        self.selectable: frozenset[str] = frozenset(selectable)

    @classmethod
    def for_stream(cls, stream: str) -> FieldMap:
        return field_map(stream)

    def with_field(self, path: str, condition: Condition, *, kind: str = "related",
                   sort_key: Callable[[sa.FromClause], sa.ColumnElement[Any]] | None = None
                   ) -> FieldMap:
        """A copy that also filters on ``path`` with ``condition(table, op, value)``."""
        fields = dict(self.fields)
        fields[path] = Field(path, kind, condition, sort_key)
        return FieldMap(self.stream, fields, self.selectable)

    def with_nested(self, prefix: str, child: str, link: str, *,
                    exclude: Iterable[str] = ()) -> FieldMap:
        """A copy that filters on ``{prefix}.{path}`` for every filterable ``path`` of the
        ``child`` stream, whose rows point at this stream's record through column ``link``
        (a db column name, e.g. ``user_sourced_id``); see :func:`nested_condition`."""
        fields = dict(self.fields)
        skip = set(exclude)
        for path, f in field_map(child).fields.items():
            if path in skip or f.kind == "related":
                continue
            full = f"{prefix}.{path}"
            fields[full] = Field(full, "related", nested_condition(child, link, f.condition))
        return FieldMap(self.stream, fields, self.selectable)

    def filter_field(self, path: str) -> Field:
        f = self.fields.get(path)
        if f is None:
            raise _filter_error(self._unknown(path, "filter on", self.fields))
        return f

    def sortable(self) -> dict[str, Field]:
        return {p: f for p, f in self.fields.items() if f.sort_key is not None}

    def _unknown(self, name: str, verb: str, known: Iterable[str]) -> str:
        names = sorted(known)
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        return (f"{self.stream} has no field {name!r} to {verb}.{hint} "
                f"Allowed: {', '.join(names)}.")


def nested_condition(child: str, link: str, condition: Condition) -> Condition:
    """A condition on a parent's nested ``child`` rows (``child.<link>`` = the parent's
    sourcedId, same tenant): some row matches. Like the provider's nesting, only active rows
    count, unless the parent has none (a deleted user keeps showing the roles it had).
    ``!=`` is the negation of ``=``: no row equals the value."""

    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        if op == "!=":
            return sa.not_(build(table, "=", value))
        rows = stream_tables[child].alias()
        other = stream_tables[child].alias()
        live = sa.exists().where(other.c.tenant_id == rows.c.tenant_id,
                                 other.c[link] == rows.c[link], other.c.status == "active")
        # Uncorrelated: the matching rows are found once (through their own indexes) and
        # the parents looked up by key, instead of probing the children once per parent.
        matched = [condition(rows, op, value), sa.or_(rows.c.status == "active", ~live)]
        exact = sa.tuple_(table.c.tenant_id, table.c.sourced_id).in_(
            sa.select(rows.c.tenant_id, rows.c[link]).where(*matched))
        # The same ids over every tenant: a superset, but one the planner can drive the
        # parent's key index with (the tenant-exact test above alone makes it scan).
        driving = table.c.sourced_id.in_(sa.select(rows.c[link]).where(*matched))
        return sa.and_(driving, exact)

    return build


# Columns holding {left:right} lists, and the JSON keys of the two sides.
_PAIRS: dict[tuple[str, str], tuple[str, str]] = {
    ("users", "userIds"): ("type", "identifier"),
    ("scoreScales", "scoreScaleValue"): ("itemValueLHS", "itemValueRHS"),
}
_CREDENTIALS = {"credentialType": "credentials.type", "username": "credentials.username"}
_SECRET = frozenset({"password"})


@cache
def field_map(stream: str) -> FieldMap:
    """The built-in :class:`FieldMap` of ``stream`` (a key of ``schema.STREAMS``)."""
    if stream not in STREAMS:
        raise KeyError(f"unknown OneRoster stream {stream!r}")
    spec = STREAMS[stream]
    fields: dict[str, Field] = {}

    def add(path: str, kind: str, condition: Condition, sort: str | None = None, *,
            numeric: bool = False, nullable: bool = True) -> None:
        key = None if sort is None else _sort_key(sort, numeric)
        fields[path] = Field(path, kind, condition, key, nullable)

    add("sourcedId", "str", _scalar("sourced_id", "sourcedId", "str"), "sourced_id",
        nullable=False)
    add("status", "enum", _scalar("status", "status", "enum",
                                  frozenset({"active", "tobedeleted"})), "status",
        nullable=False)
    add("dateLastModified", "datetime",
        _scalar("date_last_modified", "dateLastModified", "datetime"), "date_last_modified",
        nullable=False)
    for col in spec.columns:
        if col.name in _SECRET:
            continue
        name = json_field(stream, col.name)
        if stream == "userProfiles" and col.name in _CREDENTIALS:
            path = _CREDENTIALS[col.name]
            add(path, col.kind, _scalar(col.db_name, path, col.kind, col.values))
            continue
        pair = _PAIRS.get((stream, col.name))
        if pair is not None:
            for side, key in enumerate(pair):
                path = f"{name}.{key}"
                add(path, "list", _pair_member(col.db_name, path, side))
            continue
        match col.kind:
            case "ref":
                cond = _scalar(col.db_name, f"{name}.sourcedId", "ref")
                add(f"{name}.sourcedId", "ref", cond, col.db_name)
                add(name, "ref", cond, col.db_name)
            case "refs":
                cond = _member(col.db_name, f"{name}.sourcedId")
                add(f"{name}.sourcedId", "refs", cond)
                add(name, "refs", cond)
            case "list":
                add(name, "list", _member(col.db_name, name))
            case _:
                add(name, col.kind, _scalar(col.db_name, name, col.kind, _enum(col)),
                    col.db_name, numeric=col.kind == "float")
    selectable = {f.alias or n for n, f in STREAM_MODELS[stream].model_fields.items()}
    fmap = FieldMap(stream, fields, selectable)
    if stream == "users":
        fmap = fmap.with_nested("roles", "roles", "user_sourced_id",
                                exclude=("user", "user.sourcedId", "sourcedId", "status",
                                         "dateLastModified"))
    return fmap


def _enum(col: Column) -> frozenset[str]:
    return col.values if col.kind == "enum" else frozenset()


def _sort_key(db: str, numeric: bool) -> Callable[[sa.FromClause], sa.ColumnElement[Any]]:
    def key(table: sa.FromClause) -> sa.ColumnElement[Any]:
        col: sa.ColumnElement[Any] = table.c[db]
        return sa.cast(col, sa.Float) if numeric else col
    return key


# --------------------------------------------------------------------------------------
# Conditions by kind


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(expr: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match, portable (SQLite and PostgreSQL)."""
    pattern = sa.bindparam(None, f"%{_like_escape(value)}%", type_=sa.Text)
    return sa.func.lower(expr).like(sa.func.lower(pattern), escape="\\")


def _value_error(path: str, op: str, value: str, expected: str) -> QueryError:
    return _filter_error(f"{path}{op}'{value}': {expected}.")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")
# A "+hh:mm" offset whose plus sign became a space on the way through a URL.
_LOST_PLUS = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def _norm_date(path: str, op: str, value: str) -> str:
    v = value.strip()
    try:
        if _DATE.fullmatch(v):
            return date.fromisoformat(v).isoformat()
    except ValueError:
        pass
    raise _value_error(path, op, value, "a date is expected, written YYYY-MM-DD "
                       "(e.g. 2026-08-24)")


def _norm_datetime(path: str, op: str, value: str) -> str:
    """The store's text of a date-time (``2026-08-24T02:00:00.000Z``); a date is its
    midnight UTC, a date-time without offset is UTC."""
    v = _LOST_PLUS.sub(r"\1+\2", value.strip())
    try:
        if _DATE.fullmatch(v):
            dt = datetime.fromisoformat(v).replace(tzinfo=UTC)
        elif _DATE.match(v) and len(v) > 10 and v[10] in "Tt ":
            dt = datetime.fromisoformat(v)
        else:
            raise ValueError(v)
    except ValueError:
        raise _value_error(path, op, value, "a date-time is expected, in ISO 8601 "
                           "(2026-08-24T02:00:00Z) or a date (2026-08-24, midnight UTC)"
                           ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _norm_float(path: str, op: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _value_error(path, op, value, "a number is expected (e.g. 85 or 92.5)")
    return number


def _scalar(db: str, path: str, kind: str, values: frozenset[str] = frozenset()) -> Condition:
    """One text column holding one value (str, enum, date, datetime, bool, float, year, ref)."""

    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        col: sa.ColumnElement[Any] = table.c[db]
        if op == "~":
            if kind in ("bool", "float"):
                raise _filter_error(f"{path} is a {_KIND_NAMES[kind]}; ~ (contains) applies "
                                    f"to text. Use = or != (or < > for numbers).")
            return _contains(col, value)
        if kind == "bool" and op in _ORDERING:
            raise _filter_error(f"{path} is a boolean; use = or != with 'true' or 'false'.")
        if value == "" and op in ("=", "!=") and kind != "float":
            empty = sa.or_(col.is_(None), col == "")
            return empty if op == "=" else sa.not_(empty)
        target: Any
        match kind:
            case "bool":
                v = value.strip().lower()
                if v not in ("true", "false"):
                    raise _value_error(path, op, value, "a boolean is expected, 'true' or "
                                       "'false'")
                target = v
            case "float":
                col = sa.cast(col, sa.Float)
                target = _norm_float(path, op, value)
            case "date":
                target = _norm_date(path, op, value)
            case "datetime":
                target = _norm_datetime(path, op, value)
            case "year":
                target = value.strip()
                if not _YEAR.fullmatch(target):
                    raise _value_error(path, op, value, "a year is expected (e.g. 2026)")
            case "enum":
                target = next((a for a in values if a.lower() == value.strip().lower()), value)
            case _:
                target = value
        return _compare(col, op, target)

    return build


def _compare(col: sa.ColumnElement[Any], op: Op, target: Any) -> sa.ColumnElement[bool]:
    if op == "!=":
        return sa.or_(col.is_(None), col != target)
    compare: Callable[[Any, Any], sa.ColumnElement[bool]] = _COMPARE[op]
    return compare(col, target)


_COMPARE = {"=": operator.eq, ">": operator.gt, ">=": operator.ge, "<": operator.lt,
            "<=": operator.le}


def _member(db: str, path: str) -> Condition:
    """A comma list without spaces (``list``/``refs``): is the value one of the items?"""

    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        col: sa.ColumnElement[Any] = table.c[db]
        if op in _ORDERING:
            raise _filter_error(f"{path} is a list; use = (is one of the items), != (is none "
                                f"of them) or ~ (an item contains the text), not {op}.")
        if value == "":
            empty = sa.or_(col.is_(None), col == "")
            return empty if op == "=" else sa.not_(empty)
        if op == "~":
            # Items hold no commas, so a match that spans two items is impossible.
            return sa.false() if "," in value else _contains(col, value)
        if "," in value:
            hit: sa.ColumnElement[bool] = sa.false()
        else:
            pattern = sa.bindparam(None, f"%,{_like_escape(value)},%", type_=sa.Text)
            hit = (sa.literal(",") + col + sa.literal(",")).like(pattern, escape="\\")
        return hit if op == "=" else sa.or_(col.is_(None), sa.not_(hit))

    return build


def _regex_escape(value: str) -> str:
    """``value`` as a literal in both Python's ``re`` (SQLite's REGEXP, as SQLAlchemy
    installs it) and PostgreSQL's ARE: every ASCII non-alphanumeric escaped, which both read
    as the character itself."""
    return "".join(f"\\{c}" if c.isascii() and not c.isalnum() else c for c in value)


def _pair_member(db: str, path: str, side: int) -> Condition:
    """A ``{left:right},{left:right}`` column: does some item's ``side`` match? The left side
    holds no colon or brace, the right side no brace, so each item is ``{[^{}:]*:[^{}]*}``."""

    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        col: sa.ColumnElement[Any] = table.c[db]
        if op in _ORDERING:
            raise _filter_error(f"{path} is a list; use = (some item equals), != (no item "
                                f"equals) or ~ (some item contains), not {op}.")
        left, right = r"[^{}:]*", r"[^{}]*"
        if op == "~":
            text = _regex_escape(value)
            part = f"{left}{text}{left}" if side == 0 else f"{right}{text}{right}"
            item = f"\\{{{part}:{right}\\}}" if side == 0 else f"\\{{{left}:{part}\\}}"
            pattern = sa.bindparam(None, item, type_=sa.Text)
            return sa.func.lower(col).regexp_match(sa.func.lower(pattern))
        text = _regex_escape(value.strip())
        item = (f"\\{{{text}:{right}\\}}" if side == 0 else f"\\{{{left}:{text}\\}}")
        hit = col.regexp_match(sa.bindparam(None, item, type_=sa.Text))
        return hit if op == "=" else sa.or_(col.is_(None), sa.not_(hit))

    return build


_KIND_NAMES = {"bool": "boolean", "float": "number"}


# --------------------------------------------------------------------------------------
# Public entry points: filter, sort, fields, paging


def _fields(stream: str | FieldMap) -> FieldMap:
    return stream if isinstance(stream, FieldMap) else field_map(stream)


def compile_filter(node: Filter, stream: str | FieldMap,
                   table: sa.FromClause | None = None) -> sa.ColumnElement[bool]:
    """The WHERE condition of a parsed filter over ``table`` (default: the stream's table).
    QueryError ``invalid_filter_field`` for an unknown field or a value of the wrong type."""
    fields = _fields(stream)
    t = stream_tables[fields.stream] if table is None else table
    match node:
        case Predicate(path, op, value):
            f = fields.filter_field(path)
            if "\x00" in value:
                # PostgreSQL text cannot hold NUL (binding one is an error, not a miss).
                raise _filter_error(f"The value of {path} contains a NUL character "
                                    f"(U+0000), which no OneRoster field holds.")
            return f.condition(t, op, value)
        case And(items):
            return sa.and_(*(compile_filter(p, fields, t) for p in items))
        case Or(items):
            return sa.or_(*(compile_filter(p, fields, t) for p in items))
    raise TypeError(f"not a filter: {node!r}")  # pragma: no cover


def filter_clause(stream: str | FieldMap, table: sa.FromClause | None,
                  text: str | None) -> sa.ColumnElement[bool] | None:
    """``parse_filter`` then ``compile_filter``; None when there is no filter parameter."""
    if text is None:
        return None
    return compile_filter(parse_filter(text), stream, table)


def sort_clause(stream: str | FieldMap, table: sa.FromClause | None, sort: str | None,
                order_by: str | None, *, warnings: list[QueryWarning] | None = None
                ) -> list[sa.ColumnElement[Any]]:
    """ORDER BY terms: the ``sort`` field(s) (comma-separated), then ``sourced_id`` so pages
    never overlap; ``orderBy`` (asc/desc) applies to all of them. Records lacking the field
    come last in ascending order, first in descending, on every database.

    An unknown field is QueryError ``invalid_sort_field``; given a ``warnings`` list it is
    recorded there instead and the default order used, which is what the spec asks ("the
    data is returned in the service provider's default sort order", a success/warning).
    A bad ``orderBy`` is QueryError ``invaliddata``.
    """
    fields = _fields(stream)
    t = stream_tables[fields.stream] if table is None else table
    descending = False
    if order_by is not None:
        direction = order_by.strip().lower()
        if direction not in ("asc", "desc"):
            raise QueryError("invaliddata", f"orderBy={order_by!r} is not a sort order; use "
                             f"asc or desc.")
        descending = direction == "desc"
    keys: list[Field] = []
    if sort is not None and sort.strip():
        sortable = fields.sortable()
        for name in (part.strip() for part in sort.split(",")):
            f = sortable.get(name)
            if f is None:
                if name in fields.fields:
                    message = (f"{fields.stream} cannot be sorted by {name}: it holds several "
                               f"values.")
                else:
                    message = fields._unknown(name or "(blank)", "sort by", sortable)
                message += " Default order: sourcedId."
                if warnings is None:
                    raise QueryError("invalid_sort_field", message)
                warnings.append(QueryWarning("invalid_sort_field", message))
                keys = []
                break
            keys.append(f)
    out: list[sa.ColumnElement[Any]] = []
    for f in keys:
        assert f.sort_key is not None
        expr = f.sort_key(t)
        term = expr.desc() if descending else expr.asc()
        if f.nullable:
            term = term.nulls_first() if descending else term.nulls_last()
        out.append(term)
    if not any(f.path == "sourcedId" for f in keys):
        out.append(t.c.sourced_id.desc() if descending else t.c.sourced_id.asc())
    return out


def select_fields(stream: str | FieldMap, fields: str | Sequence[str] | None, *,
                  warnings: list[QueryWarning] | None = None) -> set[str] | None:
    """The top-level JSON fields a ``fields`` parameter keeps; None to keep all.

    Comma-separated (a list of parameters is joined). A blank element (``fields=``,
    ``fields=a,,b``) is QueryError ``invalid_blank_selection_field``. An unknown field is
    QueryError ``invalid_selection_field``; given a ``warnings`` list it is recorded there and
    None returned instead (the spec: "ALL data for the record is returned", success/warning).
    """
    if fields is None:
        return None
    fmap = _fields(stream)
    text = fields if isinstance(fields, str) else ",".join(fields)
    names = [part.strip() for part in text.split(",")]
    if any(not name for name in names):
        raise QueryError("invalid_blank_selection_field",
                         f"fields={text!r} has a blank field name; list the fields to return "
                         f"separated by commas, e.g. fields=sourcedId,givenName.")
    unknown = [name for name in names if name not in fmap.selectable]
    if unknown:
        message = " ".join(fmap._unknown(name, "select", fmap.selectable) for name in unknown)
        if warnings is None:
            raise QueryError("invalid_selection_field", message)
        warnings.append(QueryWarning("invalid_selection_field", message))
        return None
    return set(names)


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def page(limit: int | str | None, offset: int | str | None, max_limit: int = 100, *,
         default_limit: int = 100) -> Page:
    """The validated ``limit`` (at least 1, clipped to ``max_limit``; default
    ``default_limit``) and ``offset`` (at least 0; default 0). QueryError ``invaliddata``
    for anything else."""

    def number(name: str, value: int | str | None, default: int, least: int) -> int:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        try:
            n = value if isinstance(value, int) else int(value.strip(), 10)
        except ValueError:
            n = None
        if n is None or isinstance(n, bool) or n < least:
            raise QueryError("invaliddata", f"{name}={value!r} is not valid; {name} must be "
                             f"a whole number of at least {least}.")
        return n

    n = number("limit", limit, min(default_limit, max_limit), 1)
    return Page(min(n, max_limit), number("offset", offset, 0, 0))


def link_header(base_url: str, params: Mapping[str, str] | Iterable[tuple[str, str]],
                total: int, limit: int, offset: int) -> str:
    """An RFC 8288 ``Link`` value with ``first``, ``prev`` (when offset > 0), ``next`` (when
    more records follow) and ``last``; each URL keeps the other query parameters."""
    items = params.items() if isinstance(params, Mapping) else params
    kept = [(k, v) for k, v in items if k not in ("limit", "offset")]
    sep = "&" if "?" in base_url else "?"

    def url(at: int) -> str:
        query = urlencode([*kept, ("limit", str(limit)), ("offset", str(at))], quote_via=quote)
        return f"{base_url}{sep}{query}"

    last = max(0, (total - 1) // limit * limit) if total > 0 else 0
    links = [("first", 0)]
    if offset > 0:
        links.append(("prev", max(0, min(offset - limit, last))))
    if offset + limit < total:
        links.append(("next", offset + limit))
    links.append(("last", last))
    return ", ".join(f'<{url(at)}>; rel="{rel}"' for rel, at in links)
