"""The Canvas destination: assignments and grades pushed into Canvas gradebooks, exactly once.

An assignment is made with ``integration_id`` set to the push's key and found again by it
(one listing of a course's assignments per push, shared by every task under a lock). A grade
is ``submission[posted_grade]`` in points, which Canvas overwrites, so a resend leaves one
grade; a comment is added only when it is not already the newest comment the token's user
left on that submission, since Canvas appends every comment it is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

import httpx

from gateway.abc import (
    CheckResult,
    ConnectorConfig,
)
from gateway.errors import (
    ConfigError,
    HarborError,
    RetriableError,
    RunFatalError,
    SkippableRecordError,
)
from gateway.push.destination import (
    Assignment,
    AssignmentGone,
    ClassRef,
    DestinationConnector,
    Grade,
    GradeAck,
    Learner,
    PeriodClosed,
    PushRuntime,
    Remote,
)

from .client import CanvasClient, Refused, json_object, segment
from .config import CanvasConfig

__all__ = ["CanvasConnector"]


class CanvasConnector(DestinationConnector[CanvasConfig]):
    """Pushes assignments and grades to Canvas over its REST API with an access token."""

    name: ClassVar[str] = "canvas"
    title: ClassVar[str] = "Canvas LMS (assignments and grades)"
    config_model: ClassVar[type[ConnectorConfig]] = CanvasConfig

    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests to inject faults (``httpx.MockTransport``); None in production."""
    sleep: Callable[[float], Awaitable[None]] | None = None
    """Set by tests to record backoff waits instead of sleeping; None in production."""

    def __init__(self, config: CanvasConfig) -> None:
        super().__init__(config)
        self._client: CanvasClient | None = None
        self._listings: dict[str, dict[str, dict[str, Any]]] = {}
        self._stale: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    # -- connector ---------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        # One try: a check answers now; the push's own retries are for the push.
        client = CanvasClient(self.config, transport=self.transport, sleep=self.sleep,
                              attempts=1)
        try:
            me = await client.who_am_i()
        except HarborError as exc:
            return CheckResult(False, str(exc))
        finally:
            await client.aclose()
        left = client.pacer.remaining if client.pacer else None
        quota = f"; {left:,.0f} of the API quota left" if left is not None else ""
        return CheckResult(True, f"Canvas at {self.config.base_url}: signed in as "
                           f"{me.get('name', me['id'])} (user {me['id']}){quota}",
                           {"user_id": me["id"]})

    # -- destination -------------------------------------------------------------------------

    async def open(self, runtime: PushRuntime) -> None:
        self._client = CanvasClient(self.config, transport=runtime.transport or self.transport,
                                    sleep=self.sleep)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> CanvasClient:
        if self._client is None:  # used outside a push (tests, scripts): open lazily
            self._client = CanvasClient(self.config, transport=self.transport,
                                        sleep=self.sleep)
        return self._client

    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        course = self.course_ref(assignment.section)
        found = (await self._listing(course, assignment.section)).get(assignment.key)
        return _remote(found, course) if found else None

    async def create_assignment(self, assignment: Assignment) -> Remote:
        course = self.course_ref(assignment.section)
        path = f"api/v1/courses/{segment(course)}/assignments"
        body = {"assignment": self._fields(assignment)}
        what = f"Canvas course {course}: creating assignment {assignment.title!r}"
        for attempt in range(self.config.retries):
            try:
                answer = await self.client.call("POST", path, idempotent=False,
                                                json_body=body)
            except RetriableError as exc:
                # It may have been made before the failure: look before making it again.
                self._stale.add(course)
                found = await self.find_assignment(assignment)
                if found is not None:
                    return found
                if attempt + 1 == self.config.retries:
                    raise
                await self.client.backoff(attempt, exc)
                continue
            if isinstance(answer, Refused):
                raise self._create_refused(answer, assignment, course)
            made = json_object(answer, what)
            async with self._lock(course):
                self._listings.setdefault(course, {})[assignment.key] = made
            return _remote(made, course)
        raise AssertionError("unreachable")

    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        course = str(remote.extra.get("course_id") or self.course_ref(grade.assignment.section))
        user = self.user_ref(grade.learner)
        path = (f"api/v1/courses/{segment(course)}/assignments/{segment(remote.id)}"
                f"/submissions/{segment(user)}")
        answer = await self.client.call("PUT", path, json_body={
            "submission": {"posted_grade": _points(grade.score)}})
        if isinstance(answer, Refused):
            raise await self._grade_refused(answer, remote, grade, course, user)
        submission = json_object(answer, f"Canvas course {course}: grading {user}")
        if grade.comment:
            await self._comment(path, grade.comment, submission)
        return GradeAck(response_status=answer.status_code)

    # -- addressing ----------------------------------------------------------------------------

    def course_ref(self, section: ClassRef) -> str:
        values = {"class": section.sourced_id, "course": section.course_sourced_id,
                  "school": section.school_sourced_id, "class_code": section.class_code}
        return _fill(self.config.course_id, values, "course_id",
                     f"class {section.sourced_id} ({section.title})")

    def user_ref(self, learner: Learner) -> str:
        values = {"learner": learner.sourced_id, "username": learner.username,
                  "identifier": learner.identifier}
        try:
            return _fill(self.config.user_id, values, "user_id", f"learner {learner.sourced_id}")
        except ConfigError as exc:  # one learner without that field: skip them, not the push
            raise SkippableRecordError(str(exc)) from None

    # -- internals -------------------------------------------------------------------------------

    def _lock(self, course: str) -> asyncio.Lock:
        return self._locks.setdefault(course, asyncio.Lock())

    async def _listing(self, course: str, section: ClassRef) -> dict[str, dict[str, Any]]:
        """The course's assignments made by a push, by ``integration_id``: listed once per
        push, and again after a creation that may or may not have happened."""
        async with self._lock(course):
            if course in self._listings and course not in self._stale:
                return self._listings[course]
            found: dict[str, dict[str, Any]] = {}
            page: str | None = f"api/v1/courses/{segment(course)}/assignments?per_page=100"
            while page:
                answer = await self.client.call("GET", page)
                if isinstance(answer, Refused):
                    raise _course_refused(answer, course, section, self.config.course_id)
                rows = answer.json()
                if not isinstance(rows, list):
                    raise RunFatalError(f"Canvas course {course}: the assignments list is not "
                                        f"a JSON list; check base_url")
                for row in rows:
                    if isinstance(row, dict) and row.get("integration_id"):
                        found[str(row["integration_id"])] = row
                page = self.client.next_page(answer)
            self._listings[course] = found
            self._stale.discard(course)
            return found

    def _fields(self, assignment: Assignment) -> dict[str, Any]:
        return {"name": assignment.title[:255], "description": assignment.description,
                "points_possible": assignment.points_possible, "grading_type": "points",
                "submission_types": ["none"], "published": self.config.publish,
                "due_at": assignment.due_at, "integration_id": assignment.key,
                "integration_data": {
                    "harbormaster_key": assignment.key, "item": assignment.item,
                    "class": assignment.section.sourced_id,
                    "grading_period": assignment.period.sourced_id if assignment.period
                    else None}}

    def _create_refused(self, answer: Refused, assignment: Assignment,
                        course: str) -> HarborError:
        where = f"Canvas course {course} (class {assignment.section.sourced_id})"
        if answer.kind == "missing":  # this class only: skip it, push the others
            return SkippableRecordError(f"{where} does not exist in Canvas, so assignment "
                               f"{assignment.title!r} cannot be made there. Check that the "
                               f"class is in Canvas with that SIS id, or change course_id "
                               f"(now {self.config.course_id!r}).")
        if answer.kind == "unauthorized":
            return ConfigError(f"{where}: the access token's user may not create assignments "
                               f"there (HTTP {answer.status}: {answer.detail}). Use a token of "
                               f"an admin of the courses' account, or a teacher of the course.")
        return RunFatalError(f"{where} refused assignment {assignment.title!r} (HTTP "
                             f"{answer.status}: {answer.detail}).")

    async def _grade_refused(self, answer: Refused, remote: Remote, grade: Grade, course: str,
                             user: str) -> HarborError:
        title = grade.assignment.title
        learner = grade.learner.sourced_id
        if answer.kind == "invalid":
            return SkippableRecordError(f"Canvas course {course}, assignment {title!r}: grade "
                                        f"{_points(grade.score)} for learner {learner} was "
                                        f"refused ({answer.detail}).")
        # Canvas answers a deleted assignment and a learner not in the course with the same
        # 404, and a closed grading period like a missing grading right: ask which it was.
        shown = await self.client.call(
            "GET", f"api/v1/courses/{segment(course)}/assignments/{segment(remote.id)}")
        if isinstance(shown, Refused):
            if shown.kind == "missing":
                return AssignmentGone(f"Canvas course {course}: assignment {title!r} (id "
                                      f"{remote.id}) is gone (deleted in Canvas).")
            return ConfigError(f"Canvas course {course}: the access token's user may not see "
                               f"assignment {title!r} ({shown.detail}).")
        if answer.kind == "missing":
            return SkippableRecordError(
                f"learner {learner} ({user}) is not a student of Canvas course {course}, so "
                f"their grade for {title!r} was skipped. Check their enrollment in Canvas, or "
                f"user_id (now {self.config.user_id!r}) if Canvas knows them by another id.")
        if json_object(shown, f"Canvas course {course}").get("in_closed_grading_period"):
            return PeriodClosed(f"Canvas course {course}: assignment {title!r} is in a closed "
                                f"grading period, so Canvas keeps its grades as they are "
                                f"(learner {learner}). An account admin can reopen the period "
                                f"or grade it in Canvas.")
        return ConfigError(f"Canvas course {course}: the access token's user may not grade "
                           f"assignment {title!r} (HTTP {answer.status}: {answer.detail}). "
                           f"Use a token of a user with the 'Grades - edit' permission there.")

    async def _comment(self, path: str, text: str, submission: Mapping[str, Any]) -> None:
        """Add ``text`` unless it is already our newest comment; each try is checked first."""
        grader = submission.get("grader_id")
        for attempt in range(self.config.retries):
            if _our_latest(submission, grader) == text:
                return
            try:
                answer = await self.client.call("PUT", path, idempotent=False,
                                                json_body={"comment": {"text_comment": text}})
            except RetriableError as exc:
                if attempt + 1 == self.config.retries:
                    raise
                await self.client.backoff(attempt, exc)
                reread = await self.client.call("GET", path,
                                                params={"include[]": "submission_comments"})
                if isinstance(reread, Refused):
                    return
                submission = json_object(reread, path)
                continue
            if isinstance(answer, Refused):
                raise SkippableRecordError(f"Canvas refused the comment at /{path} "
                                           f"({answer.detail}); the grade itself was written.")
            return


def _our_latest(submission: Mapping[str, Any], grader: Any) -> str | None:
    comments = submission.get("submission_comments") or []
    ours = [c for c in comments if isinstance(c, dict)
            and (grader is None or c.get("author_id") == grader)]
    return str(ours[-1].get("comment")) if ours else None


def _remote(row: Mapping[str, Any], course: str) -> Remote:
    return Remote(id=str(row["id"]), url=row.get("html_url"),
                  extra={"course_id": str(row.get("course_id") or course), "course": course})


def _fill(template: str, values: Mapping[str, str | None], field: str, who: str) -> str:
    try:
        filled = template.format_map({k: v or "" for k, v in values.items()})
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"{field} {template!r} cannot be filled for {who}: {exc}") from None
    missing = [k for k, v in values.items() if not v and "{" + k + "}" in template]
    if missing:
        raise ConfigError(f"{who} has no {', '.join(missing)}, which {field} {template!r} "
                          f"needs; fill it in the SIS or change {field}")
    return filled


def _points(score: float) -> str:
    return f"{round(score, 4):f}".rstrip("0").rstrip(".") or "0"


def _course_refused(answer: Refused, course: str, section: ClassRef,
                    template: str) -> HarborError:
    if answer.kind == "missing":  # this class only: skip it, push the others
        return SkippableRecordError(f"Canvas has no course {course} for class {section.sourced_id} "
                           f"({section.title}). Check that the class was imported into Canvas "
                           f"with that SIS id, or change course_id (now {template!r}).")
    return ConfigError(f"Canvas course {course} (class {section.sourced_id}): the access "
                       f"token's user may not list its assignments (HTTP {answer.status}: "
                       f"{answer.detail}). Use a token of an admin of the courses' account.")
