"""Class views for teachers and coaches: the mastery grid (the class's students by the
standards they have evidence on) and intervention coverage (of the struggling students,
who received an intervention lately)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.learners.graph import Standard, StandardsView, load_standards, same_subject
from gateway.learners.levels import MasteryCell, bands_for, mastery_of
from gateway.learners.observations import Intervention, interventions_of, placements_of
from gateway.learners.roster import LearnerFacts, class_students
from gateway.store.learning_tables import evidence

__all__ = ["SORTS", "Coverage", "CoverageRow", "Grid", "GridRow", "coverage", "mastery_grid"]

SORTS = ("name", "mastered", "average")
"""Grid orders besides a standard's score; ``-`` in front reverses."""


@dataclass(frozen=True, slots=True)
class GridRow:
    learner: LearnerFacts
    cells: dict[str, MasteryCell]
    """standard identifier -> mastery, for the grid's standards the learner has a row for."""
    mastered: int
    average: float | None


@dataclass(frozen=True, slots=True)
class Grid:
    standards: list[Standard]
    rows: list[GridRow]
    sort: str


def _evidenced(conn: sa.Connection, tenant_id: int, learners: list[str]) -> set[str]:
    """Standards any of the learners has active evidence on."""
    found: set[str] = set()
    for start in range(0, len(learners), 500):
        found.update(conn.execute(
            sa.select(evidence.c.standard).distinct()
            .where(evidence.c.tenant_id == tenant_id, evidence.c.status == "active",
                   evidence.c.standard.is_not(None),
                   evidence.c.user_sourced_id.in_(learners[start:start + 500]))).scalars())
    return found


def mastery_grid(conn: sa.Connection, tenant_id: int, class_id: str, *,
                 subject: str | None = None, sort: str = "name") -> Grid:
    """Students by standards, columns in path order (grade, list order, code). ``sort``:
    ``name``, ``mastered`` (count), ``average`` (score), or a standard's code or
    identifier (its score); learners without a value sort last either way."""
    view = load_standards(conn, tenant_id)
    bands = bands_for(conn, tenant_id)
    students = class_students(conn, tenant_id, class_id)
    ids = [s.sourced_id for s in students]
    columns = sorted((view.items[i] for i in _evidenced(conn, tenant_id, ids)
                      if i in view.items
                      and (subject is None or same_subject(view.items[i].subject, subject))),
                     key=lambda s: s.sort_key)
    wanted = {s.identifier for s in columns}
    cells = mastery_of(conn, tenant_id, ids)
    rows = []
    for student in students:
        mine = {k: v for k, v in cells[student.sourced_id].items() if k in wanted}
        scores = [c.score for c in mine.values()]
        rows.append(GridRow(student, mine, sum(bands.is_mastered(c.level) for c in mine.values()),
                            round(sum(scores) / len(scores), 4) if scores else None))
    return Grid(columns, _sorted(rows, sort, view), sort)


def _sorted(rows: list[GridRow], sort: str, view: StandardsView) -> list[GridRow]:
    descending = sort.startswith("-")
    by = sort.removeprefix("-")
    if by == "name":
        return sorted(rows, key=lambda r: r.learner.sort_name, reverse=descending)
    if by == "mastered":
        def value(row: GridRow) -> float | None:
            return row.mastered
    elif by == "average":
        def value(row: GridRow) -> float | None:
            return row.average
    else:
        standard = view.by_code_or_identifier(by)
        if standard is None:
            raise ConfigError(f"cannot sort by {by!r}: use one of {', '.join(SORTS)}, or a "
                              f"standard's code or identifier (prefix - to reverse)")
        column = standard.identifier

        def value(row: GridRow) -> float | None:
            cell = row.cells.get(column)
            return cell.score if cell else None
    by_name = sorted(rows, key=lambda r: r.learner.sort_name)
    known = sorted((r for r in by_name if value(r) is not None),
                   key=lambda r: value(r) or 0.0, reverse=descending)
    return known + [r for r in by_name if value(r) is None]


@dataclass(frozen=True, slots=True)
class CoverageRow:
    learner: LearnerFacts
    struggling: list[str]
    """Why: ``placement:<subject> (<tool>)`` flags and ``<level>:<standard code>``."""
    interventions: list[Intervention]
    """Those in the window, newest first."""


@dataclass(frozen=True, slots=True)
class Coverage:
    weeks: int
    since: datetime
    students: int
    covered: list[CoverageRow]
    uncovered: list[CoverageRow]
    others_supported: int
    """Students not flagged as struggling who received an intervention in the window."""

    @property
    def struggling(self) -> int:
        return len(self.covered) + len(self.uncovered)

    @property
    def share(self) -> float | None:
        return round(len(self.covered) / self.struggling, 4) if self.struggling else None


def coverage(conn: sa.Connection, tenant_id: int, class_id: str, *, weeks: int, now: datetime,
             subject: str | None = None) -> Coverage:
    """Struggling students (a tool's struggling flag, or any mastery in the lowest band)
    and which of them received an intervention in the ``weeks`` before ``now``."""
    view = load_standards(conn, tenant_id)
    lowest = bands_for(conn, tenant_id).lowest
    students = class_students(conn, tenant_id, class_id)
    ids = [s.sourced_id for s in students]
    since = now - timedelta(weeks=weeks)
    placed = placements_of(conn, tenant_id, ids)
    cells = mastery_of(conn, tenant_id, ids)
    given = interventions_of(conn, tenant_id, ids, since=since)
    covered: list[CoverageRow] = []
    uncovered: list[CoverageRow] = []
    others = 0
    for student in students:
        uid = student.sourced_id
        why = [f"placement:{p.subject} ({p.system})" for p in placed.get(uid, [])
               if p.struggling and (subject is None or same_subject(p.subject, subject))]
        for identifier, cell in sorted(cells[uid].items()):
            standard = view.items.get(identifier)
            if cell.level == lowest and (subject is None or (
                    standard is not None and same_subject(standard.subject, subject))):
                code = standard.code if standard and standard.code else identifier
                why.append(f"{cell.level}:{code}")
        window = given.get(uid, [])
        if not why:
            others += bool(window)
            continue
        (covered if window else uncovered).append(CoverageRow(student, why, window))
    return Coverage(weeks, since, len(students), covered, uncovered, others)
