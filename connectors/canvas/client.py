"""Canvas REST calls of a grade push, and what Canvas's answers mean to the push engine.

Canvas answers several different problems alike, so the calls here ask again where the
engine needs to tell them apart: a ``404`` to a grade is a deleted assignment or a learner who
is not a student of the course (the assignment is looked up to say which); an "unauthorized"
grade is a closed grading period or a token without grading rights (the assignment's
``in_closed_grading_period`` says which).

Writes that Canvas would repeat if sent twice (making an assignment, adding a comment) are
sent with ``idempotent=False``: the policy retries them only when Canvas surely did not
process them (a throttle, no connection), and after a failure that may have been applied the
result is looked for first (the assignment by ``integration_id``, the comment among the
submission's comments).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from gateway.errors import ConfigError, RetriableError, RunFatalError
from gateway.net.policy import HttpClient, error_detail

from .config import CanvasConfig
from .pacing import QuotaPacer

__all__ = ["CanvasClient", "Refused", "json_object", "segment"]

_ANSWERS = (400, 401, 403, 404)
_TOKEN_MESSAGES = ("invalid access token", "expired access token", "revoked access token",
                   "user authorization required")


@dataclasses.dataclass(frozen=True, slots=True)
class Refused:
    """A 4xx answer the caller interprets (``kind``: ``missing``, ``unauthorized``,
    ``invalid``) with Canvas's own words."""

    kind: str
    status: int
    detail: str


def segment(value: str) -> str:
    """One URL path segment, escaped as Canvas wants SIS ids (``/`` and ``.`` too)."""
    return quote(value, safe=":").replace(".", "%2E")


class CanvasClient:
    """One HTTP client under the policy, paced by Canvas's quota headers."""

    def __init__(self, config: CanvasConfig, *, transport: httpx.AsyncBaseTransport | None
                 = None, sleep: Callable[[float], Awaitable[None]] | None = None,
                 attempts: int | None = None) -> None:
        self.config = config
        self.base = config.base_url
        self.pacer = QuotaPacer() if config.pacing else None
        self._sleep = sleep or asyncio.sleep
        policy = config.policy()
        if attempts is not None:
            policy = dataclasses.replace(policy, attempts=attempts)
        self.http = HttpClient(self.base, policy=policy, name=f"Canvas {self.base}",
                               transport=transport, sleep=sleep, pacer=self.pacer)
        self.http.client.headers["Authorization"] = (
            f"Bearer {config.access_token.get_secret_value()}")

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, *, idempotent: bool = True,
                   params: Mapping[str, str] | None = None, json_body: Any = None,
                   ) -> httpx.Response | Refused:
        """The 2xx response, or a :class:`Refused` for 400/401/403/404 (a token problem is
        raised as ConfigError here, as is anything else the policy maps). A write that is
        not ``idempotent`` is retried only when Canvas surely did not process it; otherwise
        the RetriableError is the caller's, to look before writing again."""
        response = await self.http.request(method, path, params=params, json_body=json_body,
                                           allow=_ANSWERS, idempotent=idempotent)
        if response.status_code < 400:
            return response
        detail = error_detail(response)
        lowered = detail.lower()
        if response.status_code in (401, 403) and any(m in lowered for m in _TOKEN_MESSAGES):
            raise ConfigError(f"Canvas at {self.base} rejected the access token ({detail}). "
                              f"Make a new token (Account > Settings > New Access Token, or "
                              f"your developer key's OAuth flow) and set it as this "
                              f"connection's access_token.")
        if "insufficient scopes" in lowered:
            raise ConfigError(f"Canvas at {self.base}: the access token's developer key is "
                              f"scoped and lacks {method} {path} ({detail}). Add the "
                              f"assignments and submissions scopes to the key, or use an "
                              f"unscoped token.")
        kind = {400: "invalid", 404: "missing"}.get(response.status_code, "unauthorized")
        return Refused(kind, response.status_code, detail)

    def next_page(self, response: httpx.Response) -> str | None:
        """The ``rel="next"`` link as a path on our base URL (never another host: the
        token is only ever sent to the configured Canvas)."""
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        parts = urlsplit(link)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    async def backoff(self, attempt: int, exc: RetriableError) -> None:
        policy = self.http.policy
        wait = exc.retry_after if exc.retry_after is not None else min(
            policy.backoff_max, policy.backoff_initial * 2 ** attempt)
        if wait > policy.retry_after_cap:
            raise exc
        await self._sleep(wait)

    async def who_am_i(self) -> dict[str, Any]:
        answer = await self.call("GET", "api/v1/users/self")
        if isinstance(answer, Refused):
            raise ConfigError(f"Canvas at {self.base} refused /api/v1/users/self (HTTP "
                              f"{answer.status}: {answer.detail}); check the access token.")
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "id" not in body:
            raise ConfigError(f"{self.base} answered /api/v1/users/self with something other "
                              f"than a Canvas user; check base_url (the address you open "
                              f"Canvas at, e.g. https://district.instructure.com)")
        return body


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RunFatalError(f"{what}: Canvas answered with something other than a JSON "
                            f"object; check base_url")
    return body
