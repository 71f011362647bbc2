"""Tenancy: a tenant key sees and acts on its own tenant only, on every tenant route."""

from __future__ import annotations

from tests.api.conftest import Harbor
from tests.api.routes import BODIES, admin_routes, fill


def test_a_tenant_key_gets_404_for_another_tenant_on_every_route(harbor: Harbor) -> None:
    south = harbor.store.tenant("south")
    run_id, _ = harbor.store.request_run(harbor.store.connection("south/sis"), trigger="test")
    tenant_routes = [(m, p) for m, p in admin_routes(harbor.app) if "{tenant}" in p]
    assert len(tenant_routes) >= 15
    for method, path in tenant_routes:
        for tenant in ("south", "nowhere"):  # hosted or not: the same answer
            url = fill(path, tenant=tenant, name="sis", run_id=run_id, registration_id=1,
                       link_id=1, tool_id=1, line_item_id=1)
            r = harbor.client.request(method, url, headers=harbor.as_(harbor.north),
                                      json=BODIES.get((method, path)))
            assert r.status_code == 404, (method, url, r.status_code, r.text)
            assert r.json()["detail"] == (f"no tenant {tenant!r} here; GET /admin/tenants "
                                          f"lists the tenants this key can see")
    # nothing changed in the other tenant
    assert [c.name for c in harbor.store.list_connections(tenant_id=south.id)] == ["sis"]
    run = harbor.store.run(run_id)
    assert run is not None and run.status == "queued"
    assert harbor.store.list_runs(tenant_id=south.id) == [run]
    assert harbor.store.schedules.get(run.connection_id, default_timezone="UTC").updated_at is None
    assert harbor.dispatcher.submitted == [] and harbor.schedule_changes == []


def test_a_run_of_another_tenant_is_not_found_through_ones_own(harbor: Harbor) -> None:
    run_id, _ = harbor.store.request_run(harbor.store.connection("south/sis"), trigger="test")
    for method, suffix in (("GET", ""), ("POST", "/approve"), ("POST", "/cancel")):
        for token in (harbor.north, harbor.operator):
            r = harbor.client.request(method, f"/admin/tenants/north/runs/{run_id}{suffix}",
                                      headers=harbor.as_(token))
            assert r.status_code == 404, (method, suffix, r.text)
    run = harbor.store.run(run_id)
    assert run is not None and run.status == "queued"


def test_a_tenant_key_works_on_its_own_tenant(harbor: Harbor) -> None:
    r = harbor.client.get("/admin/tenants/south/connections", headers=harbor.as_(harbor.south))
    assert r.status_code == 200 and [c["name"] for c in r.json()] == ["sis"]
    r = harbor.client.get("/admin/tenants/south", headers=harbor.as_(harbor.south))
    assert r.json() == {"slug": "south", "name": "South District", "last_version": 0}


def test_tenant_list_is_scoped_by_key(harbor: Harbor) -> None:
    def slugs(token: str) -> list[str]:
        r = harbor.client.get("/admin/tenants", headers=harbor.as_(token))
        assert r.status_code == 200
        return [t["slug"] for t in r.json()]

    assert slugs(harbor.operator) == ["north", "south"]
    assert slugs(harbor.north) == ["north"]
    assert slugs(harbor.south) == ["south"]


def test_only_an_operator_creates_tenants(harbor: Harbor) -> None:
    body = {"slug": "east", "name": "East District"}
    r = harbor.client.post("/admin/tenants", json=body, headers=harbor.as_(harbor.north))
    assert r.status_code == 403 and "operator key" in r.json()["detail"]
    r = harbor.client.post("/admin/tenants", json=body, headers=harbor.as_(harbor.operator))
    assert r.status_code == 201 and r.json() == {**body, "last_version": 0}
    r = harbor.client.post("/admin/tenants", json=body, headers=harbor.as_(harbor.operator))
    assert r.status_code == 409 and "already exists" in r.json()["detail"]
    r = harbor.client.post("/admin/tenants", json={"slug": "East/1", "name": "x"},
                           headers=harbor.as_(harbor.operator))
    assert r.status_code == 422 and "slug" in r.json()["detail"]
    assert [t.slug for t in harbor.store.list_tenants()] == ["east", "north", "south"]


def test_an_operator_reaches_every_tenant(harbor: Harbor) -> None:
    for tenant in ("north", "south"):
        r = harbor.client.get(f"/admin/tenants/{tenant}/connections",
                              headers=harbor.as_(harbor.operator))
        assert r.status_code == 200 and r.json()
    r = harbor.client.get("/admin/tenants/nowhere", headers=harbor.as_(harbor.operator))
    assert r.status_code == 404
