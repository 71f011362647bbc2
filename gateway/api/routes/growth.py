"""Growth and readiness from normed assessments: a learner's and a class's years of growth
per year, tenant and school aggregates, and readiness against the tenant's benchmarks
(``router``, under ``/api/v1``), and the benchmarks themselves (``admin_router``, under
``/admin``). A learner or class of another tenant answers 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.routes.classes import CLASS, ClassDep
from gateway.api.routes.learners import LEARNER, LearnerDep
from gateway.api.schemas import _In
from gateway.api.schemas_learning import GrowthPublic
from gateway.assessments import (
    Benchmark,
    GrowthSummary,
    Readiness,
    growth_of,
    of_results,
    read_benchmarks,
    readiness,
    tenant_growth,
    write_benchmarks,
)
from gateway.learners.roster import class_students

__all__ = ["admin_router", "router"]

router = APIRouter(tags=["growth"])
admin_router = APIRouter(tags=["growth"])

AssessmentName = Literal["map-growth", "i-ready", "star", "ixl"]
SubjectName = Literal["math", "reading", "language", "science"]
WindowName = Literal["fall", "winter", "spring", "summer"]
SchoolYear = Annotated[str | None, Query(pattern=r"^\d{4}$", description=(
    "The year it ends, e.g. `2027` for 2026-27; default: every year."))]
Subject = Annotated[SubjectName | None, Query(description="Only this subject.")]


class GrowthSummaryPublic(BaseModel):
    subject: str
    assessment: str
    school_year: str
    count: int
    """Learners with a number."""
    without_growth: int
    """Learners with a growth row but no number (one test, a window too short)."""
    median: float | None
    share_at_1_0: float | None
    """Share of ``count`` at or above 1.0 years of growth per year."""
    share_at_1_5: float | None

    @classmethod
    def of(cls, found: GrowthSummary) -> GrowthSummaryPublic:
        return cls(subject=found.subject, assessment=found.assessment,
                   school_year=found.school_year, count=found.count,
                   without_growth=found.without_growth, median=found.median,
                   share_at_1_0=found.share_at_1_0, share_at_1_5=found.share_at_1_5)


class LearnerGrowthPublic(BaseModel):
    learner: str
    growth: list[GrowthPublic]


class StudentGrowthPublic(BaseModel):
    sourced_id: str
    given_name: str | None
    family_name: str | None
    growth: list[GrowthPublic]


class ClassGrowthPublic(BaseModel):
    class_sourced_id: str
    title: str | None
    summary: list[GrowthSummaryPublic]
    students: list[StudentGrowthPublic]
    """By family name; students without growth rows too (an empty list)."""


class SchoolGrowthPublic(BaseModel):
    school: str
    name: str | None
    growth: list[GrowthSummaryPublic]


class TenantGrowthPublic(BaseModel):
    school: str | None
    """The school asked for (its learners by primary org), or None for the tenant."""
    growth: list[GrowthSummaryPublic]
    schools: list[SchoolGrowthPublic]


class BenchmarkItem(_In):
    assessment: AssessmentName
    subject: SubjectName
    grade: str = Field(max_length=20, description="`KG`, `1`..`12` (or `05`).")
    window: WindowName
    cut_score: float = Field(ge=0, description="Met at or above this score.")
    measure: Literal["scale_score", "percentile"] = "scale_score"
    label: str | None = Field(None, max_length=100)


class BenchmarksUpdate(_In):
    benchmarks: list[BenchmarkItem] = Field(
        description="The tenant's whole set (replaces the saved one); one per assessment, "
                    "subject, grade and window.")


class BenchmarksPublic(BaseModel):
    benchmarks: list[dict[str, Any]]

    @classmethod
    def of(cls, found: list[Benchmark]) -> BenchmarksPublic:
        return cls(benchmarks=[b.as_dict() for b in found])


class GradeReadinessPublic(BaseModel):
    grade: str
    cut_score: float
    measure: str
    label: str | None
    tested: int
    meeting: int
    share: float | None


class ReadinessPublic(BaseModel):
    assessment: str
    subject: str
    school_year: str
    window: str
    school: str | None
    tested: int
    """Learners with a result in the window (their latest counts)."""
    benchmarked: int
    """Of them, learners whose grade has a benchmark."""
    without_benchmark: int
    meeting: int
    share: float | None
    """``meeting`` / ``benchmarked``."""
    by_grade: list[GradeReadinessPublic]

    @classmethod
    def of(cls, found: Readiness, school: str | None) -> ReadinessPublic:
        return cls(assessment=found.assessment, subject=found.subject,
                   school_year=found.school_year, window=found.window, school=school,
                   tested=found.tested, benchmarked=found.benchmarked,
                   without_benchmark=found.without_benchmark, meeting=found.meeting,
                   share=found.share,
                   by_grade=[GradeReadinessPublic(grade=g.grade, cut_score=g.cut_score,
                                                  measure=g.measure, label=g.label,
                                                  tested=g.tested, meeting=g.meeting,
                                                  share=g.share) for g in found.by_grade])


@router.get(f"{LEARNER}/growth", response_model=LearnerGrowthPublic)
def learner_growth(learner: LearnerDep, tenant: TenantDep, store: StoreDep,
                   subject: Subject = None, school_year: SchoolYear = None
                   ) -> LearnerGrowthPublic:
    """The learner's years of growth per year, per school year, subject and assessment,
    with the method and its inputs (a reason instead of a number when there is none)."""
    with store.engine.connect() as conn:
        found = growth_of(conn, tenant.id, [learner.sourced_id], subject=subject,
                          school_year=school_year)
    return LearnerGrowthPublic(learner=learner.sourced_id,
                               growth=[GrowthPublic.of(g) for g in found])


@router.get(f"{CLASS}/growth", response_model=ClassGrowthPublic)
def class_growth(klass: ClassDep, tenant: TenantDep, store: StoreDep, subject: Subject = None,
                 school_year: SchoolYear = None) -> ClassGrowthPublic:
    """The class's students' growth, and per subject and assessment the median years of
    growth per year and the shares at or above 1.0 and 1.5."""
    with store.engine.connect() as conn:
        students = class_students(conn, tenant.id, klass.sourced_id)
        found = growth_of(conn, tenant.id, [s.sourced_id for s in students], subject=subject,
                          school_year=school_year)
    by_learner: dict[str, list[GrowthPublic]] = {}
    for g in found:
        by_learner.setdefault(g.user_sourced_id, []).append(GrowthPublic.of(g))
    return ClassGrowthPublic(
        class_sourced_id=klass.sourced_id, title=klass.title,
        summary=[GrowthSummaryPublic.of(s) for s in of_results(found)],
        students=[StudentGrowthPublic(sourced_id=s.sourced_id, given_name=s.given_name,
                                      family_name=s.family_name,
                                      growth=by_learner.get(s.sourced_id, []))
                  for s in students])


@router.get("/tenants/{tenant}/growth", response_model=TenantGrowthPublic)
def tenant_growth_route(tenant: TenantDep, store: StoreDep,
                        school: Annotated[str | None, Query(max_length=255, description=(
                            "A school's sourcedId: only its learners (by primary org)."))
                        ] = None,
                        subject: Subject = None, school_year: SchoolYear = None
                        ) -> TenantGrowthPublic:
    """Growth of the tenant's active learners (or one school's), per subject and
    assessment, and the same for each school."""
    with store.engine.connect() as conn:
        found = tenant_growth(conn, tenant.id, school=school, subject=subject,
                              school_year=school_year)
    return TenantGrowthPublic(
        school=school, growth=[GrowthSummaryPublic.of(s) for s in found.growth],
        schools=[SchoolGrowthPublic(school=s.school, name=s.name,
                                    growth=[GrowthSummaryPublic.of(x) for x in s.growth])
                 for s in found.schools])


@router.get("/tenants/{tenant}/readiness", response_model=ReadinessPublic)
def readiness_route(tenant: TenantDep, store: StoreDep,
                    assessment: Annotated[AssessmentName, Query()],
                    subject: Annotated[SubjectName, Query()],
                    school_year: Annotated[str, Query(pattern=r"^\d{4}$", description=(
                        "The year it ends, e.g. `2027`."))],
                    window: Annotated[WindowName, Query()],
                    school: Annotated[str | None, Query(max_length=255)] = None,
                    ) -> ReadinessPublic:
    """The share of learners meeting their grade's benchmark on their latest result in the
    window, overall and per grade (benchmarks: PUT /admin/tenants/{tenant}/assessments/
    benchmarks)."""
    with store.engine.connect() as conn:
        found = readiness(conn, tenant.id, assessment=assessment, subject=subject,
                          school_year=school_year, window=window, school=school)
    return ReadinessPublic.of(found, school)


@admin_router.get("/tenants/{tenant}/assessments/benchmarks", response_model=BenchmarksPublic)
def get_benchmarks(tenant: TenantDep, store: StoreDep) -> BenchmarksPublic:
    """The tenant's readiness cut scores."""
    with store.engine.connect() as conn:
        return BenchmarksPublic.of(read_benchmarks(conn, tenant.id))


@admin_router.put("/tenants/{tenant}/assessments/benchmarks", response_model=BenchmarksPublic,
                  responses={422: {"description": "a bad entry, named (nothing saved)"}})
def put_benchmarks(body: BenchmarksUpdate, tenant: TenantDep,
                   store: StoreDep) -> BenchmarksPublic:
    """Replace the tenant's cut scores (422 naming the entry and field; nothing saved)."""
    with store.engine.begin() as conn:
        saved = write_benchmarks(conn, tenant.id,
                                 [b.model_dump() for b in body.benchmarks])
    return BenchmarksPublic.of(saved)
