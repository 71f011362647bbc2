"""What the admin API accepts and returns: ``ThingCreate`` / ``ThingUpdate`` / ``ThingPublic``.

Public shapes are built from store records here, in one place, so that nothing that is
sent back can carry a connection's secret values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.abc import CheckResult
from gateway.errors import Problem
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
from gateway.lti.contexts import ContextRecord
from gateway.lti.identity import Link
from gateway.lti.keys import ToolKey
from gateway.lti.ledger import ScoreEntry
from gateway.lti.registrations import Registration
from gateway.schedule import DEFAULT_CRON, ScheduleRule
from gateway.standards.grades import grade_rank
from gateway.store.store import ConnectionRecord, RunRecord, TenantRecord

__all__ = [
    "CheckPublic",
    "ConnectionCreate",
    "ConnectionPublic",
    "ConnectionUpdate",
    "LtiKeyPublic",
    "LtiRegistrationCreate",
    "LtiRegistrationPublic",
    "LtiRegistrationUpdate",
    "ProblemPublic",
    "RegistrationLinkCreate",
    "RegistrationLinkPublic",
    "RunDetail",
    "RunPublic",
    "RunQueued",
    "RunRequest",
    "SchedulePublic",
    "ScheduleUpdate",
    "SecretState",
    "TenantCreate",
    "TenantPublic",
    "TokenResponse",
    "ToolConfigurationPublic",
]

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenResponse(BaseModel):
    """RFC 6749 §5.1 access token response."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the RFC 6749 token type)
    expires_in: int
    scope: str


class TenantCreate(_In):
    slug: str = Field(min_length=1, max_length=64, pattern=SLUG,
                      description="Short lowercase id used in URLs, e.g. `springfield`.")
    name: str = Field(min_length=1, max_length=200, description="Display name.")


class TenantPublic(BaseModel):
    slug: str
    name: str
    last_version: int
    """The tenant's latest change version (the change feed's position)."""

    @classmethod
    def of(cls, tenant: TenantRecord) -> TenantPublic:
        return cls(slug=tenant.slug, name=tenant.name, last_version=tenant.last_version)


class ConnectionCreate(_In):
    name: str = Field(min_length=1, max_length=100, pattern=NAME,
                      description="Unique in the tenant, e.g. `sis`.")
    connector: str = Field(min_length=1, max_length=100, description="e.g. `oneroster-csv`.")
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The connector's settings, secrets included; secrets are stored "
                    "encrypted and never returned.")


class ConnectionUpdate(_In):
    config: dict[str, Any] = Field(
        description="Settings to change; others keep their values. `null` resets a plain "
                    "setting to its default. Secret fields are write-only: send a new value "
                    "to replace one.")


class SecretState(BaseModel):
    set: bool


class ConnectionPublic(BaseModel):
    id: int
    tenant: str
    name: str
    connector: str
    config: dict[str, Any]
    """Plain settings only."""
    secrets: dict[str, SecretState]
    """Each secret field of the connector and whether it has a value; never the value."""

    @classmethod
    def of(cls, connection: ConnectionRecord, secret_fields: frozenset[str],
           stored_secrets: frozenset[str]) -> ConnectionPublic:
        config = {k: v for k, v in connection.config.items() if k not in secret_fields}
        # A secret typed into the plain settings (``harbor connections add --set``) is
        # still a secret: reported as set, never shown.
        present = stored_secrets | (secret_fields & set(connection.config))
        return cls(id=connection.id, tenant=connection.tenant, name=connection.name,
                   connector=connection.connector, config=config,
                   secrets={k: SecretState(set=k in present)
                            for k in sorted(secret_fields | stored_secrets)})


class CheckPublic(BaseModel):
    ok: bool
    message: str
    details: dict[str, Any]

    @classmethod
    def of(cls, result: CheckResult) -> CheckPublic:
        return cls(ok=result.ok, message=result.message, details=dict(result.details))


class ScheduleUpdate(_In):
    cron: str = Field(DEFAULT_CRON, max_length=100,
                      description="Five fields (minute hour day month weekday), or six with "
                                  "seconds first.")
    timezone: str | None = Field(None, max_length=64,
                                 description="IANA zone; default: the server's zone.")
    enabled: bool = True
    pause_from: str | None = Field(None, description="First paused day, YYYY-MM-DD.")
    pause_until: str | None = Field(None, description="Last paused day, YYYY-MM-DD.")


class SchedulePublic(BaseModel):
    cron: str
    timezone: str
    enabled: bool
    pause_from: str | None
    pause_until: str | None
    updated_at: str | None
    default: bool
    """True while the connection follows the default rule (never edited)."""

    @classmethod
    def of(cls, rule: ScheduleRule) -> SchedulePublic:
        return cls(cron=rule.cron, timezone=rule.timezone, enabled=rule.enabled,
                   pause_from=rule.pause_from, pause_until=rule.pause_until,
                   updated_at=rule.updated_at, default=rule.updated_at is None)


class RunRequest(_In):
    dry_run: bool = Field(False, description="Show what would change; write nothing.")
    reread: bool = Field(False, description="Read every source, even unchanged ones.")


class ProblemPublic(BaseModel):
    source: str
    line: int | None
    column: str | None
    message: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemPublic:
        return cls(source=problem.source, line=problem.line, column=problem.column,
                   message=problem.message)


class RunPublic(BaseModel):
    id: int
    connection: str
    """``tenant/name``."""
    status: str
    """queued, running, succeeded, failed, held (deletion safeguard), dry_run, cancelled."""
    dry_run: bool
    trigger: str
    requested_by: str | None
    options: dict[str, Any]
    queued_at: str | None
    started_at: str | None
    finished_at: str | None
    attempts: int
    version: int | None
    counts: dict[str, dict[str, int]]
    message: str | None
    problem_count: int
    approves: int | None

    @classmethod
    def fields_of(cls, run: RunRecord) -> dict[str, Any]:
        return {"id": run.id, "connection": run.connection, "status": run.status,
                "dry_run": run.dry_run, "trigger": run.trigger,
                "requested_by": run.requested_by, "options": dict(run.options),
                "queued_at": run.queued_at, "started_at": run.started_at,
                "finished_at": run.finished_at, "attempts": run.attempts,
                "version": run.version, "counts": _counts(run.counts),
                "message": run.message, "problem_count": run.problem_count,
                "approves": run.approves}

    @classmethod
    def of(cls, run: RunRecord) -> RunPublic:
        return cls(**cls.fields_of(run))


class RunQueued(RunPublic):
    coalesced: bool
    """True when the connection already had a queued or running run: that run is returned
    and nothing new was queued."""

    @classmethod
    def queued(cls, run: RunRecord, *, coalesced: bool) -> RunQueued:
        return cls(**cls.fields_of(run), coalesced=coalesced)


class RunDetail(RunPublic):
    worker: str | None
    progress: dict[str, Any] | None
    checkpoint: str | None
    """The last checkpoint this run committed (where a resumed run starts)."""
    errors: list[ProblemPublic]
    """The stored problems (``problem_count`` may be larger: only the first are kept)."""

    @classmethod
    def detail(cls, run: RunRecord, problems: list[Problem]) -> RunDetail:
        return cls(**cls.fields_of(run), worker=run.worker,
                   progress=dict(run.progress) if run.progress is not None else None,
                   checkpoint=run.checkpoint, errors=[ProblemPublic.of(p) for p in problems])


def _counts(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {stream: dict(c) for stream, c in counts.items()}


class LtiRegistrationCreate(_In):
    """A platform registration typed in from the LMS's tool page (manual registration)."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME,
                      description="Unique in the tenant, e.g. `canvas-production`.")
    issuer: str = Field(min_length=1, max_length=500,
                        description="The platform's issuer (`iss` of its launches).")
    client_id: str = Field(min_length=1, max_length=255,
                           description="The client id the LMS gave Harbormaster.")
    auth_login_url: str = Field(description="The platform's OIDC authorization endpoint.")
    auth_token_url: str = Field(description="The platform's OAuth 2 token endpoint.")
    key_set_url: str = Field(description="The platform's public keyset (JWKS) URL.")
    auth_audience: str | None = Field(
        None, description="The `aud` of token requests, where the platform wants other than "
                          "the token URL (D2L: `https://api.brightspace.com/auth/token`).")
    deployment_ids: list[str] = Field(default_factory=list,
                                      description="The deployment ids the LMS shows.")


class LtiRegistrationUpdate(_In):
    """Fields to change; the others keep their values. ``deployment_ids`` replaces the list;
    ``auth_audience: null`` goes back to the token URL."""

    name: str | None = Field(None, min_length=1, max_length=100, pattern=NAME)
    issuer: str | None = Field(None, min_length=1, max_length=500)
    client_id: str | None = Field(None, min_length=1, max_length=255)
    auth_login_url: str | None = None
    auth_token_url: str | None = None
    key_set_url: str | None = None
    auth_audience: str | None = None
    deployment_ids: list[str] | None = None


class LtiRegistrationPublic(BaseModel):
    id: int
    tenant: str
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    deployment_ids: list[str]
    source: str
    """``manual`` or ``dynamic`` (LTI Dynamic Registration)."""
    platform: dict[str, Any] | None
    """What a dynamically registering platform said of itself (product, version)."""
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, registration: Registration) -> LtiRegistrationPublic:
        return cls(**registration.as_public())


class RegistrationLinkCreate(_In):
    name: str | None = Field(None, min_length=1, max_length=100, pattern=NAME,
                             description="The registration's name; default "
                                         "`<product>-<LMS host>`.")
    expires_in_hours: int = Field(24, ge=1, le=168,
                                  description="How long the link can be used (one week "
                                              "at most).")


class RegistrationLinkPublic(BaseModel):
    url: str
    """What the LMS admin pastes into the LMS's Dynamic Registration field. It registers
    one LMS for this tenant, once: treat it like a password until it is used."""
    tenant: str
    name: str | None
    expires_at: str


class ToolConfigurationPublic(BaseModel):
    """What an LMS admin types into a manual LTI 1.3 registration."""

    login_url: str
    """OIDC login initiation URL (Moodle: "Initiate login URL")."""
    launch_url: str
    """Target link URI (Moodle: "Tool URL")."""
    redirect_uris: list[str]
    deep_linking_url: str
    jwks_url: str
    """Public keyset URL (Moodle: "Public keyset"; Canvas: "Public JWK URL")."""
    domain: str
    scopes: list[str]
    claims: list[str]
    dynamic_registration: str
    """How to get a Dynamic Registration link (each is single use and expires)."""
    canvas_json_url: str
    """Canvas developer key, "Enter URL" method."""
    canvas: dict[str, Any]
    """Canvas developer key, "Paste JSON" method."""


class LtiKeyPublic(BaseModel):
    """A tool signing key, public facts only (never private material)."""

    kid: str
    state: str
    """``active`` signs; ``next`` is published ahead of a rotation; ``retired`` is
    published for a grace period after it stopped signing."""
    published: bool
    """In the JWKS at ``/.well-known/jwks.json`` now."""
    created_at: str
    activated_at: str | None
    retired_at: str | None

    @classmethod
    def of(cls, key: ToolKey, published: bool) -> LtiKeyPublic:
        return cls(kid=key.kid, state=key.state, published=published,
                   created_at=key.created_at, activated_at=key.activated_at,
                   retired_at=key.retired_at)


class LtiIdentityPublic(BaseModel):
    """Who an LMS user is in the roster, and how that was decided."""

    id: int
    registration_id: int
    sub: str
    """The LMS's user id (``sub`` of its launches, NRPS ``user_id``)."""
    user_sourced_id: str | None
    matched_by: str | None
    """``person_sourcedid``, ``email`` or ``admin``."""
    status: Literal["matched", "confirmed", "unmatched", "conflict"]
    name: str | None
    email: str | None
    person_sourcedid: str | None
    detail: str | None
    """Why it is unmatched or in conflict: the candidates, for the reviewer."""
    updated_at: str

    @classmethod
    def of(cls, link: Link) -> LtiIdentityPublic:
        return cls(**link.as_public())


class LtiIdentityConfirm(_In):
    user_sourced_id: str = Field(min_length=1, max_length=255,
                                 description="The roster user (sourcedId) this LMS user is.")


class LtiCoursePublic(BaseModel):
    """An LMS course seen in a launch, the class it is, and its service endpoints."""

    id: int
    registration_id: int
    context_id: str
    deployment_id: str
    title: str | None
    label: str | None
    class_sourced_id: str | None
    memberships_url: str | None
    lineitems_url: str | None
    ags_scopes: list[str]
    last_launch_at: str

    @classmethod
    def of(cls, course: ContextRecord) -> LtiCoursePublic:
        return cls(**course.as_public())


class LtiScorePublic(BaseModel):
    """One row of the AGS score ledger: what was (or is to be) sent, and what came of it."""

    id: int
    registration_id: int
    line_item_url: str
    userId: str  # the AGS field names
    scoreGiven: float | None = None
    scoreMaximum: float | None = None
    activityProgress: str
    gradingProgress: str
    comment: str | None = None
    timestamp: str
    status: str
    """``pending`` (not acknowledged yet), ``sent``, ``superseded``."""
    attempts: int
    response_status: int | None
    message: str | None
    created_at: str
    sent_at: str | None

    @classmethod
    def of(cls, entry: ScoreEntry) -> LtiScorePublic:
        return cls(**entry.as_public())


class LtiScoreLedgerPublic(BaseModel):
    counts: dict[str, int]
    """Rows per status for the whole registration."""
    scores: list[LtiScorePublic]
    next_after_id: int | None
    """Pass as ``after_id`` for the next page; None on the last."""


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
            updated_at=profile.updated_at, updated_by=profile.updated_by)


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
