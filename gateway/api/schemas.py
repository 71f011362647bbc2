"""What the admin API accepts and returns: ``ThingCreate`` / ``ThingUpdate`` / ``ThingPublic``.

Public shapes are built from store records here, in one place, so that nothing that is
sent back can carry a connection's secret values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from gateway.abc import CheckResult
from gateway.errors import Problem
from gateway.schedule import DEFAULT_CRON, ScheduleRule
from gateway.store.store import ConnectionRecord, RunRecord, TenantRecord

__all__ = [
    "CheckPublic",
    "ConnectionCreate",
    "ConnectionPublic",
    "ConnectionUpdate",
    "ProblemPublic",
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
