"""The OneRoster 1.2 gradebook destination: assignments as lineItems, grades as results, in
an SIS that consumes the gradebook service (PowerSchool and others).

With ``write: put`` (the default) every record is PUT under a sourcedId the gateway chooses:
the lineItem under the assignment key, the result under the key and a hash of the learner,
so a resend is the same PUT and the server keeps one record. With ``write: post`` records
are POSTed to their class or lineItem and the server may allocate other sourcedIds (read
from ``sourcedIdPairs``); a lineItem is found again by the assignment key in its
``metadata``, a result by its learner, and a changed grade is replaced by PUT.

A lineItem the SIS marks ``tobedeleted`` (a teacher deleted it) counts as gone: a result
referencing it is :class:`~gateway.push.destination.AssignmentGone`, and making it again
with ``write: put`` revives the same sourcedId.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from gateway.abc import (
    CheckResult,
    ConnectorConfig,
)
from gateway.clock import utcnow
from gateway.errors import ConfigError, HarborError, RunFatalError, SkippableRecordError
from gateway.net.auth import ClientCredentials
from gateway.net.policy import HttpClient
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

from . import records
from .client import GradebookClient, Refusal
from .config import SERVICE, OneRosterGradebookConfig

__all__ = ["OneRosterGradebookConnector"]

_FIELD = re.compile(r"\b(?:lineItems?|results?)(?:\[\d+\])?\.(\w+)")
"""The field a refusal names (``result.student: 'x' is not a known users record``)."""


def _field(refusal: Refusal) -> str | None:
    found = _FIELD.search(refusal.detail)
    return found.group(1) if found else None


def _sourced_id(value: Any) -> str | None:
    return value.get("sourcedId") if isinstance(value, Mapping) else None


class OneRosterGradebookConnector(DestinationConnector[OneRosterGradebookConfig]):
    """Pushes assignments and grades into a OneRoster 1.2 gradebook service."""

    name: ClassVar[str] = "oneroster-gradebook"
    title: ClassVar[str] = "OneRoster 1.2 gradebook (SIS)"
    config_model: ClassVar[type[ConnectorConfig]] = OneRosterGradebookConfig

    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests for :meth:`check` (a push takes the runtime's); None in production."""

    def __init__(self, config: OneRosterGradebookConfig) -> None:
        super().__init__(config)
        self._http: HttpClient | None = None
        self._category: str | None = None
        self._category_lock = asyncio.Lock()

    # the connector half ------------------------------------------------------------------

    def _client(self, concurrency: int,
                transport: httpx.AsyncBaseTransport | None) -> HttpClient:
        cfg = self.config
        credentials = ClientCredentials(cfg.resolved_token_url(), cfg.client_id,
                                        cfg.client_secret.get_secret_value(),
                                        cfg.resolved_scope())
        return HttpClient(cfg.base_url, policy=cfg.policy(concurrency),
                          credentials=credentials,
                          name=f"OneRoster gradebook {cfg.base_url}", transport=transport)

    async def check(self) -> CheckResult:
        cfg = self.config
        try:
            async with self._client(1, self.transport) as http:
                gradebook = GradebookClient(http)
                await gradebook.probe()
                if cfg.category:
                    found = await gradebook.get("categories", cfg.category)
                    if found is None or found.get("status") == "tobedeleted":
                        return CheckResult(False, f"the category {cfg.category!r} set in "
                                           f"this connection is not in the SIS gradebook at "
                                           f"{cfg.base_url}; create it there, or remove "
                                           f"'category' to let the gateway make its own")
        except HarborError as exc:
            return CheckResult(False, str(exc))
        filed = (f"category {cfg.category!r}" if cfg.category else
                 f"the gateway's category {records.CATEGORY_ID!r}")
        return CheckResult(True, f"OneRoster 1.2 gradebook at {cfg.base_url}: signed in as "
                           f"{cfg.client_id}; lineItems are written with {cfg.write.upper()} "
                           f"and filed under {filed}", {"write": cfg.write})

    # the destination half ----------------------------------------------------------------

    async def open(self, runtime: PushRuntime) -> None:
        concurrency = self.config.push.concurrency or self.concurrency
        self._http = self._client(concurrency, runtime.transport or self.transport)
        self._category = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def _gradebook(self) -> GradebookClient:
        if self._http is None:
            raise RuntimeError("open() the destination before pushing")
        return GradebookClient(self._http)

    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        class_id = self._class_id(assignment.section)
        found = await self._gradebook.get("lineItems", assignment.key)
        if (found is not None and found.get("status") == "active"
                and _sourced_id(found.get("class")) == class_id):
            return self._remote(assignment.key, class_id)
        # Made under a sourcedId the server chose (write: post), found by its marker.
        for line in await self._gradebook.records(["classes", class_id, "lineItems"],
                                                  "lineItems"):
            sid = line.get("sourcedId")
            if (isinstance(sid, str) and line.get("status", "active") == "active"
                    and records.marked(line, assignment.key)):
                return self._remote(sid, class_id)
        return None

    async def create_assignment(self, assignment: Assignment) -> Remote:
        class_id = self._class_id(assignment.section)
        server = self._server
        record = records.line_item(server, assignment, sourced_id=assignment.key,
                                   class_id=class_id, category_id=await self._category_id(),
                                   now=utcnow())
        if self.config.write == "put":
            refused = await self._gradebook.put("lineItems", "lineItem", record)
            if refused is not None:
                raise self._line_item_refused(assignment, class_id, refused)
            return self._remote(assignment.key, class_id)
        answer = await self._gradebook.post(["classes", class_id, "lineItems"], "lineItems",
                                            [record])
        if isinstance(answer, Refusal):
            raise self._line_item_refused(assignment, class_id, answer)
        allocated = answer.get(assignment.key)
        if allocated:
            return self._remote(allocated, class_id)
        remote = await self.find_assignment(assignment)  # a server that sent no pairs
        if remote is None:
            raise RunFatalError(f"{self._name}: POST of the lineItem for {assignment.title!r} "
                                f"(class {class_id}) was accepted, but the lineItem cannot be "
                                f"found by its key {assignment.key}: the server dropped its "
                                f"metadata. Use write: put with this SIS.")
        return remote

    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        class_id = str(remote.extra.get("class") or self._class_id(grade.assignment.section))
        student = self._student_id(grade.learner, class_id)
        record = records.result(self._server, grade, sourced_id=records.result_id(grade),
                                line_item_id=remote.id, student_id=student,
                                class_id=class_id)
        if self.config.write == "post":
            existing = await self._existing_result(remote.id, class_id, student,
                                                   record["sourcedId"])
            if existing is None:
                answer = await self._gradebook.post(["lineItems", remote.id, "results"],
                                                    "results", [record])
                if isinstance(answer, Refusal):
                    raise await self._result_refused(remote, grade, class_id, answer)
                return GradeAck(201)
            if records.same_result(existing, record):
                return GradeAck(200, detail="the SIS already holds this grade")
            record["sourcedId"] = existing["sourcedId"]
        refused = await self._gradebook.put("results", "result", record)
        if refused is not None:
            raise await self._result_refused(remote, grade, class_id, refused)
        return GradeAck(201)

    # pieces ------------------------------------------------------------------------------

    @property
    def _server(self) -> str:
        return self.config.base_url + "/ims/oneroster"

    @property
    def _name(self) -> str:
        return f"OneRoster gradebook {self.config.base_url}"

    def _remote(self, sourced_id: str, class_id: str) -> Remote:
        return Remote(sourced_id, f"{self.config.base_url}/{SERVICE}/lineItems/{sourced_id}",
                      {"class": class_id})

    def _class_id(self, section: ClassRef) -> str:
        if self.config.class_ids == "sourcedId":
            return section.sourced_id
        if not section.class_code:
            raise SkippableRecordError(
                f"class {section.title!r} ({section.sourced_id}) has no classCode in the "
                f"roster, and this connection names SIS classes by classCode (class_ids); "
                f"give the class a classCode in the SIS, or set class_ids: sourcedId")
        return section.class_code

    def _student_id(self, learner: Learner, class_id: str) -> str:
        if self.config.student_ids == "sourcedId":
            return learner.sourced_id
        if not learner.identifier:
            raise SkippableRecordError(
                f"learner {learner.sourced_id} (class {class_id}) has no identifier (student "
                f"number) in the roster, and this connection names SIS students by "
                f"identifier (student_ids); fix the student's record in the SIS, or set "
                f"student_ids: sourcedId")
        return learner.identifier

    async def _category_id(self) -> str:
        """The category lineItems go under: the configured one, else the gateway's own,
        made once per push (checked first, so an existing one needs no write scope)."""
        if self.config.category:
            return self.config.category
        async with self._category_lock:
            if self._category is None:
                wanted = records.category(records.CATEGORY_ID, self.config.category_title,
                                          utcnow())
                found = await self._gradebook.get("categories", records.CATEGORY_ID)
                if (found is None or found.get("status") != "active"
                        or found.get("title") != wanted["title"]):
                    refused = await self._gradebook.put("categories", "category", wanted)
                    if refused is not None:
                        raise ConfigError(
                            f"{self._name}: could not make the category "
                            f"{records.CATEGORY_ID!r} for the gateway's lineItems (HTTP "
                            f"{refused.status}: {refused.detail}). Create a category in the "
                            f"SIS and set its sourcedId as 'category' in this connection.")
                self._category = records.CATEGORY_ID
            return self._category

    async def _existing_result(self, line_item: str, class_id: str, student: str,
                               sourced_id: str) -> dict[str, Any] | None:
        """The learner's active result on ``line_item`` (write: post): under the id the
        gateway supplied, else whichever id the server gave it."""
        found = await self._gradebook.get("results", sourced_id)
        if (found is not None and found.get("status") == "active"
                and _sourced_id(found.get("lineItem")) == line_item):
            return found
        served = await self._gradebook.records(
            ["classes", class_id, "lineItems", line_item, "results"], "results",
            filter_=f"student.sourcedId='{student}'")
        return next((r for r in served if r.get("status", "active") == "active"
                     and _sourced_id(r.get("student")) == student
                     and isinstance(r.get("sourcedId"), str)), None)

    def _line_item_refused(self, assignment: Assignment, class_id: str,
                           refused: Refusal) -> HarborError:
        what = (f"{self._name} refused the lineItem for {assignment.title!r} in class "
                f"{class_id} (HTTP {refused.status}: {refused.detail})")
        field = _field(refused)
        if field == "category":
            return ConfigError(f"{what}. The category {self.config.category!r} is not in the "
                               f"SIS gradebook: set 'category' to an existing category's "
                               f"sourcedId, or remove it to let the gateway make its own.")
        if field == "class" or (refused.status == 404 and self.config.write == "post"):
            return SkippableRecordError(f"{what}. The SIS does not have this class, or this "
                                        f"client may not write to its school; check that the "
                                        f"roster comes from this SIS (class_ids) and the "
                                        f"client's sharing.")
        if refused.status == 404:
            return SkippableRecordError(f"{what}. A lineItem {assignment.key} exists in the "
                                        f"SIS outside what this client may see (another "
                                        f"school); widen the client's sharing in the SIS.")
        if field in ("academicSession", "gradingPeriod"):
            return SkippableRecordError(f"{what}. Give the assignment a grading period (the "
                                        f"class's terms in the SIS must cover its due date).")
        return SkippableRecordError(f"{what}. Fix what the SIS names, then push again.")

    async def _result_refused(self, remote: Remote, grade: Grade, class_id: str,
                              refused: Refusal) -> HarborError:
        title, learner = grade.assignment.title, grade.learner.sourced_id
        what = (f"{self._name} refused the grade of learner {learner} on {title!r} (class "
                f"{class_id}, lineItem {remote.id}) (HTTP {refused.status}: {refused.detail})")
        field = _field(refused)
        if field in (None, "lineItem"):
            line = await self._gradebook.get("lineItems", remote.id)
            if line is None or line.get("status") != "active":
                return AssignmentGone(f"the lineItem {remote.id} for {title!r} in class "
                                      f"{class_id} was deleted in the SIS gradebook")
        if field == "student":
            return SkippableRecordError(
                f"{what}. The SIS does not know learner {learner} as a student this client "
                f"may grade; check that the student is enrolled in class {class_id} in the "
                f"SIS (and student_ids: {self.config.student_ids} is how the SIS names them).")
        return SkippableRecordError(f"{what}. Fix what the SIS names, then push again.")
