"""Vendor clients authenticate with OAuth 2 client credentials, as OneRoster 1.2 requires.

``POST /ims/oneroster/oauth2/token`` takes the client id and secret (HTTP Basic, or
``client_id``/``client_secret`` form fields) and an optional ``scope`` (space-separated
OneRoster scope URIs; default: every scope the client was granted) and returns a bearer
token for an hour. The token is a JWT signed with a key derived from the gateway's secret
key; each request also checks that the client is still active, so revoking a client takes
effect at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import jwt
from starlette.requests import Request

from gateway.provider.errors import ProviderError
from gateway.secrets import SecretBox
from gateway.store.clients import ProviderClientRecord, ProviderClients, expand_scopes

__all__ = ["TOKEN_PATH", "Authenticator", "Caller", "ProviderTokens"]

TOKEN_PATH = "/ims/oneroster/oauth2/token"  # noqa: S105 (a path, not a password)
ISSUER = "harbormaster"
AUDIENCE = "harbormaster-oneroster"
PURPOSE = b"harbormaster oneroster provider tokens"
LIFETIME = 3600


@dataclass(frozen=True, slots=True)
class Caller:
    """The client behind a request, and the scopes its token carries."""

    client: ProviderClientRecord
    scopes: frozenset[str]


class Authenticator(Protocol):
    """Who is calling: how a provider route turns a request into a :class:`Caller`."""

    async def authenticate(self, request: Request) -> Caller:
        """The caller behind ``request``; a 401 :class:`ProviderError` when there is none
        (no credentials, bad or expired ones, a revoked client)."""
        ...


class ProviderTokens:
    def __init__(self, box: SecretBox, clients: ProviderClients) -> None:
        self._key = box.derive_key(PURPOSE)
        self.clients = clients

    def issue(self, client: ProviderClientRecord, requested: str | None) -> tuple[str, str]:
        """A token for ``client`` with the requested scopes (all granted ones by default);
        ``(token, scope)``. Asking for a scope the client lacks is ``invalid_scope``."""
        if requested:
            try:
                wanted = expand_scopes(requested.split())
            except Exception:
                raise ProviderError(400, "invaliddata", "invalid_scope") from None
            if not wanted <= client.scopes:
                raise ProviderError(400, "invaliddata", "invalid_scope")
        else:
            wanted = client.scopes
        scope = " ".join(sorted(wanted))
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": client.client_id, "scope": scope,
                  "iat": now, "exp": now + LIFETIME}
        return jwt.encode(claims, self._key, algorithm="HS256"), scope

    async def authenticate(self, request: Request) -> Caller:
        """:meth:`caller` of the request's ``Authorization`` header (an :class:`Authenticator`)."""
        return self.caller(request.headers.get("authorization"))

    def caller(self, authorization: str | None) -> Caller:
        """The active client behind ``Authorization: Bearer <token>``, or 401."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorised("send `Authorization: Bearer <access token>`; get a token "
                                f"from POST {TOKEN_PATH} with your client id and secret")
        try:
            claims = jwt.decode(token.strip(), self._key, algorithms=["HS256"], issuer=ISSUER,
                                audience=AUDIENCE,
                                options={"require": ["iss", "aud", "sub", "exp", "scope"]})
        except jwt.InvalidTokenError:
            raise _unauthorised("the access token is not valid (expired, malformed or not "
                                f"ours); get a new one from POST {TOKEN_PATH}") from None
        client = self.clients.get(str(claims["sub"]))
        if client is None or client.revoked:
            raise _unauthorised("this client's access was revoked; ask the district")
        return Caller(client, frozenset(str(claims["scope"]).split()) & client.scopes)


def _unauthorised(message: str) -> ProviderError:
    return ProviderError(401, "unauthorisedrequest", message,
                         headers={"WWW-Authenticate": 'Bearer realm="oneroster"'})
