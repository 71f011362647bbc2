"""Runs through the API: run now (coalesced), follow, approve a held run, cancel."""

from __future__ import annotations

from gateway.errors import Problem
from gateway.store.store import Store
from tests.api.conftest import Harbor
from tests.helpers import run as sync_now

RUNS = "/admin/tenants/north/connections/sis/runs"


def _hold(store: Store, name: str = "north/sis") -> int:
    """A run the deletion safeguard held, as a worker would record it."""
    run_id, _ = store.request_run(store.connection(name), trigger="schedule",
                                  options={"dry_run": False, "reread": True})
    assert store.claim_run(run_id, "test") is not None
    store.finish_run(run_id, status="held", counts={"users": {"deleted": 5}},
                     message="users: would delete 5 of 8 active records (62%)",
                     problems=[], problem_total=0, version=None)
    return run_id


def test_run_now_is_queued_and_a_second_trigger_coalesces(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    conn = harbor.store.connection("north/sis")
    r = harbor.client.post(RUNS, headers=ops)
    assert r.status_code == 202, r.text
    first = r.json()
    assert first["status"] == "queued" and first["coalesced"] is False
    assert first["trigger"] == "api" and first["requested_by"] == "north-it"
    assert first["options"] == {"dry_run": False, "reread": False}
    assert harbor.dispatcher.submitted == [(first["id"], conn.id)]

    r = harbor.client.post(RUNS, json={"dry_run": True}, headers=harbor.as_(harbor.operator))
    assert r.status_code == 202
    assert r.json()["id"] == first["id"] and r.json()["coalesced"] is True
    assert harbor.dispatcher.submitted == [(first["id"], conn.id)]  # not woken twice
    assert len(harbor.store.list_runs(connection=conn)) == 1


def test_dry_run_and_reread_are_recorded(harbor: Harbor) -> None:
    r = harbor.client.post(RUNS, json={"dry_run": True, "reread": True},
                           headers=harbor.as_(harbor.north))
    assert r.status_code == 202
    run = harbor.store.run(r.json()["id"])
    assert run is not None and run.dry_run is True
    assert run.options == {"dry_run": True, "reread": True}
    r = harbor.client.post(RUNS, json={"dry_run": "maybe"}, headers=harbor.as_(harbor.north))
    assert r.status_code == 422 and "dry_run" in r.json()["detail"]


def test_lists_and_detail(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    report = sync_now(harbor.store, "north/sis")
    assert report.status == "succeeded"
    failed, _ = harbor.store.request_run(harbor.store.connection("north/vendor"),
                                         trigger="schedule")
    harbor.store.claim_run(failed, "worker-1")
    harbor.store.finish_run(failed, status="failed", counts={}, message="2 problems",
                            problems=[Problem("users.csv", 3, "email", "not an email; fix it"),
                                      Problem("users.csv", None, None, "file is empty")],
                            problem_total=2, version=None)
    harbor.store.request_run(harbor.store.connection("south/sis"), trigger="api")

    r = harbor.client.get("/admin/tenants/north/runs", headers=ops)
    assert [(x["id"], x["status"]) for x in r.json()] == [(failed, "failed"),
                                                          (report.run_id, "succeeded")]
    r = harbor.client.get("/admin/tenants/north/runs?status=failed&limit=5", headers=ops)
    assert [x["id"] for x in r.json()] == [failed]
    r = harbor.client.get("/admin/tenants/north/runs?status=bogus", headers=ops)
    assert r.status_code == 422 and "status" in r.json()["detail"]
    r = harbor.client.get("/admin/tenants/north/runs?limit=0", headers=ops)
    assert r.status_code == 422
    r = harbor.client.get(RUNS, headers=ops)
    assert [x["id"] for x in r.json()] == [report.run_id]
    assert r.json()[0]["counts"]["users"]["added"] == 8

    r = harbor.client.get(f"/admin/tenants/north/runs/{failed}", headers=ops)
    detail = r.json()
    assert detail["status"] == "failed" and detail["attempts"] == 1
    assert detail["worker"] == "worker-1" and detail["trigger"] == "schedule"
    assert detail["message"] == "2 problems" and detail["problem_count"] == 2
    assert detail["errors"] == [
        {"source": "users.csv", "line": 3, "column": "email", "message": "not an email; fix it"},
        {"source": "users.csv", "line": None, "column": None, "message": "file is empty"}]
    assert detail["checkpoint"] is None and detail["progress"] is None
    r = harbor.client.get("/admin/tenants/north/runs/99999", headers=ops)
    assert r.status_code == 404 and "no run 99999" in r.json()["detail"]


def test_approve_a_held_run(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    held = _hold(harbor.store)
    r = harbor.client.post(f"/admin/tenants/north/runs/{held}/approve", headers=ops)
    assert r.status_code == 202, r.text
    approval = r.json()
    assert approval["status"] == "queued" and approval["trigger"] == "approval"
    assert approval["approves"] == held and approval["coalesced"] is False
    assert approval["options"] == {"dry_run": False, "reread": True, "approve_deletions": True}
    assert approval["requested_by"] == "north-it"
    conn = harbor.store.connection("north/sis")
    assert harbor.dispatcher.submitted == [(approval["id"], conn.id)]

    r = harbor.client.post(f"/admin/tenants/north/runs/{held}/approve", headers=ops)
    assert r.status_code == 202 and r.json()["id"] == approval["id"]
    assert r.json()["coalesced"] is True and len(harbor.dispatcher.submitted) == 1

    # once the approval ran, the hold is history: approving it again would apply whatever
    # the source holds now with the safeguard off
    harbor.store.claim_run(approval["id"], "test")
    harbor.store.finish_run(approval["id"], status="succeeded", counts={}, message=None,
                            problems=[], problem_total=0, version=2)
    r = harbor.client.post(f"/admin/tenants/north/runs/{held}/approve", headers=ops)
    assert r.status_code == 409 and "not the latest run" in r.json()["detail"]


def test_only_held_runs_can_be_approved(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    report = sync_now(harbor.store, "north/sis")
    r = harbor.client.post(f"/admin/tenants/north/runs/{report.run_id}/approve", headers=ops)
    assert r.status_code == 409
    assert r.json()["detail"] == (f"run {report.run_id} is succeeded; only a held run (one "
                                  f"the deletion safeguard stopped) can be approved")
    queued, _ = harbor.store.request_run(harbor.store.connection("north/sis"), trigger="api")
    r = harbor.client.post(f"/admin/tenants/north/runs/{queued}/approve", headers=ops)
    assert r.status_code == 409
    assert len(harbor.store.list_runs(connection=harbor.store.connection("north/sis"))) == 2


def test_a_hold_cannot_be_approved_while_another_run_is_active(harbor: Harbor) -> None:
    held = _hold(harbor.store)
    queued, _ = harbor.store.request_run(harbor.store.connection("north/sis"), trigger="api")
    r = harbor.client.post(f"/admin/tenants/north/runs/{held}/approve",
                           headers=harbor.as_(harbor.north))
    assert r.status_code == 409 and f"run {queued} is" in r.json()["detail"]
    active = harbor.store.active_run(harbor.store.connection("north/sis").id)
    assert active is not None and active.id == queued and active.approves is None


def test_cancel_a_queued_run(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    run_id = harbor.client.post(RUNS, headers=ops).json()["id"]
    r = harbor.client.post(f"/admin/tenants/north/runs/{run_id}/cancel", headers=ops)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and "north-it" in r.json()["message"]
    r = harbor.client.post(f"/admin/tenants/north/runs/{run_id}/cancel", headers=ops)
    assert r.status_code == 409 and "is cancelled" in r.json()["detail"]

    running = harbor.client.post(RUNS, headers=ops).json()["id"]
    harbor.store.claim_run(running, "worker-1")
    r = harbor.client.post(f"/admin/tenants/north/runs/{running}/cancel", headers=ops)
    assert r.status_code == 409
    assert r.json()["detail"] == (f"run {running} is running; only a queued run can be "
                                  f"cancelled")
    run = harbor.store.run(running)
    assert run is not None and run.status == "running"
