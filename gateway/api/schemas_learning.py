"""What the learner, class and identity routes accept and return (``/api/v1`` learner
profiles, learning paths, class grids and coverage; identity links of tool systems)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.api.schemas import _In
from gateway.assessments.growth import GrowthResult
from gateway.learners import (
    EDITABLE,
    ClassFacts,
    Coverage,
    CoverageRow,
    Grid,
    GridRow,
    LearnerProfile,
    SubjectPath,
    SubjectSummary,
)
from gateway.learners.graph import Standard
from gateway.learners.observations import Intervention, Placement
from gateway.learners.path import Reason
from gateway.learners.profile import LevelCounts
from gateway.standards.grades import grade_rank

__all__ = [
    "CoverageLearnerPublic",
    "GradeSummaryPublic",
    "GridCellPublic",
    "GridRowPublic",
    "GrowthPublic",
    "IdentityConfirm",
    "IdentityLinkPublic",
    "InterventionCoveragePublic",
    "InterventionPublic",
    "LearnerClassPublic",
    "LearnerProfilePublic",
    "LearnerProfileUpdate",
    "LearnerPublic",
    "LearningPathPublic",
    "LevelCountsPublic",
    "MasteryGridPublic",
    "PathEntryPublic",
    "PlacementPublic",
    "ProfileGoal",
    "ProfileLanguage",
    "SchoolPublic",
    "StandardRefPublic",
    "SubjectPathPublic",
    "SubjectSummaryPublic",
]


# --- Learner profile, learning path and class views (/api/v1; gateway.learners) ---------

_Interest = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=100)]
_Aspiration = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=300)]


class ProfileGoal(_In):
    """A goal the learner (or their teacher) set."""

    text: str = Field(min_length=1, max_length=300, description="e.g. `Read 20 minutes a day`.")
    subject: str | None = Field(None, max_length=100)
    standard: str | None = Field(None, max_length=200,
                                 description="A standard's code or identifier it is about.")
    target_date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                    description="YYYY-MM-DD.")
    status: Literal["active", "met", "dropped"] = "active"


class ProfileLanguage(_In):
    """A language of the learner, as a BCP 47 tag (`es`, `zh-Hant`, `ase`)."""

    language: str = Field(min_length=2, max_length=35,
                          pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
    use: Literal["home", "first", "instruction", "learning", "other"] | None = None
    proficiency: str | None = Field(None, max_length=50,
                                    description="As the district records it, e.g. `emerging`.")


def _unique(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    kept: dict[str, str] = {}
    for value in values:  # the first spelling of a repeated entry stays
        kept.setdefault(value.casefold(), value)
    return list(kept.values())


class LearnerProfileUpdate(_In):
    """The fields to replace; the others keep their values; `null` clears one."""

    interests: list[_Interest] | None = Field(None, max_length=30)
    aspirations: list[_Aspiration] | None = Field(None, max_length=20)
    goals: list[ProfileGoal] | None = Field(None, max_length=30)
    languages: list[ProfileLanguage] | None = Field(None, max_length=10)

    _unique_texts = field_validator("interests", "aspirations")(_unique)

    @model_validator(mode="after")
    def _something(self) -> LearnerProfileUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of interests, aspirations, goals, languages")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, as stored (JSON lists, or None)."""
        dumped = self.model_dump(mode="json", exclude_none=False)
        return {name: dumped[name] for name in self.model_fields_set}


class StandardRefPublic(BaseModel):
    identifier: str
    """The CASE CFItem identifier."""
    code: str | None
    statement: str
    subject: str | None
    grade_levels: list[str]

    @classmethod
    def of(cls, standard: Standard) -> StandardRefPublic:
        return cls(identifier=standard.identifier, code=standard.code,
                   statement=standard.statement, subject=standard.subject,
                   grade_levels=list(standard.grade_levels))


class SchoolPublic(BaseModel):
    sourced_id: str
    name: str | None


class LearnerClassPublic(BaseModel):
    sourced_id: str
    title: str | None
    class_code: str | None
    subjects: list[str]
    grades: list[str]
    school: str | None
    role: str | None

    @classmethod
    def of(cls, facts: ClassFacts) -> LearnerClassPublic:
        return cls(sourced_id=facts.sourced_id, title=facts.title, class_code=facts.class_code,
                   subjects=list(facts.subjects), grades=list(facts.grades),
                   school=facts.school, role=facts.role)


class LearnerPublic(BaseModel):
    """Roster facts, from the canonical OneRoster users and enrollments."""

    sourced_id: str
    given_name: str | None
    family_name: str | None
    preferred_given_name: str | None
    identifier: str | None
    username: str | None
    email: str | None
    grades: list[str]
    school: SchoolPublic | None
    classes: list[LearnerClassPublic]


class LevelCountsPublic(BaseModel):
    levels: dict[str, int]
    """Standards with a mastery row, per level band (lowest first)."""
    assessed: int
    mastered: int
    share_mastered: float | None
    """mastered / assessed; None when nothing is assessed."""

    @staticmethod
    def fields_of(counts: LevelCounts) -> dict[str, Any]:
        return {"levels": dict(counts.levels), "assessed": counts.assessed,
                "mastered": counts.mastered, "share_mastered": counts.share_mastered}


class GradeSummaryPublic(LevelCountsPublic):
    grade: str | None
    """The standards' grade level (the lowest, for a multi-grade item)."""


class SubjectSummaryPublic(LevelCountsPublic):
    subject: str | None
    by_grade: list[GradeSummaryPublic]

    @classmethod
    def of(cls, summary: SubjectSummary) -> SubjectSummaryPublic:
        return cls(subject=summary.subject, **LevelCountsPublic.fields_of(summary.counts),
                   by_grade=[GradeSummaryPublic(grade=g, **LevelCountsPublic.fields_of(c))
                             for g, c in summary.by_grade.items()])


class PlacementPublic(BaseModel):
    subject: str
    system: str
    """The connection (tool) that placed the learner."""
    grade_level: str | None
    struggling: bool | None
    observed_at: str
    below_grade: bool | None
    """Placed below the learner's roster grade (None when either is unknown)."""

    @classmethod
    def of(cls, placement: Placement, grade: str | None) -> PlacementPublic:
        below = (grade_rank(placement.grade_level) < grade_rank(grade)
                 if placement.grade_level and grade else None)
        return cls(subject=placement.subject, system=placement.system,
                   grade_level=placement.grade_level, struggling=placement.struggling,
                   observed_at=placement.observed_at, below_grade=below)


class InterventionPublic(BaseModel):
    kind: str
    """``small-group`` or ``individual``."""
    system: str
    skill_code: str | None
    standard: str | None
    standard_code: str | None
    given_by: str | None
    started_at: str
    minutes: float | None
    notes: str | None

    @classmethod
    def of(cls, given: Intervention, codes: Mapping[str, str]) -> InterventionPublic:
        return cls(kind=given.kind, system=given.system, skill_code=given.skill_code,
                   standard=given.standard, standard_code=codes.get(given.standard or ""),
                   given_by=given.given_by, started_at=given.started_at,
                   minutes=given.minutes, notes=given.notes)


class GrowthPublic(BaseModel):
    """Years of growth per year on one assessment (docs/assessments-growth.md)."""

    subject: str
    school_year: str
    assessment: str
    years: float | None
    """None when there is no number; ``reason`` says why."""
    method: str
    reason: str | None
    from_window: str | None
    to_window: str | None
    detail: dict[str, Any]
    """The inputs: scores, typical growth, weeks, and where each came from."""
    computed_at: str

    @classmethod
    def of(cls, found: GrowthResult) -> GrowthPublic:
        return cls(subject=found.subject, school_year=found.school_year,
                   assessment=found.assessment, years=found.years, method=found.method,
                   reason=found.reason, from_window=found.from_window,
                   to_window=found.to_window, detail=found.detail,
                   computed_at=found.computed_at)


class LearnerProfilePublic(BaseModel):
    learner: LearnerPublic
    mastery: list[SubjectSummaryPublic]
    """Per subject, and within it per standard grade level."""
    placements: list[PlacementPublic]
    interventions: list[InterventionPublic]
    """The most recent ones received, newest first."""
    intervention_total: int
    interests: list[str]
    aspirations: list[str]
    goals: list[dict[str, Any]]
    languages: list[dict[str, Any]]
    updated_at: str | None
    """When interests, aspirations, goals or languages last changed, and by which key."""
    updated_by: str | None
    growth: list[GrowthPublic] = []
    """Years of growth per year by assessment, newest school year first."""

    @classmethod
    def of(cls, profile: LearnerProfile) -> LearnerProfilePublic:
        learner = profile.learner
        school = (SchoolPublic(sourced_id=learner.school, name=profile.school_name)
                  if learner.school else None)
        return cls(
            learner=LearnerPublic(
                sourced_id=learner.sourced_id, given_name=learner.given_name,
                family_name=learner.family_name,
                preferred_given_name=learner.preferred_given_name,
                identifier=learner.identifier, username=learner.username, email=learner.email,
                grades=list(learner.grades), school=school,
                classes=[LearnerClassPublic.of(c) for c in profile.classes]),
            mastery=[SubjectSummaryPublic.of(s) for s in profile.mastery],
            placements=[PlacementPublic.of(p, learner.grade) for p in profile.placements],
            interventions=[InterventionPublic.of(i, profile.standard_codes)
                           for i in profile.interventions],
            intervention_total=profile.intervention_total,
            **{f: list(profile.fields.get(f) or []) for f in EDITABLE},
            updated_at=profile.updated_at, updated_by=profile.updated_by,
            growth=[GrowthPublic.of(g) for g in profile.growth])


class PathEntryPublic(BaseModel):
    position: int
    standard: StandardRefPublic
    reason: Reason
    """``prerequisite`` of later entries; below grade level because of a ``placement``; at
    ``grade_level``; or ``ahead`` of it."""
    why: str
    prerequisite_of: list[str]
    """Identifiers of the later entries this one is a prerequisite of."""
    level: str | None
    """The learner's mastery level now; None without evidence."""
    score: float | None


class SubjectPathPublic(BaseModel):
    subject: str
    grade: str | None
    """The learner's roster grade."""
    start_grade: str
    placement: PlacementPublic | None
    """The tool placement that started the path below grade level, if one did."""
    entries: list[PathEntryPublic]
    more: bool
    """True when `limit` cut the path short."""

    @classmethod
    def of(cls, path: SubjectPath) -> SubjectPathPublic:
        return cls(
            subject=path.subject, grade=path.grade, start_grade=path.start_grade,
            placement=PlacementPublic.of(path.placement, path.grade) if path.placement else None,
            entries=[PathEntryPublic(position=n, standard=StandardRefPublic.of(e.standard),
                                     reason=e.reason,
                                     why=e.why, prerequisite_of=list(e.prerequisite_of),
                                     level=e.mastery.level if e.mastery else None,
                                     score=e.mastery.score if e.mastery else None)
                     for n, e in enumerate(path.entries, 1)],
            more=path.more)


class LearningPathPublic(BaseModel):
    learner: str
    paths: list[SubjectPathPublic]
    """One per subject (the one asked for, or every subject with standards)."""


class GridCellPublic(BaseModel):
    level: str
    score: float
    evidence_count: int


class GridRowPublic(BaseModel):
    sourced_id: str
    given_name: str | None
    family_name: str | None
    mastered: int
    average: float | None
    cells: dict[str, GridCellPublic]
    """Standard identifier -> mastery; standards without a row for the learner are absent."""

    @classmethod
    def of(cls, row: GridRow) -> GridRowPublic:
        return cls(sourced_id=row.learner.sourced_id, given_name=row.learner.given_name,
                   family_name=row.learner.family_name, mastered=row.mastered,
                   average=row.average,
                   cells={k: GridCellPublic(level=c.level, score=c.score,
                                            evidence_count=c.evidence_count)
                          for k, c in row.cells.items()})


class MasteryGridPublic(BaseModel):
    class_sourced_id: str
    title: str | None
    subject: str | None
    sort: str
    standards: list[StandardRefPublic]
    """The columns: standards the class's students have evidence on, in path order."""
    learners: list[GridRowPublic]

    @classmethod
    def of(cls, facts: ClassFacts, grid: Grid, subject: str | None) -> MasteryGridPublic:
        return cls(class_sourced_id=facts.sourced_id, title=facts.title, subject=subject,
                   sort=grid.sort, standards=[StandardRefPublic.of(s) for s in grid.standards],
                   learners=[GridRowPublic.of(r) for r in grid.rows])


class CoverageLearnerPublic(BaseModel):
    sourced_id: str
    given_name: str | None
    family_name: str | None
    struggling: list[str]
    """Why: `placement:<subject> (<tool>)`, or `<lowest level>:<standard code>`."""
    interventions: list[InterventionPublic]
    """Received in the window, newest first."""

    @classmethod
    def of(cls, row: CoverageRow) -> CoverageLearnerPublic:
        return cls(sourced_id=row.learner.sourced_id, given_name=row.learner.given_name,
                   family_name=row.learner.family_name, struggling=row.struggling,
                   interventions=[InterventionPublic.of(i, {}) for i in row.interventions])


class InterventionCoveragePublic(BaseModel):
    class_sourced_id: str
    title: str | None
    weeks: int
    since: str
    students: int
    struggling: int
    covered: int
    share_covered: float | None
    """covered / struggling; None when no student is struggling."""
    others_supported: int
    """Students not flagged as struggling who received an intervention in the window."""
    covered_learners: list[CoverageLearnerPublic]
    uncovered_learners: list[CoverageLearnerPublic]

    @classmethod
    def of(cls, facts: ClassFacts, found: Coverage) -> InterventionCoveragePublic:
        return cls(class_sourced_id=facts.sourced_id, title=facts.title, weeks=found.weeks,
                   since=found.since.strftime("%Y-%m-%dT%H:%M:%SZ"), students=found.students,
                   struggling=found.struggling, covered=len(found.covered),
                   share_covered=found.share, others_supported=found.others_supported,
                   covered_learners=[CoverageLearnerPublic.of(r) for r in found.covered],
                   uncovered_learners=[CoverageLearnerPublic.of(r) for r in found.uncovered])


class IdentityLinkPublic(BaseModel):
    """Who a person of another system (a tool connection) is in the roster, and how that
    was decided (docs/learning.md, "Identity")."""

    id: int
    system: str
    """The connection the person came from."""
    external_id: str
    kind: str
    """Which identifier ``external_id`` is: sis_id, state_id, username, email, lti_sub,
    tool_id."""
    user_sourced_id: str | None
    rule: str | None
    """``KIND:FIELD`` (such as ``email:email``) or ``admin``."""
    status: Literal["matched", "confirmed", "unmatched", "conflict", "ignored"]
    attributes: dict[str, Any] | None
    detail: str | None
    """Why it is unmatched or in conflict: the candidates, for the reviewer."""
    updated_at: str


class IdentityConfirm(_In):
    user_sourced_id: str = Field(min_length=1, max_length=255,
                                 description="The roster user (sourcedId) this person is.")
