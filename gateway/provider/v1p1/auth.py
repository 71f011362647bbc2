"""Who calls a OneRoster 1.1 path: an OAuth 2 bearer token, or an OAuth 1.0a signature.

- ``Authorization: Bearer <token>``: a token from the shared token endpoint
  (:data:`gateway.provider.auth.TOKEN_PATH`), checked as for 1.2. The 1.1 paths require
  the 1.1 scope URIs, so the token must have been issued with them.
- A request signed with OAuth 1.0a (HMAC-SHA1 or HMAC-SHA256, "one-legged": the client id
  is the consumer key, the client secret the consumer secret, no token), in the
  ``Authorization: OAuth ...`` header, the query string or a form body: verified by
  :func:`gateway.provider.oauth1.verify` against the client's secret, with the timestamp
  within ``max_skew`` seconds of the server clock and a nonce the database
  (:class:`gateway.store.nonces.Nonces`) has not seen. A signed request has no token to
  carry scopes: it may do what the client record allows, its granted 1.1 scopes (a client
  granted only 1.2 scopes is refused with ``403 forbidden``).

Every failure is ``401 unauthorisedrequest`` saying what to fix (a missing parameter, an
unsupported method, a stale timestamp, a replayed nonce, a signature that does not match),
never a secret or the expected signature; a nonce store that cannot write now (SQLite's
lock held by a sync) is ``429 server_busy`` with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from gateway.provider.auth import Caller, ProviderTokens
from gateway.provider.errors import ProviderError
from gateway.provider.oauth1 import NonceStore, OAuth1Error, verify
from gateway.store.clients import SCOPES_V1P1, ProviderClients
from gateway.store.nonces import NonceStoreBusy

__all__ = ["CHALLENGE", "MAX_SKEW", "V1p1Auth"]

MAX_SKEW = 300
"""How far (seconds) an ``oauth_timestamp`` may be from the server clock, either way."""
CHALLENGE = 'Bearer realm="oneroster", OAuth realm="oneroster"'
RETRY_AFTER = "5"
_FORM = "application/x-www-form-urlencoded"


class V1p1Auth:
    """The :class:`gateway.provider.auth.Authenticator` of the 1.1 paths."""

    def __init__(self, tokens: ProviderTokens, clients: ProviderClients, nonces: NonceStore,
                 *, max_skew: int = MAX_SKEW, public_base_url: str | None = None) -> None:
        self.tokens = tokens
        self.clients = clients
        self.nonces = nonces
        self.max_skew = max_skew
        self.public_base_url = public_base_url

    async def authenticate(self, request: Request) -> Caller:
        authorization = request.headers.get("authorization")
        scheme = (authorization or "").strip().partition(" ")[0].lower()
        if scheme == "bearer":
            return self.tokens.caller(authorization)
        form = _is_form(request.headers.get("content-type"))
        body = await request.body() if form else None
        if scheme == "oauth" or "oauth_signature" in request.query_params or (
                body is not None and b"oauth_signature" in body):
            return await run_in_threadpool(self._signed, request.method, str(request.url),
                                           request.headers, body)
        raise ProviderError(
            401, "unauthorisedrequest", "send `Authorization: Bearer <access token>` (OAuth 2 "
            "client credentials with the OneRoster 1.1 scopes) or sign the request with OAuth "
            "1.0a (HMAC-SHA1 or HMAC-SHA256, your client id as the consumer key)",
            headers={"WWW-Authenticate": CHALLENGE})

    def _signed(self, method: str, url: str, headers: Mapping[str, str],
                body: bytes | None) -> Caller:
        try:
            key = verify(method, url, headers, body, self.clients.plain_secret, self.nonces,
                         max_skew=self.max_skew, public_base_url=self.public_base_url)
        except OAuth1Error as exc:
            raise ProviderError(401, exc.code_minor, f"OAuth 1.0a: {exc}",
                                headers={"WWW-Authenticate": 'OAuth realm="oneroster"'}
                                ) from None
        except NonceStoreBusy as exc:
            raise ProviderError(429, "server_busy", str(exc),
                                headers={"Retry-After": RETRY_AFTER}) from None
        client = self.clients.get(key)
        if client is None or client.revoked:  # revoked since its secret was looked up
            raise ProviderError(401, "unauthorisedrequest", "this client's access was revoked; "
                                "ask the district", headers={"WWW-Authenticate": CHALLENGE})
        client = self.clients.touch(client)
        return Caller(client, client.scopes & frozenset(SCOPES_V1P1))


def _is_form(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == _FORM
