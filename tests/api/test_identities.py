"""Identity links of tool connections through the admin API: the review queue and its
filters, confirming (which backfills the person's evidence) and ignoring, each scoped to
its tenant."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.identity import resolve
from gateway.store.learning_tables import evidence
from gateway.store.tables import stream_tables
from tests.api.conftest import Harbor
from tests.helpers import run

BASE = "/admin/tenants/north/identities"


def _link(harbor: Harbor, external_id: str, kind: str = "tool_id", tenant: str = "north",
          system: str = "reader") -> int:
    with harbor.store.engine.begin() as conn:
        return resolve(conn, harbor.store.tenant(tenant).id, system, external_id, kind).id


def _a_north_user(harbor: Harbor) -> str:
    assert run(harbor.store, "north/sis").status == "succeeded"
    users = stream_tables["users"]
    with harbor.store.engine.connect() as conn:
        return str(conn.execute(sa.select(users.c.sourced_id).where(
            users.c.tenant_id == harbor.store.tenant("north").id)
            .order_by(users.c.sourced_id)).scalars().first())


def test_the_queue_lists_waiting_people_and_filters(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    user = _a_north_user(harbor)
    _link(harbor, "T-1")
    _link(harbor, "M-1", system="math")
    _link(harbor, user, "sis_id")  # matched: not waiting
    listed = harbor.client.get(BASE, headers=it)
    assert listed.status_code == 200, listed.text
    assert [(i["system"], i["external_id"], i["status"]) for i in listed.json()] == [
        ("reader", "T-1", "unmatched"), ("math", "M-1", "unmatched")]
    only = harbor.client.get(BASE, params={"system": "math"}, headers=it).json()
    assert [i["external_id"] for i in only] == ["M-1"]
    matched = harbor.client.get(BASE, params={"status": "matched"}, headers=it).json()
    assert [(i["user_sourced_id"], i["rule"]) for i in matched] == [(user, "sis_id:sourcedId")]
    assert len(harbor.client.get(BASE, params={"status": "all"}, headers=it).json()) == 3
    assert harbor.client.get(BASE, params={"status": "maybe"}, headers=it).status_code == 422


def test_confirming_backfills_and_a_bad_user_is_refused(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    user = _a_north_user(harbor)
    link_id = _link(harbor, "T-1")
    tenant_id = harbor.store.tenant("north").id
    with harbor.store.engine.begin() as conn:
        conn.execute(evidence.insert().values(
            tenant_id=tenant_id, system="reader", source_key="e1", identity_link_id=link_id,
            standard="std-a", raw_score="80", scale="percent", score=0.8,
            observed_at="2026-11-02T00:00:00.000Z", created_at="2026-11-02T00:00:00.000Z"))
    wrong = harbor.client.post(f"{BASE}/{link_id}/confirm", json={"user_sourced_id": "nobody"},
                               headers=it)
    assert wrong.status_code == 422
    assert "'nobody' is not in this tenant's roster" in wrong.json()["detail"]
    done = harbor.client.post(f"{BASE}/{link_id}/confirm", json={"user_sourced_id": user},
                              headers=it)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["user_sourced_id"]) == ("confirmed", user)
    with harbor.store.engine.connect() as conn:
        assert conn.execute(sa.select(evidence.c.user_sourced_id)).scalar() == user
    assert harbor.client.get(BASE, headers=it).json() == []


def test_ignoring_takes_a_person_off_the_queue(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    link_id = _link(harbor, "T-9")
    r = harbor.client.post(f"{BASE}/{link_id}/ignore", headers=it)
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert harbor.client.get(BASE, headers=it).json() == []


def test_another_tenants_link_is_not_found(harbor: Harbor) -> None:
    link_id = _link(harbor, "T-1", tenant="south")
    it = harbor.as_(harbor.north)
    for action, body in (("confirm", {"user_sourced_id": "u1"}), ("ignore", None)):
        r = harbor.client.post(f"{BASE}/{link_id}/{action}", json=body, headers=it)
        assert r.status_code == 404 and "no identity link" in r.json()["detail"]
    south = harbor.client.get("/admin/tenants/south/identities", headers=it)
    assert south.status_code == 404
