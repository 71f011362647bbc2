"""Calling an LMS back as an LTI tool: the service access token and the HTTP client for it.

LTI Advantage services (AGS, NRPS) take an OAuth 2 bearer token that the tool gets by the
IMS Security Framework's client-credentials grant with a signed JWT (§4.1): the tool posts
an RS256 assertion signed with its active key, and the platform checks it against the JWKS
it has for the tool. :class:`ServiceToken` is that grant on the policy's token cache, and
:class:`ServiceClient` hands out one :class:`~gateway.net.policy.HttpClient` per
registration and scope set, so every service call gets the policy's retries, pacing and
error mapping, and a token fetched once however many calls wait for it.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx
import jwt

from gateway.errors import ConfigError, RunFatalError
from gateway.lti.keys import ToolKeys
from gateway.lti.registrations import Registration
from gateway.net.auth import CachedToken
from gateway.net.policy import HttpClient, HttpPolicy

__all__ = ["ASSERTION_LIFETIME", "ServiceClient", "ServiceToken", "pages"]

ASSERTION_LIFETIME = 300
"""Seconds our token-request JWT is valid: long enough for clock skew, short enough that a
copied assertion is soon useless."""

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-.]*")
"""A JWT or the start of one (a truncated echo of our assertion in an error body)."""


class ServiceToken(CachedToken):
    """The access token of one registration for one scope set, asked for with a JWT signed
    by the tool's active key (header ``kid``, so the platform picks the key from our JWKS)."""

    def __init__(self, registration: Registration, keys: ToolKeys, scopes: Iterable[str], *,
                 refresh_margin: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        super().__init__(registration.auth_token_url, refresh_margin=refresh_margin,
                         clock=clock)
        self.registration = registration
        self.keys = keys
        self.scopes = tuple(sorted(set(scopes)))
        self._wall_clock = wall_clock

    def __repr__(self) -> str:  # never show the assertion or the token
        return (f"ServiceToken(registration={self.registration.name!r}, "
                f"token_url={self.token_url!r}, scopes={' '.join(self.scopes)!r})")

    def assertion(self) -> str:
        """A fresh client assertion (a new ``jti`` each time, as platforms refuse replays)."""
        registration = self.registration
        key = self.keys.signing_key()
        now = int(self._wall_clock())
        claims = {"iss": registration.client_id, "sub": registration.client_id,
                  "aud": registration.auth_audience or registration.auth_token_url,
                  "iat": now, "exp": now + ASSERTION_LIFETIME,
                  "jti": secrets.token_urlsafe(16)}
        return jwt.encode(claims, key.private_pem, algorithm="RS256",
                          headers={"kid": key.kid})

    def _request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        return {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
                "client_assertion": self.assertion(), "scope": " ".join(self.scopes)}, None

    async def _fetch(self) -> None:
        try:
            await super()._fetch()
        except ConfigError as exc:
            registration = self.registration
            audience = registration.auth_audience or "the token URL"
            # A platform that echoes the request (even cut short) must not leak it.
            said = _JWT.sub("[JWT]", str(exc))
            policy_said = f"{_client_name(registration)} token endpoint {self.token_url} "
            if said.startswith(policy_said):  # the policy's words, without saying it twice
                said = f"the token endpoint {self.token_url} {said[len(policy_said):]}"
            raise ConfigError(
                f"LTI registration {registration.name!r}: {said.rstrip('.')} (asked for a "
                f"service token for {' '.join(self.scopes)}). Check that the registration's "
                f"client id "
                f"{registration.client_id!r} is the one the LMS shows for the tool, that "
                f"the LMS has the tool's JWKS URL (/.well-known/jwks.json) or current "
                f"public key, that the audience ({audience}) is what the LMS expects, and "
                f"that the tool is allowed these scopes.") from None


def _client_name(registration: Registration) -> str:
    return f"LTI registration {registration.name!r}"


class ServiceClient:
    """HTTP clients for calling platforms back, one per registration and scope set, each
    with its cached :class:`ServiceToken`. Use one per run (or per API process event loop)
    and close it: its tokens and connections belong to one event loop."""

    def __init__(self, keys: ToolKeys, *, policy: HttpPolicy | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.keys = keys
        self.policy = policy
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._clients: dict[tuple[Any, ...], tuple[ServiceToken, HttpClient]] = {}

    async def __aenter__(self) -> ServiceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for _, http in clients.values():
            await http.aclose()

    def _entry(self, registration: Registration,
               scopes: Iterable[str]) -> tuple[ServiceToken, HttpClient]:
        # Keyed by what the token request depends on, so an edited registration (a new token
        # URL or client id) gets a new token rather than the old endpoint's.
        wanted = frozenset(scopes)
        if not wanted:
            raise ValueError("a service call needs at least one scope")
        key = (registration.id, registration.client_id, registration.auth_token_url,
               registration.auth_audience, wanted)
        entry = self._clients.get(key)
        if entry is None:
            token = ServiceToken(registration, self.keys, wanted, clock=self._clock)
            http = HttpClient(registration.auth_token_url, policy=self.policy,
                              credentials=token, name=_client_name(registration),
                              transport=self._transport, sleep=self._sleep)
            entry = self._clients[key] = (token, http)
        return entry

    def http(self, registration: Registration, scopes: Iterable[str]) -> HttpClient:
        """The client whose requests carry a token for ``scopes`` of ``registration``."""
        return self._entry(registration, scopes)[1]

    def token(self, registration: Registration, scopes: Iterable[str]) -> ServiceToken:
        """The token cache behind :meth:`http` (how many fetches it made, for run logs)."""
        return self._entry(registration, scopes)[0]


async def pages(http: HttpClient, url: str, *, accept: str,
                params: Mapping[str, str] | None = None,
                allow: tuple[int, ...] = ()) -> AsyncIterator[httpx.Response]:
    """Every page of an LTI container: ``url`` with ``params``, then each ``Link: <…>;
    rel="next"`` (the next URL carries its own query). A status in ``allow`` is yielded as
    it is and ends the paging."""
    seen: set[str] = set()
    # Merged here: httpx's params= would replace a query the URL has (Moodle's type_id).
    next_url: str | None = str(httpx.URL(url).copy_merge_params(params or {}))
    while next_url is not None:
        if next_url in seen:
            raise RunFatalError(f"{http.name}: {url} sent a next page link back to a page "
                                f"already read ({next_url}); the platform's paging is broken")
        seen.add(next_url)
        response = await http.request("GET", next_url, headers={"Accept": accept},
                                      allow=allow)
        yield response
        if response.status_code in allow:
            return
        next_url = response.links.get("next", {}).get("url")
