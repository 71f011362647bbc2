"""Real launches from a real LTI platform (lti1p3platform on loopback) into the tool: login
by GET and POST, student and instructor pages, deep linking accepted by the platform, the
tool's JWKS across a key rollover, and the cookie rules for HTTPS."""

from __future__ import annotations

import asyncio
import re
import time
from html.parser import HTMLParser
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.lti.ags import AgsClient, AgsEndpoint
from gateway.lti.app import lti_router
from gateway.lti.contexts import Contexts
from gateway.lti.identity import IdentityLinks
from gateway.lti.keys import ToolKeys
from gateway.lti.ledger import Score
from gateway.lti.services import ServiceClient
from gateway.settings import Settings
from gateway.store.store import Store
from tests.gateway.lti.browser import Browser
from tests.gateway.lti.conftest import LtiSetup
from tests.gateway.lti.platform import INSTRUCTOR, LEARNER, User

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def _student(lti: LtiSetup, n: int = 0) -> User:
    return User(sub=f"lms-student-{n}", name=f"LMS Student {n}", roles=[LEARNER],
                lis_person_sourcedid=lti.roster.students[n])


def _teacher(lti: LtiSetup) -> User:
    return User(sub="lms-teacher", name="LMS Teacher", roles=[INSTRUCTOR],
                lis_person_sourcedid=lti.roster.teacher)


def _launch(lti: LtiSetup, user: User, **claims: Any) -> httpx.Response:
    """A launch whose id_token carries ``claims`` besides the platform's own (the class's
    SIS id in the lis claim, say), through the whole browser flow."""
    browser = lti.browser()
    step = browser.login(lti.platform, user)
    body = lti.platform.launch_claims(user, nonce=step.nonce)
    for key, value in claims.items():
        body[key] = {**body.get(key, {}), **value} if isinstance(value, dict) else value
    return browser.post_launch(step.redirect_uri, lti.platform.sign(body), step.state)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_student_launch_shows_what_harbormaster_knows(lti_shared: LtiSetup, method: str) -> None:
    lti = lti_shared
    response = lti.browser().launch(lti.platform, _student(lti), method=method)
    assert response.status_code == 200, response.text
    assert "Enrolment" in response.text
    assert "Recent evidence" in response.text
    assert lti.roster.title in response.text


def test_instructor_launch_shows_the_class(lti_shared: LtiSetup) -> None:
    lti = lti_shared
    response = _launch(lti, _teacher(lti), **{
        CLAIM + "lis": {"course_section_sourcedid": lti.roster.class_id}})
    assert response.status_code == 200, response.text
    assert lti.roster.title in response.text
    assert f"{len(lti.roster.students)} students" in response.text


def test_instructor_of_an_unlinked_course_is_told_why(lti_shared: LtiSetup) -> None:
    lti = lti_shared
    response = lti.browser().launch(lti.platform, _teacher(lti))
    assert response.status_code == 200, response.text
    assert "not linked to a class" in response.text


def test_unknown_student_sees_nothing_of_anyone(lti_shared: LtiSetup) -> None:
    lti = lti_shared
    stranger = User(sub="lms-stranger", name="Stranger", roles=[LEARNER])
    response = lti.browser().launch(lti.platform, stranger)
    assert response.status_code == 200, response.text
    assert "does not know you yet" in response.text
    assert "Recent evidence" not in response.text


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.choices: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        if tag == "input" and values.get("name") == "activity":
            self.choices.append(values.get("value") or "")


def _picker(lti: LtiSetup, browser: Browser, user: User) -> tuple[_Form, httpx.Response]:
    response = browser.launch(lti.platform, user, message_type="LtiDeepLinkingRequest")
    form = _Form()
    form.feed(response.text)
    return form, response


def test_deep_linking_places_activities_the_platform_accepts(lti: LtiSetup) -> None:
    browser = lti.browser()
    form, response = _picker(lti, browser, _teacher(lti))
    assert response.status_code == 200, response.text
    assert "harbormaster:profile" in form.choices
    assert any(c.startswith("lineItem:") for c in form.choices)
    chosen = ["harbormaster:profile", next(c for c in form.choices if c.startswith("lineItem:"))]
    answer = browser.client.post(form.action, data={"activity": chosen})
    assert answer.status_code == 200, answer.text
    accepted = browser.submit_form(answer)
    assert accepted.status_code == 200, accepted.text
    items = lti.platform.deep_link_items
    assert [i["lineItem"]["resourceId"] for i in items] == chosen
    assert {i["lineItem"]["tag"] for i in items} == {"harbormaster"}
    assert all(i["type"] == "ltiResourceLink" and i["url"].endswith("/lti/launch")
               for i in items)
    # The picker answers once: a second submission is refused.
    again = browser.client.post(form.action, data={"activity": chosen})
    assert again.status_code == 410


def test_students_cannot_deep_link(lti_shared: LtiSetup) -> None:
    lti = lti_shared
    _, response = _picker(lti, lti.browser(), _student(lti))
    assert response.status_code == 403
    assert "only instructors" in response.text


def test_deep_linking_response_after_key_rollover(lti: LtiSetup) -> None:
    """During a rollover both keys are published; after it the new key signs, and the
    platform (which fetches the tool's JWKS) still accepts the response."""
    keys = ToolKeys(lti.store.engine, lti.store.secrets)
    old = keys.signing_key()
    upcoming = keys.prepare()
    published = httpx.get(f"{lti.tool_url}/.well-known/jwks.json").json()["keys"]
    assert {k["kid"] for k in published} == {old.kid, upcoming.kid}
    assert all("d" not in k and k["alg"] == "RS256" for k in published)
    assert keys.rotate().kid == upcoming.kid

    browser = lti.browser()
    form, _ = _picker(lti, browser, _teacher(lti))
    answer = browser.client.post(form.action, data={"activity": ["harbormaster:profile"]})
    token = re.search(r'name="JWT" value="([^"]+)"', answer.text)
    assert token is not None
    assert jwt.get_unverified_header(token.group(1))["kid"] == upcoming.kid
    assert browser.submit_form(answer).status_code == 200
    assert len(lti.platform.deep_link_items) == 1


def test_platform_key_rotation_is_followed(lti: LtiSetup) -> None:
    """A platform that rotates its key: the cached JWKS lacks the new kid, the tool fetches
    the set again and the launch goes through."""
    assert lti.browser().launch(lti.platform, _student(lti)).status_code == 200
    fetched = lti.platform_keys.fetches
    lti.platform.rotate_key()
    assert lti.browser().launch(lti.platform, _student(lti, 1)).status_code == 200
    assert lti.platform_keys.fetches == fetched + 1


def test_https_cookies_work_in_an_lms_iframe(sqlite_store: Store) -> None:
    """Served over HTTPS, login cookies are SameSite=None; Secure; Partitioned, and a first
    login answers pylti1p3's cookie check page (it opens a new window where cookies are
    blocked) before redirecting."""
    from gateway.lti.registrations import RegistrationInput, Registrations

    tenant = sqlite_store.ensure_tenant("district")
    Registrations(sqlite_store.engine).add(tenant.id, RegistrationInput(
        name="lms", issuer="https://lms.example", client_id="c1",
        auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks", deployment_ids=("d1",)))
    app = FastAPI()
    app.include_router(lti_router(sqlite_store,
                                  Settings(public_url="https://harbor.district.example")))
    client = TestClient(app, base_url="https://harbor.district.example")
    params = {"iss": "https://lms.example", "login_hint": "u1", "client_id": "c1",
              "target_link_uri": "https://harbor.district.example/lti/launch"}
    check = client.get("/lti/login", params=params, follow_redirects=False)
    assert check.status_code == 200
    assert "lti1p3_new_window" in check.text
    response = client.get("/lti/login", params={**params, "lti1p3_new_window": "1"},
                          follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://lms.example/auth?")
    assert "redirect_uri=https%3A%2F%2Fharbor.district.example%2Flti%2Flaunch" in \
        response.headers["location"]
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("lti1p3-state-") for c in cookies)
    assert any(c.startswith("lti1p3-session-id=") for c in cookies)
    for cookie in cookies:
        lowered = cookie.lower()
        assert "secure" in lowered and "samesite=none" in lowered and "partitioned" in lowered
        assert "httponly" in lowered


def _wait_for(check: Any, seconds: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy (work done after a response)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_instructor_launch_checks_the_lms_roster(lti: LtiSetup) -> None:
    """NRPS: after an instructor's launch the tool reads the course's memberships and links
    each member to the roster; who cannot be matched waits for review."""
    students = [_student(lti, n) for n in range(3)]
    stranger = User(sub="lms-stranger", name="Not In The SIS", roles=[LEARNER])
    lti.platform.add_context("course-1", lti.roster.title, [_teacher(lti), *students, stranger])
    response = _launch(lti, _teacher(lti), **{
        CLAIM + "lis": {"course_section_sourcedid": lti.roster.class_id}})
    assert response.status_code == 200, response.text
    links = IdentityLinks(lti.store.engine)
    assert _wait_for(lambda: links.get(lti.registration.id, "lms-stranger")) is not None
    for n, student in enumerate(students):
        link = links.get(lti.registration.id, student.sub)
        assert link is not None and link.user_sourced_id == lti.roster.students[n]
    assert [link.sub for link in links.for_review(lti.tenant_id)] == ["lms-stranger"]
    course = Contexts(lti.store.engine).get(lti.registration.id, "course-1")
    assert course is not None and course.class_sourced_id == lti.roster.class_id
    assert course.memberships_url and course.lineitems_url


def test_a_launch_gives_the_course_for_grades_through_ags(lti: LtiSetup) -> None:
    """AGS: the course's line items URL comes from a launch; a line item is found or made
    once by resourceId and tag, and a score posted lands in the platform's gradebook once."""
    student = _student(lti)
    assert lti.browser().launch(lti.platform, student).status_code == 200
    course = Contexts(lti.store.engine).get(lti.registration.id, "course-1")
    assert course is not None and course.lineitems_url

    async def push() -> list[str]:
        async with ServiceClient(ToolKeys(lti.store.engine, lti.store.secrets)) as services:
            ags = AgsClient(services, lti.store.engine)
            endpoint = AgsEndpoint(lineitems=course.lineitems_url,
                                   scopes=frozenset(course.ags_scopes))
            outcomes = []
            for _ in range(2):  # a re-run finds the line item and sends nothing new
                item = await ags.find_or_create_line_item(
                    lti.registration, endpoint, label="Fractions unit", score_maximum=100,
                    resource_id="lineItem:fractions", tag="harbormaster")
                pushed = await ags.post_score(lti.registration, item, Score(
                    user_id=student.sub, score_given=85, score_maximum=100,
                    comment="Level 3 of 4"), endpoint=endpoint)
                outcomes.append(pushed.outcome)
            return outcomes

    assert asyncio.run(push()) == ["sent", "already sent"]
    assert [(s["userId"], s["scoreGiven"], s["gradingProgress"]) for s in lti.platform.scores] \
        == [(student.sub, 85, "FullyGraded")]
