"""The platform's state and what tests do as the LMS or its admin: keys, courses and
gradebook columns, launches, tokens, injected faults and dynamic registration."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from lti1p3platform import jwt_helper
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.registration import Registration

from ._http import Fault, Refused
from ._launch import Launch, launch_message
from ._library import Config, LoginInitiation
from ._model import (
    DEEP_LINKING,
    PLATFORM_CONFIGURATION,
    PRODUCT,
    RESOURCE_LINK,
    Context,
    Tool,
    User,
)
from ._services import check_line_item


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
        self._launches: dict[str, Launch] = {}
        self._latest: dict[tuple[str, int, str], tuple[datetime, dict[str, Any]]] = {}
        self._line_item_ids = itertools.count(1)
        self._jtis: set[str] = set()
        self._tokens: set[str] = set()
        self._revoked: set[str] = set()
        self._registration_tokens: set[str] = set()
        self._faults: list[Fault] = []

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
        check_line_item(body)
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
        login = LoginInitiation(None, Config(self))
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
        launcher = launch_message(self, launch, {"nonce": nonce})
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
            raise Refused(400, "no tool is registered with this platform")
        return self.tool

    def _new_launch(self, user: User, message_type: str, context_id: str,
                    resource_link_id: str, custom: dict[str, str] | None,
                    deep_linking: dict[str, Any] | None) -> Launch:
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
        launch = Launch(secrets.token_urlsafe(12), user, message_type, context_id,
                        resource_link_id, target, {**link.get("custom", {}), **(custom or {})},
                        dict(deep_linking or {}), secrets.token_urlsafe(12))
        self._launches[launch.id] = launch
        return launch

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
            self._faults.append(Fault(path_substring, status, times, dict(headers or {}),
                                      method, body))

    def _take_fault(self, method: str, path: str) -> Fault | None:
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
