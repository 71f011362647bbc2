"""LTI through the admin API: registrations (manual), Dynamic Registration links, the tool
configuration to paste into an LMS, and the tool's signing keys (operators only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gateway.lti.keys import ToolKeys
from gateway.lti.links import RegistrationLinks
from gateway.settings import Settings
from tests.api.conftest import Harbor

BASE = "/admin/tenants/north/lti"


def canvas(**changes: Any) -> dict[str, Any]:
    body = {"name": "canvas-production", "issuer": "https://canvas.instructure.com",
            "client_id": "10000000000042",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://north.instructure.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "deployment_ids": ["42:abc"]}
    return {**body, **changes}


def test_crud(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    r = harbor.client.post(f"{BASE}/registrations", json=canvas(), headers=it)
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in ("tenant", "name", "client_id", "deployment_ids", "source",
                                    "auth_audience", "platform")} == {
        "tenant": "north", "name": "canvas-production", "client_id": "10000000000042",
        "deployment_ids": ["42:abc"], "source": "manual", "auth_audience": None,
        "platform": None}
    rid = created["id"]
    assert harbor.client.get(f"{BASE}/registrations", headers=it).json() == [created]
    assert harbor.client.get(f"{BASE}/registrations/{rid}", headers=it).json() == created

    r = harbor.client.patch(f"{BASE}/registrations/{rid}", headers=it, json={
        "deployment_ids": ["42:abc", "43:def"],
        "auth_audience": "https://north.instructure.com/login/oauth2/token"})
    assert r.status_code == 200, r.text
    assert r.json()["deployment_ids"] == ["42:abc", "43:def"]
    assert r.json()["name"] == "canvas-production"
    r = harbor.client.patch(f"{BASE}/registrations/{rid}", json={"auth_audience": None},
                            headers=it)
    assert r.json()["auth_audience"] is None

    r = harbor.client.delete(f"{BASE}/registrations/{rid}", headers=it)
    assert r.status_code == 204 and r.content == b""
    r = harbor.client.get(f"{BASE}/registrations/{rid}", headers=it)
    assert r.status_code == 404
    assert f"GET {BASE}/registrations lists them" in r.json()["detail"]


def test_duplicates_conflict(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    first = harbor.client.post(f"{BASE}/registrations", json=canvas(), headers=it).json()
    r = harbor.client.post(f"{BASE}/registrations", json=canvas(name="other"), headers=it)
    assert r.status_code == 409 and "registered already" in r.json()["detail"]
    # (issuer, client id) is unique across tenants: a launch must find one tenant
    r = harbor.client.post("/admin/tenants/south/lti/registrations", json=canvas(),
                           headers=harbor.as_(harbor.south))
    assert r.status_code == 409 and "north" not in r.json()["detail"]
    r = harbor.client.post(f"{BASE}/registrations", json=canvas(client_id="2"), headers=it)
    assert r.status_code == 409 and "named 'canvas-production'" in r.json()["detail"]

    second = harbor.client.post(f"{BASE}/registrations", headers=it,
                                json=canvas(name="canvas-beta", client_id="2")).json()
    r = harbor.client.patch(f"{BASE}/registrations/{second['id']}", headers=it,
                            json={"name": "canvas-production"})
    assert r.status_code == 409
    r = harbor.client.patch(f"{BASE}/registrations/{second['id']}", headers=it,
                            json={"client_id": first["client_id"]})
    assert r.status_code == 409
    assert harbor.client.get(f"{BASE}/registrations/{second['id']}",
                             headers=it).json() == second


def test_bad_input_names_the_field(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    for body, field in ((canvas(auth_login_url="sso.canvaslms.com/authorize"), "auth_login_url"),
                        (canvas(key_set_url="ftp://x/jwks"), "key_set_url"),
                        (canvas(issuer="  "), "issuer"),
                        (canvas(client_id=" "), "client_id"),
                        (canvas(deployment_ids=["1", ""]), "deployment id"),
                        (canvas(name="canvas production"), "body.name"),
                        (canvas(colour="blue"), "colour"),
                        ({"name": "x"}, "body.issuer")):
        r = harbor.client.post(f"{BASE}/registrations", json=body, headers=it)
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["detail"], (field, r.json())
    assert harbor.client.get(f"{BASE}/registrations", headers=it).json() == []

    rid = harbor.client.post(f"{BASE}/registrations", json=canvas(), headers=it).json()["id"]
    r = harbor.client.patch(f"{BASE}/registrations/{rid}", json={"issuer": None}, headers=it)
    assert r.status_code == 422 and "issuer cannot be null" in r.json()["detail"]
    r = harbor.client.patch(f"{BASE}/registrations/{rid}", json={"auth_token_url": "token"},
                            headers=it)
    assert r.status_code == 422 and "auth_token_url" in r.json()["detail"]
    r = harbor.client.patch(f"{BASE}/registrations/{rid}", json={"source": "dynamic"},
                            headers=it)
    assert r.status_code == 422


def test_tenant_isolation(harbor: Harbor) -> None:
    north, south = harbor.as_(harbor.north), harbor.as_(harbor.south)
    rid = harbor.client.post(f"{BASE}/registrations", json=canvas(), headers=north).json()["id"]
    # another tenant's paths are "no such tenant"; its registration under our own tenant is
    # "no such registration": either way, nothing about it
    for method in ("GET", "PATCH", "DELETE"):
        r = harbor.client.request(method, f"{BASE}/registrations/{rid}", headers=south,
                                  json={"name": "mine"} if method == "PATCH" else None)
        assert r.status_code == 404 and "no tenant 'north'" in r.json()["detail"]
        r = harbor.client.request(method, f"/admin/tenants/south/lti/registrations/{rid}",
                                  headers=south,
                                  json={"name": "mine"} if method == "PATCH" else None)
        assert r.status_code == 404 and "no LTI registration" in r.json()["detail"]
    for path in ("registrations", "tool-configuration"):
        assert harbor.client.get(f"{BASE}/{path}", headers=south).status_code == 404
    assert harbor.client.post(f"{BASE}/dynamic-registration-links", json={},
                              headers=south).status_code == 404
    assert harbor.client.get("/admin/tenants/south/lti/registrations",
                             headers=south).json() == []
    assert harbor.client.get(f"{BASE}/registrations/{rid}",
                             headers=harbor.as_(harbor.operator)).status_code == 200
    assert harbor.client.get(f"{BASE}/registrations").status_code == 401


def test_dynamic_registration_link(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    r = harbor.client.post(f"{BASE}/dynamic-registration-links", json={}, headers=it)
    assert r.status_code == 201, r.text
    link = r.json()
    url = urlsplit(link["url"])
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/lti/register")
    token = parse_qs(url.query)["hm"][0]
    verified = RegistrationLinks(harbor.store).verify(token)
    assert (verified.tenant, verified.name, link["tenant"], link["name"]) == (
        "north", None, "north", None)
    expires = datetime.fromisoformat(link["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)

    r = harbor.client.post(f"{BASE}/dynamic-registration-links", headers=it,
                           json={"name": "moodle-main", "expires_in_hours": 2})
    assert r.json()["name"] == "moodle-main"
    assert RegistrationLinks(harbor.store).verify(
        parse_qs(urlsplit(r.json()["url"]).query)["hm"][0]).name == "moodle-main"
    r = harbor.client.post(f"{BASE}/dynamic-registration-links", headers=it,
                           json={"expires_in_hours": 24 * 30})
    assert r.status_code == 422 and "expires_in_hours" in r.json()["detail"]
    harbor.client.post(f"{BASE}/registrations", json=canvas(), headers=it)
    r = harbor.client.post(f"{BASE}/dynamic-registration-links", headers=it,
                           json={"name": "canvas-production"})
    assert r.status_code == 409

    harbor.app.state.settings = Settings(  # type: ignore[call-arg]
        _env_file=None, public_url="https://harbor.district.example/")
    r = harbor.client.post(f"{BASE}/dynamic-registration-links", json={}, headers=it)
    assert r.json()["url"].startswith("https://harbor.district.example/lti/register?hm=ey")


def test_tool_configuration(harbor: Harbor) -> None:
    harbor.app.state.settings = Settings(  # type: ignore[call-arg]
        _env_file=None, public_url="https://harbor.district.example")
    r = harbor.client.get(f"{BASE}/tool-configuration", headers=harbor.as_(harbor.north))
    assert r.status_code == 200, r.text
    config = r.json()
    base = "https://harbor.district.example"
    assert {k: config[k] for k in ("login_url", "launch_url", "redirect_uris",
                                   "deep_linking_url", "jwks_url", "domain",
                                   "canvas_json_url")} == {
        "login_url": f"{base}/lti/login", "launch_url": f"{base}/lti/launch",
        "redirect_uris": [f"{base}/lti/launch"], "deep_linking_url": f"{base}/lti/launch",
        "jwks_url": f"{base}/.well-known/jwks.json", "domain": "harbor.district.example",
        "canvas_json_url": f"{base}/lti/canvas.json"}
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    canvas_json = config["canvas"]
    assert canvas_json["oidc_initiation_url"] == f"{base}/lti/login"
    assert canvas_json["public_jwk_url"] == f"{base}/.well-known/jwks.json"
    assert canvas_json["scopes"] == config["scopes"]
    extension = canvas_json["extensions"][0]
    assert extension["privacy_level"] == "public"
    assert {p["placement"] for p in extension["settings"]["placements"]} == {
        "link_selection", "assignment_selection"}


def test_keys_are_for_operators_and_rotate_with_two_published(harbor: Harbor) -> None:
    ops = harbor.as_(harbor.operator)
    for path in ("/admin/lti/keys", "/admin/lti/keys/prepare", "/admin/lti/keys/rotate"):
        method = "GET" if path.endswith("keys") else "POST"
        r = harbor.client.request(method, path, headers=harbor.as_(harbor.north))
        assert r.status_code == 403 and "operator key" in r.json()["detail"]
    assert harbor.client.get("/admin/lti/keys", headers=ops).status_code == 200

    keys = harbor.client.get("/admin/lti/keys", headers=ops).json()
    assert [(k["state"], k["published"]) for k in keys] == [("active", True)]
    first = keys[0]["kid"]
    keys = harbor.client.post("/admin/lti/keys/prepare", headers=ops).json()
    assert [(k["state"], k["published"]) for k in keys] == [("active", True), ("next", True)]
    upcoming = keys[1]["kid"]
    assert harbor.client.post("/admin/lti/keys/prepare", headers=ops).json() == keys

    keys = harbor.client.post("/admin/lti/keys/rotate", headers=ops).json()
    assert [(k["kid"], k["state"], k["published"]) for k in keys] == [
        (first, "retired", True), (upcoming, "active", True)]
    assert keys[0]["retired_at"] and keys[1]["activated_at"]
    jwks = ToolKeys(harbor.store.engine, harbor.store.secrets).jwks()
    assert sorted(k["kid"] for k in jwks["keys"]) == sorted([first, upcoming])
    assert all("d" not in k for k in jwks["keys"])
    assert not any("PRIVATE" in text for text in harbor.responses)
    assert set(keys[0]) == {"kid", "state", "published", "created_at", "activated_at",
                            "retired_at"}
