"""The one HTTP policy every connector uses: timeouts, limits, retries, pacing, credentials.

A connector builds one :class:`HttpClient` per run from its connection's settings and sends
every request through :meth:`HttpClient.request`. What that does, in order:

- waits for the connection's client-side rate limit, if one is set, and for its
  :class:`Pacer`, if it has one (pacing a source by what its responses say of its quota);
- signs the request (OAuth 1.0a) or adds a bearer token from a shared
  :class:`~gateway.net.auth.TokenSource` (OAuth 2 client credentials, the LTI service
  token), which fetches the token once under concurrency and refreshes it before it expires;
- sends it with connect and read timeouts over a bounded connection pool;
- retries connect errors, timeouts, ``429``, ``5xx`` and Canvas-style ``403 Rate Limit
  Exceeded`` with exponential backoff and jitter, or after the server's ``Retry-After``
  (seconds or an HTTP date) when it sends one, up to a cap; a longer ``Retry-After`` gives
  up at once, so the scheduler can come back later instead of holding a worker;
- on a ``401`` with a cached token, drops the token and tries once more with a fresh one
  (a token that expired or was revoked mid-run);
- maps whatever is left to the core's error tree in one place (:func:`raise_for_status`):
  :class:`~gateway.errors.RetriableError` for passing trouble,
  :class:`~gateway.errors.ConfigError` for credentials, scopes and addresses a person must
  fix, :class:`~gateway.errors.RunFatalError` for requests the server refuses.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from gateway.errors import ConfigError, RetriableError, RunFatalError
from gateway.net.auth import OAuth1Signer, TokenSource

__all__ = ["HttpClient", "HttpPolicy", "Pacer", "RateLimiter", "error_detail", "http_date",
           "raise_for_status", "retry_after"]

USER_AGENT = "Harbormaster/0.1 (+https://github.com/harbormaster)"


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """How politely and how persistently to talk to one source."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_connections: int = 8
    attempts: int = 5
    """Tries per request, the first included."""
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    retry_after_cap: float = 120.0
    """The longest ``Retry-After`` waited out in-process; a longer one ends the run as
    retriable (the daemon retries it later)."""
    rate_per_second: float | None = None
    """Client-side limit on request starts per second for this connection (None: none)."""


class RateLimiter:
    """Spaces request starts ``1/rate`` seconds apart, across concurrent tasks."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class Pacer(Protocol):
    """Response-driven pacing (a quota the source reports in headers): consulted before each
    send, told each response, retried ones included."""

    async def wait(self) -> None:
        """Return when the next request may start."""

    def observe(self, response: httpx.Response) -> None:
        """Learn from one response (its status and quota headers)."""


class _Transient(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, message: str, retry_after: float | None = None,
                 response: httpx.Response | None = None, *, unsent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.response = response
        self.unsent = unsent
        """Certainly not processed (no connection made, or the server throttled it): safe
        to try again even when the request is not idempotent."""


class _WaitTooLong(stop_base):
    """Stop retrying when the server asks for a longer wait than we hold a worker for."""

    def __init__(self, cap: float) -> None:
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome else None
        return (isinstance(exc, _Transient) and exc.retry_after is not None
                and exc.retry_after > self.cap)


def retry_after(response: httpx.Response, now: Callable[[], datetime] | None = None,
                ) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` as delta-seconds or an HTTP
    date (RFC 9110 §10.2.3); None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = http_date(value)
    if when is None:
        return None
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (``Date``, ``Retry-After``: RFC 9110 §5.6.7) as an aware datetime;
    None when absent or unreadable."""
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _rate_limited(response: httpx.Response) -> bool:
    if response.status_code == 429:
        return True
    # Canvas answers a throttled request with 403 and this text instead of 429.
    return response.status_code == 403 and "rate limit exceeded" in response.text.lower()


def _retriable(response: httpx.Response) -> bool:
    return _rate_limited(response) or response.status_code in (500, 502, 503, 504)


def error_detail(response: httpx.Response) -> str:
    """What the server said about a failed request, in one line: the OneRoster
    ``imsx_description`` and ``imsx_codeMinor`` (as an object, a list or a plain string, as
    real servers send it), an OAuth ``error_description``, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200]
    return _describe(body)[:300]


def _describe(body: Any) -> str:
    if isinstance(body, list) and body:
        return _describe(body[0])
    if not isinstance(body, Mapping):
        return str(body)[:200]
    for key in ("imsx_statusInfo", "imsx_StatusInfo", "statusInfoSet", "errors"):
        if key in body:
            return _describe(body[key])
    if "error" in body and isinstance(body["error"], str):
        extra = body.get("error_description")
        return f"{body['error']}: {extra}" if extra else str(body["error"])
    parts = [str(body[k]) for k in ("imsx_description", "message", "detail") if body.get(k)]
    minor = _code_minor(body.get("imsx_codeMinor") or body.get("imsx_CodeMinor"))
    if minor:
        parts.append(f"({minor})")
    return " ".join(parts) or json.dumps(body)[:200]


def _code_minor(value: Any) -> str | None:
    """``imsx_codeMinor`` as 1.2 nests it, as 1.1 servers flatten it, or as a plain string."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(filter(None, (_code_minor(v) for v in value))) or None
    if isinstance(value, Mapping):
        for key in ("imsx_codeMinorFieldValue", "imsx_codeMinorField", "value"):
            if key in value:
                return _code_minor(value[key])
    return None


def raise_for_status(response: httpx.Response, what: str) -> None:
    """Turn a final non-2xx answer into the error the daemon acts on; ``what`` names the
    source and request for the message (``"SIS https://sis.example.org GET /users"``)."""
    status = response.status_code
    if status < 400:
        return
    detail = error_detail(response)
    said = f" The server said: {detail}" if detail else ""
    if _retriable(response):
        raise RetriableError(f"{what} failed with HTTP {status} after every retry; the source "
                             f"is overloaded or down, and the run will be retried.{said}",
                             retry_after=retry_after(response))
    if status == 401:
        raise ConfigError(f"{what}: the source rejected our credentials (HTTP 401). Check the "
                          f"client id and secret (or consumer key and secret) of this "
                          f"connection, and that the key is still enabled at the source.{said}")
    if status == 403:
        raise ConfigError(f"{what}: not allowed (HTTP 403). The credentials work but lack the "
                          f"scope or permission for this data; ask the source's administrator "
                          f"to grant it.{said}")
    if status == 404:
        raise ConfigError(f"{what}: not found (HTTP 404). Check the connection's base URL "
                          f"(it should end before /users, /classes, ...) and that the source "
                          f"offers this service.{said}")
    raise RunFatalError(f"{what}: the source refused the request (HTTP {status}).{said}")


class HttpClient:
    """An ``httpx.AsyncClient`` under the policy: use one per run and close it."""

    def __init__(self, base_url: str, *, policy: HttpPolicy | None = None,
                 credentials: TokenSource | None = None,
                 signer: OAuth1Signer | None = None, name: str = "source",
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 pacer: Pacer | None = None) -> None:
        self.policy = policy or HttpPolicy()
        self.pacer = pacer
        self.name = name
        self.credentials = credentials
        self.signer = signer
        self.limiter = (RateLimiter(self.policy.rate_per_second)
                        if self.policy.rate_per_second else None)
        self._sleep = sleep or asyncio.sleep
        p = self.policy
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout),
            limits=httpx.Limits(max_connections=p.max_connections,
                                max_keepalive_connections=p.max_connections),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )
        if credentials is not None:
            credentials.bind(self._token_post)

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        return await self.request("GET", url, params=params)

    async def request(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
                      json_body: Any = None, headers: Mapping[str, str] | None = None,
                      allow: Collection[int] = (), idempotent: bool = True) -> httpx.Response:
        """Send with retries; returns the final 2xx response or raises (see module doc).

        ``headers`` add to or replace the client's (an ``Accept`` or ``Content-Type`` media
        type); a final status in ``allow`` is returned rather than raised, for callers to
        whom it is an answer (a 404 that means "gone, make it again"). A request that is
        not ``idempotent`` (a POST that creates) is tried again only when it certainly was
        not processed (a connect error, 429, a throttling 403); after a 5xx or a timeout it
        may have landed, so the RetriableError is the caller's to handle (look it up)."""
        what = f"{self.name} {method} {self.client.base_url.join(url.lstrip('/'))}"
        response = await self._retrying(what, lambda: self._attempt(method, url, params,
                                                                    json_body, headers),
                                        idempotent=idempotent)
        if response.status_code not in allow:
            raise_for_status(response, what)
        return response

    async def _retrying(self, what: str,
                        attempt_once: Callable[[], Awaitable[httpx.Response]],
                        *, idempotent: bool = True) -> httpx.Response:
        """``attempt_once`` under the retry policy; the last response, 2xx or not, once
        nothing is left to retry (a retriable status that persists raises)."""
        p = self.policy
        backoff = wait_exponential_jitter(multiplier=p.backoff_initial, max=p.backoff_max)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return exc.retry_after
            return float(backoff(state))

        retrying = AsyncRetrying(stop=stop_any(stop_after_attempt(p.attempts),
                                               _WaitTooLong(p.retry_after_cap)), wait=wait,
                                 retry=retry_if_exception(
                                     lambda e: isinstance(e, _Transient) and (
                                         idempotent or e.unsent)), reraise=True,
                                 sleep=self._sleep)
        last: httpx.Response | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    last = await attempt_once()
                    if _retriable(last):
                        raise _Transient(f"HTTP {last.status_code}", retry_after(last), last,
                                         unsent=_rate_limited(last))
        except _Transient as exc:
            if exc.response is not None:
                raise_for_status(exc.response, what)
            raise RetriableError(f"{what}: {exc}; gave up after {p.attempts} tries, the run "
                                 f"will be retried", retry_after=exc.retry_after) from None
        assert last is not None
        return last

    async def _attempt(self, method: str, url: str, params: Mapping[str, str] | None,
                       json_body: Any, headers: Mapping[str, str] | None) -> httpx.Response:
        response = await self._send(self._build(method, url, params, json_body, headers))
        if response.status_code == 401 and self.credentials is not None:
            # A token that expired or was revoked mid-run: drop it, fetch once more.
            self.credentials.invalidate(response.request.headers.get("authorization"))
            response = await self._send(self._build(method, url, params, json_body, headers))
        return response

    def _build(self, method: str, url: str, params: Mapping[str, str] | None,
               json_body: Any, headers: Mapping[str, str] | None = None) -> httpx.Request:
        return self.client.build_request(method, url.lstrip("/"), params=params,
                                         json=json_body, headers=headers)

    async def _send(self, request: httpx.Request, *, authorize: bool = True) -> httpx.Response:
        if self.limiter is not None:
            await self.limiter.wait()
        if self.pacer is not None:
            await self.pacer.wait()
        if authorize and self.credentials is not None:
            request.headers["Authorization"] = f"Bearer {await self.credentials.token()}"
        if authorize and self.signer is not None:
            request.headers["Authorization"] = self.signer.header(request.method,
                                                                  str(request.url))
        try:
            response = await self.client.send(request)
            await response.aread()
        except httpx.TimeoutException as exc:
            raise _Transient(f"timed out ({type(exc).__name__})",
                             unsent=isinstance(exc, httpx.ConnectTimeout)) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Transient(f"could not reach the source ({exc or type(exc).__name__})",
                             unsent=isinstance(exc, httpx.ConnectError)) from exc
        if self.pacer is not None:
            self.pacer.observe(response)
        return response

    async def _token_post(self, url: str, data: Mapping[str, str],
                          auth: tuple[str, str] | None) -> httpx.Response:
        """POST to a token endpoint under the same retries (used by the TokenSource), with
        HTTP Basic credentials unless the form authenticates the client itself."""
        what = f"{self.name} token endpoint {url}"

        def build() -> httpx.Request:
            request = self.client.build_request("POST", url, data=dict(data))
            if auth is not None:
                basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                request.headers["Authorization"] = f"Basic {basic}"
            return request

        response = await self._retrying(what, lambda: self._send(build(), authorize=False))
        if response.status_code in (400, 401):
            # A signed-assertion source adds its own advice (which key, which JWKS URL).
            advice = (" Check the client id, secret and scopes of this connection."
                      if auth is not None else "")
            raise ConfigError(f"{what} refused the client credentials (HTTP "
                              f"{response.status_code}: {error_detail(response)}).{advice}")
        raise_for_status(response, what)
        return response
