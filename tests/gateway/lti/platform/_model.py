"""What the test LMS holds: its users, its one tool and its courses, and the LTI names
(roles, claims, scopes, media types, message types) it speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
RESULTS_MEDIA = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
PRODUCT = "harbormaster-test-lms"


@dataclass
class User:
    """An LMS user; ``sub`` is the platform's stable id for them (and the login_hint)."""

    sub: str
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    lis_person_sourcedid: str | None = None


@dataclass
class Tool:
    """How the platform knows its one tool (set by a test or by dynamic registration)."""

    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    client_id: str = "harbor-client"
    deployment_id: str = "deploy-1"
    scopes: list[str] | None = None
    """Service scopes the token endpoint may grant it (None: all the platform supports)."""

    def __post_init__(self) -> None:
        if not self.redirect_uris:
            self.redirect_uris = list(dict.fromkeys(
                u for u in (self.launch_url, self.deep_link_url) if u))


@dataclass
class Context:
    """A course: its members and its gradebook columns (line items by number)."""

    id: str
    title: str
    members: list[User] = field(default_factory=list)
    label: str | None = None
    sourcedid: str | None = None
    line_items: dict[int, dict[str, Any]] = field(default_factory=dict)
