"""Grade-push benchmark: a push of ``grades`` grades into a Canvas server whose leaky bucket
leaks ``rate`` requests a second and holds ``capacity``, against the rate limit itself and
an ideal client measured in the same run. ``harbor bench push`` drives it.

The LMS (:mod:`gateway.bench.push_lms`) runs in a process of its own, bound with
``TCP_NODELAY``. Each contender gets a fresh one with the same bucket, and sends the same
``grades`` requests, one ``PUT`` of a submission each:

- **Harbormaster**: a store with a roster (a OneRoster CSV export synced by the CSV
  connector), two standards and a mastery row per (learner, standard), and a ``canvas``
  destination with ``pacing`` on, ``push.comment`` off and ``push.concurrency`` writes in
  flight. A first push (not measured) makes the assignments, grading one extra learner per
  class; the server's counters and bucket are then reset and the measured push writes the
  ``grades`` grades: plan, ledger claims and settlements and the writes, timed whole.
- **the reference**: a plain ``httpx`` loop with the same concurrency that paces itself with
  a token bucket the size of the LMS's (``capacity`` at once, then exactly ``rate`` a
  second) and sends the same number of ``PUT``s into assignments seeded on the server; a
  throttled one is sent again at once. It knows the limit; Harbormaster reads it from
  Canvas's headers.
- **the limit**: no client can beat the bucket: after the first ``capacity`` requests, the
  rest take ``(grades - capacity) / rate`` seconds.

Exactly-once is checked on the server: every assignment made once per ``integration_id``,
as many grade writes as grades, and every grade in the LMS.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import math
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from gateway.bench.harness import Target, throwaway_database
from gateway.bench.ingest import KEY
from gateway.clock import utcnow
from gateway.engine.run import sync
from gateway.mastery.settings import DEFAULT_SETTINGS
from gateway.model.schema import COMMON_COLUMNS, STREAMS
from gateway.push.run import PushOptions, push
from gateway.secrets import SecretBox
from gateway.store.learning_tables import mastery, standards, standards_frameworks
from gateway.store.store import Store

__all__ = ["Contender", "PushBench", "ideal_client", "lms_process", "run_push_bench"]

TENANT = "bench"
TOKEN = "canvas-test-token"  # noqa: S105 - the test server's token
STANDARDS = ("bench-std-1", "bench-std-2")
STUDENTS_PER_CLASS = 25
"""Learners with grades per class (each has both standards), plus one graded first."""


@dataclasses.dataclass(frozen=True, slots=True)
class Contender:
    """One client's measured phase, as the client timed it and the LMS counted it."""

    name: str
    seconds: float
    """Wall time of the measured phase (for Harbormaster: the whole push, plan included)."""
    lms_span: float
    """From the first request the LMS saw to the last."""
    before_first: float
    """From the start of the phase to the first request the LMS saw."""
    requests: int
    throttled: int
    """``403 Rate Limit Exceeded`` answers the LMS gave this client."""
    grade_writes: int
    graded: int
    """Submissions in the LMS holding a grade after the phase."""
    expected_graded: int
    created: dict[str, int]
    """Assignments made per ``integration_id``, over the whole run (warm-up included)."""
    status: str = "succeeded"

    def duplicates(self, grades: int) -> int:
        """Writes beyond one per grade, and assignments made more than once."""
        extra = sum(n - 1 for n in self.created.values() if n > 1)
        return extra + max(0, self.grade_writes - grades)


@dataclasses.dataclass(frozen=True, slots=True)
class PushBench:
    grades: int
    rate: float
    capacity: float
    concurrency: int
    database: str
    assignments: int
    harbormaster: Contender
    reference: Contender

    @property
    def limit_seconds(self) -> float:
        """The best any client can do: the burst at once, then ``rate`` a second."""
        return max(0.0, self.grades - self.capacity) / self.rate

    @property
    def limit_rate(self) -> float:
        return self.grades / self.limit_seconds if self.limit_seconds else math.inf

    def rate_of(self, c: Contender) -> float:
        return self.grades / c.seconds if c.seconds else math.inf


# -- the LMS in its own process ----------------------------------------------------------------

@contextmanager
def lms_process(capacity: float, leak: float, *, timeout: float = 20.0) -> Iterator[str]:
    """A fresh :mod:`gateway.bench.push_lms` process; yields its base URL, stops it after."""
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gateway.bench.push_lms", "--capacity", f"{capacity:g}",
         "--leak", f"{leak:g}"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while not line.startswith("listening on "):
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                raise RuntimeError(f"the bench LMS did not start (exit code {proc.poll()})")
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                line = proc.stdout.readline()
        yield line.split("listening on ", 1)[1].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _control(base: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{base}/_bench/{path}", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


# -- the world ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class _World:
    classes: dict[str, list[str]]
    """class sourcedId -> its learners: the warm-up one first, then the measured ones."""
    pairs: list[tuple[str, str, str, float]]
    """The measured grades: (class, learner, standard, score 0..1)."""


def _world(grades: int, per_class: int = STUDENTS_PER_CLASS) -> _World:
    n_classes = max(1, math.ceil(grades / (per_class * len(STANDARDS))))
    classes = {f"k{c:04d}": [f"k{c:04d}-s{s:03d}" for s in range(per_class + 1)]
               for c in range(1, n_classes + 1)}
    pairs = [(k, u, std, round(((n * 37 + m * 11) % 97) / 96, 4))
             for k, members in classes.items() for n, u in enumerate(members[1:])
             for m, std in enumerate(STANDARDS)][:grades]
    return _World(classes, pairs)


def _write_export(path: Path, world: _World, today: date) -> Path:
    """A OneRoster 1.2 CSV bulk export: one school, a term with an open grading period
    around ``today``, one course, the classes with their learners and a teacher."""
    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    users = [{"sourcedId": u, "enabledUser": "true", "username": u, "givenName": "Given",
              "familyName": u, "grades": "05", "primaryOrgSourcedId": "s1"}
             for members in world.classes.values() for u in members]
    users.append({"sourcedId": "t1", "enabledUser": "true", "username": "t1",
                  "givenName": "Tess", "familyName": "Teacher", "primaryOrgSourcedId": "s1"})
    enrollments = [{"sourcedId": f"e-{u}", "classSourcedId": k, "schoolSourcedId": "s1",
                    "userSourcedId": u, "role": "student"}
                   for k, members in world.classes.items() for u in members]
    enrollments += [{"sourcedId": f"e-{k}-t1", "classSourcedId": k, "schoolSourcedId": "s1",
                     "userSourcedId": "t1", "role": "teacher"} for k in world.classes]
    files: dict[str, list[dict[str, str]]] = {
        "orgs": [{"sourcedId": "d1", "name": "District", "type": "district"},
                 {"sourcedId": "s1", "name": "Bench Middle", "type": "school",
                  "parentSourcedId": "d1"}],
        "academicSessions": [
            {"sourcedId": "y1", "title": "Year", "type": "schoolYear", "startDate": day(-90),
             "endDate": day(200), "schoolYear": str(today.year + 1)},
            {"sourcedId": "t1", "title": "Term", "type": "term", "startDate": day(-60),
             "endDate": day(60), "parentSourcedId": "y1", "schoolYear": str(today.year + 1)},
            {"sourcedId": "gp1", "title": "GP", "type": "gradingPeriod",
             "startDate": day(-30), "endDate": day(30), "parentSourcedId": "t1",
             "schoolYear": str(today.year + 1)}],
        "courses": [{"sourcedId": "c1", "title": "Math 5", "orgSourcedId": "s1",
                     "schoolYearSourcedId": "y1"}],
        "classes": [{"sourcedId": k, "title": f"Math 5 {k}", "courseSourcedId": "c1",
                     "classType": "scheduled", "schoolSourcedId": "s1",
                     "termSourcedIds": "t1", "subjects": "Mathematics", "grades": "05"}
                    for k in world.classes],
        "users": users,
        "enrollments": enrollments,
    }
    path.mkdir(parents=True, exist_ok=True)
    with (path / "manifest.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["propertyName", "value"])
        w.writerow(["manifest.version", "1.0"])
        w.writerow(["oneroster.version", "1.2"])
        for stream in STREAMS:
            w.writerow([f"file.{stream}", "bulk" if stream in files else "absent"])
    for stream, rows in files.items():
        cols = [*COMMON_COLUMNS, *STREAMS[stream].column_names]
        with (path / f"{stream}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows([row.get(c, "") for c in cols] for row in rows)
    return path


def _seed_store(store: Store, world: _World, workdir: Path, today: date) -> int:
    """Roster through the CSV connector, the two standards; returns the tenant id."""
    store.ensure_tenant(TENANT, "Bench District")
    export = _write_export(workdir / "push-roster", world, today)
    store.add_connection(TENANT, "roster", "oneroster-csv", {"path": str(export)}, {})
    report = asyncio.run(sync(store, store.connection(f"{TENANT}/roster")))
    if report.status != "succeeded":
        raise RuntimeError(f"the bench roster did not load: {report.status} {report.message}")
    tenant_id = store.tenant(TENANT).id
    with store.engine.begin() as conn:
        framework = conn.execute(standards_frameworks.insert().values(
            tenant_id=tenant_id, identifier="bench-doc", title="Bench Math",
            imported_at=utcnow()).returning(standards_frameworks.c.id)).scalar_one()
        conn.execute(standards.insert(), [
            {"tenant_id": tenant_id, "framework_id": framework, "identifier": std,
             "code": f"B.{n}", "statement": f"Bench standard {n}", "item_type": "Standard",
             "list_order": n} for n, std in enumerate(STANDARDS, 1)])
    return tenant_id


def _add_mastery(store: Store, tenant_id: int, rows: list[tuple[str, str, float]]) -> None:
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(mastery.insert(), [
            {"tenant_id": tenant_id, "user_sourced_id": u, "standard": s, "score": v,
             "level": DEFAULT_SETTINGS.level(v), "method": "decaying_average",
             "evidence_count": 2, "last_evidence_at": "2026-11-20T10:00:00.000Z",
             "computed_at": now} for u, s, v in rows])


# -- Harbormaster ----------------------------------------------------------------------------

def _harbormaster(console: Console, world: _World, *, rate: float, capacity: float,
                  concurrency: int, database_url: str | None, workdir: Path) -> Contender:
    pg = bool(database_url and database_url.startswith("postgres"))
    into: Target = "postgresql-url" if pg else "sqlite-url"
    today = datetime.now(UTC).date()
    with throwaway_database(into, workdir, database_url, prefix="harbor_bench_push") as url, \
            lms_process(capacity, rate) as base:
        store = Store.open(url, SecretBox(KEY.encode()))
        try:
            tenant_id = _seed_store(store, world, workdir, today)
            _control(base, "POST", "seed", {"courses": world.classes})
            store.add_connection(TENANT, "canvas", "canvas", {
                "base_url": base, "pacing": True,
                "push": {"items": [{"standard": s} for s in STANDARDS],
                         "concurrency": concurrency, "comment": False}},
                {"access_token": TOKEN})
            connection = store.connection(f"{TENANT}/canvas")
            # Warm-up (not measured): one learner per class makes every assignment.
            _add_mastery(store, tenant_id, [(members[0], s, 0.9)
                                            for members in world.classes.values()
                                            for s in STANDARDS])
            warm = asyncio.run(push(store, connection, PushOptions(today=today)))
            if warm.status != "succeeded":
                raise RuntimeError(f"the warm-up push {warm.status}: {warm.message}")
            console.print(f"  warm-up push: {warm.counts['assignments'].get('created', 0)} "
                          f"assignments made in {warm.seconds:.1f} s")
            _add_mastery(store, tenant_id, [(u, s, v) for _, u, s, v in world.pairs])
            _control(base, "POST", "reset")
            started = time.monotonic()
            report = asyncio.run(push(store, connection, PushOptions(today=today)))
            seconds = time.monotonic() - started
            counters = _control(base, "GET", "counters")
        finally:
            store.close()
    written = report.counts["grades"].get("written", 0) if "grades" in report.counts else 0
    if report.status != "succeeded" or written != len(world.pairs):
        console.print(f"[red]the measured push {report.status} with {written} grades written: "
                      f"{report.message}[/red]")
    return _contender("Harbormaster (canvas destination, pacing)", seconds, started, counters,
                      expected=len(world.pairs) + len(world.classes) * len(STANDARDS),
                      status=report.status)


def _contender(name: str, seconds: float, started: float, counters: dict[str, Any], *,
               expected: int, status: str) -> Contender:
    first, last = counters["first"], counters["last"]
    return Contender(name, seconds, (last - first) if first is not None else 0.0,
                     (first - started) if first is not None else 0.0, counters["requests"],
                     counters["throttled"], counters["grade_writes"], counters["graded"],
                     expected, {str(k): int(v) for k, v in counters["created"].items()},
                     status)


# -- the reference -----------------------------------------------------------------------------

class _TokenBucket:
    """``burst`` requests at once, then exactly ``rate`` a second, across tasks (FIFO)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp: float | None = None
        self.lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        if self.stamp is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self) -> None:
        async with self.lock:
            self._refill()
            if self.tokens < 1:
                await asyncio.sleep((1 - self.tokens) / self.rate)
                self._refill()
            self.tokens -= 1


async def ideal_client(base: str, writes: list[tuple[str, str, str, str]], *, rate: float,
                       capacity: float, concurrency: int) -> None:
    """PUT each ``(course, assignment id, user, points)`` with ``concurrency`` in flight,
    paced by a token bucket the size of the LMS's; a throttled write is sent again."""
    bucket = _TokenBucket(rate, capacity)
    queue = list(reversed(writes))
    async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60,
            limits=httpx.Limits(max_connections=concurrency,
                                max_keepalive_connections=concurrency)) as client:

        async def worker() -> None:
            while queue:
                course, aid, user, points = queue.pop()
                while True:
                    await bucket.take()
                    response = await client.put(
                        f"/api/v1/courses/sis_course_id:{course}/assignments/{aid}"
                        f"/submissions/sis_user_id:{user}",
                        json={"submission": {"posted_grade": points}})
                    if response.status_code != 403:
                        response.raise_for_status()
                        break

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def _reference(world: _World, *, rate: float, capacity: float,
               concurrency: int) -> Contender:
    with lms_process(capacity, rate) as base:
        made = _control(base, "POST", "seed", {
            "courses": world.classes,
            "assignments": [[k, f"ref-{k}-{s}"] for k in world.classes for s in STANDARDS]})
        ids = made["assignments"]
        writes = [(k, str(ids[f"ref-{k}-{s}"]), u, f"{v * 100:g}")
                  for k, u, s, v in world.pairs]
        _control(base, "POST", "reset")
        started = time.monotonic()
        asyncio.run(ideal_client(base, writes, rate=rate, capacity=capacity,
                                 concurrency=concurrency))
        seconds = time.monotonic() - started
        counters = _control(base, "GET", "counters")
    return _contender("reference: ideal paced httpx client", seconds, started, counters,
                      expected=len(world.pairs), status="succeeded")


# -- the run --------------------------------------------------------------------------------

def run_push_bench(console: Console, *, grades: int = 5000, rate: float = 100.0,
                   capacity: float = 50.0, concurrency: int = 4,
                   database_url: str | None = None, workdir: Path = Path(".bench"),
                   per_class: int = STUDENTS_PER_CLASS) -> PushBench:
    if grades < 1 or rate <= 0 or capacity < 1 or concurrency < 1:
        raise ValueError("grades, rate, capacity and concurrency must be positive")
    workdir.mkdir(parents=True, exist_ok=True)
    world = _world(grades, per_class)
    pg = bool(database_url and database_url.startswith("postgres"))
    assignments = len(world.classes) * len(STANDARDS)
    console.print(f"push of {grades:,} grades ({len(world.classes):,} classes, {assignments:,} "
                  f"assignments) into a Canvas bucket of {capacity:g} leaking {rate:g}/s, "
                  f"{concurrency} in flight ...")
    harbor = _harbormaster(console, world, rate=rate, capacity=capacity,
                           concurrency=concurrency, database_url=database_url,
                           workdir=workdir)
    console.print(f"  Harbormaster: {harbor.seconds:.2f} s")
    reference = _reference(world, rate=rate, capacity=capacity, concurrency=concurrency)
    console.print(f"  reference: {reference.seconds:.2f} s")
    bench = PushBench(grades, rate, capacity, concurrency, "PostgreSQL" if pg else "SQLite",
                      assignments, harbor, reference)
    print_push(console, bench)
    return bench


def print_push(console: Console, b: PushBench) -> None:
    table = Table(title=f"grade push, {b.grades:,} grades, bucket {b.capacity:g} leaking "
                        f"{b.rate:g}/s, concurrency {b.concurrency} ({b.database} store)",
                  title_justify="left")
    for col in ("what", "time (s)", "grades/s", "requests/s", "x limit", "x reference",
                "LMS span (s)", "to 1st request (s)", "403s", "duplicates", "in LMS"):
        table.add_column(col, justify="left" if col == "what" else "right")
    ref_rate = b.rate_of(b.reference)
    table.add_row("limit: burst, then the leak rate", f"{b.limit_seconds:.2f}",
                  f"{b.limit_rate:.1f}", f"{b.limit_rate:.1f}", "1.000",
                  f"{b.limit_rate / ref_rate:.3f}", "", "", "", "", "")
    for c in (b.harbormaster, b.reference):
        mine = b.rate_of(c)
        table.add_row(c.name, f"{c.seconds:.2f}", f"{mine:.1f}",
                      f"{c.requests / c.seconds:.1f}" if c.seconds else "",
                      f"{mine / b.limit_rate:.3f}", f"{mine / ref_rate:.3f}",
                      f"{c.lms_span:.2f}", f"{c.before_first:.2f}", f"{c.throttled:,}",
                      str(c.duplicates(b.grades)), f"{c.graded:,}/{c.expected_graded:,}")
    console.print(table)
    h = b.harbormaster
    console.print(f"Harbormaster / limit {b.rate_of(h) / b.limit_rate:.3f}, Harbormaster / "
                  f"reference {b.rate_of(h) / ref_rate:.3f}; {h.requests - b.grades} "
                  f"request(s) beyond one per grade; push {h.status}; assignments made "
                  f"{sum(h.created.values())} for {b.assignments} integration ids")
