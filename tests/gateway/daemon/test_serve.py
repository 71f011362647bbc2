"""`harbor serve` as a district runs it: probes and metrics answer, a run started through
the admin API runs in the daemon, SIGTERM stops it gracefully and the next start resumes
it; and a run held by the deletion safeguard is approved through the API."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.daemon.worker import Worker
from gateway.settings import Settings
from gateway.store.keys import ApiKeys
from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.gateway.daemon.conftest import Inbox, Site, wait_for
from tests.gateway.daemon.test_processes import _free_port
from tests.helpers import csv_connection, run


def _serve(site: Site, port: int, name: str) -> httpx.Client:
    site.spawn("serve", "--port", str(port), name=name)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def up() -> bool:
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, 60, "harbor serve to answer /healthz", site)
    return client


def test_serve_runs_api_triggered_syncs_and_stops_gracefully(site: Site, inbox: Inbox) -> None:
    store = site.store
    csv_connection(store, inbox.path)
    conn = store.connection("district/sis")
    token = ApiKeys(store.engine).create("ops", None)[1]
    auth = {"Authorization": f"Bearer {token}"}
    port = _free_port()
    client = _serve(site, port, "first")
    site.clients.append(client)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "scheduler": True, "worker": True}
    assert client.post("/admin/tenants/district/connections/sis/runs").status_code == 401

    answer = client.post("/admin/tenants/district/connections/sis/runs", headers=auth, json={})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["id"]
    wait_for(lambda: store.connection_by_id(conn.id).state is not None, 120,
             "the first export to be applied", site)
    daemon = site.procs[-1]
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(60) == 0, site.output()
    stopped = store.run(run_id)
    assert stopped is not None and stopped.status == "queued", stopped
    assert "stopped by a worker shutdown" in (stopped.message or "")
    assert stopped.checkpoint == inbox.first
    assert store.count(conn.tenant_id, "users") == len(inbox.users_first)

    client = _serve(site, port, "second")
    site.clients.append(client)
    wait_for(lambda: (r := store.run(run_id)) is not None and r.status == "succeeded", 120,
             "the restarted daemon to resume the run", site)
    detail = client.get(f"/admin/tenants/district/runs/{run_id}", headers=auth).json()
    assert detail["status"] == "succeeded" and detail["attempts"] == 2
    assert store.count(conn.tenant_id, "users") == len(inbox.users_second)
    metrics = client.get("/metrics").text
    assert 'harbor_runs{status="succeeded"} 1.0' in metrics
    assert "harbor_queue_depth 0.0" in metrics
    assert 'harbor_records_total{outcome="added",stream="users"}' in metrics
    site.procs[-1].send_signal(signal.SIGTERM)
    assert site.procs[-1].wait(60) == 0


def test_a_held_run_is_approved_through_the_api(store: Store, tmp_path: Path) -> None:
    export = tmp_path / "export"
    write_export(export, small_district(20))
    csv_connection(store, export)
    assert run(store).status == "succeeded"
    write_export(export, small_district(2))  # 18 of 20 students gone: beyond the safeguard
    settings = Settings(lease_seconds=5, poll_seconds=0.1)
    worker = Worker(store, settings)
    worker.start()
    app = create_app(store, settings, dispatcher=worker)
    auth = {"Authorization": f"Bearer {ApiKeys(store.engine).create('ops', None)[1]}"}
    try:
        with TestClient(app) as client:
            held_id = client.post("/admin/tenants/district/connections/sis/runs",
                                  headers=auth, json={}).json()["id"]
            wait_for(lambda: (r := store.run(held_id)) is not None and not r.active, 30,
                     "the run to be held")
            held = client.get(f"/admin/tenants/district/runs/{held_id}", headers=auth).json()
            assert held["status"] == "held" and "--approve-deletions" in held["message"]
            tid = store.tenant("district").id
            assert store.count(tid, "users") == 22, "nothing applied while held"
            approved = client.post(f"/admin/tenants/district/runs/{held_id}/approve",
                                   headers=auth)
            assert approved.status_code == 202, approved.text
            approval = approved.json()["id"]
            wait_for(lambda: (r := store.run(approval)) is not None and not r.active, 30,
                     "the approval run")
            done = store.run(approval)
            assert done is not None and done.status == "succeeded", done.message
            assert done.approves == held_id and done.trigger == "approval"
            assert store.count(tid, "users") == 4
    finally:
        worker.stop()


def test_a_dry_run_through_the_api_applies_nothing(store: Store, tmp_path: Path) -> None:
    csv_connection(store, write_export(tmp_path / "export", small_district(5)))
    settings = Settings(lease_seconds=5, poll_seconds=0.1)
    worker = Worker(store, settings)
    worker.start()
    auth = {"Authorization": f"Bearer {ApiKeys(store.engine).create('ops', None)[1]}"}
    try:
        with TestClient(create_app(store, settings, dispatcher=worker)) as client:
            run_id = client.post("/admin/tenants/district/connections/sis/runs",
                                 headers=auth, json={"dry_run": True}).json()["id"]
            wait_for(lambda: (r := store.run(run_id)) is not None and not r.active, 30,
                     "the dry run")
            detail = client.get(f"/admin/tenants/district/runs/{run_id}", headers=auth).json()
    finally:
        worker.stop()
    assert detail["status"] == "dry_run" and detail["dry_run"] is True
    assert detail["counts"]["users"]["added"] == 7
    assert store.count(store.tenant("district").id, "users") == 0
    assert store.connection("district/sis").state is None
