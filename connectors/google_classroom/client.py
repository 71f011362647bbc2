"""The Classroom REST calls a push makes, and what Google's refusals mean for a district.

Every call goes through the HTTP policy (:class:`~gateway.net.policy.HttpClient`), which
retries ``429 RESOURCE_EXHAUSTED`` and 5xx. Creating courseWork is sent as not idempotent:
the policy retries it only when Google surely did not process it (a 429, no connection),
because a POST that failed after Google applied it would make a second courseWork on a
blind retry; after a 5xx or a timeout the connector looks before it tries again.

Google's error body is ``{"error": {"code", "message", "status"}}``, and the Classroom
access errors put a reason first in the message (``@ProjectPermissionDenied ...``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from gateway.errors import ConfigError, HarborError, RetriableError, RunFatalError
from gateway.net.policy import HttpClient

from .auth import DelegatedToken
from .config import SCOPE, ClassroomConfig

__all__ = ["ClassroomClient", "GoogleError"]

PAGE_SIZE = 100
_REASON = re.compile(r"^@(\w+)\s*")


@dataclasses.dataclass(frozen=True, slots=True)
class GoogleError:
    """A Google API error answer, read leniently (a proxy's HTML page still gives a line)."""

    http_status: int
    status: str
    message: str
    reason: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> GoogleError:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, Mapping) else None
        if isinstance(error, Mapping):
            message = str(error.get("message") or "")
            status = str(error.get("status") or "")
        else:
            message = " ".join(response.text.split())[:200]
            status = ""
        match = _REASON.match(message)
        return cls(response.status_code, status, message,
                   match.group(1) if match else None)

    def __str__(self) -> str:
        status = f" {self.status}" if self.status else ""
        return f"HTTP {self.http_status}{status}: {self.message or 'no message'}"


class ClassroomClient:
    """The calls, on one HTTP client and its cached token."""

    def __init__(self, cfg: ClassroomConfig, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        key = cfg.key()
        self.cfg = cfg
        self.project = key.project_id or "its Cloud project"
        self.token = DelegatedToken(key, cfg.subject, (SCOPE,), cfg.resolved_token_url())
        self.http = HttpClient(cfg.base_url, policy=cfg.policy(), credentials=self.token,
                               name=f"Google Classroom {cfg.base_url}", transport=transport,
                               sleep=sleep)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def sign_in(self) -> None:
        """Fetch the access token (proves key, delegation, scope and subject)."""
        await self.token.token()

    async def list_course_work(self, course: str, where: str) -> list[dict[str, Any]] | None:
        """Every published or draft courseWork of ``course``; None if there is no such
        course (or the subject cannot see it)."""
        out: list[dict[str, Any]] = []
        token = ""
        while True:
            params = {"pageSize": str(PAGE_SIZE)}
            if token:
                params["pageToken"] = token
            # Repeated parameters ride in the path; without them Google lists PUBLISHED only.
            response = await self._call(
                "GET", f"{_course_path(course)}/courseWork"
                       "?courseWorkStates=PUBLISHED&courseWorkStates=DRAFT",
                f"list the courseWork of {where}", params=params)
            if response.status_code == 404:
                return None
            self._raise_refusal(response, f"list the courseWork of {where}")
            body = _json(response, where)
            out.extend(w for w in body.get("courseWork") or () if isinstance(w, dict))
            token = str(body.get("nextPageToken") or "")
            if not token:
                return out

    async def get_course_work(self, course: str, course_work: str,
                              where: str) -> dict[str, Any] | None:
        response = await self._call(
            "GET", f"{_course_path(course)}/courseWork/{quote(course_work, safe='')}",
            f"read courseWork {course_work} of {where}")
        if response.status_code == 404:
            return None
        self._raise_refusal(response, f"read courseWork {course_work} of {where}")
        return _json(response, where)

    async def create_course_work(self, course: str, body: Mapping[str, Any],
                                 where: str) -> dict[str, Any] | None:
        """The courseWork made, or None if there is no such course. Raises
        ``RetriableError`` after a 5xx or a timeout, when it may or may not exist."""
        response = await self._call("POST", f"{_course_path(course)}/courseWork",
                                    f"create courseWork {body.get('title')!r} in {where}",
                                    json_body=dict(body), idempotent=False)
        if response.status_code == 404:
            return None
        self._raise_refusal(response, f"create courseWork {body.get('title')!r} in {where}")
        return _json(response, where)

    async def list_submissions(self, course: str, course_work: str, user: str,
                               where: str) -> list[dict[str, Any]] | None:
        """The submissions of ``user`` on the courseWork; None on 404 (the courseWork or
        the user is unknown to Classroom)."""
        response = await self._call(
            "GET", f"{_course_path(course)}/courseWork/{quote(course_work, safe='')}"
                   f"/studentSubmissions",
            f"read {user}'s submission in {where}", params={"userId": user})
        if response.status_code == 404:
            return None
        self._raise_refusal(response, f"read {user}'s submission in {where}")
        body = _json(response, where)
        return [s for s in body.get("studentSubmissions") or () if isinstance(s, dict)]

    async def patch_grade(self, course: str, course_work: str, submission: str,
                          fields: Mapping[str, float], where: str) -> httpx.Response | None:
        """Set the grade fields; None on 404 (the submission or courseWork is gone)."""
        response = await self._call(
            "PATCH", f"{_course_path(course)}/courseWork/{quote(course_work, safe='')}"
                     f"/studentSubmissions/{quote(submission, safe='')}",
            f"set a grade in {where}", params={"updateMask": ",".join(fields)},
            json_body=dict(fields))
        if response.status_code == 404:
            return None
        self._raise_refusal(response, f"set a grade in {where}")
        return response

    async def _call(self, method: str, path: str, doing: str, *,
                    params: Mapping[str, str] | None = None, json_body: Any = None,
                    idempotent: bool = True) -> httpx.Response:
        """One request under the policy; 400/401/403/404 come back for the caller to read."""
        try:
            return await self.http.request(method, path, params=params, json_body=json_body,
                                           allow=(400, 401, 403, 404), idempotent=idempotent)
        except RetriableError as exc:
            raise RetriableError(f"Google Classroom would not {doing}: {_passing(exc)} It "
                                 f"stays pending for the next push. ({exc})",
                                 retry_after=exc.retry_after) from None

    def _raise_refusal(self, response: httpx.Response, doing: str) -> None:
        """Raise what a final 400/401/403 means, in words a district admin can act on."""
        if response.status_code < 400:
            return
        raise self.refusal(response, doing)

    def refusal(self, response: httpx.Response, doing: str) -> HarborError:
        error = GoogleError.of(response)
        subject = self.cfg.subject
        if error.http_status == 401:
            return ConfigError(
                f"Google Classroom would not {doing}: the access token was refused ({error}). "
                f"Check that the Google Classroom API is enabled in the service account's "
                f"Cloud project ({self.project}: APIs and services, Library).")
        if error.reason == "ProjectPermissionDenied":
            return ConfigError(
                f"Google Classroom would not {doing}: only the Cloud project that created a "
                f"courseWork may change it or its grades, and this service account's project "
                f"({self.project}) did not create it ({error}). This happens when the key was "
                f"replaced by one from another project, or the courseWork was made by hand or "
                f"by another app. Use a key of the project that made it, or delete that "
                f"courseWork in Classroom so the next push makes its own.")
        if error.reason in ("ClassroomDisabled", "ClassroomApiDisabled"):
            return ConfigError(
                f"Google Classroom would not {doing}: {subject} has no Classroom API access "
                f"({error}). In the Admin console turn on Classroom and its data access "
                f"(Apps, Google Workspace, Classroom, Data access) for {subject}'s "
                f"organizational unit.")
        if error.http_status == 403:
            return ConfigError(
                f"Google Classroom would not {doing}: {subject} is not allowed ({error}). "
                f"The subject must be a teacher of the course or a Classroom domain "
                f"administrator; add {subject} as a co-teacher, or set subject to an admin.")
        if error.http_status == 400:
            return ConfigError(f"Google Classroom would not {doing}: it called the request "
                               f"invalid ({error}).")
        return RunFatalError(f"Google Classroom would not {doing} ({error}).")


def _passing(exc: RetriableError) -> str:
    """What a passing failure was, in Google's terms (the policy's message has the status)."""
    found = re.search(r"HTTP (\d{3})", str(exc))
    status = int(found.group(1)) if found else None
    if status == 429:
        return ("it kept answering 429 RESOURCE_EXHAUSTED, its quota (by default 3,000 "
                "requests a minute per Cloud project and 1,200 per user). If this recurs, "
                "lower push.concurrency or set rate_per_second, or ask Google for more quota.")
    if status is not None:
        return f"it kept failing (HTTP {status}), which is trouble on Google's side."
    return "it could not be reached or did not answer in time."


def _course_path(course: str) -> str:
    # Aliases carry ':' (d:math-101), which Google takes unescaped in the path.
    return f"v1/courses/{quote(course, safe=':')}"


def _json(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # A proxy's error page or a cut-off answer: passing, unless base_url is wrong.
        raise RetriableError(f"Google Classroom answered about {where} with something other "
                             f"than a JSON object (HTTP {response.status_code}); the grades "
                             f"stay pending for the next push. If it persists, check base_url "
                             f"(https://classroom.googleapis.com).")
    return body
