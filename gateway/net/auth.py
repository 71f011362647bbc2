"""Credentials for outgoing requests: OAuth 2 client credentials and OAuth 1.0a signing.

:class:`ClientCredentials` keeps one access token per connection and run: it is fetched on
first use, once however many requests wait for it, and fetched again shortly before it
expires or when the server rejects it. That caching lives in :class:`CachedToken`, which
other ways of asking for a token (the LTI service token's signed JWT) build on; the
:class:`TokenSource` protocol is what :class:`~gateway.net.policy.HttpClient` needs of any
of them. :class:`OAuth1Signer` signs each request one-legged (consumer key and secret, no
token) as OneRoster 1.1 describes, with ``oauthlib`` doing the RFC 5849 work, query
parameters included in the signature base string.
"""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, Protocol

import httpx
from oauthlib import oauth1

from gateway.errors import ConfigError

__all__ = ["CachedToken", "ClientCredentials", "OAuth1Signer", "TokenPost", "TokenSource"]

TokenPost = Callable[[str, Mapping[str, str], tuple[str, str] | None],
                     Awaitable[httpx.Response]]
"""The policy-wrapped POST to a token endpoint: URL, form, and HTTP Basic credentials (None
when the form itself authenticates the client)."""


class TokenSource(Protocol):
    """A bearer token an :class:`~gateway.net.policy.HttpClient` adds to every request."""

    def bind(self, post: TokenPost) -> None:
        """Take the policy-wrapped POST the token is fetched with."""

    def invalidate(self, authorization: str | None) -> None:
        """Forget the token a rejected request carried (its ``Authorization`` header)."""

    async def token(self) -> str:
        """A token valid now, fetched if needed; raises ConfigError if it is refused."""
        ...


class CachedToken(abc.ABC):
    """A token from a token endpoint (RFC 6749 §4.4), cached and shared; subclasses say
    how to ask for it (:meth:`_request`).

    ``refresh_margin`` seconds before the token's ``expires_in`` runs out it counts as
    expired, so a long page fetch never starts with a token about to die (a token that lives
    less than twice the margin is renewed after half its life).
    """

    def __init__(self, token_url: str, *, refresh_margin: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.token_url = token_url
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self._post: TokenPost | None = None
        self.fetches = 0
        """How many tokens were fetched (for tests and the run log)."""

    def __repr__(self) -> str:  # never show a secret or the token
        return f"{type(self).__name__}({self.token_url!r})"

    def bind(self, post: TokenPost) -> None:
        """Give the cache the policy-wrapped POST it fetches tokens with."""
        self._post = post

    def invalidate(self, authorization: str | None) -> None:
        """Forget the token a rejected request carried (not a newer one another task got)."""
        if authorization and self._token and authorization == f"Bearer {self._token}":
            self._token = None

    async def token(self) -> str:
        if self._valid():
            assert self._token is not None
            return self._token
        async with self._lock:  # one fetch, however many requests are waiting
            if not self._valid():
                await self._fetch()
            assert self._token is not None
            return self._token

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires

    @abc.abstractmethod
    def _request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        """The token request's form and its HTTP Basic credentials, if any."""

    async def _fetch(self) -> None:
        if self._post is None:
            raise RuntimeError(f"{type(self).__name__} is not bound to an HttpClient")
        data, auth = self._request()
        response = await self._post(self.token_url, data, auth)
        try:
            body: Any = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"the token endpoint {self.token_url} answered without an "
                              f"access_token; check that the token URL is the OAuth 2 token "
                              f"endpoint of the source") from None
        if not isinstance(token, str) or not token:
            raise ConfigError(f"the token endpoint {self.token_url} sent an empty access_token")
        self.fetches += 1
        self._token = token
        self._expires = self._clock() + max(lifetime - self.refresh_margin, lifetime / 2)


class ClientCredentials(CachedToken):
    """An OAuth 2 client-credentials token, the client id and secret sent as HTTP Basic."""

    def __init__(self, token_url: str, client_id: str, client_secret: str,
                 scope: str | None = None, *, refresh_margin: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(token_url, refresh_margin=refresh_margin, clock=clock)
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope

    def __repr__(self) -> str:  # never show the secret or the token
        return f"ClientCredentials({self.token_url!r}, client_id={self.client_id!r})"

    def _request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        return data, (self.client_id, self._secret)


class OAuth1Signer:
    """One-legged OAuth 1.0a (RFC 5849) with HMAC-SHA1 or HMAC-SHA256, as OneRoster 1.1
    consumers sign: a fresh nonce and timestamp per request, in the Authorization header."""

    METHODS = {"HMAC-SHA1": oauth1.SIGNATURE_HMAC_SHA1,
               "HMAC-SHA256": oauth1.SIGNATURE_HMAC_SHA256}

    def __init__(self, consumer_key: str, consumer_secret: str,
                 method: Literal["HMAC-SHA1", "HMAC-SHA256"] = "HMAC-SHA256") -> None:
        if method not in self.METHODS:
            raise ConfigError(f"OAuth 1.0a signature method {method!r} is not supported; use "
                              f"HMAC-SHA1 or HMAC-SHA256")
        self.consumer_key = consumer_key
        self._client = oauth1.Client(consumer_key, client_secret=consumer_secret,
                                     signature_method=self.METHODS[method],
                                     signature_type=oauth1.SIGNATURE_TYPE_AUTH_HEADER)

    def __repr__(self) -> str:
        return f"OAuth1Signer(consumer_key={self.consumer_key!r})"

    def header(self, method: str, url: str) -> str:
        """The ``Authorization`` header for a body-less request to ``url`` (with its query)."""
        _, headers, _ = self._client.sign(url, http_method=method)
        return str(headers["Authorization"])
