"""A real LTI 1.3 platform (a stand-in LMS) that the end-to-end tests launch Harbormaster
from: OIDC launches, deep linking, AGS, NRPS, the token endpoint and dynamic registration,
built on lti1p3platform and served over HTTP on loopback by ``running_platform``."""

from __future__ import annotations

import html
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from jwcrypto.jwk import JWK
from lti1p3platform import jwt_helper
from lti1p3platform.ags import LtiAgs
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.deep_linking import LtiDeepLinking
from lti1p3platform.exceptions import LtiDeepLinkingResponseException, LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import MessageLaunchAbstract
from lti1p3platform.nrps import LtiNrps
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LtiRequest
from lti1p3platform.request import TRequest
from lti1p3platform.score import ActivityProgress, GradeProgress

from tests.helpers import serve_app

__all__ = ["ADMIN", "DEEP_LINKING", "INSTRUCTOR", "LEARNER", "PRODUCT", "RESOURCE_LINK",
           "SCOPE_LINEITEM", "SCOPE_LINEITEM_READONLY", "SCOPE_NRPS", "SCOPE_RESULT_READONLY",
           "SCOPE_SCORE", "Context", "Platform", "Tool", "User", "auto_post_form",
           "platform_app", "running_platform"]

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


@dataclass
class _Launch:
    """A launch the platform started; the authorization endpoint finishes it."""

    id: str
    user: User
    message_type: str
    context_id: str
    resource_link_id: str
    target_link_uri: str
    custom: dict[str, str]
    deep_linking: dict[str, Any]
    data: str


@dataclass
class _Fault:
    path: str
    status: int
    times: int
    headers: dict[str, str]
    method: str | None
    body: str


class _Refused(Exception):
    """An answer other than success: plain text, or an OAuth-style JSON error."""

    def __init__(self, status: int, message: str, error: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error, self.headers = status, message, error, headers


# lti1p3platform's abstract pieces, filled in for this platform.

class _Registration(Registration):
    def __init__(self, kid: str) -> None:
        self._kid = kid

    def get_kid(self) -> str:  # the library would sign with no kid: jwcrypto PEMs carry none
        return self._kid


class _Config(LTI1P3PlatformConfAbstract):
    """The library's view of the platform and its tool. Made afresh for each request: the
    library keeps a tool key set once fetched, and tool key rotation needs a fetch each time."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        super().__init__()
        self.get_registration()

    def init_platform_config(self, **kwargs: Any) -> None:
        pass

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        p = self.platform
        reg = _Registration(p.kid)
        reg.set_iss(p.issuer)
        reg.set_platform_private_key(p.private_pem.decode())
        reg.set_platform_public_key(p.public_pem.decode())
        if p.tool is not None:
            reg.set_client_id(p.tool.client_id)
            reg.set_deployment_id(p.tool.deployment_id)
            reg.set_launch_url(p.tool.launch_url)
            reg.set_deeplink_launch_url(p.tool.deep_link_url or p.tool.launch_url)
            reg.set_oidc_login_url(p.tool.login_url)
            reg.set_tool_key_set_url(p.tool.jwks_url)
        return reg


class _Params(LtiRequest):
    def build_metadata(self, request: Any) -> TRequest:
        return {"method": "GET", "get_data": dict(request), "form_data": {}}


class _LoginInitiation(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launcher(MessageLaunchAbstract):
    def __init__(self, request: LtiRequest, config: _Config) -> None:
        super().__init__(request, config)
        self._registration = config.get_registration()

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> HTMLResponse:
        return HTMLResponse(auto_post_form(launch_data["launch_url"], {
            "id_token": launch_data["id_token"], "state": launch_data["state"]}))


def auto_post_form(action: str, fields: dict[str, str]) -> str:
    """An HTML page whose form POSTs ``fields`` to ``action`` as soon as it loads."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return ("<!DOCTYPE html><html><head><title>Continue</title></head>"
            '<body onload="document.forms[0].submit()">'
            f'<form method="post" action="{html.escape(action)}">{inputs}'
            '<noscript><button type="submit">Continue</button></noscript></form></body></html>')


def _rsa_pem() -> tuple[bytes, bytes]:
    """A new RSA key: its private and public PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))


def _public_jwk(public_pem: bytes) -> dict[str, Any]:
    public = Registration.get_jwk(public_pem.decode())
    public["kid"] = JWK.from_pem(public_pem).thumbprint()
    return public


class Platform:
    """The platform's state, and what tests do as the LMS or its admin."""

    def __init__(self, tool: Tool | None = None) -> None:
        self.tool = tool
        self.url = self.issuer = self.auth_url = self.token_url = self.jwks_url = ""
        self.registration_url = self.openid_configuration_url = self.return_url = ""
        self.private_pem, self.public_pem = _rsa_pem()
        self._jwks = [_public_jwk(self.public_pem)]
        self.kid: str = self._jwks[0]["kid"]
        self.contexts: dict[str, Context] = {}
        self.users: dict[str, User] = {}
        self.resource_links: dict[str, dict[str, Any]] = {}
        """Links made from deep linking items: id -> context_id, url, title, custom."""
        self.scores: list[dict[str, Any]] = []
        self.deep_link_items: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.tokens_issued = 0
        self.request_log: list[tuple[str, str]] = []
        """(method, path) of every request the platform received, in order."""
        self.lock = threading.Lock()
        self._launches: dict[str, _Launch] = {}
        self._latest: dict[tuple[str, int, str], tuple[datetime, dict[str, Any]]] = {}
        self._line_item_ids = itertools.count(1)
        self._jtis: set[str] = set()
        self._tokens: set[str] = set()
        self._revoked: set[str] = set()
        self._registration_tokens: set[str] = set()
        self._faults: list[_Fault] = []

    def bind(self, url: str) -> None:
        """Set the platform's own URLs once it is served at ``url``."""
        self.url = self.issuer = url
        self.auth_url, self.token_url = f"{url}/authorize", f"{url}/token"
        self.jwks_url, self.registration_url = f"{url}/jwks", f"{url}/register"
        self.openid_configuration_url = f"{url}/.well-known/openid-configuration"
        self.return_url = f"{url}/return"

    def jwks(self) -> list[dict[str, Any]]:
        return list(self._jwks)

    def rotate_key(self, *, keep_old: bool = True) -> None:
        """Sign with a new key from now on; the JWKS keeps the old public key if asked."""
        self.private_pem, self.public_pem = _rsa_pem()
        new = _public_jwk(self.public_pem)
        self._jwks = [new, *self._jwks] if keep_old else [new]
        self.kid = new["kid"]

    # The LMS's content: courses, members, gradebook columns.

    def add_context(self, context_id: str, title: str, members: list[User], *,
                    label: str | None = None, sourcedid: str | None = None) -> Context:
        context = Context(context_id, title, list(members), label, sourcedid)
        self.contexts[context_id] = context
        self.users.update((m.sub, m) for m in members)
        return context

    def add_line_item(self, context_id: str, label: str, score_maximum: float, *,
                      resource_link_id: str | None = None, resource_id: str | None = None,
                      tag: str | None = None) -> dict[str, Any]:
        """A gradebook column made by the LMS (the tool sees it in the lineitem claim when
        ``resource_link_id`` is the launched link)."""
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        for key, value in (("resourceLinkId", resource_link_id), ("resourceId", resource_id),
                           ("tag", tag)):
            if value is not None:
                body[key] = value
        return self._create_line_item(self.contexts[context_id], body)

    def line_item_url(self, context_id: str, number: int) -> str:
        return f"{self.url}/contexts/{context_id}/lineitems/{number}"

    def _create_line_item(self, context: Context, body: dict[str, Any]) -> dict[str, Any]:
        _check_line_item(body)
        with self.lock:
            number = next(self._line_item_ids)
            item = {**body, "id": self.line_item_url(context.id, number)}
            context.line_items[number] = item
        return item

    # Launches.

    def login_initiation(self, user: User, *, context_id: str = "course-1",
                         resource_link_id: str = "link-1", message_type: str = RESOURCE_LINK,
                         custom: dict[str, str] | None = None, method: str = "GET",
                         deep_linking: dict[str, Any] | None = None,
                         ) -> tuple[str, dict[str, str]]:
        """The third-party-initiated login the user's browser sends to the tool: its URL
        and parameters (as a query for ``method="GET"``, a form for ``"POST"``; the
        platform does not mind which). ``deep_linking`` overrides deep linking settings."""
        tool = self._tool()
        launch = self._new_launch(user, message_type, context_id, resource_link_id, custom,
                                  deep_linking)
        login = _LoginInitiation(None, _Config(self))
        login.set_lti_message_hint(hint=launch.id)
        login.set_launch_url(launch.target_link_uri)
        own = dict(parse_qsl(urlsplit(tool.login_url).query))
        params = {k: v for k, v in parse_qsl(urlsplit(login.initiate_login(user.sub)).query)
                  if k not in own}
        return tool.login_url, params

    def launch_claims(self, user: User, *, nonce: str, message_type: str = RESOURCE_LINK,
                      context_id: str = "course-1", resource_link_id: str = "link-1",
                      custom: dict[str, str] | None = None,
                      deep_linking: dict[str, Any] | None = None) -> dict[str, Any]:
        """The id_token body the authorization endpoint would sign for this launch."""
        launch = self._new_launch(user, message_type, context_id, resource_link_id, custom,
                                  deep_linking)
        launcher = self._launcher(launch, {"nonce": nonce})
        claims, _ = launcher.get_launch_data()
        now = int(time.time())
        claims.update(iat=now, exp=now + launcher.id_token_expiration)
        return claims

    def sign(self, claims: dict[str, Any], *, kid: str | None = None,
             key_pem: bytes | None = None, headers: dict[str, Any] | None = None) -> str:
        """An RS256 JWT of ``claims``, by the platform's key and kid unless others are
        given; ``headers`` adds JWT headers, or drops one given as None (``{"kid": None}``)."""
        header = {k: v for k, v in {"kid": kid or self.kid, **(headers or {})}.items()
                  if v is not None}
        return jwt_helper.jwt_encode(claims, (key_pem or self.private_pem).decode(), "RS256",
                                     headers=header)

    def _tool(self) -> Tool:
        if self.tool is None:
            raise _Refused(400, "no tool is registered with this platform")
        return self.tool

    def _new_launch(self, user: User, message_type: str, context_id: str,
                    resource_link_id: str, custom: dict[str, str] | None,
                    deep_linking: dict[str, Any] | None) -> _Launch:
        tool = self._tool()
        if message_type not in (RESOURCE_LINK, DEEP_LINKING):
            raise ValueError(f"unsupported message type {message_type}")
        context = self.contexts.get(context_id) or self.add_context(context_id, context_id, [])
        if all(m.sub != user.sub for m in context.members):
            context.members.append(user)  # whoever launches from a course is in it
        self.users[user.sub] = user
        link = self.resource_links.get(resource_link_id, {})
        if message_type == DEEP_LINKING:
            target = tool.deep_link_url or tool.launch_url
        else:
            target = link.get("url") or tool.launch_url
        launch = _Launch(secrets.token_urlsafe(12), user, message_type, context_id,
                         resource_link_id, target, {**link.get("custom", {}), **(custom or {})},
                         dict(deep_linking or {}), secrets.token_urlsafe(12))
        self._launches[launch.id] = launch
        return launch

    def _launcher(self, launch: _Launch, preflight: dict[str, str]) -> _Launcher:
        """The library's launch message for ``launch``, with every claim the platform sends."""
        context, user = self.contexts[launch.context_id], launch.user
        message = _Launcher(_Params(preflight), _Config(self))
        message.set_launch_url(launch.target_link_uri)
        message.set_user_data(user.sub, user.roles, full_name=user.name,
                              email_address=user.email)
        message.set_launch_context_claim(
            context.id, ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context.title, context.label or context.id)
        message.set_launch_presentation_claim("iframe", self.return_url)
        if launch.custom:
            message.set_custom_parameters_claim(launch.custom)
        contexts_url = f"{self.url}/contexts/{context.id}"
        ags = LtiAgs(f"{contexts_url}/lineitems", self._link_line_item(launch),
                     allow_creating_lineitems=True).get_lti_ags_launch_claim()
        ags[AGS_CLAIM]["scope"].insert(1, SCOPE_LINEITEM_READONLY)
        extra: dict[str, Any] = {
            **{k: v for k, v in (("given_name", user.given_name),
                                 ("family_name", user.family_name)) if v},
            LTI + "tool_platform": {"guid": self.issuer, "name": "Harbormaster test LMS",
                                    "product_family_code": PRODUCT, "version": "1.0"},
            **LtiNrps(f"{contexts_url}/memberships").get_lti_nrps_launch_claim(),
            **ags,
        }
        lis = {k: v for k, v in (("person_sourcedid", user.lis_person_sourcedid),
                                 ("course_section_sourcedid", context.sourcedid)) if v}
        if lis:
            extra[LTI + "lis"] = lis
        if launch.message_type == DEEP_LINKING:
            extra[LTI + "message_type"] = DEEP_LINKING
            extra[DL + "deep_linking_settings"] = self._deep_linking_settings(launch)
        else:
            link = self.resource_links.get(launch.resource_link_id, {})
            message.set_resource_link_claim(launch.resource_link_id, title=link.get("title"))
        message.set_extra_claims(extra)
        return message

    def _link_line_item(self, launch: _Launch) -> str | None:
        if launch.message_type == DEEP_LINKING:
            return None
        items = self.contexts[launch.context_id].line_items.values()
        return next((i["id"] for i in items
                     if i.get("resourceLinkId") == launch.resource_link_id), None)

    def _deep_linking_settings(self, launch: _Launch) -> dict[str, Any]:
        claim = LtiDeepLinking(f"{self.url}/deep_links/{launch.id}") \
            .get_lti_deep_linking_launch_claim(
                "Add an activity", "Choose what to add to the course",
                accept_types={"ltiResourceLink"}, extra_data=launch.data)
        settings: dict[str, Any] = claim[DL + "deep_linking_settings"]
        settings.update(launch.deep_linking)
        return settings

    # Services: tokens and what tests inject.

    def access_token(self, scopes: list[str]) -> str:
        """A valid bearer for the platform's own services (a test convenience)."""
        client_id = self.tool.client_id if self.tool else "test"
        token = Registration.encode_and_sign(
            {"sub": client_id, "iss": self.issuer, "scopes": " ".join(scopes)},
            self.private_pem.decode(), expiration=3600)
        self._tokens.add(token)
        return token

    def revoke_tokens(self) -> None:
        """Make every access token issued so far answer 401, as if the LMS revoked them."""
        with self.lock:
            self._revoked |= self._tokens

    def fail_next(self, path_substring: str, status: int, times: int = 1,
                  headers: dict[str, str] | None = None, *, method: str | None = None,
                  body: str = "injected failure") -> None:
        """Answer the next ``times`` requests whose path contains ``path_substring`` (and
        whose method is ``method``, if given) with ``status``, before anything else runs."""
        with self.lock:
            self._faults.append(_Fault(path_substring, status, times, dict(headers or {}),
                                       method, body))

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.path in path and fault.method in (None, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # Dynamic registration.

    def registration_start(self) -> tuple[str, str]:
        """What the platform sends to a tool's registration page (as its query parameters
        openid_configuration and registration_token): the configuration URL and a token
        good for one successful registration."""
        token = secrets.token_urlsafe(16)
        self._registration_tokens.add(token)
        return self.openid_configuration_url, token

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.auth_url,
            "token_endpoint": self.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.jwks_url,
            "registration_endpoint": self.registration_url,
            "scopes_supported": ["openid", *LTI_1P3_ACCESS_TOKEN_SCOPES],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "aud", "sub", "iat", "exp", "nonce", "name",
                                 "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": PRODUCT, "version": "1.0",
                "messages_supported": [{"type": RESOURCE_LINK}, {"type": DEEP_LINKING}],
                "variables": [],
            },
        }


# Checks of what tools send.

def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_line_item(body: dict[str, Any]) -> None:
    if not isinstance(body.get("label"), str) or not body["label"].strip():
        raise _Refused(400, "label is required")
    if not _number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
        raise _Refused(400, "scoreMaximum must be a positive number")


def _check_score(body: dict[str, Any], context: Context) -> datetime:
    for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if body.get(name) in (None, ""):
            raise _Refused(400, f"{name} is required")
    if body["activityProgress"] not in {p.value for p in ActivityProgress}:
        raise _Refused(400, f"activityProgress {body['activityProgress']!r} is not known")
    if body["gradingProgress"] not in {p.value for p in GradeProgress}:
        raise _Refused(400, f"gradingProgress {body['gradingProgress']!r} is not known")
    try:
        timestamp = datetime.fromisoformat(str(body["timestamp"]))
    except ValueError:
        raise _Refused(400, "timestamp must be ISO 8601") from None
    if timestamp.tzinfo is None:
        raise _Refused(400, "timestamp must have a time zone")
    if body.get("scoreGiven") is not None:
        if not _number(body["scoreGiven"]) or body["scoreGiven"] < 0:
            raise _Refused(400, "scoreGiven must be a number, 0 or more")
        if not _number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
            raise _Refused(400, "scoreGiven needs a positive scoreMaximum")
    if all(m.sub != body["userId"] for m in context.members):
        raise _Refused(400, f"userId {body['userId']} is not a member of {context.id}")
    return timestamp


def _check_bearer(p: Platform, request: Request, *scopes: str) -> None:
    """Refuse a request without a valid platform access token holding one of ``scopes``."""
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token:
        raise _Refused(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        if token in p._revoked:
            raise LtiException("the token was revoked")
        allowed = _Config(p).validate_token(token, list(scopes))
    except (LtiException, jwt.PyJWTError) as exc:
        raise _Refused(401, f"invalid token: {exc}", headers={
            "WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    if not allowed:
        raise _Refused(403, f"the token needs one of the scopes {' '.join(scopes)}", headers={
            "WWW-Authenticate": 'Bearer error="insufficient_scope"'})


def _check_accept(request: Request, media_type: str) -> None:
    if media_type not in request.headers.get("accept", ""):
        raise _Refused(406, f"Accept must name {media_type}")


async def _json_body(request: Request, media_type: str) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").partition(";")[0].strip()
    if content_type != media_type:
        raise _Refused(415, f"Content-Type must be {media_type}, not {content_type!r}")
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise _Refused(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise _Refused(400, "the body must be a JSON object")
    return body


def _paginate(request: Request, items: list[Any], base_url: str,
              ) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` by the ``limit`` and ``page`` query parameters, and the Link
    header to the next page when there is one."""
    query = dict(request.query_params)
    if "limit" not in query:
        return items, {}
    try:
        limit, page = int(query["limit"]), int(query.get("page", "1"))
    except ValueError:
        raise _Refused(400, "limit and page must be integers") from None
    if limit < 1 or page < 1:
        raise _Refused(400, "limit and page must be positive")
    chunk = items[(page - 1) * limit:page * limit]
    if page * limit >= len(items):
        return chunk, {}
    query["page"] = str(page + 1)
    return chunk, {"Link": f'<{base_url}?{urlencode(query)}>; rel="next"'}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(_form)]


# The routes.

def _launch_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["launch"])

    @router.get("/jwks")
    async def jwks() -> Response:
        return JSONResponse({"keys": p.jwks()})

    @router.api_route("/authorize", methods=["GET", "POST"])
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(await _form(request))
        launch = _authorization(p, params)
        response: Response = p._launcher(launch, params).lti_launch()
        return response

    @router.get("/return")
    async def launch_return() -> Response:
        return PlainTextResponse("back at the platform")

    @router.post("/deep_links/{launch_id}")
    def deep_link_return(launch_id: str, form: FormData) -> Response:  # sync: fetches JWKS
        items = _deep_link_response(p, launch_id, form)
        return HTMLResponse(f"<!DOCTYPE html><html><body><p>received {len(items)} items</p>"
                            "</body></html>")

    return router


def _authorization(p: Platform, params: dict[str, str]) -> _Launch:
    """The pending launch an OIDC authentication request finishes, if the request is good."""
    tool = p._tool()
    expected = {"response_type": "id_token", "response_mode": "form_post", "prompt": "none"}
    if "openid" not in params.get("scope", "").split():
        raise _Refused(400, "scope must be openid")
    for name, value in expected.items():
        if params.get(name) != value:
            raise _Refused(400, f"{name} must be {value}, not {params.get(name)!r}")
    if params.get("client_id") != tool.client_id:
        raise _Refused(400, f"client_id {params.get('client_id')!r} is not the tool's")
    if params.get("redirect_uri") not in tool.redirect_uris:
        raise _Refused(400, f"redirect_uri {params.get('redirect_uri')!r} is not registered")
    for name in ("nonce", "state"):
        if not params.get(name):
            raise _Refused(400, f"{name} is missing")
    login_hint = params.get("login_hint", "")
    if login_hint not in p.users:
        raise _Refused(400, f"login_hint {login_hint!r} is not a known user")
    launch = p._launches.get(params.get("lti_message_hint", ""))
    if launch is None:
        raise _Refused(400, "lti_message_hint does not name a launch")
    if launch.user.sub != login_hint:
        raise _Refused(400, "login_hint is not the user of this launch")
    return launch


def _deep_link_response(p: Platform, launch_id: str, form: dict[str, str],
                        ) -> list[dict[str, Any]]:
    """Accept a deep linking response: its content items, and a resource link (and line
    item, when it asks for one) for each ltiResourceLink."""
    tool = p._tool()
    launch = p._launches.get(launch_id)
    if launch is None or launch.message_type != DEEP_LINKING:
        raise _Refused(400, "no deep linking request has this return URL")
    if "JWT" not in form:
        raise _Refused(400, "the JWT form field is missing")
    settings = p._deep_linking_settings(launch)
    config = _Config(p)
    config.set_accepted_deeplinking_types(settings["accept_types"])
    try:
        items = config.validate_deeplinking_resp(form)
    except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError,
            KeyError, TypeError, ValueError) as exc:
        raise _Refused(400, f"deep linking response refused: {exc}") from None
    claims = jwt.decode(form["JWT"], options={"verify_signature": False})
    aud = claims.get("aud")
    checks = [
        (claims.get("iss") == tool.client_id, "iss must be the tool's client_id"),
        (p.issuer in (aud if isinstance(aud, list) else [aud]), "aud must be the issuer"),
        (claims.get(LTI + "deployment_id") == tool.deployment_id, "wrong deployment_id"),
        (claims.get(LTI + "version") == "1.3.0", "version must be 1.3.0"),
        (bool(claims.get("nonce")), "nonce is missing"),
        (claims.get(DL + "data") == settings.get("data"), "data is not the data sent"),
        (isinstance(items, list), "content_items must be a list"),
    ]
    for ok, reason in checks:
        if not ok:
            raise _Refused(400, reason)
    if not settings.get("accept_multiple", True) and len(items) > 1:
        raise _Refused(400, "more than one content item, and accept_multiple is false")
    context = p.contexts[launch.context_id]
    links = [item for item in items if item.get("type") == "ltiResourceLink"]
    for item in links:  # every column is checked before any is made
        if item.get("lineItem") is not None:
            _check_line_item(_column(item))
    for item in links:
        link_id = f"dl-link-{len(p.resource_links) + 1}"
        p.resource_links[link_id] = {"context_id": context.id, "url": item.get("url"),
                                     "title": item.get("title"),
                                     "custom": item.get("custom") or {}}
        if item.get("lineItem") is not None:
            p._create_line_item(context, {**_column(item), "resourceLinkId": link_id})
    p.deep_link_items.extend(items)
    return items


def _column(item: dict[str, Any]) -> dict[str, Any]:
    """The line item a deep linking content item asks for."""
    line = item["lineItem"]
    if not isinstance(line, dict):
        raise _Refused(400, "lineItem must be an object")
    return {"label": item.get("title"), **line}


def _token_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["token"])

    @router.post("/token")
    def token(form: FormData) -> Response:  # sync: lti1p3platform fetches JWKS with requests
        return JSONResponse(_grant(p, form), headers={"Cache-Control": "no-store"})

    return router


def _grant(p: Platform, form: dict[str, str]) -> dict[str, Any]:
    """An access token for a client_credentials request with a JWT client assertion."""
    tool = p.tool
    if tool is None:
        raise _Refused(401, "no tool is registered", "invalid_client")
    if form.get("grant_type") != "client_credentials":
        raise _Refused(400, "grant_type must be client_credentials", "unsupported_grant_type")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise _Refused(400, f"client_assertion_type must be {ASSERTION_TYPE}", "invalid_request")
    if not form.get("client_assertion"):
        raise _Refused(400, "client_assertion is missing", "invalid_request")
    config = _Config(p)
    try:
        claims = config.tool_validate_and_decode(form["client_assertion"])
    except (LtiException, jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise _Refused(401, f"client_assertion: {exc}", "invalid_client") from None
    for name in ("iss", "sub", "aud", "exp", "iat", "jti"):
        if name not in claims:
            raise _Refused(401, f"client_assertion has no {name}", "invalid_client")
    if claims["iss"] != tool.client_id or claims["sub"] != tool.client_id:
        raise _Refused(401, "client_assertion iss and sub must be the client_id",
                       "invalid_client")
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if p.token_url not in aud and p.issuer not in aud:
        raise _Refused(401, "client_assertion aud must be the token endpoint", "invalid_client")
    with p.lock:
        if claims["jti"] in p._jtis:
            raise _Refused(401, "client_assertion jti was used before", "invalid_client")
        p._jtis.add(claims["jti"])
    granted = [s for s in form.get("scope", "").split() if s in LTI_1P3_ACCESS_TOKEN_SCOPES
               and (tool.scopes is None or s in tool.scopes)]
    if not granted:
        raise _Refused(400, "no requested scope can be granted", "invalid_scope")
    answer = dict(config.get_access_token({**form, "scope": " ".join(granted)}))
    with p.lock:
        p.tokens_issued += 1
        p._tokens.add(answer["access_token"])
    return answer


def _context(p: Platform, context_id: str) -> Context:
    if context_id not in p.contexts:
        raise _Refused(404, f"no context {context_id}")
    return p.contexts[context_id]


def _line_item(context: Context, number: int) -> dict[str, Any]:
    if number not in context.line_items:
        raise _Refused(404, f"no line item {number} in {context.id}")
    return context.line_items[number]


def _member(user: User) -> dict[str, Any]:
    member = {"status": "Active", "user_id": user.sub, "roles": user.roles, "name": user.name,
              "given_name": user.given_name, "family_name": user.family_name,
              "email": user.email, "lis_person_sourcedid": user.lis_person_sourcedid}
    return {k: v for k, v in member.items() if v is not None}


def _has_role(user: User, role: str | None) -> bool:
    return role is None or any(r == role or r.endswith(f"#{role}") for r in user.roles)


def _service_routes(p: Platform) -> APIRouter:
    router = APIRouter(prefix="/contexts/{context_id}", tags=["services"])

    @router.get("/memberships")
    async def memberships(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_NRPS)
        _check_accept(request, MEMBERSHIPS_MEDIA)
        context = _context(p, context_id)
        role = request.query_params.get("role")
        members = [m for m in context.members if _has_role(m, role)]
        url = f"{p.url}/contexts/{context_id}/memberships"
        page, headers = _paginate(request, members, url)
        body = {"id": str(request.url),
                "context": {"id": context.id, "label": context.label or context.id,
                            "title": context.title},
                "members": [_member(m) for m in page]}
        return JSONResponse(body, headers=headers, media_type=MEMBERSHIPS_MEDIA)

    @router.get("/lineitems")
    async def line_items(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        _check_accept(request, LINEITEMS_MEDIA)
        context = _context(p, context_id)
        query = request.query_params
        wanted = {"resourceLinkId": query.get("resource_link_id"),
                  "resourceId": query.get("resource_id"), "tag": query.get("tag")}
        items = [i for i in context.line_items.values()
                 if all(v is None or i.get(k) == v for k, v in wanted.items())]
        page, headers = _paginate(request, items, f"{p.url}/contexts/{context_id}/lineitems")
        return JSONResponse(page, headers=headers, media_type=LINEITEMS_MEDIA)

    @router.post("/lineitems")
    async def create_line_item(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        body = await _json_body(request, LINEITEM_MEDIA)
        item = p._create_line_item(_context(p, context_id), body)
        return JSONResponse(item, 201, {"Location": item["id"]}, media_type=LINEITEM_MEDIA)

    @router.get("/lineitems/{number}")
    async def get_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        _check_accept(request, LINEITEM_MEDIA)
        item = _line_item(_context(p, context_id), number)
        return JSONResponse(item, media_type=LINEITEM_MEDIA)

    @router.put("/lineitems/{number}")
    async def put_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        body = await _json_body(request, LINEITEM_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        _check_line_item(body)
        context.line_items[number] = {**body, "id": item["id"]}
        return JSONResponse(context.line_items[number], media_type=LINEITEM_MEDIA)

    @router.delete("/lineitems/{number}")
    async def delete_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        context = _context(p, context_id)
        _line_item(context, number)
        del context.line_items[number]
        return Response(status_code=204)

    @router.post("/lineitems/{number}/scores")
    async def score(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_SCORE)
        body = await _json_body(request, SCORE_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        timestamp = _check_score(body, context)
        key = (context.id, number, str(body["userId"]))
        with p.lock:
            last = p._latest.get(key)
            if last is not None and timestamp < last[0]:
                raise _Refused(400, f"timestamp {body['timestamp']} is earlier than the last "
                                    "score's for this user and line item")
            p._latest[key] = (timestamp, body)
            p.scores.append({**body, "lineitem": item["id"]})
        return Response(status_code=204)

    @router.get("/lineitems/{number}/results")
    async def results(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_RESULT_READONLY)
        _check_accept(request, RESULTS_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        user_id = request.query_params.get("user_id")
        found = [_result(item, uid, body) for (cid, n, uid), (_, body) in p._latest.items()
                 if cid == context.id and n == number and user_id in (None, uid)]
        page, headers = _paginate(request, found, f"{item['id']}/results")
        return JSONResponse(page, headers=headers, media_type=RESULTS_MEDIA)

    return router


def _result(item: dict[str, Any], user_id: str, score: dict[str, Any]) -> dict[str, Any]:
    result = {"id": f"{item['id']}/results/{user_id}", "scoreOf": item["id"],
              "userId": user_id, "resultScore": score.get("scoreGiven"),
              "resultMaximum": score.get("scoreMaximum"), "comment": score.get("comment")}
    return {k: v for k, v in result.items() if v is not None}


def _registration_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["registration"])

    @router.get("/.well-known/openid-configuration")
    async def openid_configuration() -> Response:
        return JSONResponse(p.openid_configuration())

    @router.post("/register")
    async def register(request: Request) -> Response:
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or token not in p._registration_tokens:
            raise _Refused(401, "a registration token the platform issued is required",
                           "invalid_token")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise _Refused(400, "the body is not JSON", "invalid_client_metadata") from None
        tool = _registered_tool(body)
        with p.lock:
            p._registration_tokens.discard(token)
            p.registrations.append(body)
            number = len(p.registrations)
            tool.client_id = f"registered-{number}-{secrets.token_hex(4)}"
            tool.deployment_id = f"deploy-registered-{number}"
            p.tool = tool
        answer = {**body, "client_id": tool.client_id,
                  TOOL_CONFIGURATION: {**body[TOOL_CONFIGURATION],
                                       "deployment_id": tool.deployment_id}}
        return JSONResponse(answer)

    return router


def _registered_tool(body: Any) -> Tool:
    """The tool a dynamic registration request describes; 400 naming the first bad field."""
    def need(ok: bool, name: str, why: str) -> None:
        if not ok:
            raise _Refused(400, f"{name} {why}", "invalid_client_metadata")

    need(isinstance(body, dict), "the body", "must be a JSON object")
    need(body.get("application_type") == "web", "application_type", "must be web")
    need("id_token" in (body.get("response_types") or []), "response_types",
         "must include id_token")
    grants = body.get("grant_types") or []
    need("implicit" in grants and "client_credentials" in grants, "grant_types",
         "must include implicit and client_credentials")
    for name in ("initiate_login_uri", "client_name", "jwks_uri"):
        need(isinstance(body.get(name), str) and bool(body[name]), name, "is required")
    uris = body.get("redirect_uris")
    need(isinstance(uris, list) and bool(uris) and all(isinstance(u, str) for u in uris),
         "redirect_uris", "must be a non-empty list of URIs")
    need(body.get("token_endpoint_auth_method") == "private_key_jwt",
         "token_endpoint_auth_method", "must be private_key_jwt")
    need(isinstance(body.get("scope", ""), str), "scope", "must be a space-separated string")
    config = body.get(TOOL_CONFIGURATION)
    need(isinstance(config, dict), TOOL_CONFIGURATION, "is required")
    for name in ("domain", "target_link_uri"):
        need(isinstance(config.get(name), str) and bool(config[name]),
             f"{TOOL_CONFIGURATION} {name}", "is required")
    target = urlsplit(config["target_link_uri"])
    need(config["domain"] in (target.netloc, target.hostname),
         f"{TOOL_CONFIGURATION} domain", "must be the domain of target_link_uri")
    claims = config.get("claims", [])
    need(isinstance(claims, list) and all(isinstance(c, str) for c in claims),
         f"{TOOL_CONFIGURATION} claims", "must be a list of claim names")
    messages = config.get("messages", [])
    need(isinstance(messages, list)
         and all(isinstance(m, dict) and m.get("type") in (RESOURCE_LINK, DEEP_LINKING)
                 for m in messages),
         f"{TOOL_CONFIGURATION} messages", f"must be {RESOURCE_LINK} or {DEEP_LINKING} messages")
    deep_link_url = next((m.get("target_link_uri") for m in messages
                          if m["type"] == DEEP_LINKING), None)
    return Tool(login_url=body["initiate_login_uri"], launch_url=config["target_link_uri"],
                jwks_url=body["jwks_uri"], deep_link_url=deep_link_url,
                redirect_uris=list(uris), scopes=body.get("scope", "").split())


def platform_app(p: Platform) -> FastAPI:
    """The platform's HTTP face."""
    app = FastAPI(title="Harbormaster test LMS", openapi_url=None)
    for router in (_launch_routes(p), _token_routes(p), _service_routes(p),
                   _registration_routes(p)):
        app.include_router(router)

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> Response:
        if exc.error:
            return JSONResponse({"error": exc.error, "error_description": exc.message},
                                exc.status, exc.headers)
        return PlainTextResponse(exc.message, exc.status, exc.headers)

    @app.middleware("http")
    async def log_and_inject(request: Request, call_next: Any) -> Response:
        p.request_log.append((request.method, request.url.path))
        fault = p._take_fault(request.method, request.url.path)
        if fault is not None:
            return PlainTextResponse(fault.body, fault.status, fault.headers)
        response: Response = await call_next(request)
        return response

    return app


@contextmanager
def running_platform(tool: Tool | None = None) -> Iterator[Platform]:
    """A platform served on a free loopback port (its URLs set), for the block's length."""
    platform = Platform(tool)
    with serve_app(platform_app(platform)) as url:
        platform.bind(url)
        yield platform
