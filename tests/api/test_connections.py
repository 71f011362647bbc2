"""Connections through the API: add, read, change, remove, check; secrets go in, never out."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gateway.store.tables import connections
from tests.api.conftest import SECRET, Harbor
from tests.api.vendor import NAME as VENDOR
from tests.connectors.oneroster_csv.factories import small_district, write_export

BASE = "/admin/tenants/north/connections"


def test_crud(harbor: Harbor, tmp_path: Path) -> None:
    ops = harbor.as_(harbor.north)
    export = write_export(tmp_path / "new", small_district())
    body = {"name": "sis-2026", "connector": "oneroster-csv", "config": {"path": str(export)}}
    r = harbor.client.post(BASE, json=body, headers=ops)
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in ("tenant", "name", "connector", "config", "secrets")} == {
        "tenant": "north", "name": "sis-2026", "connector": "oneroster-csv",
        "config": {"path": str(export)}, "secrets": {}}
    assert harbor.client.post(BASE, json=body, headers=ops).status_code == 409

    r = harbor.client.get(BASE, headers=ops)
    assert [c["name"] for c in r.json()] == ["sis", "sis-2026", "vendor"]
    assert harbor.client.get(f"{BASE}/sis-2026", headers=ops).json() == created

    r = harbor.client.patch(f"{BASE}/sis-2026", json={"config": {"path": "/elsewhere"}},
                            headers=ops)
    assert r.status_code == 200 and r.json()["config"] == {"path": "/elsewhere"}
    assert harbor.store.connection("north/sis-2026").config == {"path": "/elsewhere"}

    r = harbor.client.delete(f"{BASE}/sis-2026", headers=ops)
    assert r.status_code == 204 and r.content == b""
    r = harbor.client.get(f"{BASE}/sis-2026", headers=ops)
    assert r.status_code == 404 and "GET /admin/tenants/north/connections" in r.json()["detail"]
    assert harbor.client.delete(f"{BASE}/sis-2026", headers=ops).status_code == 404


def test_bad_input_says_what_to_fix(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.operator)
    r = harbor.client.post(BASE, json={"name": "x", "connector": "powerschool", "config": {}},
                           headers=ops)
    assert r.status_code == 422 and "no connector named 'powerschool'" in r.json()["detail"]
    assert "oneroster-csv" in r.json()["detail"]
    r = harbor.client.post(BASE, json={"name": "x", "connector": "oneroster-csv",
                                       "config": {"folder": "/x"}}, headers=ops)
    detail = r.json()["detail"]
    assert r.status_code == 422 and "path: Field required" in detail and "folder" in detail
    r = harbor.client.post(BASE, json={"name": "a/b", "connector": "oneroster-csv",
                                       "config": {"path": "/x"}}, headers=ops)
    assert r.status_code == 422
    assert r.json()["detail"].startswith("the request is invalid: body.name")
    r = harbor.client.patch(f"{BASE}/sis", json={"config": {"colour": "blue"}}, headers=ops)
    assert r.status_code == 422 and "colour" in r.json()["detail"]
    assert harbor.store.list_connections(tenant_id=harbor.store.tenant("north").id)[0].config


def test_delete_refuses_while_a_run_is_active(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    run_id, _ = harbor.store.request_run(harbor.store.connection("north/sis"), trigger="test")
    r = harbor.client.delete(f"{BASE}/sis", headers=ops)
    assert r.status_code == 409
    assert f"queued run ({run_id})" in r.json()["detail"] and "cancel" in r.json()["detail"]
    assert harbor.store.connection("north/sis")
    harbor.client.post(f"/admin/tenants/north/runs/{run_id}/cancel", headers=ops)
    assert harbor.client.delete(f"{BASE}/sis", headers=ops).status_code == 204


def test_secrets_are_stored_encrypted_and_never_returned(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    r = harbor.client.get(f"{BASE}/vendor", headers=ops)
    assert r.json()["config"] == {"url": "https://api.example.com", "client_id": "harbor"}
    assert r.json()["secrets"] == {"api_token": {"set": False}, "client_secret": {"set": True}}

    body = {"name": "vendor-2", "connector": VENDOR, "config": {
        "url": "https://v2.example.com", "client_id": "h2", "client_secret": SECRET,
        "page_size": 50}}
    r = harbor.client.post(BASE, json=body, headers=ops)
    assert r.status_code == 201, r.text
    assert r.json()["config"] == {"url": "https://v2.example.com", "client_id": "h2",
                                  "page_size": 50}
    assert r.json()["secrets"]["client_secret"] == {"set": True}
    rec = harbor.store.connection("north/vendor-2")
    assert "client_secret" not in rec.config
    assert harbor.store.connection_secrets(rec) == {"client_secret": SECRET}
    with harbor.store.engine.connect() as conn:
        sealed = conn.execute(sa.select(connections.c.secrets).where(
            connections.c.id == rec.id)).scalar_one()
    assert SECRET not in sealed

    # plain settings change, secrets stay; a new secret replaces the old one
    r = harbor.client.patch(f"{BASE}/vendor-2", json={"config": {"page_size": None}},
                            headers=ops)
    assert r.status_code == 200 and "page_size" not in r.json()["config"]
    assert harbor.store.connection_secrets(rec) == {"client_secret": SECRET}
    r = harbor.client.patch(f"{BASE}/vendor-2", json={"config": {"api_token": "tok-1"}},
                            headers=ops)
    assert r.json()["secrets"] == {"api_token": {"set": True}, "client_secret": {"set": True}}
    assert harbor.store.connection_secrets(rec) == {"client_secret": SECRET,
                                                    "api_token": "tok-1"}
    r = harbor.client.patch(f"{BASE}/vendor-2", json={"config": {"client_secret": None}},
                            headers=ops)
    assert r.status_code == 422 and "cannot be cleared" not in r.text
    assert "not cleared" in r.json()["detail"]


def test_invalid_requests_do_not_echo_secrets(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    for body in (
        {"name": "v3", "connector": VENDOR, "config": {"client_secret": SECRET}},
        {"name": "v3", "connector": VENDOR, "config": {"url": 5, "client_id": "x",
                                                       "client_secret": SECRET}},
        {"name": "v3", "connector": VENDOR, "config": {"url": "https://x", "client_id": "x",
                                                       "client_secret": [SECRET]}},
        {"name": "v/3", "connector": VENDOR, "config": {"client_secret": SECRET}},
        {"name": "v3", "connector": VENDOR, "config": SECRET},
        {"name": "v3", "connector": VENDOR, "config": {}, "client_secret": SECRET},
    ):
        r = harbor.client.post(BASE, json=body, headers=ops)
        assert r.status_code == 422, r.text
    r = harbor.client.patch(f"{BASE}/vendor", json={"config": {"client_secret": 12,
                                                               "url": SECRET}}, headers=ops)
    assert r.status_code == 422
    r = harbor.client.patch(f"{BASE}/vendor", json={"settings": {"client_secret": SECRET}},
                            headers=ops)
    assert r.status_code == 422
    # the fixture's teardown asserts that no response carried SECRET


def test_a_secret_typed_into_plain_settings_is_still_hidden(harbor: Harbor) -> None:
    # `harbor connections add --set client_secret=...` puts it in the plain settings
    harbor.store.add_connection("north", "careless", VENDOR, {
        "url": "https://x.example.com", "client_id": "c", "client_secret": SECRET}, {})
    r = harbor.client.get(f"{BASE}/careless", headers=harbor.as_(harbor.north))
    assert r.json()["config"] == {"url": "https://x.example.com", "client_id": "c"}
    assert r.json()["secrets"]["client_secret"] == {"set": True}


def test_check(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.north)
    r = harbor.client.post(f"{BASE}/sis/check", headers=ops)
    assert r.status_code == 200
    assert r.json()["ok"] is True and "OneRoster 1.2 export" in r.json()["message"]
    r = harbor.client.post(f"{BASE}/vendor/check", headers=ops)
    assert r.json() == {"ok": True, "message": "signed in to https://api.example.com as harbor",
                        "details": {"page_size": 100}}
    harbor.client.patch(f"{BASE}/sis", json={"config": {"path": "/no/such/export"}},
                        headers=ops)
    r = harbor.client.post(f"{BASE}/sis/check", headers=ops)
    assert r.status_code == 200 and r.json()["ok"] is False
    assert "/no/such/export does not exist" in r.json()["message"]


def test_check_of_a_connection_whose_connector_is_gone(harbor: Harbor) -> None:
    harbor.store.add_connection("north", "old", "retired-connector", {}, {})
    r = harbor.client.post(f"{BASE}/old/check", headers=harbor.as_(harbor.north))
    assert r.status_code == 200 and r.json()["ok"] is False
    assert "no connector named 'retired-connector'" in r.json()["message"]
    r = harbor.client.get(f"{BASE}/old", headers=harbor.as_(harbor.north))
    assert r.status_code == 200 and r.json()["secrets"] == {}
