"""What the LTI admin routes accept and return: registrations, Dynamic Registration links, the
tool configuration, keys, LMS users to review, courses and the AGS score ledger."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
)

from gateway.api.schemas import NAME, _In
from gateway.lti.contexts import ContextRecord
from gateway.lti.identity import Link
from gateway.lti.keys import ToolKey
from gateway.lti.ledger import ScoreEntry
from gateway.lti.registrations import Registration

__all__ = [
    "LtiCoursePublic",
    "LtiIdentityConfirm",
    "LtiIdentityPublic",
    "LtiKeyPublic",
    "LtiRegistrationCreate",
    "LtiRegistrationPublic",
    "LtiRegistrationUpdate",
    "LtiScoreLedgerPublic",
    "LtiScorePublic",
    "RegistrationLinkCreate",
    "RegistrationLinkPublic",
    "ToolConfigurationPublic",
]


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
