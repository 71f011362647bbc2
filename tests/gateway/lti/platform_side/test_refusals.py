"""What the platform refuses, with the reason: client assertions that are not the tool's,
tokens without the scope, line items of another context, stale scores, and launches that
are not what the ticket said."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.lti.keys import ToolKeys
from gateway.lti.platform_side import VendorTools
from gateway.lti.platform_side.tokens import JWT_BEARER
from gateway.store.tables import stream_tables
from tests.gateway.lti.browser import redirect_target
from tests.gateway.lti.platform_side.conftest import VendorSetup, evidence_rows

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


def assertion(v: VendorSetup, *, key: tuple[bytes, str] | None = None,
              **claims: Any) -> str:
    """A client assertion as the tool signs one (its active key), ``claims`` overriding."""
    if key is None:
        signing = ToolKeys(v.vendor_store.engine, v.vendor_store.secrets).signing_key()
        key = (signing.private_pem, signing.kid)
    now = int(time.time())
    body = {"iss": v.tool.client_id, "sub": v.tool.client_id,
            "aud": f"{v.harbor_url}/lti/platform/token", "iat": now, "exp": now + 300,
            "jti": secrets.token_urlsafe(12), **claims}
    return jwt.encode({k: val for k, val in body.items() if val is not None}, key[0],
                      algorithm="RS256", headers={"kid": key[1]})


def token_request(v: VendorSetup, client_assertion: str,
                  scopes: str = AGS + "score") -> httpx.Response:
    return httpx.post(f"{v.harbor_url}/lti/platform/token", data={
        "grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
        "client_assertion": client_assertion, "scope": scopes}, trust_env=False)


def bearer(v: VendorSetup, *scopes: str) -> dict[str, str]:
    answer = token_request(v, assertion(v), " ".join(scopes))
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def lineitems(v: VendorSetup, class_id: str | None = None) -> str:
    return f"{v.harbor_url}/lti/platform/contexts/{class_id or v.roster.class_id}/lineitems"


def make_item(v: VendorSetup, class_id: str | None = None) -> str:
    response = httpx.post(lineitems(v, class_id), json={"label": "Quiz", "scoreMaximum": 10},
                          headers={**bearer(v, AGS + "lineitem"), "Content-Type": LINEITEM_TYPE},
                          trust_env=False)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def post_score(v: VendorSetup, item_url: str, user: str, given: float, stamp: str,
               ) -> httpx.Response:
    return httpx.post(f"{item_url}/scores", json={
        "userId": v.sub(user), "scoreGiven": given, "scoreMaximum": 10,
        "activityProgress": "Completed", "gradingProgress": "FullyGraded", "timestamp": stamp},
        headers={**bearer(v, AGS + "score"), "Content-Type": SCORE_TYPE}, trust_env=False)


def other_class(v: VendorSetup) -> str:
    classes = stream_tables["classes"]
    with v.store.engine.connect() as conn:
        return str(conn.execute(sa.select(classes.c.sourced_id).where(
            classes.c.tenant_id == v.tenant_id, classes.c.sourced_id != v.roster.class_id)
            .order_by(classes.c.sourced_id)).scalars().first())


# -- the token endpoint -------------------------------------------------------------------

def _stranger_key() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, "not-in-the-tools-jwks"


@pytest.mark.parametrize(("claims", "said"), [
    ({"aud": "https://elsewhere.example/token"}, "aud must be the token endpoint"),
    ({"sub": "someone-else"}, "sub must be the client id"),
    ({"iss": "hm-unknown-client"}, "is not the client id of a tool"),
    ({"exp": int(time.time()) - 600}, "expired"),
    ({"jti": None}, "jti"),
])
def test_a_bad_client_assertion_is_refused(vendor_shared: VendorSetup, claims: dict[str, Any],
                                           said: str) -> None:
    answer = token_request(vendor_shared, assertion(vendor_shared, **claims))
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_client"
    assert said in answer.json()["error_description"]


def test_an_assertion_signed_by_a_key_the_tool_does_not_publish_is_refused(
        vendor_shared: VendorSetup) -> None:
    answer = token_request(vendor_shared, assertion(vendor_shared, key=_stranger_key()))
    assert answer.status_code == 401
    assert "no key with kid 'not-in-the-tools-jwks'" in answer.json()["error_description"]


def test_an_assertion_is_used_once(vendor_shared: VendorSetup) -> None:
    once = assertion(vendor_shared)
    assert token_request(vendor_shared, once).status_code == 200
    again = token_request(vendor_shared, once)
    assert again.status_code == 401 and "jti was used before" in again.text


def test_only_ags_scopes_are_granted(vendor_shared: VendorSetup) -> None:
    answer = token_request(vendor_shared, assertion(vendor_shared),
                           "https://purl.imsglobal.org/spec/lti-nrps/scope/"
                           "contextmembership.readonly")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


# -- AGS ----------------------------------------------------------------------------------

def test_ags_needs_our_bearer_token_with_the_right_scope(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    bare = httpx.get(lineitems(v), trust_env=False)
    assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
    forged = httpx.get(lineitems(v), trust_env=False, headers={
        "Authorization": "Bearer " + jwt.encode({"sub": v.tool.client_id}, _stranger_key()[0],
                                                algorithm="RS256", headers={"kid": "x"})})
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"
    score_only = bearer(v, AGS + "score")
    listed = httpx.get(lineitems(v), headers=score_only, trust_env=False)
    assert listed.status_code == 403 and listed.json()["error"] == "insufficient_scope"
    made = httpx.post(lineitems(v), json={"label": "x", "scoreMaximum": 1}, trust_env=False,
                      headers={**score_only, "Content-Type": LINEITEM_TYPE})
    assert made.status_code == 403
    assert "lti-ags/scope/lineitem" in made.json()["error_description"]


def test_a_score_for_another_contexts_line_item_is_not_found(
        vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    item_url = make_item(v)
    elsewhere = item_url.replace(f"/contexts/{v.roster.class_id}/",
                                 f"/contexts/{other_class(v)}/")
    answer = post_score(v, elsewhere, v.roster.students[0], 5, "2026-02-01T10:00:00Z")
    assert answer.status_code == 404, answer.text
    assert "no line item" in answer.json()["error"]
    unknown = post_score(v, item_url.replace(v.roster.class_id, "no-such-class"),
                         v.roster.students[0], 5, "2026-02-01T10:00:00Z")
    assert unknown.status_code == 404


def test_a_score_for_someone_outside_the_class_is_refused(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    item_url = make_item(v)
    answer = post_score(v, item_url, "not-enrolled-anywhere", 5, "2026-02-01T10:00:00Z")
    assert answer.status_code == 400 and "is not a member" in answer.json()["error"]


def test_an_older_score_is_refused_and_an_equal_timestamp_overwrites(
        vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    learner = v.roster.students[2]
    item_url = make_item(v)
    assert post_score(v, item_url, learner, 6, "2026-03-01T10:00:00Z").status_code == 204
    stale = post_score(v, item_url, learner, 9, "2026-03-01T09:59:59+00:00")
    assert stale.status_code == 409
    assert "earlier than the stored score" in stale.json()["error"]
    same = post_score(v, item_url, learner, 8, "2026-03-01T12:00:00+02:00")  # the same instant
    assert same.status_code == 204
    key = f"{item_url.rsplit('/', 1)[1]}:{learner}"
    row = next(r for r in evidence_rows(v.store, v.tenant_id) if r.source_key == key)
    assert (row.raw_score, row.score, row.observed_at) == ("8", 0.8, "2026-03-01T10:00:00.000Z")


def test_bad_scores_say_what_is_wrong(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    item_url = make_item(v)
    headers = {**bearer(v, AGS + "score"), "Content-Type": SCORE_TYPE}
    base = {"userId": v.sub(v.roster.students[0]), "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": "2026-02-01T10:00:00Z"}
    for change, said in [({"timestamp": "yesterday"}, "is not ISO 8601"),
                         ({"timestamp": "2026-02-01T10:00:00"}, "time zone"),
                         ({"scoreGiven": 3}, "scoreGiven needs scoreMaximum"),
                         ({"gradingProgress": "Done"}, "gradingProgress")]:
        answer = httpx.post(f"{item_url}/scores", json={**base, **change}, headers=headers,
                            trust_env=False)
        assert answer.status_code == 400 and said in answer.json()["error"], change
    wrong_type = httpx.post(f"{item_url}/scores", content=b"{}", trust_env=False,
                            headers={**headers, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


# -- launches -----------------------------------------------------------------------------

def test_a_launch_ticket_is_used_once(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    link = v.launch_link(v.roster.students[0])
    browser = v.browser()
    assert browser.client.get(link).status_code == 302
    again = browser.client.get(link)
    assert again.status_code == 401 and "used already" in again.text


def test_a_ticket_for_someone_not_in_the_class_is_refused(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    answer = v.browser().client.get(v.launch_link("not-enrolled-anywhere"))
    assert answer.status_code == 403 and "is not enrolled" in answer.text


def test_the_authorization_needs_the_browser_that_started_the_launch(
        vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    first = v.browser()
    login = first.follow(first.client.get(v.launch_link(v.roster.students[0])))
    authorize_url = redirect_target(login)
    assert authorize_url is not None
    stolen = v.browser().client.get(authorize_url)
    assert stolen.status_code == 401 and "did not start this launch" in stolen.text
    elsewhere = authorize_url.replace("redirect_uri=", "redirect_uri=https%3A%2F%2Fevil."
                                      "example%2F&x=")
    assert first.client.get(elsewhere).status_code == 403
    assert first.client.get(authorize_url).status_code == 200


def test_a_removed_tool_loses_its_tokens_and_launches(vendor: VendorSetup) -> None:
    v = vendor
    headers = bearer(v, AGS + "lineitem")
    link = v.launch_link(v.roster.students[0])
    assert httpx.get(lineitems(v), headers=headers, trust_env=False).status_code == 200
    VendorTools(v.store.engine).remove(v.tool)
    gone = httpx.get(lineitems(v), headers=headers, trust_env=False)
    assert gone.status_code == 401 and "no longer registered" in gone.text
    assert v.browser().client.get(link).status_code == 403
    refused = token_request(v, assertion(v))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
