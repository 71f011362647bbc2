"""Ten thousand grades through random 429s and 500s (some after the LMS applied the write)
and a worker killed mid-push, into the Canvas-shaped server: the LMS ends with exactly
10,000 correct grades, one assignment per class and standard, and nothing pending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from gateway.daemon.worker import Executor
from gateway.push.run import PushReport
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.push_tables import push_ledger
from gateway.store.store import Store
from gateway.testing.lms.canvas import CanvasServer
from tests.helpers import serve_app
from tests.push.world import STANDARDS, add_destination, build_world, bulk_mastery

ROOT = Path(__file__).resolve().parents[2]
CLASSES, STUDENTS = 100, 50  # x 2 standards = 10,000 grades


def test_ten_thousand_grades_through_faults_and_a_killed_worker(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    url = f"sqlite:///{tmp_path / 'harbor.db'}"
    store = Store.open(url, SecretBox(key))
    # The worker process judges grading periods on the real date: the world follows it.
    world = build_world(store, tmp_path, classes=CLASSES, students=STUDENTS, mastery=False,
                        today=datetime.now(UTC).date())
    scores = bulk_mastery(world)
    assert len(scores) == CLASSES * STUDENTS * 2
    canvas = CanvasServer(fault_rate=0.08, after_apply_rate=0.5, seed=9, retry_after=0)
    for k, members in world.classes.items():
        canvas.add_course(k)
        for u in members:
            canvas.add_student(k, u)
    with serve_app(canvas.app) as base:
        add_destination(world, "canvas", "canvas",
                        {"base_url": base, "timeout": 10, "retries": 6, "pacing": False},
                        secrets={"access_token": "canvas-test-token"},
                        push={"items": [{"standard": s} for s in STANDARDS],
                              "concurrency": 8})
        # A worker in its own process, killed (SIGKILL: no cleanup) a third of the way in.
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.push.fault_worker", url, key.decode(),
             "district/canvas"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 120
        while canvas.grade_writes < 0.3 * len(scores) and child.poll() is None:
            assert time.monotonic() < deadline, "the child worker made no progress"
            time.sleep(0.05)
        assert child.poll() is None, "the worker finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed_at = canvas.grade_writes
        assert 0.3 * len(scores) <= killed_at < len(scores)

        # Other workers take over once the dead one's lease expires, and push until done.
        executor = Executor(store, Settings(lease_seconds=2))
        reports: list[PushReport] = []
        for _ in range(40):
            pending = [r for r in store.pending_runs() if r.connection == "district/canvas"]
            run_id = pending[0].id if pending else store.request_run(
                store.connection("district/canvas"), trigger="cli")[0]
            report = executor.execute_blocking(run_id)
            if report is None:  # the dead worker's lease has not expired yet
                time.sleep(0.5)
                continue
            assert isinstance(report, PushReport)
            reports.append(report)
            if report.status == "succeeded":
                break
        assert reports and reports[-1].status == "succeeded", reports[-1:]
        assert canvas.injected > 100  # the faults really happened

        # Exactly one assignment per class and standard, each made once.
        live = [a for a in canvas.assignments.values() if a["workflow_state"] != "deleted"]
        assert len(live) == CLASSES * len(STANDARDS)
        assert set(canvas.created.values()) == {1}
        # Exactly 10,000 grades, each the learner's mastery as a percent.
        graded = {(a_id, uid): sub for (a_id, uid), sub in canvas.submissions.items()
                  if sub.score is not None}
        assert len(graded) == len(scores)
        standard_of = {a["id"]: next(s for s in STANDARDS if a["integration_id"] and
                                     a["name"].startswith(_code(s))) for a in live}
        for (a_id, uid), sub in graded.items():
            learner = canvas.users[uid]["sis_user_id"]
            assert sub.score == round(scores[(learner, standard_of[a_id])] * 100, 1)
            assert len(sub.comments) == 1, sub.comments  # "Mastery: …", never twice
        with store.engine.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).where(
                push_ledger.c.status == "pending")).scalar()
        assert left == 0
        # And a push after all that writes nothing.
        writes = canvas.grade_writes
        run_id, _ = store.request_run(store.connection("district/canvas"), trigger="cli")
        again = executor.execute_blocking(run_id)
        assert isinstance(again, PushReport) and again.counts["grades"] == {
            "unchanged": len(scores)}
        assert canvas.grade_writes == writes
    store.close()


def _code(identifier: str) -> str:
    return {"m-3nfa1": "3.NF.A.1", "m-4nfa1": "4.NF.A.1"}[identifier]

