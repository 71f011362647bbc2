"""The push plan: what one destination LMS lacks, computed from the store and the ledger.

For every class in scope, every push item (a standard's mastery, an activity's latest score)
that some learner of the class has a value for becomes an :class:`Assignment` in the class's
open grading period; every such learner's value, converted by the tenant's (or course's)
grade conversion, becomes a grade. Each is then compared with the ledger:

- an assignment the gateway has not made yet is ``create``; one whose creation was claimed
  but never confirmed (a crash) is ``resume`` (found in the LMS before being made again);
  one deleted in the LMS and reported is ``gone`` (or ``recreate`` once ``on_deleted`` says
  so); the rest ``exists``;
- a grade whose value the LMS already acknowledged is ``unchanged``; a changed or new one is
  ``write``; one claimed but never acknowledged is ``resend`` (the same value and timestamp);
  one whose assignment is gone, or whose class has no open grading period, is ``held``.

The plan reads the store in a handful of bulk queries (no query per learner), so planning
10,000 grades takes well under a second.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from gateway.errors import ConfigError, SkippableRecordError
from gateway.mastery.settings import MasterySettings, read_settings
from gateway.model._values import split_list
from gateway.push.conversion import read_conversions
from gateway.push.destination import Assignment, ClassRef, GradingPeriod, Learner
from gateway.push.spec import PushItem, PushSpec
from gateway.store.learning_tables import evidence, mastery, standards
from gateway.store.push_tables import push_assignments, push_ledger
from gateway.store.tables import stream_tables

__all__ = ["AssignmentAction", "GradeAction", "Plan", "PlannedAssignment", "PlannedGrade",
           "assignment_key", "build_plan", "open_period", "value_hash"]

AssignmentAction = Literal["create", "resume", "exists", "recreate", "gone"]
GradeAction = Literal["write", "resend", "unchanged", "held", "skip"]


@dataclasses.dataclass(slots=True)
class PlannedAssignment:
    assignment: Assignment
    action: AssignmentAction
    row_id: int | None = None
    """Its ``push_assignments`` row, when the gateway has one."""
    remote_id: str | None = None
    message: str | None = None


@dataclasses.dataclass(slots=True)
class PlannedGrade:
    key: str
    assignment_key: str
    learner: Learner
    score: float
    points_possible: float
    level: str | None
    comment: str | None
    action: GradeAction
    reason: str | None = None
    previous: float | None = None
    """The score the LMS last acknowledged, if any."""
    ledger_id: int | None = None
    """The ledger row to resend (``resend``)."""

    @property
    def hash(self) -> str:
        return value_hash(self.score, self.points_possible, self.comment)


@dataclasses.dataclass(slots=True)
class Plan:
    connection: str
    today: date
    assignments: list[PlannedAssignment]
    grades: list[PlannedGrade]
    stale: list[int] = dataclasses.field(default_factory=list)
    """Pending ledger rows no longer planned (the learner left the class, its period
    closed): marked superseded by the push, never sent."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """Whole-class observations for the admin (a class with no open grading period)."""

    def counts(self) -> dict[str, dict[str, int]]:
        assignments: dict[str, int] = defaultdict(int)
        grades: dict[str, int] = defaultdict(int)
        for a in self.assignments:
            assignments[a.action] += 1
        for g in self.grades:
            grades[g.action] += 1
        return {"assignments": dict(assignments), "grades": dict(grades)}

    def lines(self, limit: int = 50) -> list[str]:
        """The plan as a person reads it: counts, then up to ``limit`` lines of changes."""
        counts = self.counts()
        out = [f"push plan for {self.connection} on {self.today.isoformat()}",
               "  assignments: " + _said(counts["assignments"]),
               "  grades: " + _said(counts["grades"])]
        out += [f"  note: {n}" for n in self.notes[:limit]]
        shown = 0
        for a in self.assignments:
            if a.action == "exists" or shown >= limit:
                continue
            shown += 1
            period = f", {a.assignment.period.title}" if a.assignment.period else ""
            out.append(f"  {a.action:9} assignment {a.assignment.title!r} in class "
                       f"{a.assignment.section.sourced_id} ({a.assignment.points_possible:g} "
                       f"points{period})" + (f": {a.message}" if a.message else ""))
        for g in self.grades:
            if g.action == "unchanged" or shown >= limit:
                continue
            shown += 1
            was = f" (was {g.previous:g})" if g.previous is not None else ""
            why = f": {g.reason}" if g.reason else ""
            out.append(f"  {g.action:9} {g.learner.sourced_id} {g.score:g}/"
                       f"{g.points_possible:g}{was} on {g.assignment_key}{why}")
        hidden = sum(1 for a in self.assignments if a.action != "exists") + sum(
            1 for g in self.grades if g.action != "unchanged") - shown
        if hidden > 0:
            out.append(f"  ... and {hidden} more")
        return out


def _said(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"


def value_hash(score: float, points_possible: float, comment: str | None) -> str:
    said = {"score": float(score), "of": float(points_possible), "comment": comment}
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()


def assignment_key(tenant: str, class_sourced_id: str, item: str, period: str | None,
                   points_possible: float = 100.0) -> str:
    """``hm-`` and 32 hex digits: the identifier an assignment is made with in the LMS. The
    points possible are part of it: a conversion with a new maximum makes new assignments
    (the LMS would refuse the new grades on the old scale)."""
    said = json.dumps([tenant, class_sourced_id, item, period, float(points_possible)])
    return "hm-" + hashlib.sha256(said.encode()).hexdigest()[:32]


@dataclasses.dataclass(frozen=True, slots=True)
class _Item:
    spec: PushItem
    item: str
    title: str
    description: str
    standard: str | None = None
    standard_uri: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Session:
    sourced_id: str
    title: str
    type: str
    start: date
    end: date
    parent: str | None


def open_period(terms: Sequence[str], sessions: Mapping[str, _Session],
                children: Mapping[str, list[str]], today: date,
                grace_days: int) -> GradingPeriod | None:
    """The class's grading period open today: the most specific session (a gradingPeriod of
    one of its terms, else the term) whose dates hold ``today`` (its end plus the grace)."""
    candidates = [sessions[t] for t in terms if t in sessions]
    candidates += [sessions[c] for t in terms for c in children.get(t, ()) if c in sessions]
    grace = timedelta(days=grace_days)
    holding = [s for s in candidates if s.start <= today <= s.end + grace]
    if not holding:
        return None
    best = max(holding, key=lambda s: (s.type == "gradingPeriod", s.start))
    return GradingPeriod(best.sourced_id, best.title, best.start.isoformat(),
                         best.end.isoformat())


def build_plan(conn: sa.Connection, *, tenant_id: int, tenant: str, connection_id: int,
               connection: str, spec: PushSpec, today: date) -> Plan:
    """The plan for one destination connection (see the module doc)."""
    if not spec.items:
        raise ConfigError(f"connection {connection!r} has nothing to push: add push.items "
                          f"(a standard's mastery or an activity's score, e.g. "
                          f"{{standard: 3.NF.A.1}}) to its config")
    settings = read_settings(conn, tenant_id)
    conversions = read_conversions(conn, tenant_id)
    items = _resolve_items(conn, tenant_id, spec.items, connection)
    classes = _classes(conn, tenant_id, spec.classes, connection)
    students = _students(conn, tenant_id, classes)
    sessions, children = _sessions(conn, tenant_id)
    values = _values(conn, tenant_id, items, {u for members in students.values()
                                              for u in members}, settings)
    learners = _learners(conn, tenant_id, {u for members in students.values() for u in members})
    made = {row.key: row for row in conn.execute(
        sa.select(push_assignments).where(push_assignments.c.connection_id == connection_id))}
    latest = _latest_grades(conn, connection_id)

    plan = Plan(connection, today, [], [])
    planned_keys: set[str] = set()
    for class_id, info in sorted(classes.items()):
        members = students.get(class_id, [])
        period = open_period(info["terms"], sessions, children, today, spec.period_grace_days)
        conversion = conversions.for_course(info["course"])
        section = ClassRef(class_id, info["title"], info["course"], info["school"],
                           info["code"])
        for item in items:
            graded = [(u, values[item.item][u]) for u in members if u in values[item.item]]
            if not graded:
                continue
            if period is None:
                plan.notes.append(f"class {class_id}: no grading period is open on "
                                  f"{today.isoformat()} (its terms: "
                                  f"{', '.join(info['terms']) or 'none'}), so its "
                                  f"{len(graded)} grade(s) for {item.item} are held")
                continue
            key = assignment_key(tenant, class_id, item.item, period.sourced_id,
                                 conversion.maximum)
            assignment = Assignment(
                key=key, section=section, item=item.item,
                title=f"{item.title} ({period.title})" if item.spec.title is None else
                item.title, description=item.description,
                points_possible=conversion.maximum, period=period,
                due_at=f"{period.end}T23:59:59Z", standard=item.standard,
                standard_uri=item.standard_uri)
            planned = _plan_assignment(assignment, made.get(key), spec)
            plan.assignments.append(planned)
            for user, (score, level) in graded:
                grade_key = f"{key}/{user}"
                planned_keys.add(grade_key)
                try:
                    points = conversion.convert(score, level, settings)
                except SkippableRecordError as exc:
                    plan.grades.append(PlannedGrade(
                        grade_key, key, learners[user], 0.0, conversion.maximum, level, None,
                        "skip", str(exc)))
                    continue
                comment = (f"Mastery: {level}" if spec.comment and level and
                           item.standard else None)
                grade = PlannedGrade(grade_key, key, learners[user], points,
                                     conversion.maximum, level, comment, "write")
                _compare(grade, latest.get(grade_key), planned)
                plan.grades.append(grade)
    plan.stale = [row.id for grade_key, row in latest.items()
                  if row.status == "pending" and grade_key not in planned_keys]
    return plan


def _plan_assignment(assignment: Assignment, row: Any, spec: PushSpec) -> PlannedAssignment:
    if row is None:
        return PlannedAssignment(assignment, "create")
    if row.status == "pending":
        return PlannedAssignment(assignment, "resume", row.id, row.remote_id)
    if row.status == "gone":
        if spec.on_deleted == "recreate":
            return PlannedAssignment(assignment, "recreate", row.id, None,
                                     "deleted in the LMS; made again (on_deleted: recreate)")
        return PlannedAssignment(assignment, "gone", row.id, row.remote_id,
                                 row.message or "deleted in the LMS (on_deleted: report)")
    return PlannedAssignment(assignment, "exists", row.id, row.remote_id)


def _compare(grade: PlannedGrade, last: Any, assignment: PlannedAssignment) -> None:
    """Set the grade's action from the ledger's latest row for it."""
    if assignment.action == "gone":
        grade.action, grade.reason = "held", (
            "its assignment was deleted in the LMS; set push.on_deleted to recreate, or "
            "make the assignment again by hand")
        return
    if last is None:
        return
    if last.status in ("sent", "kept"):
        grade.previous = last.score
    if last.value_hash != grade.hash:
        if last.status not in ("sent", "kept") and last.previous_sent is not None:
            grade.previous = last.previous_sent
        return
    if assignment.action == "recreate":
        return  # the LMS lost it with the assignment: write it again
    if last.status in ("sent", "kept"):
        grade.action = "unchanged"
    elif last.status == "pending":
        grade.action, grade.ledger_id = "resend", last.id
    elif last.status == "held":
        grade.action, grade.reason = "held", last.message


def _resolve_items(conn: sa.Connection, tenant_id: int, items: Sequence[PushItem],
                   connection: str) -> list[_Item]:
    wanted = {i.standard for i in items if i.standard is not None}
    found: dict[str, Any] = {}
    if wanted:
        t = standards
        rows = conn.execute(sa.select(t.c.identifier, t.c.uri, t.c.code, t.c.statement).where(
            t.c.tenant_id == tenant_id,
            sa.or_(t.c.identifier.in_(wanted), t.c.uri.in_(wanted), t.c.code.in_(wanted))))
        for row in rows:
            for name in (row.identifier, row.uri, row.code):
                if name in wanted:
                    found.setdefault(name, row)
    out: list[_Item] = []
    for n, spec in enumerate(items):
        if spec.standard is not None:
            hit = found.get(spec.standard)
            if hit is None:
                raise ConfigError(f"connection {connection!r}: push.items[{n}].standard "
                                  f"{spec.standard!r} is not a standard of this tenant (by "
                                  f"CASE identifier, URI or code); import its framework "
                                  f"(harbor standards import) or correct the code")
            name = hit.code or hit.identifier
            title = spec.title or f"{name}: {_short(hit.statement)}"
            out.append(_Item(spec, f"standard:{hit.identifier}", title,
                             f"Mastery of {name}: {hit.statement}", hit.identifier, hit.uri))
        else:
            assert spec.activity is not None
            system = f"{spec.system}:" if spec.system else ":"
            out.append(_Item(spec, f"activity:{system}{spec.activity}",
                             spec.title or spec.activity,
                             f"Latest score in {spec.activity}"
                             + (f" ({spec.system})" if spec.system else "")))
    return out


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _classes(conn: sa.Connection, tenant_id: int, only: Sequence[str],
             connection: str) -> dict[str, dict[str, Any]]:
    t = stream_tables["classes"]
    rows = conn.execute(sa.select(t.c.sourced_id, t.c.title, t.c.course_sourced_id,
                                  t.c.school_sourced_id, t.c.class_code, t.c.term_sourced_ids)
                        .where(t.c.tenant_id == tenant_id, t.c.status == "active")).all()
    wanted = set(only)
    seen: set[str] = set()
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        if wanted and row.sourced_id not in wanted and row.course_sourced_id not in wanted:
            continue
        seen.update({row.sourced_id, row.course_sourced_id})
        out[row.sourced_id] = {"title": row.title, "course": row.course_sourced_id,
                               "school": row.school_sourced_id, "code": row.class_code,
                               "terms": split_list(row.term_sourced_ids or "")}
    unknown = sorted(wanted - seen)
    if unknown:
        raise ConfigError(f"connection {connection!r}: push.classes names "
                          f"{', '.join(unknown[:5])}, which is no active class or course of "
                          f"this tenant; correct or remove it")
    return out


def _students(conn: sa.Connection, tenant_id: int,
              classes: Mapping[str, Any]) -> dict[str, list[str]]:
    e, u = stream_tables["enrollments"], stream_tables["users"]
    rows = conn.execute(
        sa.select(e.c.class_sourced_id, e.c.user_sourced_id)
        .join(u, sa.and_(u.c.tenant_id == e.c.tenant_id, u.c.sourced_id == e.c.user_sourced_id))
        .where(e.c.tenant_id == tenant_id, e.c.status == "active", e.c.role == "student",
               u.c.status == "active")
        .order_by(e.c.class_sourced_id, e.c.user_sourced_id))
    out: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.class_sourced_id in classes:
            out[row.class_sourced_id].append(row.user_sourced_id)
    return out


def _sessions(conn: sa.Connection, tenant_id: int,
              ) -> tuple[dict[str, _Session], dict[str, list[str]]]:
    t = stream_tables["academicSessions"]
    sessions: dict[str, _Session] = {}
    children: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(sa.select(t.c.sourced_id, t.c.title, t.c.type, t.c.start_date,
                                      t.c.end_date, t.c.parent_sourced_id)
                            .where(t.c.tenant_id == tenant_id, t.c.status == "active")):
        try:
            start, end = date.fromisoformat(row.start_date), date.fromisoformat(row.end_date)
        except (TypeError, ValueError):
            continue
        sessions[row.sourced_id] = _Session(row.sourced_id, row.title, row.type, start, end,
                                            row.parent_sourced_id)
        if row.parent_sourced_id:
            children[row.parent_sourced_id].append(row.sourced_id)
    return sessions, children


def _values(conn: sa.Connection, tenant_id: int, items: Iterable[_Item], users: set[str],
            settings: MasterySettings) -> dict[str, dict[str, tuple[float, str | None]]]:
    """Per item, per learner: the normalized score and its mastery level."""
    out: dict[str, dict[str, tuple[float, str | None]]] = {}
    items = list(items)
    by_standard = {i.standard: i.item for i in items if i.standard is not None}
    for item in items:
        out[item.item] = {}
    if by_standard:
        m = mastery
        for row in conn.execute(sa.select(m.c.user_sourced_id, m.c.standard, m.c.score,
                                          m.c.level)
                                .where(m.c.tenant_id == tenant_id,
                                       m.c.standard.in_(list(by_standard)))):
            if row.user_sourced_id in users:
                out[by_standard[row.standard]][row.user_sourced_id] = (row.score, row.level)
    activities = [i for i in items if i.spec.activity is not None]
    if activities:
        ev = evidence
        names = {i.spec.activity for i in activities}
        rows = conn.execute(
            sa.select(ev.c.user_sourced_id, ev.c.activity, ev.c.system, ev.c.score)
            .where(ev.c.tenant_id == tenant_id, ev.c.status == "active",
                   ev.c.activity.in_(names), ev.c.score.is_not(None),
                   ev.c.user_sourced_id.is_not(None))
            .order_by(ev.c.observed_at, ev.c.id))
        for row in rows:  # oldest first: the last one seen is the latest
            if row.user_sourced_id not in users:
                continue
            for item in activities:
                if item.spec.activity == row.activity and item.spec.system in (None,
                                                                               row.system):
                    out[item.item][row.user_sourced_id] = (row.score,
                                                           settings.level(row.score))
    return out


def _learners(conn: sa.Connection, tenant_id: int, users: set[str]) -> dict[str, Learner]:
    u = stream_tables["users"]
    out: dict[str, Learner] = {}
    rows = conn.execute(sa.select(u.c.sourced_id, u.c.identifier, u.c.username, u.c.email,
                                  u.c.given_name, u.c.family_name)
                        .where(u.c.tenant_id == tenant_id, u.c.status == "active"))
    for row in rows:
        if row.sourced_id in users:
            out[row.sourced_id] = Learner(row.sourced_id, row.identifier or None,
                                          row.username or None, row.email or None,
                                          row.given_name or None, row.family_name or None)
    return out


def _latest_grades(conn: sa.Connection, connection_id: int) -> dict[str, _Latest]:
    """The ledger's latest row per grade, with the score last acknowledged for it."""
    t = push_ledger
    newest = (sa.select(sa.func.max(t.c.id)).where(t.c.connection_id == connection_id)
              .group_by(t.c.grade_key))
    newest_sent = (sa.select(sa.func.max(t.c.id))
                   .where(t.c.connection_id == connection_id, t.c.status.in_(("sent", "kept")))
                   .group_by(t.c.grade_key))
    sent = {row.grade_key: row.score for row in conn.execute(
        sa.select(t.c.grade_key, t.c.score).where(t.c.id.in_(newest_sent)))}
    return {row.grade_key: _Latest(row.id, row.value_hash, row.status, row.score, row.message,
                                   sent.get(row.grade_key))
            for row in conn.execute(sa.select(t.c.id, t.c.grade_key, t.c.value_hash,
                                              t.c.status, t.c.score, t.c.message)
                                    .where(t.c.id.in_(newest)))}


@dataclasses.dataclass(frozen=True, slots=True)
class _Latest:
    id: int
    value_hash: str
    status: str
    score: float
    message: str | None
    previous_sent: float | None
