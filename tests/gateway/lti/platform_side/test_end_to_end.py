"""End to end over loopback HTTP: Harbormaster launches a vendor tool (a second
Harbormaster's pylti1p3 tool side), the tool accepts the launch, gets a token from us,
makes a line item and posts a score with its own AGS client, and the score becomes the
learner's evidence and mastery."""

from __future__ import annotations

import asyncio

import jwt
import sqlalchemy as sa

from gateway.lti.ags import SCORE, AgsClient, AgsEndpoint
from gateway.lti.keys import ToolKeys
from gateway.lti.ledger import Score
from gateway.lti.services import ServiceClient
from gateway.store.learning_tables import mastery
from tests.gateway.lti.platform_side.conftest import (
    STANDARD,
    STANDARD_CODE,
    VendorSetup,
    evidence_rows,
)


def test_a_launch_reaches_the_tool_and_its_score_becomes_evidence_and_mastery(
        vendor: VendorSetup) -> None:
    student = vendor.roster.students[0]
    browser = vendor.browser()
    landing = vendor.launch(browser, student)
    # The tool validated our id_token (signature by our JWKS, nonce, deployment) and shows
    # its learner page: it does not know this person, as it has no roster of its own.
    assert landing.status_code == 200, landing.text
    assert "Harbormaster does not know you yet" in landing.text
    endpoint_url = vendor.lineitems_url()
    assert endpoint_url == (f"{vendor.harbor_url}/lti/platform/contexts/"
                            f"{vendor.roster.class_id}/lineitems")

    async def tool_posts_a_score() -> str:
        keys = ToolKeys(vendor.vendor_store.engine, vendor.vendor_store.secrets)
        async with ServiceClient(keys) as services:
            ags = AgsClient(services, vendor.vendor_store.engine)
            endpoint = AgsEndpoint(lineitems=endpoint_url, scopes=frozenset(
                {SCORE, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"}))
            item = await ags.find_or_create_line_item(
                vendor.registration, endpoint, label="Fraction lab 3", score_maximum=20,
                resource_id="lab-3", tag=STANDARD_CODE)
            again = await ags.find_or_create_line_item(
                vendor.registration, endpoint, label="Fraction lab 3", score_maximum=20,
                resource_id="lab-3", tag=STANDARD_CODE)
            assert again.url == item.url  # found by (resourceId, tag), not made twice
            push = await ags.post_score(vendor.registration, item, Score(
                user_id=vendor.sub(student), score_given=15, score_maximum=20),
                endpoint=endpoint)
            assert push.outcome == "sent"
            results = await ags.results(vendor.registration, item)
            assert [(r.user_id, r.result_score, r.result_maximum) for r in results] == [
                (vendor.sub(student), 15.0, 20.0)]
            return item.url

    item_url = asyncio.run(tool_posts_a_score())
    rows = evidence_rows(vendor.store, vendor.tenant_id)
    assert len(rows) == 1
    row = rows[0]
    item_id = item_url.rsplit("/", 1)[1]
    assert (row.system, row.source_key, row.user_sourced_id) == (
        "lti-tool:fraction-lab", f"{item_id}:{student}", student)
    assert (row.raw_score, row.scale, row.score, row.standard, row.status) == (
        "15", "points:20", 0.75, STANDARD, "active")
    assert row.activity == "Fraction lab 3" and row.skill_code == STANDARD_CODE
    assert row.observed_at.endswith("Z")
    with vendor.store.engine.connect() as conn:
        level = conn.execute(sa.select(mastery.c.score, mastery.c.evidence_count).where(
            mastery.c.tenant_id == vendor.tenant_id, mastery.c.user_sourced_id == student,
            mastery.c.standard == STANDARD)).one()
    assert tuple(level) == (0.75, 1)


def test_the_id_token_is_signed_by_a_key_our_jwks_publishes(vendor: VendorSetup) -> None:
    student = vendor.roster.students[1]
    browser = vendor.browser()
    start = browser.client.get(vendor.launch_link(student))
    form_page = browser.follow(browser.follow(start))
    from tests.gateway.lti.browser import parse_form
    token = parse_form(form_page.text, str(form_page.url)).fields["id_token"]
    header = jwt.get_unverified_header(token)
    published = browser.client.get(f"{vendor.harbor_url}/.well-known/jwks.json").json()
    jwk = next(k for k in published["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"],
                        audience=vendor.tool.client_id, issuer=vendor.harbor_url)
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    assert claims["sub"] == vendor.sub(student) and student not in claims["sub"]
    assert claims[lti + "deployment_id"] == vendor.tool.deployment_id
    assert claims[lti + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[lti + "context"]["id"] == vendor.roster.class_id
    assert claims[lti + "resource_link"]["id"].startswith("hm-link-")
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert ags["lineitems"].endswith(f"/contexts/{vendor.roster.class_id}/lineitems")
    assert SCORE in ags["scope"]
