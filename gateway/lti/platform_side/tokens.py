"""The platform's token endpoint and the bearer tokens it issues (IMS Security Framework
§4.1): a vendor tool posts ``client_credentials`` with an RS256 JWT client assertion, which
is checked against the tool's own JWKS (fetched, cached, refetched on an unknown ``kid``);
iss and sub must be its client id, aud our token URL, exp in the future and the jti new.
The answer is an RS256 JWT signed with our active key (``kid`` in the header, so it is
checked against the same JWKS we publish), carrying the tool and the AGS scopes granted.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from gateway.errors import ConfigError
from gateway.lti.config import LaunchRefused as KeySetRefused
from gateway.lti.config import PlatformKeys
from gateway.lti.keys import ToolKeys
from gateway.lti.platform_side.launch import AGS_SCOPES
from gateway.lti.platform_side.tools import VendorTool, VendorTools
from gateway.lti.storage import UsedNonces

__all__ = ["ACCESS_TOKEN_LIFETIME", "JWT_BEARER", "Grant", "TokenRefused", "Tokens"]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_LIFETIME = 3600
MAX_ASSERTION_LIFETIME = 3600
"""An assertion valid for longer than this is refused: it would outlive any sane use."""
LEEWAY = 30
_USED = "urn:harbormaster:lti-platform-assertion:"


class TokenRefused(ConfigError):
    """An OAuth 2 error answer: ``error`` (RFC 6749 §5.2 or RFC 6750 §3.1) and status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclasses.dataclass(frozen=True, slots=True)
class Grant:
    """What a valid bearer token lets its tool do."""

    tool: VendorTool
    scopes: frozenset[str]

    def require(self, *scopes: str) -> None:
        """TokenRefused (403 insufficient_scope) unless the token holds one of ``scopes``."""
        if not self.scopes & set(scopes):
            raise TokenRefused("insufficient_scope",
                               f"this call needs a token with the scope "
                               f"{' or '.join(scopes)}; the token has "
                               f"{' '.join(sorted(self.scopes)) or 'none'}: ask the token "
                               f"endpoint for it", 403)


def _invalid_client(why: str) -> TokenRefused:
    return TokenRefused("invalid_client", f"client_assertion: {why}", 401)


class Tokens:
    """Grants tokens at the token endpoint and checks them on the AGS routes."""

    def __init__(self, tools: VendorTools, keys: ToolKeys, nonces: UsedNonces,
                 tool_keys: PlatformKeys, *, clock: Callable[[], float] = time.time) -> None:
        self.tools, self.keys, self.nonces, self.tool_keys = tools, keys, nonces, tool_keys
        self._clock = clock

    # -- the token endpoint ---------------------------------------------------------------

    def grant(self, form: Mapping[str, str], token_url: str, issuer: str) -> dict[str, Any]:
        """The token response for a token request's form, or TokenRefused."""
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type",
                               "grant_type must be client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER:
            raise TokenRefused("invalid_request", f"client_assertion_type must be {JWT_BEARER}")
        assertion = form.get("client_assertion")
        if not assertion:
            raise TokenRefused("invalid_request", "client_assertion is missing")
        tool, claims = self._assertion(assertion, token_url)
        asked = form.get("scope", "").split()
        granted = [s for s in AGS_SCOPES if s in asked]
        if not granted:
            raise TokenRefused("invalid_scope",
                               f"none of the scopes asked for ({' '.join(asked) or 'none'}) "
                               f"can be granted; a tool may have {' '.join(AGS_SCOPES)}")
        if not self.nonces.use(_USED + tool.client_id, str(claims["jti"]),
                               float(claims["exp"]) + LEEWAY):
            raise _invalid_client("this jti was used before: make a new assertion (a new "
                                  "jti) for each token request")
        now = int(self._clock())
        key = self.keys.signing_key()
        token = jwt.encode({"iss": issuer, "aud": issuer + "/lti/platform",
                            "sub": tool.client_id, "tool": tool.id, "tid": tool.tenant_id,
                            "scope": " ".join(granted), "iat": now,
                            "exp": now + ACCESS_TOKEN_LIFETIME,
                            "jti": secrets.token_urlsafe(12)},
                           key.private_pem, algorithm="RS256", headers={"kid": key.kid})
        return {"access_token": token, "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME, "scope": " ".join(granted)}

    def _assertion(self, assertion: str, token_url: str) -> tuple[VendorTool, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise _invalid_client("not a JWT") from None
        client_id = unverified.get("iss")
        tool = self.tools.by_client_id(client_id) if isinstance(client_id, str) else None
        if tool is None:
            raise _invalid_client(f"iss {client_id!r} is not the client id of a tool "
                                  f"registered here")
        if header.get("alg") != "RS256":
            raise _invalid_client(f"alg must be RS256, not {header.get('alg')!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _invalid_client("the header has no kid: sign with a key your JWKS "
                                  "publishes and name it")
        try:
            jwk = self.tool_keys.key(tool.jwks_url, kid)
        except KeySetRefused as exc:
            raise _invalid_client(f"{exc.reason.replace('platform', 'tool')} (the tool "
                                  f"{tool.name!r}, JWKS {tool.jwks_url})") from None
        try:
            public = RSAAlgorithm.from_jwk(jwk)
            claims: dict[str, Any] = jwt.decode(
                assertion, public, algorithms=["RS256"], audience=token_url,  # type: ignore[arg-type]
                issuer=tool.client_id, leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except jwt.ExpiredSignatureError:
            raise _invalid_client("it has expired (exp is in the past)") from None
        except jwt.InvalidAudienceError:
            raise _invalid_client(f"aud must be the token endpoint {token_url}") from None
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise _invalid_client(f"{exc}") from None
        if claims["sub"] != tool.client_id:
            raise _invalid_client("sub must be the client id, like iss")
        if float(claims["exp"]) - self._clock() > MAX_ASSERTION_LIFETIME:
            raise _invalid_client(f"exp is more than {MAX_ASSERTION_LIFETIME} s away")
        return tool, claims

    # -- checking bearer tokens -----------------------------------------------------------

    def _public_key(self, kid: str) -> Any:
        # The keys we publish (active, next, retired in grace): a token signed just before a
        # rotation stays good for its hour.
        for key in self.keys.published():
            if key.kid == kid:
                return RSAAlgorithm.from_jwk(key.public_jwk())
        return None

    def check(self, authorization: str | None, issuer: str) -> Grant:
        """The grant of an ``Authorization: Bearer`` header, or TokenRefused (401)."""
        kind, _, token = (authorization or "").partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise TokenRefused("invalid_request", "a bearer token is required: POST "
                               "client_credentials to /lti/platform/token for one", 401)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            public = self._public_key(kid) if isinstance(kid, str) else None
            if public is None:
                raise jwt.InvalidTokenError("not signed by a key of this Harbormaster")
            claims = jwt.decode(token, public, algorithms=["RS256"], issuer=issuer,
                                audience=issuer + "/lti/platform",
                                options={"require": ["exp", "sub", "scope", "tool"]})
        except jwt.ExpiredSignatureError:
            raise TokenRefused("invalid_token", "the access token has expired; get a new "
                               "one", 401) from None
        except jwt.InvalidTokenError as exc:
            raise TokenRefused("invalid_token", f"the access token is not valid here: {exc}",
                               401) from None
        tool = self.tools.get(int(claims["tool"]))
        if tool is None or tool.client_id != claims["sub"]:
            raise TokenRefused("invalid_token", "the tool of this access token is no longer "
                               "registered", 401)
        return Grant(tool, frozenset(str(claims["scope"]).split()))
