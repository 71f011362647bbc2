"""What a launch shows: the learner's or the class's roster facts and evidence from the
canonical store, and the activities an instructor can place by deep linking.

Reads only; every query is scoped by tenant. Mastery is not computed yet (the adaptive-tool
connectors and the mastery engine feed it later), so the views say so instead of showing
an empty grid.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from gateway.store.tables import stream_tables

__all__ = ["Activity", "ClassView", "LearnerView", "activities", "class_view", "learner_view"]

RECENT = 10
users = stream_tables["users"]
enrollments = stream_tables["enrollments"]
classes = stream_tables["classes"]
results = stream_tables["results"]
line_items = stream_tables["lineItems"]


@dataclasses.dataclass(frozen=True, slots=True)
class Evidence:
    title: str
    score: str | None
    maximum: str | None
    status: str | None
    date: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class LearnerView:
    sourced_id: str
    name: str
    classes: list[str]
    evidence: list[Evidence]


@dataclasses.dataclass(frozen=True, slots=True)
class ClassMember:
    sourced_id: str
    name: str
    results: int
    latest: Evidence | None


@dataclasses.dataclass(frozen=True, slots=True)
class ClassView:
    sourced_id: str
    title: str
    students: list[ClassMember]


@dataclasses.dataclass(frozen=True, slots=True)
class Activity:
    """Something an instructor can place in an LMS course, with the line item it gets."""

    id: str
    title: str
    kind: str
    """``profile`` (Harbormaster's own learner page) or ``assignment`` (a gradebook line
    item of the store, with its standards when it names them)."""
    score_maximum: float
    detail: str = ""


def _name(row: Any) -> str:
    given = row.given_name or ""
    family = row.family_name or ""
    return f"{given} {family}".strip() or row.sourced_id


def _active(table: sa.Table, tenant_id: int) -> list[sa.ColumnElement[bool]]:
    return [table.c.tenant_id == tenant_id, table.c.status == "active"]


def _evidence(conn: sa.Connection, tenant_id: int, student: str, limit: int) -> list[Evidence]:
    query = (sa.select(line_items.c.title, line_items.c.result_value_max, results.c.score,
                       results.c.score_status, results.c.score_date)
             .join(line_items, sa.and_(line_items.c.tenant_id == results.c.tenant_id,
                                       line_items.c.sourced_id
                                       == results.c.line_item_sourced_id))
             .where(*_active(results, tenant_id), results.c.student_sourced_id == student)
             .order_by(results.c.score_date.desc(), results.c.sourced_id).limit(limit))
    return [Evidence(title=row.title or "", score=row.score, maximum=row.result_value_max,
                     status=row.score_status, date=row.score_date)
            for row in conn.execute(query)]


def learner_view(engine: sa.Engine, tenant_id: int, user_sourced_id: str) -> LearnerView | None:
    with engine.connect() as conn:
        user = conn.execute(sa.select(users.c.sourced_id, users.c.given_name,
                                      users.c.family_name)
                            .where(*_active(users, tenant_id),
                                   users.c.sourced_id == user_sourced_id)).first()
        if user is None:
            return None
        titles = conn.execute(
            sa.select(classes.c.title)
            .join(enrollments, sa.and_(enrollments.c.tenant_id == classes.c.tenant_id,
                                       enrollments.c.class_sourced_id == classes.c.sourced_id))
            .where(*_active(enrollments, tenant_id), classes.c.status == "active",
                   enrollments.c.user_sourced_id == user_sourced_id)
            .order_by(classes.c.title)).scalars().all()
        return LearnerView(sourced_id=user.sourced_id, name=_name(user),
                           classes=[t or "" for t in titles],
                           evidence=_evidence(conn, tenant_id, user_sourced_id, RECENT))


def class_view(engine: sa.Engine, tenant_id: int, class_sourced_id: str) -> ClassView | None:
    with engine.connect() as conn:
        klass = conn.execute(sa.select(classes.c.sourced_id, classes.c.title)
                             .where(*_active(classes, tenant_id),
                                    classes.c.sourced_id == class_sourced_id)).first()
        if klass is None:
            return None
        students = conn.execute(
            sa.select(users.c.sourced_id, users.c.given_name, users.c.family_name)
            .join(enrollments, sa.and_(enrollments.c.tenant_id == users.c.tenant_id,
                                       enrollments.c.user_sourced_id == users.c.sourced_id))
            .where(*_active(enrollments, tenant_id), users.c.status == "active",
                   enrollments.c.class_sourced_id == class_sourced_id,
                   enrollments.c.role == "student")
            .order_by(users.c.family_name, users.c.given_name, users.c.sourced_id)).all()
        counts: dict[str, int] = dict(conn.execute(
            sa.select(results.c.student_sourced_id, sa.func.count())
            .where(*_active(results, tenant_id), results.c.class_sourced_id == class_sourced_id)
            .group_by(results.c.student_sourced_id)).all())
        members = []
        for row in students:
            latest = _evidence(conn, tenant_id, row.sourced_id, 1) if counts.get(
                row.sourced_id) else []
            members.append(ClassMember(sourced_id=row.sourced_id, name=_name(row),
                                       results=int(counts.get(row.sourced_id, 0)),
                                       latest=latest[0] if latest else None))
        return ClassView(sourced_id=klass.sourced_id, title=klass.title or "",
                         students=members)


PROFILE = Activity(id="harbormaster:profile", title="My learning (Harbormaster)",
                   kind="profile", score_maximum=100.0,
                   detail="Each learner's enrolment, recent evidence and mastery")


def activities(engine: sa.Engine, tenant_id: int, class_sourced_id: str | None,
               limit: int = 50) -> list[Activity]:
    """What an instructor may place: the learner page, then the gradebook line items of
    the class (of the whole tenant when the LMS course is not linked to a class)."""
    query = (sa.select(line_items.c.sourced_id, line_items.c.title,
                       line_items.c.result_value_max, line_items.c.description)
             .where(*_active(line_items, tenant_id))
             .order_by(line_items.c.due_date.desc(), line_items.c.sourced_id).limit(limit))
    if class_sourced_id is not None:
        query = query.where(line_items.c.class_sourced_id == class_sourced_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found = [PROFILE]
    for row in rows:
        try:
            maximum = float(row.result_value_max) if row.result_value_max else 100.0
        except ValueError:
            maximum = 100.0
        found.append(Activity(id=f"lineItem:{row.sourced_id}", title=row.title or "",
                              kind="assignment", score_maximum=maximum if maximum > 0 else 100.0,
                              detail=row.description or ""))
    return found
