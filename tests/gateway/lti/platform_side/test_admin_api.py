"""The admin API of vendor tools: registering one (we assign its ids and say what to paste
into it), a launch ticket that launches it for a learner, and aligning its line items to a
standard, which realigns their evidence and mastery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.settings import Settings
from gateway.store.keys import ApiKeys
from gateway.store.learning_tables import mastery
from tests.gateway.lti.platform_side.conftest import STANDARD, VendorSetup, evidence_rows
from tests.gateway.lti.platform_side.test_refusals import make_item, post_score


@pytest.fixture
def admin(vendor_shared: VendorSetup) -> Iterator[TestClient]:
    v = vendor_shared
    key = ApiKeys(v.store.engine).create("ops-platform-tests", None)[1]
    app = create_app(v.store, Settings(public_url=v.harbor_url))
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        yield client


def test_registering_a_tool_assigns_its_ids_and_says_what_to_paste(
        admin: TestClient, vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    tools = "/admin/tenants/district/lti/tools"
    made = admin.post(tools, json={"name": "reading-room",
                                   "login_url": "https://reading.example/lti/login",
                                   "launch_url": "https://reading.example/lti/launch",
                                   "jwks_url": "https://reading.example/jwks"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["client_id"].startswith("hm-") and body["deployment_id"].startswith("hm-dep-")
    assert body["platform"] == {
        "issuer": v.harbor_url, "client_id": body["client_id"],
        "deployment_id": body["deployment_id"],
        "authorization_url": f"{v.harbor_url}/lti/platform/authorize",
        "token_url": f"{v.harbor_url}/lti/platform/token",
        "jwks_url": f"{v.harbor_url}/.well-known/jwks.json",
        "scopes": body["platform"]["scopes"]}
    assert admin.post(tools, json={**{k: body[k] for k in ("name", "login_url", "launch_url",
                                                           "jwks_url")}}).status_code == 409
    bad = admin.post(tools, json={"name": "x", "login_url": "ftp://x", "launch_url": "x",
                                  "jwks_url": "x"})
    assert bad.status_code == 422 and "login_url" in bad.json()["detail"]
    moved = admin.patch(f"{tools}/{body['id']}",
                        json={"launch_url": "https://reading.example/launch2"})
    assert moved.status_code == 200 and moved.json()["launch_url"].endswith("/launch2")
    assert admin.delete(f"{tools}/{body['id']}").status_code == 204
    assert admin.get(f"{tools}/{body['id']}").status_code == 404


def test_a_launch_ticket_from_the_api_launches_the_tool(admin: TestClient,
                                                        vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    url = f"/admin/tenants/district/lti/tools/{v.tool.id}/launch-tickets"
    refused = admin.post(url, json={"user_sourced_id": "nobody",
                                    "class_sourced_id": v.roster.class_id})
    assert refused.status_code == 422 and "not actively enrolled" in refused.json()["detail"]
    ticket = admin.post(url, json={"user_sourced_id": v.roster.teacher,
                                   "class_sourced_id": v.roster.class_id})
    assert ticket.status_code == 201, ticket.text
    browser = v.browser()
    login = browser.follow(browser.client.get(ticket.json()["url"]))
    form = browser.follow(login)
    landing = browser.submit_form(form)
    # The teacher arrives as an instructor: the tool shows its class page (unlinked here).
    assert landing.status_code == 200, landing.text
    assert "not linked to a class" in landing.text


def test_aligning_a_line_item_realigns_its_evidence_and_mastery(
        admin: TestClient, vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    learner = v.roster.students[3]
    item_url = make_item(v)
    assert post_score(v, item_url, learner, 9, "2026-04-01T10:00:00Z").status_code == 204
    item_id = int(item_url.rsplit("/", 1)[1])
    row = next(r for r in evidence_rows(v.store, v.tenant_id)
               if r.source_key == f"{item_id}:{learner}")
    assert row.standard is None  # no tag, no resourceId, no alignment yet
    path = f"/admin/tenants/district/lti/tools/{v.tool.id}/line-items"
    assert item_id in [i["id"] for i in admin.get(path).json()]
    aligned = admin.patch(f"{path}/{item_id}", json={"standard": STANDARD})
    assert aligned.status_code == 200 and aligned.json()["standard"] == STANDARD
    row = next(r for r in evidence_rows(v.store, v.tenant_id)
               if r.source_key == f"{item_id}:{learner}")
    assert row.standard == STANDARD
    with v.store.engine.connect() as conn:
        score = conn.execute(sa.select(mastery.c.score).where(
            mastery.c.tenant_id == v.tenant_id, mastery.c.user_sourced_id == learner,
            mastery.c.standard == STANDARD)).scalar_one()
    assert score == 0.9
    assert admin.patch(f"{path}/999999", json={"standard": None}).status_code == 404
