"""The LTI certification's bad payloads, sent by a real platform's browser flow to the tool:
each refused with an error page that names what was wrong, and logged."""

from __future__ import annotations

import base64
import html
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.gateway.lti.conftest import LtiSetup
from tests.gateway.lti.platform import LEARNER, User

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

Mutation = Callable[[dict[str, Any]], None]


def _drop(claim: str) -> Mutation:
    return lambda claims: claims.pop(claim, None)


def _set(claim: str, value: Any) -> Mutation:
    return lambda claims: claims.__setitem__(claim, value)


def _times(iat: int, exp: int) -> Mutation:
    def change(claims: dict[str, Any]) -> None:
        now = int(time.time())
        claims["iat"], claims["exp"] = now + iat, now + exp
    return change


def _no_link_id(claims: dict[str, Any]) -> None:
    claims[CLAIM + "resource_link"] = {"title": "no id"}


CLAIM_CASES: list[tuple[str, Mutation, str, int]] = [
    ("wrong-version", _set(CLAIM + "version", "1.2.0"), "LTI version '1.2.0'", 400),
    ("no-message-type", _drop(CLAIM + "message_type"), "no message type", 400),
    ("unknown-message-type", _set(CLAIM + "message_type", "LtiStrangeRequest"),
     "is not one Harbormaster accepts", 400),
    ("no-roles", _drop(CLAIM + "roles"), "no roles list", 400),
    ("no-deployment", _drop(CLAIM + "deployment_id"), "no deployment id", 400),
    ("unknown-deployment", _set(CLAIM + "deployment_id", "not-ours"), "deployment", 403),
    ("no-resource-link-id", _no_link_id, "no resource link id", 400),
    ("no-sub", _drop("sub"), "no user (claim sub)", 400),
    ("expired", _times(-7200, -3600), "has expired", 401),
    ("issued-in-the-future", _times(3600, 7200), "issued in the future", 401),
    ("issued-long-ago", _times(-3 * 3600, 600), "issued more than", 401),
    # The audience names the client id, so a token for another tool finds no registration.
    ("wrong-aud", _set("aud", "some-other-tool"), "with client id 'some-other-tool'", 403),
    ("wrong-azp", _set("azp", "some-other-tool"), "authorized party", 401),
    ("wrong-iss", _set("iss", "https://lms.elsewhere.example"), "no registration", 403),
    ("nonce-not-issued", _set("nonce", "made-up-nonce"), "was not issued", 401),
]


def _student(lti: LtiSetup) -> User:
    return User(sub="lms-student-1", name="Student One", roles=[LEARNER],
                lis_person_sourcedid=lti.roster.students[0])


def _send(lti: LtiSetup, mutate: Mutation | None = None, *,
          sign: Callable[[dict[str, Any]], str] | None = None) -> Any:
    browser = lti.browser()
    user = _student(lti)
    step = browser.login(lti.platform, user)
    claims = lti.platform.launch_claims(user, nonce=step.nonce)
    if mutate is not None:
        mutate(claims)
    token = sign(claims) if sign else lti.platform.sign(claims)
    return browser.post_launch(step.redirect_uri, token, step.state)


def _assert_refused(response: Any, status: int, words: str,
                    caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code == status, response.text
    assert "This launch could not be completed" in response.text
    assert words in html.unescape(response.text)
    assert any("LTI launch refused" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("case", "mutate", "words", "status"), CLAIM_CASES,
                         ids=[c[0] for c in CLAIM_CASES])
def test_bad_claims_are_refused(lti_shared: LtiSetup, caplog: pytest.LogCaptureFixture,
                                case: str,
                                mutate: Mutation, words: str, status: int) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    _assert_refused(_send(lti, mutate), status, words, caplog)


def _another_key() -> bytes:
    """An RSA key the platform does not publish."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def test_no_kid_is_refused(lti_shared: LtiSetup,
                           caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    response = _send(lti, sign=lambda c: jwt.encode(c, lti.platform.private_pem, "RS256"))
    _assert_refused(response, 400, "has no kid", caplog)


def test_unknown_kid_is_refused(lti_shared: LtiSetup,
                                caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    other = _another_key()
    response = _send(lti, sign=lambda c: lti.platform.sign(c, kid="rotated-away", key_pem=other))
    _assert_refused(response, 401, "no key with kid 'rotated-away'", caplog)


def test_other_key_with_the_platforms_kid_is_refused(lti_shared: LtiSetup,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    other = _another_key()
    response = _send(lti, sign=lambda c: lti.platform.sign(c, key_pem=other))
    _assert_refused(response, 401, "signature does not verify", caplog)


def _tampered(lti: LtiSetup) -> Callable[[dict[str, Any]], str]:
    def sign(claims: dict[str, Any]) -> str:
        header, _, signature = lti.platform.sign(claims).split(".")
        claims = {**claims, "sub": "someone-else"}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{body}.{signature}"
    return sign


def test_tampered_signature_is_refused(lti_shared: LtiSetup,
                                       caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    _assert_refused(_send(lti, sign=_tampered(lti)), 401, "signature does not verify", caplog)


def test_hs256_is_refused(lti_shared: LtiSetup,
                          caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    response = _send(lti, sign=lambda c: jwt.encode(c, "a-shared-secret-long-enough-for-hs256",
                                                    "HS256", headers={"kid": "x"}))
    _assert_refused(response, 400, "requires RS256", caplog)


def test_replayed_launch_is_refused(lti: LtiSetup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    browser = lti.browser()
    user = _student(lti)
    step = browser.login(lti.platform, user)
    token = lti.platform.sign(lti.platform.launch_claims(user, nonce=step.nonce))
    first = browser.post_launch(step.redirect_uri, token, step.state)
    assert first.status_code == 200, first.text
    again = browser.post_launch(step.redirect_uri, token, step.state)
    _assert_refused(again, 401, "was used already", caplog)
    # From another browser (no state cookie) the replay does not get further either.
    elsewhere = lti.browser().post_launch(step.redirect_uri, token, step.state)
    assert elsewhere.status_code == 401


def test_missing_state_cookie_is_refused(lti_shared: LtiSetup,
                                         caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    user = _student(lti)
    step = lti.browser().login(lti.platform, user)
    token = lti.platform.sign(lti.platform.launch_claims(user, nonce=step.nonce))
    response = lti.browser().post_launch(step.redirect_uri, token, step.state)
    _assert_refused(response, 401, "State not found", caplog)
    assert "cookies" in response.text


def test_login_for_an_unknown_platform_is_refused(lti_shared: LtiSetup,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    lti = lti_shared
    caplog.set_level(logging.WARNING, "harbormaster.lti")
    response = lti.browser().client.get(f"{lti.tool_url}/lti/login", params={
        "iss": "https://unknown.example", "login_hint": "x", "client_id": "nobody",
        "target_link_uri": f"{lti.tool_url}/lti/launch"})
    assert response.status_code == 403
    assert "no registration for issuer 'https://unknown.example'" in html.unescape(response.text)
    assert any("LTI login refused" in r.getMessage() for r in caplog.records)


def test_login_with_a_foreign_target_is_refused(lti_shared: LtiSetup) -> None:
    lti = lti_shared
    response = lti.browser().client.get(f"{lti.tool_url}/lti/login", params={
        "iss": lti.platform.issuer, "login_hint": "x", "client_id": lti.registration.client_id,
        "target_link_uri": "https://evil.example/steal"})
    assert response.status_code == 400
    assert "is not an address of this Harbormaster" in response.text
