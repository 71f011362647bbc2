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
- A collection serves active records only, unless the filter names ``dateLastModified`` or
  ``status`` (see :func:`collection_filter`): then ``tobedeleted`` records match too, so a
  delta consumer learns of deletions.
- A value containing NUL (U+0000) is an ``invalid_filter_field`` error on every database:
  no stored text holds one (PostgreSQL cannot), and binding one fails there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa

from gateway.provider.query.fields import Field, FieldMap, field_map
from gateway.provider.query.grammar import (
    MAX_PREDICATES,
    OPS,
    And,
    Condition,
    Filter,
    Op,
    Or,
    Predicate,
    QueryError,
    QueryWarning,
    _filter_error,
    format_filter,
    parse_filter,
)
from gateway.store.tables import stream_tables

__all__ = [
    "CHANGE_FIELDS",
    "INT32_MAX",
    "MAX_PREDICATES",
    "OPS",
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
    "collection_filter",
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


CHANGE_FIELDS = frozenset({"dateLastModified", "status"})
"""Fields whose mention in a filter lets ``tobedeleted`` records match it (see
:func:`collection_filter`)."""


def collection_filter(stream: str | FieldMap, table: sa.FromClause | None,
                      text: str | None) -> tuple[sa.ColumnElement[bool] | None, bool]:
    """A collection's ``filter`` as a condition, and whether ``tobedeleted`` records may
    match it (else a collection serves active records only).

    They may when the filter names ``dateLastModified`` or ``status``: a delta consumer's
    ``dateLastModified>'…'`` learns what was deleted since, and ``status='tobedeleted'``
    asks for deletions outright. Per ``OR`` branch: in ``dateLastModified>'…' OR
    familyName='x'`` the second branch still matches active records only.
    """
    if text is None:
        return None, False
    fields = _fields(stream)
    t = stream_tables[fields.stream] if table is None else table
    node = parse_filter(text)
    branches = node.items if isinstance(node, Or) else (node,)
    names = [{p.field for p in (b.items if isinstance(b, And) else (b,))} & CHANGE_FIELDS
             for b in branches]
    if not any(names):
        return compile_filter(node, fields, t), False
    if all(names):
        return compile_filter(node, fields, t), True
    return sa.or_(*(compile_filter(b, fields, t) if named
                    else sa.and_(compile_filter(b, fields, t), t.c.status == "active")
                    for b, named in zip(branches, names, strict=True))), True


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


INT32_MAX = 2**31 - 1
"""The largest ``limit`` or ``offset``: the OpenAPI files declare both ``int32``."""
_WHOLE = re.compile(r"[+-]?[0-9]+")


def page(limit: int | str | None, offset: int | str | None, max_limit: int = 100, *,
         default_limit: int = 100) -> Page:
    """The validated ``limit`` (default ``default_limit``, clipped to ``max_limit``) and
    ``offset`` (default 0).

    As the OpenAPI files declare them: an ``int32`` of at least 1 (``limit``) or 0
    (``offset``), written in ASCII digits, and never empty (``allowEmptyValue: false``), so
    ``offset=`` is an error rather than the default, and so is a ``limit`` beyond 2**31 - 1
    rather than clipped like one above ``max_limit``. Anything else is QueryError
    ``invaliddata`` (400), as for the other query parameters a provider cannot use.
    """

    def number(name: str, value: int | str | None, default: int, least: int) -> int:
        if value is None:
            return default
        n: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            digits = value.strip().lstrip("+-").lstrip("0")
            # Eleven digits are already out of range (and int() refuses 4,300).
            n = int(value.strip(), 10) if len(digits) <= 10 else None
        if n is None or not least <= n <= INT32_MAX:
            shown = "empty" if isinstance(value, str) and not value.strip() else repr(value)
            raise QueryError("invaliddata", f"{name}={shown} is not valid; {name} must be "
                             f"a whole number from {least} to {INT32_MAX} (or left out for "
                             f"{default}).")
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
