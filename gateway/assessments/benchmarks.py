"""Readiness benchmarks: a tenant's cut scores per assessment, subject, grade and window
(``readiness_benchmarks``), and the share of learners meeting them, on each learner's
latest administration in the window.

A benchmark is met at or above its cut score, on the scale score (the default) or the
national percentile. Saving replaces the tenant's whole set, after every entry is
checked: one bad entry saves nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.standards.grades import grade_rank, normalize_grades
from gateway.store.learning_tables import assessment_results, readiness_benchmarks
from gateway.store.tables import stream_tables

__all__ = ["ASSESSMENTS", "MEASURES", "SUBJECTS", "Benchmark", "GradeReadiness", "Readiness",
           "parse_benchmarks", "read_benchmarks", "readiness", "write_benchmarks"]

ASSESSMENTS = ("map-growth", "i-ready", "star", "ixl")
SUBJECTS = ("math", "reading", "language", "science")
WINDOWS = ("fall", "winter", "spring", "summer")
MEASURES = ("scale_score", "percentile")
FIELDS = ("assessment", "subject", "grade", "window", "cut_score", "measure", "label")
_users = stream_tables["users"]


@dataclass(frozen=True, slots=True)
class Benchmark:
    assessment: str
    subject: str
    grade: str
    window: str
    cut_score: float
    measure: str = "scale_score"
    label: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.assessment, self.subject, self.grade, self.window)

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


def _api_place(index: int, name: str) -> str:
    return f"benchmarks[{index}].{name}"


def _choice(value: Any, allowed: Sequence[str], place: str) -> str:
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise ConfigError(f"{place}: {value!r} is not one of {', '.join(allowed)}")
    return text


def parse_benchmarks(items: Sequence[Mapping[str, Any]],
                     place: Callable[[int, str], str] = _api_place) -> list[Benchmark]:
    """Check and normalize entries (``{assessment, subject, grade, window, cut_score,
    measure?, label?}``); a ConfigError names the entry and field (``place(index, field)``)
    and says what is accepted."""
    found: dict[tuple[str, str, str, str], int] = {}
    out = []
    for i, item in enumerate(items):
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            raise ConfigError(f"{place(i, unknown[0])}: not a benchmark field (fields: "
                              f"{', '.join(FIELDS)})")
        assessment = _choice(item.get("assessment"), ASSESSMENTS, place(i, "assessment"))
        subject = _choice(item.get("subject"), SUBJECTS, place(i, "subject"))
        window = _choice(item.get("window"), WINDOWS, place(i, "window"))
        measure = _choice(item.get("measure") or "scale_score", MEASURES, place(i, "measure"))
        grades, bad = normalize_grades(str(item.get("grade") or ""))
        if bad or len(grades) != 1:
            raise ConfigError(f"{place(i, 'grade')}: {item.get('grade')!r} is not one grade; "
                              f"write KG or 1 to 12 (one grade per benchmark)")
        try:
            cut = float(item.get("cut_score"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            cut = math.nan
        if not math.isfinite(cut) or cut < 0 or (measure == "percentile" and cut > 100):
            limit = "between 0 and 100" if measure == "percentile" else "0 or more"
            raise ConfigError(f"{place(i, 'cut_score')}: {item.get('cut_score')!r} is not a "
                              f"number {limit}")
        label = item.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 100):
            raise ConfigError(f"{place(i, 'label')}: a text of at most 100 characters")
        benchmark = Benchmark(assessment, subject, grades[0], window, cut, measure,
                              label.strip() or None if isinstance(label, str) else None)
        if benchmark.key in found:
            raise ConfigError(f"{place(i, 'grade')}: a second benchmark for {assessment} "
                              f"{subject} grade {grades[0]} {window} (the first is entry "
                              f"{found[benchmark.key]}); keep one")
        found[benchmark.key] = i
        out.append(benchmark)
    return out


def read_benchmarks(conn: sa.Connection, tenant_id: int) -> list[Benchmark]:
    b = readiness_benchmarks.c
    rows = conn.execute(sa.select(readiness_benchmarks).where(b.tenant_id == tenant_id))
    found = [Benchmark(r.assessment, r.subject, r.grade, r.window, r.cut_score, r.measure,
                       r.label) for r in rows]
    return sorted(found, key=lambda x: (x.assessment, x.subject, WINDOWS.index(x.window)
                                        if x.window in WINDOWS else 9, grade_rank(x.grade)))


def write_benchmarks(conn: sa.Connection, tenant_id: int,
                     items: Sequence[Mapping[str, Any]],
                     place: Callable[[int, str], str] = _api_place) -> list[Benchmark]:
    """Replace the tenant's benchmarks with ``items`` (checked first: nothing is saved
    when one is wrong)."""
    parsed = parse_benchmarks(items, place)
    conn.execute(readiness_benchmarks.delete().where(
        readiness_benchmarks.c.tenant_id == tenant_id))
    now = utcnow()
    if parsed:
        conn.execute(readiness_benchmarks.insert(), [
            {**b.as_dict(), "tenant_id": tenant_id, "updated_at": now} for b in parsed])
    return read_benchmarks(conn, tenant_id)


@dataclass(frozen=True, slots=True)
class GradeReadiness:
    grade: str
    cut_score: float
    measure: str
    label: str | None
    tested: int
    meeting: int

    @property
    def share(self) -> float | None:
        return round(self.meeting / self.tested, 4) if self.tested else None


@dataclass(frozen=True, slots=True)
class Readiness:
    assessment: str
    subject: str
    school_year: str
    window: str
    tested: int
    """Learners with a result in the window."""
    without_benchmark: int
    """Of them, learners whose grade has no benchmark (or no score on its measure)."""
    by_grade: list[GradeReadiness] = field(default_factory=list)

    @property
    def benchmarked(self) -> int:
        return sum(g.tested for g in self.by_grade)

    @property
    def meeting(self) -> int:
        return sum(g.meeting for g in self.by_grade)

    @property
    def share(self) -> float | None:
        return round(self.meeting / self.benchmarked, 4) if self.benchmarked else None


def readiness(conn: sa.Connection, tenant_id: int, *, assessment: str, subject: str,
              school_year: str, window: str, school: str | None = None) -> Readiness:
    """The share meeting the benchmark of their grade, on each learner's latest result in
    the window (active, resolved to a learner; ``school``: only its learners)."""
    a = assessment_results.c
    query = (sa.select(a.user_sourced_id, a.grade, a.scale_score, a.percentile,
                       a.administered_at, a.id)
             .where(a.tenant_id == tenant_id, a.status == "active",
                    a.user_sourced_id.is_not(None), a.assessment == assessment,
                    a.subject == subject, a.school_year == school_year, a.window == window)
             .order_by(a.administered_at, a.id))
    if school is not None:
        query = query.join(_users, sa.and_(_users.c.tenant_id == a.tenant_id,
                                           _users.c.sourced_id == a.user_sourced_id)).where(
            _users.c.primary_org_sourced_id == school, _users.c.status == "active")
    latest = {row.user_sourced_id: row for row in conn.execute(query)}
    cuts = {b.grade: b for b in read_benchmarks(conn, tenant_id)
            if (b.assessment, b.subject, b.window) == (assessment, subject, window)}
    tested: dict[str, int] = defaultdict(int)
    meeting: dict[str, int] = defaultdict(int)
    without = 0
    for row in latest.values():
        grades, _ = normalize_grades(row.grade or "")
        benchmark = cuts.get(grades[0]) if grades else None
        score = None if benchmark is None else (
            row.percentile if benchmark.measure == "percentile" else row.scale_score)
        if benchmark is None or score is None:
            without += 1
            continue
        tested[benchmark.grade] += 1
        meeting[benchmark.grade] += score >= benchmark.cut_score
    by_grade = [GradeReadiness(g, cuts[g].cut_score, cuts[g].measure, cuts[g].label,
                               tested[g], meeting[g])
                for g in sorted(tested, key=grade_rank)]
    return Readiness(assessment, subject, school_year, window, tested=len(latest),
                     without_benchmark=without, by_grade=by_grade)
