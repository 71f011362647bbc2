"""A 1.2 user's roles as the one ``role`` a OneRoster 1.1 user has, in Python and in SQL.

OneRoster 1.2 gives a user a list of roles, one per org with ``roleType`` primary (and
more as secondary); 1.1 gives a user one ``role`` and a list of ``orgs``. The 1.1 role of a
user is the 1.1 value (:data:`ROLE_V1P1`) of the user's *primary role*, which is, of the
roles the provider nests into the user (the active ones, or all of them for a user without
an active role, as in 1.2):

1. a role at the user's ``primaryOrg`` before a role elsewhere;
2. then ``roleType`` primary before secondary;
3. then by :data:`ROLE_ORDER` (teacher first; extension roles last);
4. then by the role's sourcedId.

With valid 1.2 data (one primary role per org) the first two rules decide: the role is the
primary role at the primary org. :func:`primary_role` (for serving) and :func:`role_sql`
(for ``filter``/``sort`` on ``role``) implement the same rule, so a filter on ``role``
matches exactly the users served with that role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from gateway.store.tables import stream_tables

__all__ = ["ROLES_V1P1", "ROLE_ORDER", "ROLE_V1P1", "holders", "ordered", "primary_role",
           "role_sql", "role_v1p1"]

ROLES_V1P1 = ("administrator", "aide", "guardian", "parent", "proctor", "relative",
              "student", "teacher")
"""The 1.1 role vocabulary (``RoleEnum`` of the 1.1 information model)."""

ROLE_V1P1: dict[str, str] = {
    "aide": "aide",
    "counselor": "aide",
    "districtAdministrator": "administrator",
    "guardian": "guardian",
    "parent": "parent",
    "principal": "administrator",
    "proctor": "proctor",
    "relative": "relative",
    "siteAdministrator": "administrator",
    "student": "student",
    "systemAdministrator": "administrator",
    "teacher": "teacher",
}
"""Each 1.2 role as a 1.1 role. The four administrator roles of 1.2 were one in 1.1 (the
CSV consumer maps them the other way by org type). 1.1 has no counselor: a counselor is
served as an ``aide`` (staff supporting students without teaching them), the least
privileged staff role, rather than as an administrator. An extension role (``ext:...``)
is served as it is."""

ROLE_ORDER = ("teacher", "districtAdministrator", "systemAdministrator", "siteAdministrator",
              "principal", "counselor", "aide", "proctor", "student", "guardian", "parent",
              "relative")
"""Which role wins among roles equal by org and roleType (rule 3 above)."""
_RANK = {role: n for n, role in enumerate(ROLE_ORDER)}


def role_v1p1(role: str) -> str:
    return ROLE_V1P1.get(role, role)


def _key(role: Mapping[str, Any], primary_org: str | None) -> tuple[int, int, int, str]:
    elsewhere = not primary_org or role.get("orgSourcedId") != primary_org
    return (int(elsewhere), int(role.get("roleType") != "primary"),
            _RANK.get(str(role.get("role")), len(_RANK)), str(role.get("sourcedId")))


def primary_role(roles: Sequence[Mapping[str, Any]],
                 primary_org: str | None) -> Mapping[str, Any] | None:
    """The role row whose role is the user's 1.1 role (None for a user without roles)."""
    return min(roles, key=lambda r: _key(r, primary_org), default=None)


def ordered(roles: Sequence[Mapping[str, Any]],
            primary_org: str | None) -> list[Mapping[str, Any]]:
    """``roles`` by the rule, the primary role first."""
    return sorted(roles, key=lambda r: _key(r, primary_org))


def role_sql(users: sa.FromClause) -> sa.ColumnElement[str]:
    """The 1.1 role of each row of ``users`` (correlated), as :func:`primary_role` picks it;
    NULL for a user without roles."""
    r = stream_tables["roles"].alias("v1p1_role")
    live = stream_tables["roles"].alias("v1p1_live")
    has_live = sa.exists().where(live.c.tenant_id == r.c.tenant_id,
                                 live.c.user_sourced_id == r.c.user_sourced_id,
                                 live.c.status == "active")
    # The user again, inside: SQLite cannot see the outer query's columns in ORDER BY.
    user = stream_tables["users"].alias("v1p1_user")
    at_primary = sa.and_(user.c.primary_org_sourced_id.is_not(None),
                         r.c.org_sourced_id == user.c.primary_org_sourced_id)
    q = (sa.select(sa.case(ROLE_V1P1, value=r.c.role, else_=r.c.role))
         .select_from(r.join(user, sa.and_(user.c.tenant_id == r.c.tenant_id,
                                           user.c.sourced_id == r.c.user_sourced_id)))
         .where(r.c.tenant_id == users.c.tenant_id,
                r.c.user_sourced_id == users.c.sourced_id,
                sa.or_(r.c.status == "active", ~has_live))
         .order_by(sa.case((at_primary, 0), else_=1),
                   sa.case((r.c.role_type == "primary", 0), else_=1),
                   sa.case(_RANK, value=r.c.role, else_=len(_RANK)),
                   r.c.sourced_id)
         .limit(1))
    return q.scalar_subquery()


def holders(role: str) -> sa.Select[tuple[str]]:
    """The sourcedIds of users holding some role that is ``role`` in 1.1 (any status): a
    superset of the users whose 1.1 role is ``role``, found through the role index."""
    r = stream_tables["roles"].alias("v1p1_holder")
    values = [v12 for v12, v11 in ROLE_V1P1.items() if v11 == role] or [role]
    return sa.select(r.c.user_sourced_id).where(r.c.role.in_(values))
