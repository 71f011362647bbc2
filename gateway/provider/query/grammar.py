"""The OneRoster filter grammar: parse ``field<op>'value'`` joined by AND/OR, and format it
back; the errors every query parameter reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import unquote_plus

import sqlalchemy as sa

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
