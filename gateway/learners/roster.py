"""Roster facts the learner views need, read from the canonical OneRoster tables: a user,
their school and classes, a class and its students. Only active records count: a user the
SIS deleted is not a learner any more."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from gateway.standards.grades import grade_rank, normalize_grades
from gateway.store.tables import stream_tables

__all__ = ["ClassFacts", "LearnerFacts", "class_facts", "class_students", "classes_of",
           "learner_facts", "org_names", "split_list"]

_users = stream_tables["users"]
_enrollments = stream_tables["enrollments"]
_classes = stream_tables["classes"]
_orgs = stream_tables["orgs"]
_ACTIVE = "active"


def split_list(value: str | None) -> list[str]:
    """A OneRoster CSV list column (``"07,08"``) as a list."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@dataclass(frozen=True, slots=True)
class LearnerFacts:
    sourced_id: str
    given_name: str | None
    family_name: str | None
    preferred_given_name: str | None
    identifier: str | None
    username: str | None
    email: str | None
    grades: tuple[str, ...]
    """CEDS codes in school order."""
    school: str | None
    """The primary org's sourcedId."""

    @property
    def grade(self) -> str | None:
        """The grade a path starts from: the lowest listed (a learner in a 7/8 combination
        starts at 7; what they have mastered is skipped anyway)."""
        return self.grades[0] if self.grades else None

    @property
    def sort_name(self) -> tuple[str, str, str]:
        return ((self.family_name or "").lower(), (self.given_name or "").lower(),
                self.sourced_id)


@dataclass(frozen=True, slots=True)
class ClassFacts:
    sourced_id: str
    title: str | None
    class_code: str | None
    subjects: tuple[str, ...]
    grades: tuple[str, ...]
    school: str | None
    role: str | None = None
    """The learner's role in it, where read for one learner."""


def _learner(row: sa.RowMapping) -> LearnerFacts:
    grades, _ = normalize_grades(split_list(row["grades"]))
    return LearnerFacts(
        sourced_id=row["sourced_id"], given_name=row["given_name"],
        family_name=row["family_name"], preferred_given_name=row["preferred_given_name"],
        identifier=row["identifier"], username=row["username"], email=row["email"],
        grades=tuple(sorted(grades, key=grade_rank)), school=row["primary_org_sourced_id"])


def learner_facts(conn: sa.Connection, tenant_id: int, sourced_id: str) -> LearnerFacts | None:
    row = conn.execute(sa.select(_users).where(
        _users.c.tenant_id == tenant_id, _users.c.sourced_id == sourced_id,
        _users.c.status == _ACTIVE)).mappings().first()
    return _learner(row) if row is not None else None


def _class(row: sa.RowMapping, role: str | None = None) -> ClassFacts:
    grades, _ = normalize_grades(split_list(row["grades"]))
    return ClassFacts(sourced_id=row["sourced_id"], title=row["title"],
                      class_code=row["class_code"], subjects=tuple(split_list(row["subjects"])),
                      grades=tuple(grades), school=row["school_sourced_id"], role=role)


def classes_of(conn: sa.Connection, tenant_id: int, sourced_id: str) -> list[ClassFacts]:
    """The learner's active classes (with their role), by title."""
    query = (sa.select(_classes, _enrollments.c.role.label("enrollment_role"))
             .join(_enrollments, sa.and_(_enrollments.c.tenant_id == _classes.c.tenant_id,
                                         _enrollments.c.class_sourced_id == _classes.c.sourced_id))
             .where(_enrollments.c.tenant_id == tenant_id,
                    _enrollments.c.user_sourced_id == sourced_id,
                    _enrollments.c.status == _ACTIVE, _classes.c.status == _ACTIVE))
    found = [_class(row, row["enrollment_role"]) for row in conn.execute(query).mappings()]
    return sorted(found, key=lambda c: ((c.title or "").lower(), c.sourced_id))


def class_facts(conn: sa.Connection, tenant_id: int, sourced_id: str) -> ClassFacts | None:
    row = conn.execute(sa.select(_classes).where(
        _classes.c.tenant_id == tenant_id, _classes.c.sourced_id == sourced_id,
        _classes.c.status == _ACTIVE)).mappings().first()
    return _class(row) if row is not None else None


def class_students(conn: sa.Connection, tenant_id: int, class_id: str) -> list[LearnerFacts]:
    """The class's active students, by family name, given name, sourcedId."""
    query = (sa.select(_users)
             .join(_enrollments, sa.and_(_enrollments.c.tenant_id == _users.c.tenant_id,
                                         _enrollments.c.user_sourced_id == _users.c.sourced_id))
             .where(_enrollments.c.tenant_id == tenant_id,
                    _enrollments.c.class_sourced_id == class_id,
                    _enrollments.c.role == "student",
                    _enrollments.c.status == _ACTIVE, _users.c.status == _ACTIVE))
    found = {row["sourced_id"]: _learner(row) for row in conn.execute(query).mappings()}
    return sorted(found.values(), key=lambda learner: learner.sort_name)


def org_names(conn: sa.Connection, tenant_id: int, sourced_ids: set[str]) -> dict[str, str]:
    if not sourced_ids:
        return {}
    rows = conn.execute(sa.select(_orgs.c.sourced_id, _orgs.c.name).where(
        _orgs.c.tenant_id == tenant_id, _orgs.c.sourced_id.in_(sorted(sourced_ids))))
    return {row.sourced_id: row.name for row in rows}
