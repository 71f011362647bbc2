"""The Google Classroom destination: assignments become courseWork, grades go on the
learners' student submissions.

A class is found by its course alias (``d:{class sourcedId}`` unless ``course_id`` says
otherwise) and a learner by their email (``user_id``). Finding an assignment lists the
course's courseWork once per push and keeps the gateway's own by key (see
:mod:`.coursework`); creating one never retries blindly, it looks first. A grade is a PATCH
of ``assignedGrade`` and ``draftGrade`` on the learner's submission, whose id is looked up
once per push; a grade Classroom already holds is not written again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any, ClassVar, NoReturn

import httpx

from gateway.abc import (
    CheckResult,
    ConnectorConfig,
)
from gateway.errors import ConfigError, HarborError, RetriableError, SkippableRecordError
from gateway.push.destination import (
    Assignment,
    AssignmentGone,
    ClassRef,
    DestinationConnector,
    Grade,
    GradeAck,
    Learner,
    PushRuntime,
    Remote,
)

from .client import ClassroomClient
from .config import ClassroomConfig
from .coursework import course_work_body, ours, remote_of

__all__ = ["ClassroomConnector"]

NO_COMMENTS = "comment not sent: the Classroom API cannot write grade comments"


@dataclasses.dataclass(slots=True)
class _Submission:
    id: str
    assigned: float | None
    draft: float | None


class _Locks:
    """One asyncio lock per key, so lookups of different keys run at once and lookups of
    the same key wait for the first."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def __call__(self, key: Hashable) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class ClassroomConnector(DestinationConnector[ClassroomConfig]):
    """Pushes assignments and grades to Google Classroom as a service account acting for a
    teacher or admin (domain-wide delegation)."""

    name: ClassVar[str] = "google-classroom"
    title: ClassVar[str] = "Google Classroom (assignments and grades)"
    config_model: ClassVar[type[ConnectorConfig]] = ClassroomConfig

    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests to inject faults (``httpx.MockTransport``); None in production."""
    sleep: Callable[[float], Awaitable[None]] | None = None
    """Set by tests to skip backoff waits; None in production."""

    def __init__(self, config: ClassroomConfig) -> None:
        super().__init__(config)
        self._client: ClassroomClient | None = None
        self._works: dict[str, dict[str, Remote]] = {}
        self._submissions: dict[tuple[str, str, str], _Submission] = {}
        self._locks = _Locks()

    # -- connector ---------------------------------------------------------------------

    async def check(self) -> CheckResult:
        cfg = self.config
        try:
            key = cfg.key()
            client = self._session()
            await client.sign_in()
            message = (f"Signed in to Google as {key.client_email} acting for {cfg.subject} "
                       f"(Classroom coursework scope)")
            if cfg.check_class:
                section = ClassRef(cfg.check_class, cfg.check_class)
                course = self._course(section)
                works = await client.list_course_work(course, _where(section, course))
                if works is None:
                    return CheckResult(False, _no_course(section, course, cfg.subject))
                mine = len(ours(works))
                message += (f"; course {course} for class {cfg.check_class} has {len(works)} "
                            f"courseWork, {mine} of them made by this gateway")
        except HarborError as exc:
            return CheckResult(False, str(exc))
        finally:
            await self.aclose()
        return CheckResult(True, message, {"subject": cfg.subject})

    # -- destination -------------------------------------------------------------------

    async def open(self, runtime: PushRuntime) -> None:
        if runtime.transport is not None:
            self.transport = runtime.transport
        self._session()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        self._works.clear()
        self._submissions.clear()
        if client is not None:
            await client.aclose()

    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        course = self._course(assignment.section)
        works = await self._course_works(course, assignment.section)
        return works.get(assignment.key)

    async def create_assignment(self, assignment: Assignment) -> Remote:
        section = assignment.section
        course = self._course(section)
        body = course_work_body(assignment)
        client = self._session()
        policy = self.config.policy()
        where = _where(section, course)
        for attempt in range(1, policy.attempts + 1):
            try:
                made = await client.create_course_work(course, body, where)
            except RetriableError as exc:
                # Google may have made it before failing (a 500 after the write, a lost
                # answer): forget what this push listed, look, and only then try again.
                async with self._locks(("course", course)):
                    self._works.pop(course, None)
                found = (await self._course_works(course, section, fresh=True)
                         ).get(assignment.key)
                if found is not None:
                    return found
                if attempt == policy.attempts:
                    raise
                wait = exc.retry_after
                if wait is None:
                    wait = min(policy.backoff_initial * 2 ** (attempt - 1), policy.backoff_max)
                await (self.sleep or asyncio.sleep)(wait)
                continue
            if made is None:
                raise SkippableRecordError(_no_course(section, course, self.config.subject))
            remote = remote_of(made)
            async with self._locks(("course", course)):
                if course in self._works:
                    self._works[course][assignment.key] = remote
            return remote
        raise AssertionError("unreachable")  # pragma: no cover

    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        assignment = grade.assignment
        course = str(remote.extra.get("course") or "") or self._course(assignment.section)
        where = _where(assignment.section, course)
        user = self._user(grade.learner, where)
        score = round(grade.score, 2)
        if not math.isfinite(score) or score < 0:
            raise SkippableRecordError(
                f"{_who(grade.learner)} in {where}: score {grade.score!r} is not a grade "
                f"Classroom takes (a number of points, 0 or more)")
        fields = ({"assignedGrade": score, "draftGrade": score}
                  if self.config.grades == "assigned" else {"draftGrade": score})
        note = NO_COMMENTS if grade.comment and self.config.push.comment else None
        key = (course, remote.id, user)
        # One write at a time per submission, so a grade sent twice at once is written once.
        async with self._locks(("submission", *key)):
            submission = await self._submission(key, remote, grade, where)
            if submission.draft == score and (self.config.grades == "draft"
                                              or submission.assigned == score):
                return GradeAck(None, _join("Classroom already holds this grade", note))
            response = await self._session().patch_grade(course, remote.id, submission.id,
                                                         fields, where)
            if response is None:
                self._submissions.pop(key, None)
                await self._gone_or_skip(course, remote, grade, user, where)
            submission.draft = score
            if "assignedGrade" in fields:
                submission.assigned = score
        return GradeAck(response.status_code, note)

    # -- lookups -----------------------------------------------------------------------

    def _session(self) -> ClassroomClient:
        if self._client is None:
            self._client = ClassroomClient(self.config, transport=self.transport,
                                           sleep=self.sleep)
        return self._client

    async def _course_works(self, course: str, section: ClassRef, *,
                            fresh: bool = False) -> dict[str, Remote]:
        async with self._locks(("course", course)):
            if fresh or course not in self._works:
                works = await self._session().list_course_work(course,
                                                               _where(section, course))
                if works is None:
                    raise SkippableRecordError(_no_course(section, course, self.config.subject))
                self._works[course] = ours(works)
            return self._works[course]

    async def _submission(self, key: tuple[str, str, str], remote: Remote, grade: Grade,
                          where: str) -> _Submission:
        """The learner's submission, looked up once per push (the caller holds its lock)."""
        cached = self._submissions.get(key)
        if cached is not None:
            return cached
        course, _, user = key
        found = await self._session().list_submissions(course, remote.id, user, where)
        if not found:
            await self._gone_or_skip(course, remote, grade, user, where)
        first = found[0]
        submission = _Submission(str(first["id"]), _number(first.get("assignedGrade")),
                                 _number(first.get("draftGrade")))
        self._submissions[key] = submission
        return submission

    async def _gone_or_skip(self, course: str, remote: Remote, grade: Grade, user: str,
                            where: str) -> NoReturn:
        """Raise why ``user`` has no submission: the courseWork is gone, or they are not
        a student of the course."""
        work = await self._session().get_course_work(course, remote.id, where)
        if work is None:
            async with self._locks(("course", course)):
                known = self._works.get(course, {})
                for key in [k for k, r in known.items() if r.id == remote.id]:
                    del known[key]  # so a find before recreating it answers None
            raise AssignmentGone(
                f"courseWork {remote.id} ({grade.assignment.title!r}) is no longer in {where}: "
                f"a teacher deleted it in Classroom")
        raise SkippableRecordError(
            f"{_who(grade.learner)} (Classroom user {user}) is not a student of {where}, so "
            f"the grade for {grade.assignment.title!r} was not sent. Add them to the course "
            f"in Classroom (or fix the roster sync); if they are in it under another "
            f"address, set user_id to match how Classroom knows students.")

    def _course(self, section: ClassRef) -> str:
        values = {"class": section.sourced_id, "course": section.course_sourced_id,
                  "school": section.school_sourced_id, "class_code": section.class_code}
        return _fill(self.config.course_id, values, "course_id",
                     f"class {section.title!r} ({section.sourced_id})")

    def _user(self, learner: Learner, where: str) -> str:
        values = {"email": learner.email, "identifier": learner.identifier,
                  "sourced_id": learner.sourced_id, "username": learner.username}
        try:
            return _fill(self.config.user_id, values, "user_id", _who(learner))
        except ConfigError as exc:
            raise SkippableRecordError(f"{exc} (grade in {where} not sent)") from None


def _fill(template: str, values: Mapping[str, str | None], setting: str, who: str) -> str:
    missing = [name for name, value in values.items()
               if "{" + name + "}" in template and not value]
    if missing:
        raise ConfigError(f"{who} has no {' or '.join(missing)} in the roster, which the "
                          f"{setting} setting ({template!r}) needs; add it in the SIS, or "
                          f"change {setting}")
    return template.format(**{k: v or "" for k, v in values.items()})


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _where(section: ClassRef, course: str) -> str:
    return f"Classroom course {course} (class {section.title!r}, {section.sourced_id})"


def _who(learner: Learner) -> str:
    name = " ".join(p for p in (learner.given_name, learner.family_name) if p)
    return f"learner {name + ' ' if name else ''}({learner.sourced_id})"


def _no_course(section: ClassRef, course: str, subject: str) -> str:
    return (f"there is no Classroom course {course} for class {section.title!r} "
            f"({section.sourced_id}) that {subject} can see. Give the course that alias (a "
            f"domain admin's courses.aliases.create, as roster sync tools do), or set "
            f"course_id to how your courses are named; and make {subject} a teacher of it "
            f"or a Classroom admin")


def _join(*parts: str | None) -> str | None:
    text = "; ".join(p for p in parts if p)
    return text or None
