"""Authentication: API keys and OAuth2 client-credentials tokens, on every admin route."""

from __future__ import annotations

import base64
import time

import jwt
import pytest
from fastapi import APIRouter

from gateway.api import create_app
from gateway.api.tokens import AUDIENCE, ISSUER, PURPOSE, AccessTokens
from tests.api.conftest import Harbor, TestClient
from tests.api.routes import BODIES, admin_routes, fill


def _every_route(h: Harbor, headers: dict[str, str]) -> list[tuple[str, str, int, dict]]:
    run_id, _ = h.store.request_run(h.store.connection("south/sis"), trigger="test")
    out = []
    for method, path in admin_routes(h.app):
        url = fill(path, tenant="south", name="sis", run_id=run_id, registration_id=1,
                   link_id=1, tool_id=1, line_item_id=1)
        r = h.client.request(method, url, headers=headers, json=BODIES.get((method, path)))
        out.append((method, path, r.status_code, dict(r.headers) | {"body": r.text}))
    return out


def test_every_admin_route_needs_credentials(harbor: Harbor) -> None:
    for method, path, code, resp in _every_route(harbor, {}):
        assert code == 401, (method, path, code, resp["body"])
        assert resp["www-authenticate"].startswith("Bearer"), (method, path)
        assert "Authorization: Bearer" in resp["body"]
    assert harbor.store.list_connections(tenant_id=harbor.store.tenant("south").id)
    assert [t.slug for t in harbor.store.list_tenants()] == ["north", "south"]
    assert harbor.dispatcher.submitted == []


@pytest.mark.parametrize("header", [
    "Bearer hmk_nosuchkey.secret",
    "Bearer hmk_",
    "Bearer hmk_abc",
    "Bearer not-a-token",
    "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZmFrZQ",
    "Basic b3BzOnBhc3N3b3Jk",
    "Bearer",
])
def test_bad_credentials_are_refused_on_every_route(harbor: Harbor, header: str) -> None:
    for method, path, code, resp in _every_route(harbor, {"Authorization": header}):
        assert code == 401, (method, path, code, resp["body"])
        assert "Bearer" in resp["www-authenticate"]
        if header.startswith("Bearer ") and len(header) > 15:
            assert header[7:] not in resp["body"]  # never echoed


def test_a_wrong_secret_is_refused(harbor: Harbor) -> None:
    key_id = harbor.operator.partition(".")[0]
    r = harbor.client.get("/admin/tenants", headers=harbor.as_(key_id + ".wrong"))
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert "not valid" in r.json()["detail"]


def test_a_revoked_key_stops_working_at_once(harbor: Harbor) -> None:
    assert harbor.client.get("/admin/tenants", headers=harbor.as_(harbor.north)).status_code == 200
    harbor.keys.revoke(harbor.north.partition(".")[0])
    assert harbor.client.get("/admin/tenants", headers=harbor.as_(harbor.north)).status_code == 401


def test_routes_outside_admin_need_no_key(harbor: Harbor) -> None:
    spec = harbor.client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "http", "scheme": "bearer"}
    assert schemes["OAuth2ClientCredentials"]["flows"]["clientCredentials"]["tokenUrl"] == (
        "/oauth/token")
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if path.startswith("/admin"):
                assert {"ApiKey": []} in op["security"], (method, path)
                assert {"OAuth2ClientCredentials": []} in op["security"], (method, path)


# OAuth2 client credentials ----------------------------------------------------------------

def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode())
            .decode()}


def test_token_by_basic_auth(harbor: Harbor) -> None:
    client_id, _, secret = harbor.north.partition(".")
    r = harbor.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=_basic(client_id, secret))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["scope"] == "tenant:north"
    assert r.headers["cache-control"] == "no-store"
    r = harbor.client.get("/admin/tenants", headers=harbor.as_(body["access_token"]))
    assert r.status_code == 200 and [t["slug"] for t in r.json()] == ["north"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == client_id.removeprefix("hmk_") and claims["tenant"] == "north"
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == 3600


def test_token_by_form_body(harbor: Harbor) -> None:
    client_id, _, secret = harbor.operator.partition(".")
    r = harbor.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "admin"})
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "admin"
    token = r.json()["access_token"]
    r = harbor.client.get("/admin/tenants", headers=harbor.as_(token))
    assert [t["slug"] for t in r.json()] == ["north", "south"]


CC = "client_credentials"


@pytest.mark.parametrize(("form", "code", "error"), [
    ({"grant_type": CC, "client_id": "hmk_unknown", "client_secret": "SECRET"}, 401,
     "invalid_client"),
    ({"grant_type": CC, "client_id": "ID", "client_secret": "WRONG"}, 401, "invalid_client"),
    ({"grant_type": CC, "client_id": "ID"}, 401, "invalid_client"),
    ({"grant_type": CC, "client_id": "BARE", "client_secret": "SECRET"},
     401, "invalid_client"),
    ({"grant_type": CC}, 401, "invalid_client"),
    ({"grant_type": "password", "username": "ID", "password": "SECRET"}, 400,
     "unsupported_grant_type"),
    ({"client_id": "ID", "client_secret": "SECRET"}, 400, "invalid_request"),
    ({"grant_type": CC, "client_id": "ID", "client_secret": "SECRET", "scope": "tenant:south"},
     400, "invalid_scope"),
])
def test_token_errors_follow_rfc_6749(harbor: Harbor, form: dict[str, str], code: int,
                                      error: str) -> None:
    client_id, _, secret = harbor.north.partition(".")
    values = {"ID": client_id, "BARE": client_id.removeprefix("hmk_"), "SECRET": secret}
    data = {k: values.get(v, v) for k, v in form.items()}
    r = harbor.client.post("/oauth/token", data=data)
    assert r.status_code == code, r.text
    assert r.json()["error"] == error
    assert r.json()["error_description"]
    if code == 401:
        assert r.headers["www-authenticate"].startswith("Basic")
    assert secret not in r.text


def test_token_rejects_a_json_body_the_rfc_way(harbor: Harbor) -> None:
    client_id, _, secret = harbor.north.partition(".")
    r = harbor.client.post("/oauth/token", json={
        "grant_type": CC, "client_id": client_id, "client_secret": secret})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert "x-www-form-urlencoded" in r.json()["error_description"]


def test_token_refuses_credentials_in_both_places(harbor: Harbor) -> None:
    client_id, _, secret = harbor.north.partition(".")
    r = harbor.client.post("/oauth/token", headers=_basic(client_id, secret), data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_token_of_a_revoked_key_is_refused(harbor: Harbor) -> None:
    client_id, _, secret = harbor.south.partition(".")
    token = harbor.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id,
        "client_secret": secret}).json()["access_token"]
    assert harbor.client.get("/admin/tenants", headers=harbor.as_(token)).status_code == 200
    harbor.keys.revoke(client_id)
    r = harbor.client.get("/admin/tenants", headers=harbor.as_(token))
    assert r.status_code == 401 and token not in r.text
    r = harbor.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert r.status_code == 401


def _claims(harbor: Harbor, **changes: object) -> dict[str, object]:
    key = harbor.keys.get(harbor.operator.partition(".")[0])
    assert key is not None
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": key.key_id, "tenant": None, "iat": now,
            "exp": now + 600, **changes}


def test_forged_expired_and_foreign_tokens_are_refused(harbor: Harbor) -> None:
    signing = harbor.store.secrets.derive_key(PURPOSE)
    good = jwt.encode(_claims(harbor), signing, algorithm="HS256")
    assert harbor.client.get("/admin/tenants", headers=harbor.as_(good)).status_code == 200

    head, payload, signature = good.split(".")
    tampered_payload = jwt.encode(_claims(harbor, sub="someone-else"), signing,
                                  algorithm="HS256").split(".")[1]
    bad = {
        "expired": jwt.encode(_claims(harbor, iat=int(time.time()) - 7200,
                                      exp=int(time.time()) - 3600), signing, algorithm="HS256"),
        "expired (issued so)": AccessTokens(harbor.store.secrets, lifetime=-60).issue(
            harbor.keys.get(harbor.operator.partition(".")[0])),  # type: ignore[arg-type]
        "wrong audience": jwt.encode(_claims(harbor, aud="another-api"), signing,
                                     algorithm="HS256"),
        "wrong issuer": jwt.encode(_claims(harbor, iss="someone"), signing, algorithm="HS256"),
        "other signing key": jwt.encode(_claims(harbor), b"k" * 32, algorithm="HS256"),
        "tampered signature": f"{head}.{payload}.{signature[:-4]}AAAA",
        "tampered payload": f"{head}.{tampered_payload}.{signature}",
        "no exp": jwt.encode({k: v for k, v in _claims(harbor).items() if k != "exp"},
                             signing, algorithm="HS256"),
        "alg none": jwt.encode(_claims(harbor), None, algorithm="none"),
        "unknown key id": jwt.encode(_claims(harbor, sub="nosuchkey"), signing,
                                     algorithm="HS256"),
    }
    for what, token in bad.items():
        r = harbor.client.get("/admin/tenants", headers=harbor.as_(token))
        assert r.status_code == 401, what
        assert token not in r.text, what


def test_extra_routers_are_mounted_outside_admin(harbor: Harbor) -> None:
    probe = APIRouter()

    @probe.get("/probe")
    def answer() -> dict[str, str]:
        return {"status": "ok"}

    app = create_app(harbor.store, harbor.app.state.settings, extra_routers=[probe])
    with TestClient(app) as client:
        assert client.get("/probe").json() == {"status": "ok"}
        assert client.get("/admin/tenants").status_code == 401
