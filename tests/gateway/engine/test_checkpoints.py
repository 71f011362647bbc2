"""Runs applied in parts: each checkpoint commits, a failure or stop keeps what came before,
and the next run resumes after the last checkpoint instead of starting over."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from gateway.daemon.worker import Executor
from gateway.engine.run import RunControl, RunOptions, sync
from gateway.settings import Settings
from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, user, write_export
from tests.helpers import counts, csv_connection, run


def _inbox(root: Path, *, broken_second: bool = False) -> Path:
    """Two exports, A (6 students) then B (A plus u7, minus nothing)."""
    a = small_district(6)
    write_export(root / "2026-09-01", a)
    b = small_district(6)
    b["users"].append(user("u7", "Given7", "Family7", primaryOrgSourcedId="s1"))
    if broken_second:
        b["users"][-1]["enabledUser"] = "perhaps"
    write_export(root / "2026-09-02", b)
    return root


def test_a_failing_later_part_keeps_the_earlier_ones(store: Store, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox", broken_second=True)
    csv_connection(store, inbox)
    report = run(store)
    assert report.status == "failed"
    assert "2026-09-01" in (report.message or ""), "says what was applied before the failure"
    conn = store.connection("district/sis")
    assert conn.state == {"last_export": "2026-09-01"}
    tid = store.tenant("district").id
    assert store.count(tid, "users") == 8, "export A is applied whole"
    assert store.record(tid, "users", "u7") is None, "export B is not applied at all"
    [last] = store.list_runs(limit=1)
    assert last.checkpoint == "2026-09-01" and last.version == report.version


def test_the_next_run_resumes_after_the_last_checkpoint(store: Store, tmp_path: Path) -> None:
    inbox = _inbox(tmp_path / "inbox", broken_second=True)
    csv_connection(store, inbox)
    assert run(store).status == "failed"
    _inbox(tmp_path / "inbox")  # the SIS re-sends B, fixed
    report = run(store)
    assert report.status == "succeeded", report.message
    # Only B was read: A's eight users would otherwise show up again as unchanged.
    assert counts(report)["users"] == {"added": 1, "updated": 0, "unchanged": 8, "deleted": 0,
                                       "skipped": 0}


def test_a_dry_run_over_several_parts_applies_nothing(store: Store, tmp_path: Path) -> None:
    csv_connection(store, _inbox(tmp_path / "inbox"))
    report = run(store, dry_run=True)
    assert report.status == "dry_run"
    # Each export is diffed against the store as it is (nothing is applied in between).
    assert counts(report)["users"]["added"] == 8 + 9
    assert store.count(store.tenant("district").id, "users") == 0
    assert store.connection("district/sis").state is None


def test_a_stopped_run_is_queued_again_and_resumes(store: Store, tmp_path: Path) -> None:
    csv_connection(store, _inbox(tmp_path / "inbox"))
    conn = store.connection("district/sis")
    run_id, _ = store.request_run(conn, trigger="api")
    assert store.claim_run(run_id, "worker-a") is not None
    stop = threading.Event()

    def progress(stream: str, rows: int, units: Any) -> None:
        if store.connection("district/sis").state:  # A committed: shut down now
            stop.set()

    report = asyncio.run(sync(store, conn, RunOptions(), run_id=run_id,
                              control=RunControl(stop=stop), progress=progress))
    assert report.status == "stopped"
    stopped = store.run(run_id)
    assert stopped is not None and stopped.status == "queued", "queued again to resume"
    assert stopped.checkpoint == "2026-09-01" and "resumes after checkpoint" in (
        stopped.message or "")
    assert store.record(store.tenant("district").id, "users", "u7") is None

    resumed = Executor(store, Settings(lease_seconds=5)).execute_blocking(run_id)
    assert resumed is not None and resumed.status == "succeeded", resumed.message
    final = store.run(run_id)
    assert final is not None and final.status == "succeeded" and final.attempts == 2
    # One run, counted once: A's 8 users added in the first attempt, u7 in the second.
    assert final.counts["users"]["added"] == 9 and final.counts["users"]["unchanged"] == 8
