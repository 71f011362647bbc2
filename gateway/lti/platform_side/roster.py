"""What a vendor tool's launch and scores need of the canonical roster: the class (the LTI
context), who is enrolled in it with which LTI roles, and a person's name. Reads only,
scoped by tenant, active records only."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from gateway.store.tables import stream_tables

__all__ = ["ClassContext", "Member", "class_context", "member", "members"]

_users = stream_tables["users"]
_classes = stream_tables["classes"]
_enrollments = stream_tables["enrollments"]

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROLES = {
    "student": [_MEMBERSHIP + "Learner"],
    "teacher": [_MEMBERSHIP + "Instructor"],
    "aide": [_MEMBERSHIP + "Instructor",
             "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
    "administrator": [_MEMBERSHIP + "Administrator"],
    "proctor": [_MEMBERSHIP + "Mentor"],
}
"""OneRoster enrollment roles as LTI context roles (LTI 1.3 §A.2.2)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ClassContext:
    sourced_id: str
    title: str
    class_code: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    sourced_id: str
    roles: list[str]
    given_name: str | None
    family_name: str | None

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or None


def class_context(conn: sa.Connection, tenant_id: int, class_id: str) -> ClassContext | None:
    row = conn.execute(sa.select(_classes.c.sourced_id, _classes.c.title,
                                 _classes.c.class_code).where(
        _classes.c.tenant_id == tenant_id, _classes.c.sourced_id == class_id,
        _classes.c.status == "active")).first()
    if row is None:
        return None
    return ClassContext(row.sourced_id, row.title or row.sourced_id, row.class_code)


def member(conn: sa.Connection, tenant_id: int, class_id: str, user_id: str) -> Member | None:
    """The user as a member of the class (roles from every active enrollment of theirs in
    it), or None when they are not enrolled."""
    rows = conn.execute(sa.select(_enrollments.c.role).where(
        _enrollments.c.tenant_id == tenant_id, _enrollments.c.class_sourced_id == class_id,
        _enrollments.c.user_sourced_id == user_id, _enrollments.c.status == "active")).all()
    if not rows:
        return None
    person = conn.execute(sa.select(_users.c.given_name, _users.c.family_name,
                                    _users.c.preferred_given_name).where(
        _users.c.tenant_id == tenant_id, _users.c.sourced_id == user_id,
        _users.c.status == "active")).first()
    if person is None:
        return None
    roles = list(dict.fromkeys(r for row in rows for r in ROLES.get(row.role or "", [])))
    return Member(user_id, roles, person.preferred_given_name or person.given_name,
                  person.family_name)


def members(conn: sa.Connection, tenant_id: int, class_id: str) -> list[str]:
    """The sourcedIds of everyone actively enrolled in the class."""
    return list(conn.execute(sa.select(_enrollments.c.user_sourced_id).distinct().where(
        _enrollments.c.tenant_id == tenant_id, _enrollments.c.class_sourced_id == class_id,
        _enrollments.c.status == "active")).scalars())
