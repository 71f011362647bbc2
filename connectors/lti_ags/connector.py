"""The LTI AGS destination: the push engine's assignments become AGS line items in the LMS
course launched from each class, and its grades become scores of the learners' LTI users.

Everything LMS-specific is the tool's own LTI machinery (:mod:`gateway.lti`): the
registration names the LMS and signs the service token requests, ``lti_contexts`` says which
course a class is, the identity links which LMS user a learner is, and
:class:`~gateway.lti.ags.AgsClient` finds, makes and scores line items, with its score
ledger keeping every resend to the one score the LMS already holds.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import ClassVar

from gateway.abc import (
    CheckResult,
    ConnectorConfig,
)
from gateway.errors import ConfigError, HarborError, RunFatalError, SkippableRecordError
from gateway.lti.ags import (
    LINEITEM,
    LINEITEM_READONLY,
    SCORE,
    AgsClient,
    GoneFromPlatform,
    LineItem,
)
from gateway.lti.keys import ToolKeys
from gateway.lti.ledger import Score
from gateway.lti.registrations import Registration, Registrations
from gateway.lti.services import ServiceClient
from gateway.push.destination import (
    Assignment,
    AssignmentGone,
    DestinationConnector,
    Grade,
    GradeAck,
    PushRuntime,
    Remote,
)

from .config import LtiAgsConfig
from .roster import Course, Roster

__all__ = ["LtiAgsConnector"]

TAG_LENGTH = 255
"""What ``lti_line_items.tag`` holds; a longer item name is cut (the same way every time)."""


@dataclasses.dataclass(slots=True)
class _Opened:
    registration: Registration
    services: ServiceClient
    ags: AgsClient
    roster: Roster
    sending: dict[tuple[str, str], asyncio.Lock] = dataclasses.field(default_factory=dict)
    """One score in flight per line item and user: the same grade sent twice at once is
    claimed and posted once, and the second call finds it sent."""


class LtiAgsConnector(DestinationConnector[LtiAgsConfig]):
    """Pushes assignments and grades to any LTI 1.3 LMS over Assignment and Grade Services."""

    name: ClassVar[str] = "lti-ags"
    title: ClassVar[str] = "LTI Assignment and Grade Services (any LTI 1.3 LMS)"
    config_model: ClassVar[type[ConnectorConfig]] = LtiAgsConfig

    sleep: Callable[[float], Awaitable[None]] | None = None
    """Set by tests to record backoff and Retry-After waits instead of sleeping."""

    def __init__(self, config: LtiAgsConfig) -> None:
        super().__init__(config)
        self._opened: _Opened | None = None

    # Opening and checking.

    async def open(self, runtime: PushRuntime) -> None:
        engine = runtime.store.engine
        tenant_id = runtime.connection.tenant_id
        registrations = Registrations(engine)
        registration = registrations.by_name(tenant_id, self.config.registration)
        if registration is None:
            names = ", ".join(repr(r.name) for r in registrations.list(tenant_id)) or "none"
            raise ConfigError(
                f"connection {runtime.connection.label}: tenant {runtime.connection.tenant!r} "
                f"has no LTI registration named {self.config.registration!r} (it has: "
                f"{names}); set 'registration' to one of them (harbor lti registrations list "
                f"--tenant {runtime.connection.tenant}), or register the LMS first")
        services = ServiceClient(ToolKeys(engine, runtime.store.secrets),
                                 policy=self.config.policy(), transport=runtime.transport,
                                 sleep=self.sleep)
        self._opened = _Opened(registration, services, AgsClient(services, engine),
                               Roster(engine, registration))

    async def aclose(self) -> None:
        opened, self._opened = self._opened, None
        if opened is not None:
            await opened.services.aclose()

    def _state(self) -> _Opened:
        if self._opened is None:
            raise RuntimeError("the push engine calls open() before any other call")
        return self._opened

    async def check(self) -> CheckResult:
        if self._opened is None:
            return CheckResult(False, f"lti-ags reads LTI registration "
                               f"{self.config.registration!r}, its courses and identity links "
                               f"from the gateway's database; check it through a push "
                               f"(the push engine opens it first)")
        opened = self._opened
        registration = opened.registration
        try:
            await opened.services.token(registration, [LINEITEM, SCORE]).token()
        except HarborError as exc:
            return CheckResult(False, str(exc))
        contexts = opened.roster.contexts()
        usable = [c for c in contexts.values()
                  if c.lineitems_url and {LINEITEM, SCORE} <= set(c.ags_scopes)]
        lacking = sorted(c.class_sourced_id or "" for c in contexts.values()
                         if c not in usable)
        details = {"registration": registration.name, "issuer": registration.issuer,
                   "courses": len(usable), "courses_without_ags": lacking}
        if not usable:
            return CheckResult(False, (
                f"LTI registration {registration.name!r} ({registration.issuer}) gives a "
                f"service token, but no LMS course matched to a class can take grades yet: "
                f"a teacher must launch Harbormaster once from each course, with Assignment "
                f"and Grade Services (line items and scores) on for the tool"), details)
        note = (f"; {len(lacking)} more lack AGS line items or scores (classes "
                f"{', '.join(lacking[:5])}{', ...' if len(lacking) > 5 else ''})"
                if lacking else "")
        return CheckResult(True, f"LTI registration {registration.name!r} "
                           f"({registration.issuer}): service token granted; {len(usable)} "
                           f"LMS course(s) matched to classes can take grades{note}", details)

    # The push.

    @staticmethod
    def _remote(item: LineItem, course: Course) -> Remote:
        return Remote(id=item.url, extra={"lineitems_url": course.lineitems_url,
                                          "context_id": course.context.context_id,
                                          "score_maximum": item.score_maximum})

    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        opened = self._state()
        course = opened.roster.course(assignment.section, LINEITEM_READONLY)
        try:
            found = await opened.ags.line_items(opened.registration, course.endpoint,
                                                resource_id=assignment.key)
        except GoneFromPlatform as exc:
            raise SkippableRecordError(f"assignment {assignment.title!r} of class "
                                       f"{assignment.section.sourced_id}: {exc}") from None
        # The AGS client filters by resourceId itself too, whatever the LMS did with the query.
        exact = [item for item in found if item.resource_id == assignment.key]
        return self._remote(exact[0], course) if exact else None

    async def create_assignment(self, assignment: Assignment) -> Remote:
        opened = self._state()
        course = opened.roster.course(assignment.section, LINEITEM)
        try:
            item = await opened.ags.find_or_create_line_item(
                opened.registration, course.endpoint, label=assignment.title,
                score_maximum=assignment.points_possible, resource_id=assignment.key,
                tag=assignment.item[:TAG_LENGTH], retry_create=False)
        except GoneFromPlatform as exc:
            raise SkippableRecordError(f"assignment {assignment.title!r} of class "
                                       f"{assignment.section.sourced_id}: {exc}") from None
        return self._remote(item, course)

    def _score(self, remote: Remote, grade: Grade, sub: str) -> Score:
        given, maximum = grade.score, grade.assignment.points_possible
        column = remote.extra.get("score_maximum")
        if self.config.score_maximum_from == "line_item" and isinstance(column, int | float) \
                and column > 0 and maximum > 0:
            given, maximum = given * column / maximum, float(column)
        return Score(user_id=sub, score_given=given, score_maximum=maximum,
                     activity_progress=self.config.activity_progress,
                     grading_progress=self.config.grading_progress, comment=grade.comment)

    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        opened = self._state()
        assignment = grade.assignment
        course = opened.roster.course(assignment.section, SCORE)
        sub = opened.roster.sub(grade.learner)
        who = (f"grade of learner {grade.learner.sourced_id} (LMS user {sub}) on assignment "
               f"{assignment.title!r} in {course.name}")
        try:
            async with opened.sending.setdefault((remote.id, sub), asyncio.Lock()):
                pushed = await opened.ags.post_score(opened.registration, remote.id,
                                                     self._score(remote, grade, sub))
        except GoneFromPlatform:
            raise AssignmentGone(f"assignment {assignment.title!r} of class "
                                 f"{assignment.section.sourced_id} is gone from {course.name} "
                                 f"(its line item {remote.id} answers 404): it was deleted "
                                 f"in the LMS") from None
        except SkippableRecordError as exc:
            raise SkippableRecordError(f"{who}: {exc}") from None
        except RunFatalError as exc:
            # A 4xx for this one score (most often: the user is not, or no longer, a member
            # of the course in the LMS); the other grades can still go.
            raise SkippableRecordError(f"{who}: the LMS refused the score ({exc}); check "
                                       f"that the learner is enrolled in the course in the "
                                       f"LMS") from None
        entry = pushed.entry
        if pushed.outcome == "superseded":
            return GradeAck(response_status=entry.response_status, detail=entry.message,
                            kept_theirs=True)
        detail = None if pushed.outcome == "sent" else (
            f"already sent (LTI score ledger entry {entry.id})")
        return GradeAck(response_status=entry.response_status, detail=detail)
