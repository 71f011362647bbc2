"""Grade push throughput against a rate-limited LMS: Harbormaster's Canvas push of N grades
into the Canvas-shaped server (``gateway.testing.lms.canvas``: Canvas's leaky bucket per
token, ``403 Rate Limit Exceeded`` when it is full), beside the two references measured in
the same run:

- the **limit**: with a bucket of ``capacity`` leaking ``rate`` requests a second, N requests
  cannot finish sooner than ``(N - capacity) / rate`` seconds;
- an **ideal paced client**: plain httpx, the same concurrency, sending the same number of
  grade PUTs, pacing itself to exactly ``rate`` a second after the first ``capacity`` (it
  knows the bucket's size; a real client only sees its headers).

The world: ``grades / 25`` classes of 25 learners, each with mastery of one standard, one
assignment per class; ``push.comment`` off, so each grade is one request. ``harbor bench
push`` drives it.
"""

from __future__ import annotations

import asyncio
import csv
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from gateway.bench.ingest import KEY
from gateway.clock import utcnow
from gateway.engine.run import RunOptions, sync
from gateway.mastery.settings import DEFAULT_SETTINGS
from gateway.model.schema import COMMON_COLUMNS, STREAMS
from gateway.push.run import PushOptions, push
from gateway.secrets import SecretBox
from gateway.store.learning_tables import mastery, standards, standards_frameworks
from gateway.store.store import Store
from gateway.testing.lms.canvas import CanvasServer

__all__ = ["PushRow", "run_push_bench"]

TOKEN = "canvas-test-token"  # noqa: S105 - the test server's token, not a secret
PER_CLASS = 25
STANDARD = "bench-std-1"


@dataclass(frozen=True, slots=True)
class PushRow:
    who: str
    requests: int
    seconds: float
    throttled: int
    duplicates: int
    grades: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@contextmanager
def _serve(app: object) -> Iterator[str]:
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else 40 ms a request
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _roster(folder: Path, classes: int) -> None:
    """A OneRoster 1.2 CSV export: one school, a term holding today, ``classes`` classes."""
    folder.mkdir(parents=True, exist_ok=True)
    today = time.gmtime()
    year = today.tm_year
    files = {
        "orgs": [{"sourcedId": "d1", "name": "District", "type": "district"},
                 {"sourcedId": "s1", "name": "School", "type": "school",
                  "parentSourcedId": "d1"}],
        "academicSessions": [{"sourcedId": "t1", "title": "Year", "type": "schoolYear",
                              "startDate": f"{year - 1}-01-01", "endDate": f"{year + 1}-12-31",
                              "schoolYear": str(year + 1)}],
        "courses": [{"sourcedId": "c1", "title": "Math", "orgSourcedId": "s1"}],
        "classes": [{"sourcedId": f"k{c}", "title": f"Math k{c}", "courseSourcedId": "c1",
                     "classType": "scheduled", "schoolSourcedId": "s1", "termSourcedIds": "t1"}
                    for c in range(classes)],
        "users": [{"sourcedId": f"k{c}-s{s}", "enabledUser": "true", "username": f"k{c}-s{s}",
                   "givenName": "G", "familyName": "F", "primaryOrgSourcedId": "s1"}
                  for c in range(classes) for s in range(PER_CLASS)],
        "enrollments": [{"sourcedId": f"e-{c}-{s}", "classSourcedId": f"k{c}",
                         "schoolSourcedId": "s1", "userSourcedId": f"k{c}-s{s}",
                         "role": "student"} for c in range(classes) for s in range(PER_CLASS)],
    }
    with (folder / "manifest.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerows([["propertyName", "value"], ["manifest.version", "1.0"],
                     ["oneroster.version", "1.2"]])
        w.writerows([[f"file.{s}", "bulk" if s in files else "absent"] for s in STREAMS])
    for stream, rows in files.items():
        columns = [*COMMON_COLUMNS, *STREAMS[stream].column_names]
        with (folder / f"{stream}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            w.writerows([[row.get(c, "") for c in columns] for row in rows])


def _world(store: Store, workdir: Path, classes: int) -> None:
    _roster(workdir / "roster", classes)
    store.add_connection("bench", "roster", "oneroster-csv", {"path": str(workdir / "roster")},
                         {})
    report = asyncio.run(sync(store, store.connection("bench/roster"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant_id, now = store.tenant("bench").id, utcnow()
    with store.engine.begin() as conn:
        framework = conn.execute(standards_frameworks.insert().values(
            tenant_id=tenant_id, identifier="bench-doc", title="Bench", imported_at=now)
            .returning(standards_frameworks.c.id)).scalar_one()
        conn.execute(standards.insert().values(
            tenant_id=tenant_id, framework_id=framework, identifier=STANDARD, code="B.1",
            statement="A standard"))
        conn.execute(mastery.insert(), [
            {"tenant_id": tenant_id, "user_sourced_id": f"k{c}-s{s}", "standard": STANDARD,
             "score": (c * 7 + s) % 100 / 100, "level": DEFAULT_SETTINGS.level(
                 (c * 7 + s) % 100 / 100), "method": "most_recent", "evidence_count": 1,
             "last_evidence_at": now, "computed_at": now}
            for c in range(classes) for s in range(PER_CLASS)])


def _canvas(classes: int, rate: float, capacity: float) -> CanvasServer:
    canvas = CanvasServer(capacity=capacity, leak=rate)
    for c in range(classes):
        canvas.add_course(f"k{c}")
        for s in range(PER_CLASS):
            canvas.add_student(f"k{c}", f"k{c}-s{s}")
    return canvas


def harbormaster_push(workdir: Path, classes: int, rate: float, capacity: float,
                      concurrency: int) -> PushRow:
    store = Store.open(f"sqlite:///{workdir / 'harbor.db'}", SecretBox(KEY.encode()))
    try:
        _world(store, workdir, classes)
        canvas = _canvas(classes, rate, capacity)
        with _serve(canvas.app) as url:
            store.add_connection(
                "bench", "canvas", "canvas",
                {"base_url": url, "push": {"items": [{"standard": STANDARD}], "comment": False,
                                           "concurrency": concurrency}},
                {"access_token": TOKEN})
            started = time.perf_counter()
            report = asyncio.run(push(store, store.connection("bench/canvas"), PushOptions()))
            seconds = time.perf_counter() - started
        assert report.status == "succeeded", (report.message, report.problems[:3])
        graded = sum(1 for s in canvas.submissions.values() if s.score is not None)
        duplicates = sum(n - 1 for n in canvas.created.values()) + (
            canvas.grade_writes - graded)
        return PushRow("Harbormaster (canvas destination, paced)", canvas.requests, seconds,
                       canvas.throttled, duplicates, graded)
    finally:
        store.close()


def ideal_client(classes: int, rate: float, capacity: float, concurrency: int,
                 requests: int) -> PushRow:
    canvas = _canvas(classes, rate, capacity)
    ids = [canvas.add_assignment(f"k{c}", "A", integration_id=f"x{c}", points=100)
           for c in range(classes)]
    targets = [(f"k{c}", ids[c], f"k{c}-s{s}") for c in range(classes)
               for s in range(PER_CLASS)]
    targets = (targets * (requests // len(targets) + 1))[:requests]

    async def main(url: str) -> float:
        start = time.monotonic()
        slots = iter(range(requests))
        lock = asyncio.Lock()

        async def worker(client: httpx.AsyncClient) -> None:
            while True:
                async with lock:
                    n = next(slots, None)
                if n is None:
                    return
                due = start + max(0.0, n + 1 - capacity) / rate
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
                course, aid, user = targets[n]
                await client.put(f"/api/v1/courses/sis_course_id:{course}/assignments/{aid}/"
                                 f"submissions/sis_user_id:{user}",
                                 json={"submission": {"posted_grade": "7"}})

        async with httpx.AsyncClient(base_url=url, headers={
                "Authorization": f"Bearer {TOKEN}"}) as client:
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.monotonic() - start

    with _serve(canvas.app) as url:
        seconds = asyncio.run(main(url))
    graded = sum(1 for s in canvas.submissions.values() if s.score is not None)
    return PushRow("ideal paced client (plain httpx)", canvas.requests, seconds,
                   canvas.throttled, 0, graded)


def run_push_bench(*, grades: int = 5000, rate: float = 100.0, capacity: float = 50.0,
                   concurrency: int = 8, console: Console | None = None) -> list[PushRow]:
    """Measure and print; returns the rows (Harbormaster first)."""
    console = console or Console()
    classes = max(1, grades // PER_CLASS)
    with tempfile.TemporaryDirectory(prefix="harbor-bench-push-") as tmp:
        ours = harbormaster_push(Path(tmp), classes, rate, capacity, concurrency)
    ideal = ideal_client(classes, rate, capacity, concurrency, ours.requests)
    limit = max(0.0, ours.requests - capacity) / rate
    table = Table(title=f"grade push: {ours.grades:,} grades, bucket of {capacity:g} leaking "
                        f"{rate:g} requests/s, {concurrency} in flight", title_justify="left")
    for col in ("who", "requests", "seconds", "requests/s", "of the limit", "403 throttled",
                "duplicate writes"):
        table.add_column(col, justify="left" if col == "who" else "right")
    table.add_row("the limit ((N - capacity) / rate)", f"{ours.requests:,}", f"{limit:.1f}",
                  f"{rate:g}", "100 %", "", "")
    for row in (ours, ideal):
        share = limit / row.seconds if row.seconds else 0.0
        table.add_row(row.who, f"{row.requests:,}", f"{row.seconds:.1f}", f"{row.rate:.1f}",
                      f"{share:.1%}", f"{row.throttled:,}", f"{row.duplicates:,}")
    console.print(table)
    console.print(f"Harbormaster / ideal client: {ideal.seconds / ours.seconds:.2f} of its "
                  f"speed; Harbormaster / limit: {limit / ours.seconds:.2f}", highlight=False)
    return [ours, ideal]
