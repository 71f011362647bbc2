"""What tools reported about learners besides scores: where they placed them (grade level
per subject, struggling flags) and the interventions they received."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from gateway.learners.graph import same_subject
from gateway.standards.grades import grade_rank, normalize_grades
from gateway.store.learning_tables import interventions, placements

__all__ = ["Intervention", "Placement", "interventions_of", "lowest_placement", "moment",
           "placements_of"]

_CHUNK = 500
"""Learners per query, under every driver's parameter limit."""


@dataclass(frozen=True, slots=True)
class Placement:
    learner: str
    subject: str
    system: str
    grade_level: str | None
    """A CEDS code (``04``), or None when the tool placed them off the grade scale."""
    struggling: bool | None
    observed_at: str


@dataclass(frozen=True, slots=True)
class Intervention:
    id: int
    learner: str
    system: str
    kind: str
    skill_code: str | None
    standard: str | None
    given_by: str | None
    started_at: str
    minutes: float | None
    notes: str | None


def _chunks(learners: Iterable[str]) -> list[list[str]]:
    wanted = sorted(set(learners))
    return [wanted[i:i + _CHUNK] for i in range(0, len(wanted), _CHUNK)]


def placements_of(conn: sa.Connection, tenant_id: int,
                  learners: Iterable[str]) -> dict[str, list[Placement]]:
    """learner -> their placements (one per subject and tool), by subject then tool."""
    out: dict[str, list[Placement]] = defaultdict(list)
    for chunk in _chunks(learners):
        rows = conn.execute(sa.select(placements).where(
            placements.c.tenant_id == tenant_id, placements.c.user_sourced_id.in_(chunk)))
        for row in rows:
            grades, _ = normalize_grades(row.grade_level)
            out[row.user_sourced_id].append(Placement(
                learner=row.user_sourced_id, subject=row.subject, system=row.system,
                grade_level=grades[0] if grades else None, struggling=row.struggling,
                observed_at=row.observed_at))
    for found in out.values():
        found.sort(key=lambda p: (p.subject.lower(), p.system))
    return out


def lowest_placement(found: Iterable[Placement], subject: str | None) -> Placement | None:
    """The lowest grade any tool placed the learner at in ``subject``: where two tools
    disagree the path starts at the lower one, since what is mastered is skipped anyway."""
    graded = [p for p in found if p.grade_level is not None
              and (subject is None or same_subject(p.subject, subject))]
    return min(graded, key=lambda p: (grade_rank(p.grade_level or ""), p.system),
               default=None)


def moment(value: str) -> datetime | None:
    """A stored timestamp as an aware datetime (tools write dates, offsets or ``Z``)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def interventions_of(conn: sa.Connection, tenant_id: int, learners: Iterable[str], *,
                     since: datetime | None = None) -> dict[str, list[Intervention]]:
    """learner -> their interventions, newest first; ``since`` keeps those started then or
    later."""
    out: dict[str, list[Intervention]] = defaultdict(list)
    for chunk in _chunks(learners):
        query = sa.select(interventions).where(interventions.c.tenant_id == tenant_id,
                                               interventions.c.user_sourced_id.in_(chunk))
        if since is not None:
            # ISO texts compare as text by their date part; a day's margin covers offsets,
            # and the exact cut is made on the parsed time below.
            margin = (since - timedelta(days=1)).date().isoformat()
            query = query.where(interventions.c.started_at >= margin)
        for row in conn.execute(query):
            started = moment(row.started_at)
            if since is not None and (started is None or started < since):
                continue
            out[row.user_sourced_id].append(Intervention(
                id=row.id, learner=row.user_sourced_id, system=row.system, kind=row.kind,
                skill_code=row.skill_code, standard=row.standard, given_by=row.given_by,
                started_at=row.started_at, minutes=row.minutes, notes=row.notes))
    for found in out.values():
        found.sort(key=lambda i: (moment(i.started_at) or datetime.min.replace(tzinfo=UTC),
                                  i.id), reverse=True)
    return out
