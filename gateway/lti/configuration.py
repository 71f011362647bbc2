"""What Harbormaster tells an LMS about itself, all from one base URL: its LTI 1.3 URLs, the
client registration it sends in Dynamic Registration, and the Canvas developer-key JSON.

The base is ``HARBOR_PUBLIC_URL`` when set (a reverse proxy may change the scheme, host or
path the LMS sees), else the address the request came in on.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode, urlsplit

from gateway.settings import Settings

__all__ = ["CANVAS_CONFIG_PATH", "CLAIMS", "JWKS_PATH", "LAUNCH_PATH", "LOGIN_PATH",
           "REGISTER_PATH", "SCOPES", "TOOL_NAME", "ToolUrls", "canvas_configuration",
           "client_registration"]

LOGIN_PATH = "/lti/login"
LAUNCH_PATH = "/lti/launch"
JWKS_PATH = "/.well-known/jwks.json"
REGISTER_PATH = "/lti/register"
CANVAS_CONFIG_PATH = "/lti/canvas.json"

TOOL_NAME = "Harbormaster"
DESCRIPTION = ("Harbormaster links LMS courses to the district's rosters and returns grades "
               "to the district's records.")

SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
"""Assignment and Grade Services (line items, results, scores) and Names and Role
Provisioning (course rosters): what the tool calls back."""

CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
"""The identity claims we ask for: name and email match an LMS user to the roster."""

# The LTI Dynamic Registration placement for deep linking from a course's content area;
# platforms map it to their own menus (Canvas lets the admin adjust them when reviewing).
DEEP_LINKING_PLACEMENTS = ("ContentArea",)

# Canvas's own placement names (its developer-key JSON does not use the IMS ones).
CANVAS_PLACEMENTS = ("link_selection", "assignment_selection")


@dataclasses.dataclass(frozen=True, slots=True)
class ToolUrls:
    """The tool's absolute URLs under ``base`` (scheme, host and any path prefix)."""

    base: str

    @classmethod
    def at(cls, base: str) -> ToolUrls:
        return cls(base.rstrip("/"))

    @classmethod
    def of(cls, settings: Settings, request_base: str) -> ToolUrls:
        """Under ``HARBOR_PUBLIC_URL`` when set, else the request's own base URL."""
        return cls.at(settings.public_url or request_base)

    @property
    def login(self) -> str:
        return self.base + LOGIN_PATH

    @property
    def launch(self) -> str:
        """The launch and OIDC redirect URL; deep linking requests arrive here too."""
        return self.base + LAUNCH_PATH

    @property
    def jwks(self) -> str:
        return self.base + JWKS_PATH

    @property
    def register(self) -> str:
        return self.base + REGISTER_PATH

    @property
    def canvas_config(self) -> str:
        return self.base + CANVAS_CONFIG_PATH

    @property
    def domain(self) -> str:
        """Host and port, as LTI tool configuration's ``domain`` wants it."""
        return urlsplit(self.base).netloc

    def registration_link(self, token: str) -> str:
        """The URL an admin pastes into an LMS: the LMS adds ``openid_configuration`` and
        ``registration_token`` to its query."""
        return f"{self.register}?{urlencode({'hm': token})}"


def client_registration(urls: ToolUrls) -> dict[str, Any]:
    """The OpenID Connect client registration, with LTI's tool configuration, that
    Dynamic Registration POSTs to the platform."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": TOOL_NAME,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": urls.domain,
            "description": DESCRIPTION,
            "target_link_uri": urls.launch,
            "claims": list(CLAIMS),
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": urls.launch},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": urls.launch,
                 "label": TOOL_NAME, "placements": list(DEEP_LINKING_PLACEMENTS)},
            ],
        },
    }


def canvas_configuration(urls: ToolUrls) -> dict[str, Any]:
    """Canvas's LTI 1.3 developer-key JSON ("Paste JSON" or "Enter URL"); privacy
    ``public`` so launches carry the name and email that match users to the roster."""
    placements = [{"placement": placement, "message_type": "LtiDeepLinkingRequest",
                   "target_link_uri": urls.launch, "text": TOOL_NAME}
                  for placement in CANVAS_PLACEMENTS]
    return {
        "title": TOOL_NAME,
        "description": DESCRIPTION,
        "oidc_initiation_url": urls.login,
        "target_link_uri": urls.launch,
        "public_jwk_url": urls.jwks,
        "scopes": list(SCOPES),
        "extensions": [{
            "platform": "canvas.instructure.com",
            "domain": urls.domain,
            "privacy_level": "public",
            "settings": {"text": TOOL_NAME, "placements": placements},
        }],
        "custom_fields": {},
    }
