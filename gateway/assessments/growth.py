"""Years of growth per year, stored in ``growth_results``: recomputed from a tenant's
``assessment_results`` (active, resolved to a learner, counting for growth), one row per
learner, subject, school year and assessment, by that vendor's method
(:mod:`gateway.assessments.methods`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.assessments.methods import METHODS, Administration, Growth
from gateway.clock import utcnow
from gateway.store.learning_tables import assessment_results, growth_results

__all__ = ["GrowthResult", "growth_of", "recompute_growth"]

USER_CHUNK = 500
_Key = tuple[str, str, str, str]  # user, subject, school year, assessment


@dataclass(frozen=True, slots=True)
class GrowthResult:
    """A stored ``growth_results`` row."""

    user_sourced_id: str
    subject: str
    school_year: str
    assessment: str
    years: float | None
    method: str
    reason: str | None
    detail: dict[str, Any]
    from_window: str | None
    to_window: str | None
    computed_at: str


def _chunks(users: Sequence[str]) -> list[list[str]]:
    return [list(users[i:i + USER_CHUNK]) for i in range(0, len(users), USER_CHUNK)]


def _administrations(conn: sa.Connection, tenant_id: int,
                     users: list[str] | None) -> dict[_Key, list[Administration]]:
    a = assessment_results.c
    query = (sa.select(a.user_sourced_id, a.subject, a.school_year, a.assessment, a.window,
                       a.administered_at, a.scale_score, a.grade_equivalent, a.vendor_growth,
                       a.payload, a.source_key)
             .where(a.tenant_id == tenant_id, a.status == "active",
                    a.user_sourced_id.is_not(None), a.growth_measure.is_(True)))
    if users is not None:
        query = query.where(a.user_sourced_id.in_(users))
    found: dict[_Key, list[Administration]] = defaultdict(list)
    for row in conn.execute(query):
        found[(row.user_sourced_id, row.subject, row.school_year, row.assessment)].append(
            Administration(window=row.window, administered_at=row.administered_at,
                           scale_score=row.scale_score, grade_equivalent=row.grade_equivalent,
                           vendor_growth=row.vendor_growth or {}, payload=row.payload or {},
                           source_key=row.source_key))
    return found


def _compute(key: _Key, tests: list[Administration]) -> Growth:
    method = METHODS.get(key[3])
    if method is None:
        return Growth(None, key[3], f"no growth method for assessment {key[3]!r} (known: "
                                    f"{', '.join(METHODS)})")
    return method(tests, key[1])


def recompute_growth(conn: sa.Connection, tenant_id: int,
                     users: Iterable[str] | None = None) -> int:
    """Replace the stored growth of ``users`` (every learner of the tenant when None) with
    growth computed from their assessment results. Returns the rows written, including
    those with no number (their ``reason`` says why). Run it in the caller's transaction:
    a failure leaves the earlier rows in place."""
    now = utcnow()
    g = growth_results.c
    batches: list[list[str] | None]
    if users is None:
        conn.execute(growth_results.delete().where(g.tenant_id == tenant_id))
        batches = [None]
    else:
        batches = list(_chunks(sorted(set(users))))
    written = 0
    for batch in batches:
        if batch is not None:
            conn.execute(growth_results.delete().where(g.tenant_id == tenant_id,
                                                       g.user_sourced_id.in_(batch)))
        rows = []
        for key, tests in sorted(_administrations(conn, tenant_id, batch).items()):
            found = _compute(key, tests)
            rows.append({"tenant_id": tenant_id, "user_sourced_id": key[0], "subject": key[1],
                         "school_year": key[2], "assessment": key[3], "years": found.years,
                         "method": found.method, "reason": found.reason,
                         "detail": found.detail, "from_window": found.from_window,
                         "to_window": found.to_window, "computed_at": now})
        for start in range(0, len(rows), 1000):
            conn.execute(growth_results.insert(), rows[start:start + 1000])
        written += len(rows)
    return written


def growth_of(conn: sa.Connection, tenant_id: int, users: Iterable[str] | None = None, *,
              subject: str | None = None, school_year: str | None = None
              ) -> list[GrowthResult]:
    """Stored growth of ``users`` (the whole tenant when None), newest school year first,
    then by learner, subject and assessment."""
    g = growth_results.c
    query = sa.select(growth_results).where(g.tenant_id == tenant_id)
    if subject is not None:
        query = query.where(g.subject == subject)
    if school_year is not None:
        query = query.where(g.school_year == school_year)
    batches: list[list[str] | None] = (
        [None] if users is None else list(_chunks(sorted(set(users)))))
    found: list[GrowthResult] = []
    for batch in batches:
        q = query if batch is None else query.where(g.user_sourced_id.in_(batch))
        found += [GrowthResult(
            user_sourced_id=r.user_sourced_id, subject=r.subject, school_year=r.school_year,
            assessment=r.assessment, years=r.years, method=r.method, reason=r.reason,
            detail=r.detail or {}, from_window=r.from_window, to_window=r.to_window,
            computed_at=r.computed_at) for r in conn.execute(q)]
    found.sort(key=lambda r: (-int(r.school_year) if r.school_year.isdigit() else 0,
                              r.user_sourced_id, r.subject, r.assessment))
    return found
