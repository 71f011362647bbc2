"""What the admin API accepts and returns: ``ThingCreate`` / ``ThingUpdate`` / ``ThingPublic``.

Public shapes are built from store records here, in one place, so that nothing that is
sent back can carry a connection's secret values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.abc import CheckResult
from gateway.errors import Problem
from gateway.lti.contexts import ContextRecord
from gateway.lti.identity import Link
from gateway.lti.keys import ToolKey
from gateway.lti.ledger import ScoreEntry
from gateway.lti.registrations import Registration
from gateway.schedule import DEFAULT_CRON, ScheduleRule
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
