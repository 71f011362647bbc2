"""Real worker processes on both databases: a killed worker leaves the store consistent and
its run resumes from the last checkpoint; two workers never run one connection at once."""

from __future__ import annotations

import itertools
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from gateway.store.tables import leases
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.gateway.daemon.conftest import HARBOR, Inbox, Site, wait_for
from tests.helpers import csv_connection


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigkill_mid_run_keeps_the_store_consistent_and_the_next_run_resumes(
        site: Site, inbox: Inbox) -> None:
    store = site.store
    csv_connection(store, inbox.path)
    conn = store.connection("district/sis")
    tid = conn.tenant_id
    worker = site.spawn("worker", name="doomed")
    run_id, _ = store.request_run(conn, trigger="api")

    def first_part_committed() -> bool:
        return store.connection_by_id(conn.id).state == {"last_export": inbox.first}

    wait_for(first_part_committed, 120, "the first export to be applied", site)
    worker.send_signal(signal.SIGKILL)  # in the middle of the second export
    worker.wait(10)

    run = store.run(run_id)
    assert run is not None and run.status == "running", "nobody recorded the end"
    assert run.checkpoint == inbox.first
    # Exactly the first export is visible: none of the second's new users, all of the
    # first export's users still active.
    new_in_second = inbox.users_second - inbox.users_first
    gone_in_second = inbox.users_first - inbox.users_second
    assert new_in_second and gone_in_second
    assert store.count(tid, "users") == len(inbox.users_first)
    assert all(store.record(tid, "users", sid) is None for sid in sorted(new_in_second)[:50])
    assert store.connection_by_id(conn.id).state == {"last_export": inbox.first}

    site.spawn("worker", name="successor")
    wait_for(lambda: (r := store.run(run_id)) is not None and not r.active, 120,
             "the successor to finish the run", site)
    done = store.run(run_id)
    assert done is not None and done.status == "succeeded", done.message
    assert done.attempts == 2, "the same run, resumed"
    users = done.counts["users"]
    # The first export was not read again: its users count once (added), and the second
    # export's unchanged users are those it kept.
    assert users["added"] == len(inbox.users_first) + len(new_in_second)
    assert users["deleted"] == len(gone_in_second)
    assert store.count(tid, "users") == len(inbox.users_second)
    assert store.connection_by_id(conn.id).state == {"last_export": inbox.second}


def test_two_workers_never_run_one_connection_at_once(site: Site, tmp_path: Path) -> None:
    store = site.store
    for i in range(6):
        export = write_export(tmp_path / f"export{i}", small_district(20 + i))
        csv_connection(store, export, name=f"sis{i}")
    port = _free_port()
    site.spawn("worker", "--metrics-port", str(port), name="worker")
    site.spawn("worker", name="worker")
    rounds = 3
    for _ in range(rounds):
        queued = [store.request_run(store.connection(f"district/sis{i}"), trigger="api")
                  for i in range(6)]
        assert not any(coalesced for _, coalesced in queued)
        wait_for(lambda: not store.pending_runs(), 60, "all runs to finish", site)
    runs = store.list_runs(limit=100)
    assert len(runs) == 6 * rounds
    assert all(r.status == "succeeded" and r.attempts == 1 for r in runs), [
        (r.id, r.status, r.attempts, r.message) for r in runs]
    for i in range(6):
        mine = sorted((r.started_at or "", r.finished_at or "") for r in runs
                      if r.connection.endswith(f"/sis{i}"))
        for (_, end), (start, _) in itertools.pairwise(mine):
            assert end <= start, f"sis{i}: runs overlapped"
    # The worker with a metrics port counts what it did.
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    ours = sum(1 for r in runs if (r.worker or "").split(":")[1] == str(site.procs[0].pid))
    assert f'harbor_runs_finished_total{{status="succeeded"}} {ours:.1f}' in metrics


def test_harbor_sync_refuses_while_a_worker_holds_the_connection(site: Site,
                                                                 inbox: Inbox) -> None:
    store = site.store
    csv_connection(store, inbox.path)
    conn = store.connection("district/sis")
    # Another process is running this connection: its run is active and it holds the lease.
    run_id, _ = store.request_run(conn, trigger="api")
    store.claim_run(run_id, "elsewhere:1")
    assert store.leases.acquire(f"connection:{conn.id}", "elsewhere:1", 60)
    done = subprocess.run([HARBOR, "sync", "district/sis"], env=site.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "already has a running run" in done.stdout + done.stderr
    # And even with no run recorded, the lease alone keeps a second process out.
    store.finish_run(run_id, status="failed", counts={}, message="test", problems=[],
                     problem_total=0, version=None)
    done = subprocess.run([HARBOR, "sync", "district/sis"], env=site.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "being synced by another process (elsewhere:1)" in done.stdout + done.stderr
    with store.engine.begin() as c:
        c.execute(leases.delete())
    assert store.count(conn.tenant_id, "users") == 0, "nothing ran"


def test_harbor_sync_resumes_a_run_its_dead_process_left_running(site: Site,
                                                                 tmp_path: Path) -> None:
    store = site.store
    csv_connection(store, write_export(tmp_path / "export", small_district(8)))
    conn = store.connection("district/sis")
    run_id, _ = store.request_run(conn, trigger="cli")
    store.claim_run(run_id, "dead:1")
    assert store.leases.acquire(f"connection:{conn.id}", "dead:1", 0.1)
    time.sleep(0.2)  # the dead process's lease expires
    done = subprocess.run([HARBOR, "sync", "district/sis"], env=site.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"resuming run {run_id}" in done.stdout
    run = store.run(run_id)
    assert run is not None and run.status == "succeeded" and run.attempts == 2
    assert store.count(conn.tenant_id, "users") == 10
