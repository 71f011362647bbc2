"""A push run: plan what a destination LMS lacks, then write it through the ledger.

Order of work: pending rows the plan no longer wants are superseded; assignments are made
(or found again, for a creation a crash left unconfirmed); then grades go out, claimed in
batches, written ``concurrency`` at a time, and settled in batches as the LMS answers. See
:mod:`gateway.push.ledger` for why that is exactly-once, and docs/push.md for the whole story.

A run ends ``succeeded`` when every planned grade was settled (sent, kept, held or skipped,
the last two reported), ``failed`` when some stay pending (the LMS kept failing: the next
push resends them) or the configuration is wrong, ``stopped`` when the worker shuts down
(queued again), and ``dry_run`` for a plan only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from gateway.abc import CheckResult
from gateway.engine.run import build_connector
from gateway.errors import (
    ConfigError,
    HarborError,
    Problem,
    RetriableError,
    SkippableRecordError,
)
from gateway.push.destination import (
    AssignmentGone,
    Destination,
    DestinationConfig,
    Grade,
    PeriodClosed,
    PushRuntime,
    Remote,
)
from gateway.push.ledger import PushLedger, Settle
from gateway.push.plan import Plan, PlannedAssignment, PlannedGrade, build_plan
from gateway.store.leases import LeaseLost, Leases
from gateway.store.store import ConnectionRecord, Store

__all__ = ["PushCounts", "PushOptions", "PushReport", "check_connection", "destination_of",
           "plan_push", "push"]

log = logging.getLogger("harbormaster.push")

CLAIM_BATCH = 500
SETTLE_EVERY = 200
SETTLE_SECONDS = 1.0
GIVE_UP_AFTER = 25
"""Consecutive passing failures (429/5xx after the HTTP policy's own retries) after which
the push stops asking: the LMS is down, and the next push resends what is pending."""


@dataclasses.dataclass(frozen=True, slots=True)
class PushOptions:
    dry_run: bool = False
    today: date | None = None
    """The day grading periods are judged on (default: today in UTC)."""


class PushCounts(dict[str, int]):
    """Outcomes of one kind (assignments or grades), by name."""

    def as_dict(self) -> dict[str, int]:
        return dict(self)

    def bump(self, outcome: str, n: int = 1) -> None:
        self[outcome] = self.get(outcome, 0) + n


@dataclasses.dataclass(slots=True)
class PushReport:
    run_id: int
    connection: str
    status: str = "running"
    counts: dict[str, PushCounts] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    problem_total: int = 0
    message: str | None = None
    seconds: float = 0.0
    plan: list[str] = dataclasses.field(default_factory=list)
    """The plan as printed by a dry run (counts and the first changes)."""

    def problem(self, source: str, column: str | None, message: str) -> None:
        self.problem_total += 1
        if len(self.problems) < 200:
            self.problems.append(Problem(source, None, column, message))


def destination_of(store: Store, connection: ConnectionRecord) -> Any:
    """The connection's connector, which must be a push destination."""
    connector = build_connector(store, connection)
    if not isinstance(connector, Destination) or not isinstance(connector.config,
                                                                DestinationConfig):
        raise ConfigError(f"connection {connection.label} uses connector "
                          f"{connection.connector!r}, which cannot push grades; push to a "
                          f"destination connection (canvas, google-classroom, lti-ags, "
                          f"oneroster-gradebook)")
    return connector


async def check_connection(store: Store, connection: ConnectionRecord) -> CheckResult:
    """``check()`` of any connection's connector; a destination is opened first with its
    runtime (LTI AGS reads its registration from the store) and closed after."""
    try:
        connector = build_connector(store, connection)
    except HarborError as exc:  # e.g. stored settings the connector no longer accepts
        return CheckResult(False, str(exc))
    if not isinstance(connector, Destination):
        return await connector.check()
    try:
        await connector.open(PushRuntime(store, connection))
    except HarborError as exc:
        return CheckResult(False, str(exc))
    try:
        return await connector.check()
    finally:
        await connector.aclose()


def plan_push(store: Store, connection: ConnectionRecord, spec: Any,
              today: date | None = None) -> Plan:
    with store.engine.connect() as conn:
        return build_plan(conn, tenant_id=connection.tenant_id, tenant=connection.tenant,
                          connection_id=connection.id, connection=connection.label,
                          spec=spec, today=today or datetime.now(UTC).date())


async def push(store: Store, connection: ConnectionRecord, options: PushOptions = PushOptions(),
               *, run_id: int | None = None, lease: tuple[str, str, float] | None = None,
               stop: threading.Event | None = None,
               progress: Callable[[str, int, tuple[int, int] | None], None] | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> PushReport:
    """Plan and (unless ``options.dry_run``) carry out one push of ``connection``.

    ``run_id`` is a queued run a worker claimed; without it the run is recorded here. Never
    raises for configuration or LMS trouble: the run ends ``failed`` with a message.
    """
    started = time.perf_counter()
    if run_id is None:
        run_id = store.start_run(connection, dry_run=options.dry_run)
    report = PushReport(run_id, connection.label)
    try:
        destination = destination_of(store, connection)
        spec = destination.config.push
        plan = plan_push(store, connection, spec, options.today)
        report.plan = plan.lines()
        for note in plan.notes:
            report.problem("push plan", None, note)
        known = {c.name for c in store.list_connections(tenant_id=connection.tenant_id)}
        for name in spec.after:
            if name not in known:
                report.problem("push.after", name, f"push.after names {name!r}, which is no "
                               f"connection of tenant {connection.tenant!r}: no pull will "
                               f"trigger this push; correct the name")
        if options.dry_run:
            report.counts = {k: PushCounts(v) for k, v in plan.counts().items()}
            report.status = "dry_run"
        else:
            pusher = _Pusher(store, connection, destination, plan, spec, report, lease, stop,
                             progress)
            await destination.open(PushRuntime(store, connection, transport))
            try:
                await pusher.run()
            finally:
                await destination.aclose()
    except _Stopped as exc:
        report.status, report.message = "stopped", str(exc)
    except LeaseLost as exc:
        report.status, report.message = "lost", str(exc)
    except HarborError as exc:
        report.status, report.message = "failed", str(exc)
    except Exception as exc:
        log.exception("push %s of %s crashed", run_id, connection.label)
        report.status, report.message = "failed", f"internal error: {exc!r} (see the log)"
    finally:
        if report.status == "running":
            report.status = "failed"
            report.message = "interrupted before it finished; the next push resends what " \
                             "is pending"
        report.seconds = time.perf_counter() - started
        if report.status == "stopped":
            store.requeue_run(run_id, report.message or "stopped")
        elif report.status != "lost":
            store.finish_run(run_id, status=report.status,
                             counts={k: v.as_dict() for k, v in report.counts.items()},
                             message=report.message, problems=report.problems,
                             problem_total=report.problem_total, version=None)
    return report


class _Stopped(HarborError):
    pass


class _Pusher:
    def __init__(self, store: Store, connection: ConnectionRecord, destination: Any,
                 plan: Plan, spec: Any, report: PushReport,
                 lease: tuple[str, str, float] | None, stop: threading.Event | None,
                 progress: Callable[[str, int, tuple[int, int] | None], None] | None) -> None:
        self.store = store
        self.connection = connection
        self.destination: Destination = destination
        self.plan = plan
        self.spec = spec
        self.report = report
        self.lease = lease
        self.stop = stop or threading.Event()
        self.progress = progress
        self.ledger = PushLedger(store.engine, connection.id)
        self.assignments = report.counts.setdefault("assignments", PushCounts())
        self.grades = report.counts.setdefault("grades", PushCounts())
        self.concurrency = spec.concurrency or destination.concurrency
        self.remotes: dict[str, Remote] = {}
        self.row_ids: dict[str, int] = {}
        self.by_key = {a.assignment.key: a for a in plan.assignments}
        self.settling: list[Settle] = []
        self.last_settle = time.monotonic()
        self.failing = 0
        self.remaking: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.remade: set[str] = set()
        self.written: dict[str, list[PlannedGrade]] = defaultdict(list)
        """Grades written in this push, by assignment (to resend if the LMS loses it)."""
        self.done = 0

    # The whole push
    async def run(self) -> None:
        self.ledger.supersede(self.plan.stale, "no longer planned: the learner left the "
                                               "class, or its grading period closed")
        if self.plan.stale:
            self.grades.bump("superseded", len(self.plan.stale))
        await self._assignments()
        ready, waiting = [], 0
        for g in self.plan.grades:
            if g.action == "unchanged":
                self.grades.bump("unchanged")
            elif g.action in ("held", "skip"):
                self.grades.bump("held" if g.action == "held" else "skipped")
                self.report.problem(f"grade {g.key}", g.learner.sourced_id, g.reason or "")
            elif g.assignment_key in self.remotes:
                ready.append(g)
            else:
                waiting += 1
        if waiting:
            self.grades.bump("not_sent", waiting)
        await self._grades(ready)
        pending = self.grades.get("failed", 0) + waiting
        if pending:
            self.report.status = "failed"
            self.report.message = (
                f"{pending} grade(s) could not be written yet (see the problems); they stay "
                f"pending and the next push sends them")
        else:
            self.report.status = "succeeded"

    # Assignments
    async def _assignments(self) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(planned: PlannedAssignment) -> None:
            async with gate:
                await self._assignment(planned)

        for planned in self.plan.assignments:
            if planned.row_id is not None:
                self.row_ids[planned.assignment.key] = planned.row_id
            if planned.action == "exists":
                remote = self.ledger.remote(planned.row_id) if planned.row_id else None
                if remote is not None:
                    self.remotes[planned.assignment.key] = remote
                    self.assignments.bump("unchanged")
                    continue
                planned.action = "resume"
            if planned.action == "gone":
                self.assignments.bump("gone")
                self.report.problem(f"assignment {planned.assignment.key}",
                                    planned.assignment.section.sourced_id,
                                    planned.message or "deleted in the LMS")
        await asyncio.gather(*(one(p) for p in self.plan.assignments
                               if p.action in ("create", "resume", "recreate")))

    async def _assignment(self, planned: PlannedAssignment) -> None:
        a = planned.assignment
        row_id = self.ledger.claim_assignment(planned)
        self.row_ids[a.key] = row_id
        try:
            remote = None
            if planned.action != "create":  # made before a crash? find it first
                remote = await self.destination.find_assignment(a)
            outcome = "found" if remote is not None else (
                "recreated" if planned.action == "recreate" else "created")
            if remote is None:
                try:
                    remote = await self.destination.create_assignment(a)
                except RetriableError:
                    # A 5xx or a timeout after the request went out: it may have landed.
                    remote = await self.destination.find_assignment(a)
                    if remote is None:
                        raise
                    outcome = "found"
        except SkippableRecordError as exc:
            self.ledger.assignment_status(row_id, "skipped", str(exc))
            self.assignments.bump("skipped")
            self.report.problem(f"assignment {a.key}", a.section.sourced_id, str(exc))
            return
        except RetriableError as exc:
            self.ledger.assignment_status(row_id, "pending", str(exc))
            self.assignments.bump("failed")
            self.report.problem(f"assignment {a.key}", a.section.sourced_id, str(exc))
            return
        self.ledger.assignment_made(row_id, remote)
        self.remotes[a.key] = remote
        self.assignments.bump(outcome)

    # Grades
    async def _grades(self, grades: list[PlannedGrade]) -> None:
        total = len(grades)
        queue: asyncio.Queue[tuple[PlannedGrade, Any]] = asyncio.Queue()
        claimed = 0
        stop_all = asyncio.Event()
        errors: list[BaseException] = []

        async def feed(batch: list[PlannedGrade], force: bool = False) -> None:
            claims = self.ledger.claim_grades(self.row_ids, batch, force=force)
            for g, claim in zip(batch, claims, strict=True):
                await queue.put((g, claim))

        async def work() -> None:
            while not stop_all.is_set():
                try:
                    g, claim = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await self._grade(g, claim, feed)
                except (ConfigError, _Stopped, LeaseLost) as exc:
                    errors.append(exc)
                    stop_all.set()
                except Exception as exc:
                    errors.append(exc)
                    stop_all.set()
                finally:
                    queue.task_done()

        try:
            while claimed < total or not queue.empty():
                if claimed < total and queue.qsize() < self.concurrency * 4:
                    batch = grades[claimed:claimed + CLAIM_BATCH]
                    claimed += len(batch)
                    await feed(batch)
                workers = [asyncio.create_task(work()) for _ in range(self.concurrency)]
                await asyncio.gather(*workers)
                if stop_all.is_set():
                    break
                if self.stop.is_set():
                    raise _Stopped("stopped by a worker shutdown; grades not yet written "
                                   "stay pending and the push resumes when a worker starts")
                if self.failing >= GIVE_UP_AFTER:
                    rest = total - claimed + queue.qsize()
                    self.grades.bump("failed", rest)
                    self.report.problem("push", None, f"the LMS kept failing "
                                        f"({self.failing} writes in a row); {rest} grade(s) "
                                        f"were not tried and the next push sends them")
                    break
        finally:
            self._settle(force=True)
        if errors:
            raise errors[0]
        if self.stop.is_set():
            raise _Stopped("stopped by a worker shutdown; grades not yet written stay pending "
                           "and the push resumes when a worker starts")

    async def _grade(self, g: PlannedGrade, claim: Any, feed: Any) -> None:
        if self.stop.is_set():
            raise _Stopped("stopped by a worker shutdown")
        planned = self.by_key[g.assignment_key]
        remote = self.remotes.get(g.assignment_key)
        if remote is None:  # its assignment is gone and reported
            self._done(Settle(claim.ledger_id, "held", None, planned.message or
                              "its assignment was deleted in the LMS"), "held")
            return
        grade = Grade(key=g.key, assignment=planned.assignment, learner=g.learner,
                      score=g.score, comment=g.comment, timestamp=claim.timestamp,
                      level=g.level)
        try:
            ack = await self.destination.put_grade(remote, grade)
        except AssignmentGone as exc:
            await self._gone(planned, remote, g, claim, str(exc), feed)
            return
        except PeriodClosed as exc:
            self._done(Settle(claim.ledger_id, "held", None, str(exc)), "held")
            self.report.problem(f"grade {g.key}", g.learner.sourced_id, str(exc))
            return
        except SkippableRecordError as exc:
            self._done(Settle(claim.ledger_id, "skipped", None, str(exc)), "skipped")
            self.report.problem(f"grade {g.key}", g.learner.sourced_id, str(exc))
            return
        except RetriableError as exc:
            self.failing += 1
            self._done(Settle(claim.ledger_id, "pending", None, str(exc)), "failed")
            self.report.problem(f"grade {g.key}", g.learner.sourced_id, str(exc))
            return
        self.failing = 0
        self.written[g.assignment_key].append(g)
        status = "kept" if ack.kept_theirs else "sent"
        self._done(Settle(claim.ledger_id, status, ack.response_status, ack.detail),
                   "kept" if ack.kept_theirs else "written")

    async def _gone(self, planned: PlannedAssignment, remote: Remote, g: PlannedGrade,
                    claim: Any, message: str, feed: Any) -> None:
        """A teacher deleted the assignment: make it again and resend every grade the plan
        has for it, or report it, as ``push.on_deleted`` says."""
        a = planned.assignment
        async with self.remaking[a.key]:
            if self.remotes.get(a.key) is not remote and a.key in self.remotes:
                # Made again while this grade was in flight: send it there.
                self._done(Settle(claim.ledger_id, "superseded", 404,
                                  "the assignment was made again; resent there"), None)
                await feed([g], force=True)
                return
            row_id = self.row_ids[a.key]
            if self.spec.on_deleted == "report" or a.key in self.remade:
                text = (f"assignment {a.title!r} in class {a.section.sourced_id} was deleted "
                        f"in the LMS ({message}); on_deleted is report, so its grades are "
                        f"held: set push.on_deleted to recreate, or make it again by hand")
                self.ledger.assignment_status(row_id, "gone", text)
                planned.message = text
                self.remotes.pop(a.key, None)
                self.assignments.bump("gone")
                self.report.problem(f"assignment {a.key}", a.section.sourced_id, text)
                self._done(Settle(claim.ledger_id, "held", 404, text), "held")
                return
            self.remade.add(a.key)
            self.ledger.assignment_status(row_id, "gone", f"deleted in the LMS: {message}")
            planned.action = "recreate"
            self.remotes.pop(a.key, None)
            await self._assignment(planned)
            self.assignments.bump("lost_in_lms")
        self._done(Settle(claim.ledger_id, "superseded", 404,
                          "the assignment was deleted in the LMS and made again; resent"), None)
        if a.key not in self.remotes:
            return
        # Every grade of this assignment the LMS lost with it: this one, those it held from
        # earlier pushes, and those this push wrote there before the deletion showed.
        earlier = [x for x in self.plan.grades if x.assignment_key == a.key
                   and x.action == "unchanged"]
        self.grades["unchanged"] = self.grades.get("unchanged", 0) - len(earlier)
        lost = [*self.written.pop(a.key, []), *earlier]
        for x in lost:
            if x.action != "unchanged":
                self.grades["written"] = self.grades.get("written", 0) - 1
        await feed([g, *lost], force=True)

    def _done(self, outcome: Settle, counted: str | None) -> None:
        self.settling.append(outcome)
        if counted is not None:
            self.grades.bump(counted)
            self.done += 1
            if self.progress is not None:
                self.progress("grades", self.done, None)
        self._settle()

    def _settle(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.settling or (not force and len(self.settling) < SETTLE_EVERY
                                 and now - self.last_settle < SETTLE_SECONDS):
            return
        batch, self.settling = self.settling, []
        self.last_settle = now
        if self.lease is not None:
            with self.store.engine.begin() as conn:
                Leases.fence(conn, *self.lease)
        self.ledger.settle(batch)

