"""Growth of a group (a class, a school, the tenant): per subject and assessment, the
median years of growth per year, the shares at or above 1.0 and 1.5 years, and how many
learners have a number. Assessments are not mixed: a learner tested on MAP Growth and
i-Ready in math counts once in each."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from gateway.assessments.growth import GrowthResult
from gateway.store.learning_tables import growth_results
from gateway.store.tables import stream_tables

__all__ = ["GrowthSummary", "SchoolGrowth", "TenantGrowth", "of_results", "summarize",
           "tenant_growth"]

_users = stream_tables["users"]
_orgs = stream_tables["orgs"]


@dataclass(frozen=True, slots=True)
class GrowthSummary:
    subject: str
    assessment: str
    school_year: str
    count: int
    """Learners with a number."""
    without_growth: int
    """Learners with a growth row but no number (one test, a window too short)."""
    median: float | None
    share_at_1_0: float | None
    share_at_1_5: float | None


@dataclass(frozen=True, slots=True)
class SchoolGrowth:
    school: str
    name: str | None
    growth: list[GrowthSummary]


@dataclass(frozen=True, slots=True)
class TenantGrowth:
    growth: list[GrowthSummary]
    """Every learner of the tenant (or of the school asked for)."""
    schools: list[SchoolGrowth] = field(default_factory=list)


def _share(values: list[float], at: float) -> float | None:
    return round(sum(v >= at for v in values) / len(values), 4) if values else None


def summarize(results: Iterable[tuple[str, str, str, float | None]]) -> list[GrowthSummary]:
    """Summaries of ``(subject, assessment, school_year, years)`` rows, newest school year
    first, then by subject and assessment."""
    groups: dict[tuple[str, str, str], list[float | None]] = defaultdict(list)
    for subject, assessment, school_year, years in results:
        groups[(subject, assessment, school_year)].append(years)
    out = []
    for (subject, assessment, school_year), found in groups.items():
        values = [v for v in found if v is not None]
        out.append(GrowthSummary(
            subject=subject, assessment=assessment, school_year=school_year,
            count=len(values), without_growth=len(found) - len(values),
            median=round(statistics.median(values), 3) if values else None,
            share_at_1_0=_share(values, 1.0), share_at_1_5=_share(values, 1.5)))
    out.sort(key=lambda s: (-int(s.school_year) if s.school_year.isdigit() else 0,
                            s.subject, s.assessment))
    return out


def of_results(results: Iterable[GrowthResult]) -> list[GrowthSummary]:
    return summarize((r.subject, r.assessment, r.school_year, r.years) for r in results)


def tenant_growth(conn: sa.Connection, tenant_id: int, *, school: str | None = None,
                  subject: str | None = None, school_year: str | None = None) -> TenantGrowth:
    """The tenant's growth (only ``school``'s learners when given: their primary org),
    and each school's, for active learners."""
    g, u = growth_results.c, _users.c
    query = (sa.select(u.primary_org_sourced_id, g.subject, g.assessment, g.school_year,
                       g.years)
             .join(_users, sa.and_(u.tenant_id == g.tenant_id,
                                   u.sourced_id == g.user_sourced_id))
             .where(g.tenant_id == tenant_id, u.status == "active"))
    if school is not None:
        query = query.where(u.primary_org_sourced_id == school)
    if subject is not None:
        query = query.where(g.subject == subject)
    if school_year is not None:
        query = query.where(g.school_year == school_year)
    rows = [(row.primary_org_sourced_id, (row.subject, row.assessment, row.school_year,
                                          row.years)) for row in conn.execute(query)]
    by_school: dict[str, list[tuple[str, str, str, float | None]]] = defaultdict(list)
    for org, found in rows:
        if org:
            by_school[org].append(found)
    names = dict(conn.execute(sa.select(_orgs.c.sourced_id, _orgs.c.name).where(
        _orgs.c.tenant_id == tenant_id, _orgs.c.sourced_id.in_(sorted(by_school)))).all())
    return TenantGrowth(
        growth=summarize(found for _, found in rows),
        schools=[SchoolGrowth(s, names.get(s), summarize(found))
                 for s, found in sorted(by_school.items())])
