"""What ``filter``, ``sort`` and ``fields`` may name in a OneRoster 1.1 collection.

The 1.2 field maps of :mod:`gateway.provider.query` under their 1.1 names (a line item's
``academicSession`` is its ``gradingPeriod``), without the fields 1.1 lacks, plus a
user's ``role`` and ``orgs``:

- ``role`` is the user's 1.1 role as served (see :mod:`.roles`); on a path listing students
  or teachers it is that role for every record, so ``/students?filter=role='student'`` is
  every student and ``role='teacher'`` none.
- ``orgs.sourcedId`` (or ``orgs``) holds when the value is the user's primary org or the
  org of one of its roles (the ones served); ``!=`` when it is none of them.
- ``sex`` holds only the 1.1 values: a 1.2 ``unspecified`` or ``other`` is served, and
  filtered, as no value.
"""

from __future__ import annotations

import operator
from dataclasses import replace
from functools import cache
from typing import Any

import sqlalchemy as sa

from gateway.model.oneroster import json_field
from gateway.provider.query import Field, FieldMap, Op, QueryError, field_map
from gateway.provider.query.fields import nested_condition
from gateway.provider.v1p1.roles import ROLES_V1P1, holders, role_sql
from gateway.provider.v1p1.shape import COMPUTED, FIELDS, SEX_V1P1
from gateway.store.tables import stream_tables

__all__ = ["COMMON", "field_map_v1p1"]

COMMON = ("sourcedId", "status", "dateLastModified")
_ORDERING = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@cache
def field_map_v1p1(stream: str, listed_role: str | None = None) -> FieldMap:
    """The 1.1 :class:`FieldMap` of ``stream``; ``listed_role`` for a path that lists users
    of one role (every user's ``role`` is that role there)."""
    base = field_map(stream)
    names = {json_field(stream, column): name for name, column in FIELDS[stream].items()}
    fields: dict[str, Field] = {}
    for path, f in base.fields.items():
        head, dot, tail = path.partition(".")
        if path in COMMON:
            fields[path] = f
        elif head in names:
            renamed = names[head] + dot + tail
            fields[renamed] = replace(f, path=renamed)
    if stream == "demographics":
        fields["sex"] = replace(fields["sex"], condition=_sex(fields["sex"]))
    if stream == "users":
        if listed_role is None:
            fields["role"] = Field("role", "enum", _role, role_sql)
        else:
            fields["role"] = Field("role", "enum", _listed(listed_role),
                                   lambda table: sa.literal(listed_role), nullable=False)
        fields["orgs"] = fields["orgs.sourcedId"] = Field("orgs.sourcedId", "related", _orgs)
    selectable = {*COMMON, "metadata", *FIELDS[stream], *COMPUTED.get(stream, ())}
    return FieldMap(stream, fields, selectable)


def _canonical(value: str) -> str:
    """A 1.1 role as the vocabulary spells it (enumerations match in any case)."""
    v = value.strip()
    return next((role for role in ROLES_V1P1 if role.lower() == v.lower()), v)


def _like(expr: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = sa.bindparam(None, f"%{escaped}%", type_=sa.Text)
    return sa.func.lower(expr).like(sa.func.lower(pattern), escape="\\")


def _role(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
    expr = role_sql(table)
    if op == "~":
        return _like(expr, value)
    if value == "" and op in ("=", "!="):
        return expr.is_(None) if op == "=" else expr.is_not(None)
    role = _canonical(value)
    if op == "=":
        # The role index finds the few holders; the exact rule is checked on those only.
        return sa.and_(table.c.sourced_id.in_(holders(role)), expr == role)
    if op == "!=":
        return sa.or_(expr.is_(None), expr != role)
    compare: Any = _ORDERING[op]
    result: sa.ColumnElement[bool] = compare(expr, role)
    return result


def _listed(listed_role: str) -> Any:
    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        if op == "~":
            hit = value.lower() in listed_role
        elif op in ("=", "!="):
            hit = (_canonical(value) == listed_role) == (op == "=")
        else:
            hit = bool(_ORDERING[op](listed_role, _canonical(value)))
        return sa.true() if hit else sa.false()
    return build


_ROLE_ORG = nested_condition("roles", "user_sourced_id",
                             field_map("roles").fields["org.sourcedId"].condition)
_PRIMARY_ORG = field_map("users").fields["primaryOrg.sourcedId"].condition


def _orgs(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
    if op in _ORDERING:
        raise QueryError("invalid_filter_field", f"orgs is a list; use = (one of the orgs), "
                         f"!= (none of them) or ~ (an org's sourcedId contains), not {op}.")
    if op == "!=":
        return sa.not_(_orgs(table, "=", value))
    if value == "":  # users without orgs: no primary org and no role
        r = stream_tables["roles"].alias("v1p1_any_role")
        return sa.and_(table.c.primary_org_sourced_id.is_(None), ~sa.exists().where(
            r.c.tenant_id == table.c.tenant_id, r.c.user_sourced_id == table.c.sourced_id))
    return sa.or_(_PRIMARY_ORG(table, op, value), _ROLE_ORG(table, op, value))


def _sex(base: Field) -> Any:
    def build(table: sa.FromClause, op: Op, value: str) -> sa.ColumnElement[bool]:
        column = table.c.sex
        known = sa.and_(column.is_not(None), column.in_(SEX_V1P1))
        if value == "" and op in ("=", "!="):
            return sa.not_(known) if op == "=" else known
        if op == "!=":
            return sa.not_(build(table, "=", value))
        return sa.and_(known, base.condition(table, op, value))
    return build
