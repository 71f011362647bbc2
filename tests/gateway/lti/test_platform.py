"""The test LMS alone, driven by a minimal tool written here from the LTI specifications with
PyJWT (no pylti1p3): launches and their id_token, the authorization endpoint's refusals,
the token endpoint, AGS, NRPS, deep linking, dynamic registration and injected faults."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Cookie, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.responses import Response as FastAPIResponse

from tests.gateway.lti.browser import Browser, parse_form
from tests.gateway.lti.platform import (
    INSTRUCTOR,
    LEARNER,
    Platform,
    Tool,
    User,
    running_platform,
)
from tests.helpers import serve_app

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

TEACHER = User("t-1", name="Tess Teacher", given_name="Tess", family_name="Teacher",
               email="tess@example.edu", roles=[INSTRUCTOR], lis_person_sourcedid="teacher-1")
STUDENTS = [User(f"s-{i}", name=f"Student {i}", roles=[LEARNER],
                 lis_person_sourcedid=f"student-{i}") for i in range(1, 4)]


def rsa_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


class FakeTool:
    """Just enough of an LTI 1.3 tool: a JWKS, an OIDC login, a launch that checks its
    id_token against the platform's JWKS, and a deep linking response."""

    def __init__(self) -> None:
        self.url = ""
        self.platform: Platform
        self.http = httpx.Client(trust_env=False)
        self.rotate()
        self.reset()

    def reset(self) -> None:
        self.nonces: dict[str, str] = {}
        self.cookie_check = False
        self.deep_link_overrides: dict[str, Any] = {}
        self.jwks_fetches = 0

    def rotate(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def registration(self) -> Tool:
        return Tool(login_url=f"{self.url}/login", launch_url=f"{self.url}/launch",
                    jwks_url=f"{self.url}/jwks", deep_link_url=f"{self.url}/deep_link")

    def sign(self, claims: dict[str, Any], key_pem: bytes | None = None) -> str:
        return jwt.encode(claims, key_pem or self.key, "RS256",
                          headers={"kid": self.kid})

    def assertion(self, key_pem: bytes | None = None, **claims: Any) -> str:
        client_id = self.platform.tool.client_id if self.platform.tool else ""
        now = int(time.time())
        return self.sign({"iss": client_id, "sub": client_id, "aud": self.platform.token_url,
                          "iat": now, "exp": now + 300, "jti": secrets.token_hex(8),
                          **claims}, key_pem)

    def token_request(self, scopes: list[str], assertion: str | None = None) -> httpx.Response:
        return self.http.post(self.platform.token_url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion or self.assertion(), "scope": " ".join(scopes)})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/jwks")
        async def jwks() -> FastAPIResponse:
            self.jwks_fetches += 1
            return JSONResponse(self.jwks())

        @app.api_route("/login", methods=["GET", "POST"])
        async def login(request: Request) -> FastAPIResponse:
            params = dict(request.query_params)
            if request.method == "POST":
                params.update((k, str(v)) for k, v in (await request.form()).items())
            if self.cookie_check and "lti1p3_new_window" not in params:
                return HTMLResponse('<script>var urlParams = {"lti1p3_new_window": "1"};'
                                    "</script>")
            assert params["iss"] == self.platform.issuer
            state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
            self.nonces[state] = nonce
            query = {"scope": "openid", "response_type": "id_token",
                     "response_mode": "form_post", "prompt": "none",
                     "client_id": params["client_id"], "redirect_uri": params["target_link_uri"],
                     "state": state, "nonce": nonce, "login_hint": params["login_hint"],
                     "lti_message_hint": params["lti_message_hint"]}
            answer = RedirectResponse(f"{self.platform.auth_url}?{urlencode(query)}", 302)
            answer.set_cookie("fake-state", state, secure=True, samesite="none", httponly=True)
            return answer

        @app.post("/launch")
        @app.post("/deep_link")
        def launch(id_token: Annotated[str, Form()], state: Annotated[str, Form()],
                   fake_state: Annotated[str | None, Cookie(alias="fake-state")] = None,
                   ) -> FastAPIResponse:
            if state != fake_state:
                return PlainTextResponse("the state cookie does not match", 400)
            header = jwt.get_unverified_header(id_token)
            keys = jwt.PyJWKSet.from_dict(self.http.get(self.platform.jwks_url).json())
            key = next(k for k in keys.keys if k.key_id == header["kid"])
            claims = jwt.decode(id_token, key.key, algorithms=["RS256"],
                                audience=self.platform.tool.client_id,
                                issuer=self.platform.issuer)
            if claims["nonce"] != self.nonces.pop(state):
                return PlainTextResponse("wrong nonce", 400)
            if claims[LTI + "message_type"] == "LtiDeepLinkingRequest":
                return HTMLResponse(self.deep_link_response(claims))
            return JSONResponse({"header": header, "claims": claims})

        return app

    def deep_link_response(self, request: dict[str, Any]) -> str:
        settings = request[DL + "deep_linking_settings"]
        now = int(time.time())
        claims = {
            "iss": self.platform.tool.client_id, "aud": [request["iss"]], "iat": now,
            "exp": now + 300, "nonce": secrets.token_hex(8),
            LTI + "deployment_id": request[LTI + "deployment_id"],
            LTI + "message_type": "LtiDeepLinkingResponse", LTI + "version": "1.3.0",
            DL + "data": settings.get("data"),
            DL + "content_items": [{"type": "ltiResourceLink", "title": "Fractions quiz",
                                    "url": f"{self.url}/launch?activity=fractions",
                                    "custom": {"activity": "fractions"},
                                    "lineItem": {"scoreMaximum": 20, "tag": "quiz"}}],
            **self.deep_link_overrides,
        }
        return (f'<form action="{settings["deep_link_return_url"]}" method="POST">'
                f'<input type="hidden" name="JWT" value="{self.sign(claims)}" /></form>'
                "<script>document.forms[0].submit();</script>")


@pytest.fixture(scope="module")
def fake_tool() -> Iterator[FakeTool]:
    tool = FakeTool()
    with tool.http, serve_app(tool.app()) as url:
        tool.url = url
        yield tool


@pytest.fixture
def lms(fake_tool: FakeTool) -> Iterator[Platform]:
    with running_platform(fake_tool.registration()) as platform:
        fake_tool.platform = platform
        fake_tool.reset()
        platform.add_context("course-1", "Algebra I", [TEACHER, *STUDENTS], label="ALG1",
                             sourcedid="class-1")
        yield platform


@pytest.fixture
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:
        yield client


def bearer(lms: Platform, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {lms.access_token(list(scopes))}"}


def test_a_launch_carries_a_signed_id_token_with_every_claim(
        lms: Platform, fake_tool: FakeTool, browser: Browser, http: httpx.Client) -> None:
    item = lms.add_line_item("course-1", "Unit test", 10, resource_link_id="link-1")
    answer = browser.launch(lms, TEACHER, custom={"unit": "3"})

    assert answer.status_code == 200, answer.text
    header, claims = answer.json()["header"], answer.json()["claims"]
    assert header["kid"] == lms.kid and header["alg"] == "RS256"
    client_id = lms.tool.client_id if lms.tool else ""
    assert (claims["iss"], claims["aud"], claims["azp"]) == (lms.issuer, client_id, client_id)
    assert claims["sub"] == "t-1" and claims["exp"] > claims["iat"]
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "deployment_id"] == "deploy-1"
    assert claims[LTI + "target_link_uri"] == f"{fake_tool.url}/launch"
    assert claims[LTI + "roles"] == [INSTRUCTOR]
    assert claims[LTI + "resource_link"] == {"id": "link-1"}
    assert claims[LTI + "context"]["id"] == "course-1"
    assert claims[LTI + "context"]["title"] == "Algebra I"
    assert claims[LTI + "custom"] == {"unit": "3"}
    assert claims[LTI + "lis"] == {"person_sourcedid": "teacher-1",
                                   "course_section_sourcedid": "class-1"}
    assert claims[LTI + "launch_presentation"]["return_url"] == lms.return_url
    assert claims[LTI + "tool_platform"]["product_family_code"]
    assert (claims["name"], claims["given_name"], claims["email"]) == (
        "Tess Teacher", "Tess", "tess@example.edu")
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps == {"context_memberships_url": f"{lms.url}/contexts/course-1/memberships",
                    "service_versions": ["2.0"]}
    ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    assert set(ags["scope"]) == {AGS + s for s in ("lineitem", "lineitem.readonly",
                                                   "result.readonly", "score")}
    assert ags["lineitems"] == f"{lms.url}/contexts/course-1/lineitems"
    assert ags["lineitem"] == item["id"]
    expected = lms.launch_claims(TEACHER, nonce="n", custom={"unit": "3"})
    assert set(expected) == set(claims)

    other = lms.sign(claims, key_pem=rsa_pem())
    keys = jwt.PyJWKSet.from_dict(http.get(lms.jwks_url).json())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(other, keys[lms.kid].key, algorithms=["RS256"], audience=client_id)


def test_a_posted_login_through_a_cookie_check_page(
        lms: Platform, fake_tool: FakeTool, browser: Browser) -> None:
    fake_tool.cookie_check = True
    step = browser.login(lms, STUDENTS[0], method="POST")
    assert step.cookie_check and step.authorize_url is None

    step = browser.continue_login(step)
    assert step.authorize_url and step.authorize_url.startswith(lms.auth_url)
    assert step.nonce == fake_tool.nonces[step.state or ""]
    assert step.redirect_uri == f"{fake_tool.url}/launch"
    form = parse_form(browser.client.post(lms.auth_url, data=step.authorize_params).text)
    assert form.action == step.redirect_uri and set(form.fields) == {"id_token", "state"}

    answer = browser.launch(lms, STUDENTS[0], method="POST")
    assert answer.json()["claims"]["sub"] == "s-1"


def test_the_authorization_endpoint_refuses_bad_requests(
        lms: Platform, browser: Browser) -> None:
    good = browser.login(lms, TEACHER).authorize_params
    for name, value in [("redirect_uri", "http://127.0.0.1:9/elsewhere"),
                        ("client_id", "someone-else"), ("prompt", "login"),
                        ("response_mode", "query"), ("response_type", "code"),
                        ("scope", "profile"), ("login_hint", "nobody"), ("nonce", None),
                        ("state", None), ("lti_message_hint", "forged")]:
        params = {k: v for k, v in {**good, name: value}.items() if v is not None}
        answer = browser.client.get(lms.auth_url, params=params)
        assert answer.status_code == 400 and name in answer.text, (name, answer.text)
    assert browser.client.get(lms.auth_url, params=good).status_code == 200


def test_the_token_endpoint_checks_client_assertions(
        lms: Platform, fake_tool: FakeTool, http: httpx.Client) -> None:
    answer = fake_tool.token_request([NRPS, AGS + "score", "openid", "made-up"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["scope"].split() == [NRPS, AGS + "score"]
    members = http.get(f"{lms.url}/contexts/course-1/memberships", headers={
        "Authorization": f"Bearer {body['access_token']}", "Accept": MEMBERS})
    assert members.status_code == 200

    reused = fake_tool.assertion()
    assert fake_tool.token_request([NRPS], reused).status_code == 200
    refusals = {
        "jti was used": reused,
        "Signature verification failed": fake_tool.assertion(key_pem=rsa_pem()),
        "aud": fake_tool.assertion(aud="http://127.0.0.1:9/token"),
        "iss and sub": fake_tool.assertion(sub="someone"),
        "expired": fake_tool.assertion(exp=int(time.time()) - 60),
    }
    for reason, assertion in refusals.items():
        answer = fake_tool.token_request([NRPS], assertion)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
        assert reason in answer.json()["error_description"]
    assert fake_tool.token_request(["made-up"]).json()["error"] == "invalid_scope"

    fetches = fake_tool.jwks_fetches
    fake_tool.rotate()  # the platform fetches the tool's keys on each request
    assert fake_tool.token_request([NRPS]).status_code == 200
    assert fake_tool.jwks_fetches > fetches
    assert lms.tokens_issued == 3


def test_line_items_scores_and_results(lms: Platform, http: httpx.Client) -> None:
    auth = bearer(lms, AGS + "lineitem", AGS + "score", AGS + "result.readonly")
    url = f"{lms.url}/contexts/course-1/lineitems"
    post = {**auth, "Content-Type": LINEITEM}
    for bad in ({"scoreMaximum": 10}, {"label": "Quiz", "scoreMaximum": 0}):
        assert http.post(url, headers=post, json=bad).status_code == 400
    assert http.post(url, headers={**auth, "Content-Type": "application/json"},
                      json={"label": "Quiz", "scoreMaximum": 10}).status_code == 415
    made = [http.post(url, headers=post, json={"label": f"Quiz {i}", "scoreMaximum": 10,
                                                "tag": "quiz", "resourceLinkId": f"link-{i}"})
            for i in (1, 2)]
    assert [m.status_code for m in made] == [201, 201]
    quiz = made[0].json()
    assert quiz["id"].startswith(url + "/")

    listing = http.get(url, headers={**auth, "Accept": LINEITEMS},
                        params={"tag": "quiz", "limit": 1})
    assert [i["label"] for i in listing.json()] == ["Quiz 1"]
    following = http.get(listing.links["next"]["url"], headers={**auth, "Accept": LINEITEMS})
    assert [i["label"] for i in following.json()] == ["Quiz 2"]
    assert "next" not in following.links
    assert http.get(url, headers={**auth, "Accept": LINEITEMS},
                     params={"resource_link_id": "link-2"}).json()[0]["label"] == "Quiz 2"

    def score(user: str, at: datetime, given: float, **more: Any) -> httpx.Response:
        return http.post(quiz["id"] + "/scores", headers={**auth, "Content-Type": SCORE},
                          json={"userId": user, "scoreGiven": given, "scoreMaximum": 10,
                                "activityProgress": "Completed",
                                "gradingProgress": "FullyGraded",
                                "timestamp": at.isoformat(), **more})

    now = datetime.now(UTC)
    assert score("s-1", now, 7).status_code == 204
    assert score("s-1", now, 8).status_code == 204  # the same timestamp overwrites
    older = score("s-1", now - timedelta(seconds=1), 9)
    assert older.status_code == 400 and "earlier" in older.text
    assert score("s-2", now, 5, comment="ok").status_code == 204
    assert score("s-1", now, 3, scoreMaximum=None).status_code == 400
    assert score("nobody", now, 3).status_code == 400
    assert [(s["userId"], s["scoreGiven"], s["lineitem"]) for s in lms.scores] == [
        ("s-1", 7, quiz["id"]), ("s-1", 8, quiz["id"]), ("s-2", 5, quiz["id"])]

    results = http.get(quiz["id"] + "/results", headers={**auth, "Accept": RESULTS})
    assert results.headers["content-type"].startswith(RESULTS)
    assert {(r["userId"], r["resultScore"]) for r in results.json()} == {("s-1", 8), ("s-2", 5)}
    one = http.get(quiz["id"] + "/results", params={"user_id": "s-2"},
                    headers={**auth, "Accept": RESULTS}).json()
    assert one == [{"id": f"{quiz['id']}/results/s-2", "scoreOf": quiz["id"], "userId": "s-2",
                    "resultScore": 5, "resultMaximum": 10, "comment": "ok"}]

    readonly = bearer(lms, AGS + "lineitem.readonly")
    assert http.get(quiz["id"], headers={**readonly, "Accept": LINEITEM}).json() == quiz
    assert http.put(quiz["id"], headers={**readonly, "Content-Type": LINEITEM},
                     json=quiz).status_code == 403
    assert http.post(quiz["id"] + "/scores", json={}).status_code == 401
    put = http.put(quiz["id"], headers=post, json={**quiz, "label": "Quiz 1 (redone)"})
    assert put.json()["label"] == "Quiz 1 (redone)"
    assert http.delete(quiz["id"], headers=auth).status_code == 204
    assert http.get(quiz["id"], headers={**auth, "Accept": LINEITEM}).status_code == 404


def test_memberships_page_and_filter_by_role(lms: Platform, http: httpx.Client) -> None:
    auth = {**bearer(lms, NRPS), "Accept": MEMBERS}
    url = f"{lms.url}/contexts/course-1/memberships"
    seen: list[str] = []
    page = http.get(url, headers=auth, params={"limit": 3})
    while True:
        body = page.json()
        assert body["context"] == {"id": "course-1", "label": "ALG1", "title": "Algebra I"}
        seen += [m["user_id"] for m in body["members"]]
        if "next" not in page.links:
            break
        page = http.get(page.links["next"]["url"], headers=auth)
    assert seen == ["t-1", "s-1", "s-2", "s-3"]
    teacher = http.get(url, headers=auth, params={"role": "Instructor"}).json()["members"]
    assert teacher == [{"status": "Active", "user_id": "t-1", "roles": [INSTRUCTOR],
                        "name": "Tess Teacher", "given_name": "Tess", "family_name": "Teacher",
                        "email": "tess@example.edu", "lis_person_sourcedid": "teacher-1"}]
    learners = http.get(url, headers=auth, params={"role": LEARNER}).json()["members"]
    assert len(learners) == 3
    assert http.get(url, headers={**auth, "Accept": "application/json"}).status_code == 406
    assert http.get(url, headers={**bearer(lms, AGS + "score"), "Accept": MEMBERS}
                     ).status_code == 403


def test_injected_failures_come_first_then_pass(lms: Platform, http: httpx.Client) -> None:
    item = lms.add_line_item("course-1", "Quiz", 10)
    auth = {**bearer(lms, AGS + "score"), "Content-Type": SCORE}
    body = {"userId": "s-1", "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "timestamp": datetime.now(UTC).isoformat()}
    lms.fail_next("/scores", 429, headers={"Retry-After": "2"})
    lms.fail_next("/scores", 500, times=2, method="POST")
    answers = [http.post(item["id"] + "/scores", headers=auth, json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 500, 500, 204]
    assert answers[0].headers["retry-after"] == "2"
    assert len(lms.scores) == 1
    assert lms.request_log.count(("POST", urlsplit(item["id"]).path + "/scores")) == 4

    lms.revoke_tokens()
    assert http.post(item["id"] + "/scores", headers=auth, json=body).status_code == 401


def test_deep_linking_adds_a_link_and_its_line_item(
        lms: Platform, fake_tool: FakeTool, browser: Browser) -> None:
    answer = browser.launch(lms, TEACHER, message_type="LtiDeepLinkingRequest")
    returned = browser.submit_form(answer)
    assert returned.status_code == 200 and "received 1 items" in returned.text, returned.text
    assert lms.deep_link_items[0]["title"] == "Fractions quiz"
    link = lms.resource_links["dl-link-1"]
    assert link["url"] == f"{fake_tool.url}/launch?activity=fractions"
    column = next(iter(lms.contexts["course-1"].line_items.values()))
    assert (column["label"], column["scoreMaximum"], column["resourceLinkId"]) == (
        "Fractions quiz", 20, "dl-link-1")

    claims = lms.launch_claims(STUDENTS[0], nonce="n", resource_link_id="dl-link-1")
    assert claims[LTI + "target_link_uri"] == link["url"]
    assert claims[LTI + "custom"] == {"activity": "fractions"}
    assert claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == \
        column["id"]

    for override, reason in (({DL + "data": "forged"}, "data"),
                             ({"aud": "http://127.0.0.1:9"}, "aud"),
                             ({LTI + "deployment_id": "other"}, "deployment_id")):
        fake_tool.deep_link_overrides = override
        page = browser.launch(lms, TEACHER, message_type="LtiDeepLinkingRequest")
        refused = browser.submit_form(page)
        assert refused.status_code == 400 and reason in refused.text
    assert len(lms.deep_link_items) == 1


def test_dynamic_registration(lms: Platform, fake_tool: FakeTool, browser: Browser,
                              http: httpx.Client) -> None:
    config_url, token = lms.registration_start()
    config = http.get(config_url).json()
    assert config["issuer"] == lms.issuer and config_url.startswith(config["issuer"])
    assert config["registration_endpoint"] == lms.registration_url
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    platform_config = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert {"type": "LtiDeepLinkingRequest"} in platform_config["messages_supported"]

    tool_config = {"domain": urlsplit(fake_tool.url).netloc,
                   "target_link_uri": f"{fake_tool.url}/launch", "claims": ["iss", "sub"],
                   "messages": [{"type": "LtiDeepLinkingRequest",
                                 "target_link_uri": f"{fake_tool.url}/deep_link"}]}
    body = {"application_type": "web", "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": f"{fake_tool.url}/login",
            "redirect_uris": [f"{fake_tool.url}/launch", f"{fake_tool.url}/deep_link"],
            "client_name": "Fake tool", "jwks_uri": f"{fake_tool.url}/jwks",
            "token_endpoint_auth_method": "private_key_jwt", "scope": NRPS,
            "https://purl.imsglobal.org/spec/lti-tool-configuration": tool_config}
    url = config["registration_endpoint"]
    assert http.post(url, json=body).status_code == 401
    missing = http.post(url, json={**body, "jwks_uri": None},
                         headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 400 and "jwks_uri" in missing.json()["error_description"]

    answer = http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    registered = answer.json()
    assert lms.tool is not None and registered["client_id"] == lms.tool.client_id
    deployment = registered["https://purl.imsglobal.org/spec/lti-tool-configuration"][
        "deployment_id"]
    assert deployment == lms.tool.deployment_id
    assert lms.tool.deep_link_url == f"{fake_tool.url}/deep_link"
    assert lms.registrations == [body]
    assert http.post(url, json=body, headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401

    launched = browser.launch(lms, TEACHER).json()["claims"]
    assert launched["aud"] == registered["client_id"]
    assert launched[LTI + "deployment_id"] == deployment
    assert fake_tool.token_request([NRPS, AGS + "score"]).json()["scope"] == NRPS
