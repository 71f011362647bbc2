"""Scaled out on PostgreSQL: one scheduler and two procrastinate workers share the runs.

Twenty connections scheduled for the same second each run exactly once, spread over both
workers; a worker killed mid-run has its run picked up by the other, resumed."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.schedule import ScheduleRule
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.gateway.daemon.conftest import Inbox, Site, wait_for
from tests.helpers import csv_connection

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_site(site: Site) -> Site:
    if not site.url.startswith("postgresql"):
        pytest.skip("procrastinate needs PostgreSQL")
    site.env["HARBOR_QUEUE"] = "procrastinate"
    return site


@pytest.mark.parametrize("site", ["postgresql"], indirect=True)
def test_one_scheduler_and_two_workers_share_the_runs(pg_site: Site, tmp_path: Path,
                                                      inbox: Inbox) -> None:
    site, store = pg_site, pg_site.store
    for i in range(20):
        export = write_export(tmp_path / f"export{i}", small_district(30 + i))
        csv_connection(store, export, name=f"sis{i:02}")
    # The fire time is set once the connections exist, so a slow setup (a busy machine, a
    # parallel test run) cannot leave it in the past before the schedulers start.
    fire = datetime.now(UTC) + timedelta(seconds=8)
    cron = f"{fire.second} {fire.minute} {fire.hour} * * *"
    for i in range(20):
        store.schedules.put(ScheduleRule(store.connection(f"district/sis{i:02}").id, cron,
                                         "UTC"))
    csv_connection(store, inbox.path, name="big")
    store.schedules.put(ScheduleRule(store.connection("district/big").id, enabled=False,
                                     timezone="UTC"))
    site.spawn("serve", "--scheduler-only", name="scheduler")
    site.spawn("serve", "--scheduler-only", name="standby-scheduler")
    workers = [site.spawn("worker", name="worker") for _ in range(2)]

    wait_for(lambda: len(store.list_runs(limit=100)) >= 20 and not store.pending_runs(),
             90, "the scheduled runs to finish", site)
    runs = store.list_runs(limit=100)
    assert len(runs) == 20, "each connection ran exactly once, though two schedulers run"
    assert sorted(r.connection for r in runs) == [f"district/sis{i:02}" for i in range(20)]
    assert all(r.status == "succeeded" and r.attempts == 1 and r.trigger == "schedule"
               for r in runs), [(r.connection, r.status, r.message) for r in runs]
    pids = {str(w.pid) for w in workers}
    used = {(r.worker or "").split(":")[1] for r in runs}
    assert used == pids, f"both workers took runs ({used} of {pids})"

    # A run of the big inbox; kill whichever worker takes it once its first part is in.
    big = store.connection("district/big")
    run_id, _ = store.request_run(big, trigger="api")  # the scheduler dispatches it
    wait_for(lambda: store.connection_by_id(big.id).state is not None, 90,
             "the first part of the big run", site)
    run = store.run(run_id)
    assert run is not None and run.status == "running" and run.worker
    victim = next(w for w in workers if str(w.pid) == run.worker.split(":")[1])
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    wait_for(lambda: (r := store.run(run_id)) is not None and not r.active, 120,
             "the other worker to pick the run up", site)
    done = store.run(run_id)
    assert done is not None and done.status == "succeeded", done.message
    assert done.attempts == 2 and str(victim.pid) not in (done.worker or "")
    assert store.connection_by_id(big.id).state == {"last_export": inbox.second}
