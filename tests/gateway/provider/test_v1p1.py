"""The OneRoster 1.1 provider over HTTP, on both databases: every 1.1 path in the 1.1 shape,
the 1.2 -> 1.1 role mapping, query parameters and paging headers, 1.1 scopes, OAuth 1.0a
signatures (good, tampered, stale, replayed), sharing on nested paths and the gradebook
writes."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_TYPE_QUERY,
    Client,
)

from gateway.api import create_app
from gateway.engine.run import RunOptions, sync
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.v1p1 import BASE, ENDPOINTS
from gateway.settings import Settings
from gateway.store.clients import V1P1, ProviderClients, Sharing
from gateway.store.store import Store
from tests.gateway.model.test_oneroster import check
from tests.gateway.provider.gradebook_tenant import TenantRows
from tests.gateway.provider.test_gradebook import Ids, district  # noqa: F401 (a fixture)
from tests.gateway.provider.v1p1_schema import DOC, response_schema
from tests.helpers import csv_connection

ROSTER = [V1P1 + s for s in ("roster.readonly", "roster-core.readonly",
                             "roster-demographics.readonly")]
GRADEBOOK = [V1P1 + s for s in ("gradebook.readonly", "gradebook.createput",
                                "gradebook.delete")]
EVERYTHING = [*ROSTER, *GRADEBOOK, V1P1 + "resource.readonly"]
TEACHER = "tch-000001"  # also a (primary) guardian at the second school: served as teacher
COUNSELOR = "adm-0003"  # a principal made counselor: served as aide


@dataclass
class V11(TenantRows):
    client: TestClient
    store: Store
    tenant_id: int
    clients: ProviderClients
    secrets: dict[str, tuple[str, str]]
    ids: Ids

    def token(self, who: str, scope: str | None = None) -> str:
        client_id, secret = self.secrets[who]
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret, **({"scope": scope} if scope else {})}
        answer = self.client.post(TOKEN_PATH, data=form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def call(self, who: str, method: str, path: str, body: Any = None,
             **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        url = path if path.startswith("/ims/") else BASE + path
        return self.client.request(method, url, params=params or None, json=body,
                                   headers=headers)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.call(who, "GET", path, **params)

    def records(self, who: str, path: str, **params: Any) -> list[dict[str, Any]]:
        answer = self.get(who, path, **{"limit": 1000, **params})
        assert answer.status_code == 200, answer.text
        [(_, records)] = answer.json().items()
        return list(records)

    def ids_of(self, who: str, path: str, **params: Any) -> set[str]:
        return {r["sourcedId"] for r in self.records(who, path, **params)}

    def signed(self, who: str, path: str, *, method: str = SIGNATURE_HMAC_SHA1,
               http_method: str = "GET", query: dict[str, str] | None = None,
               **client: Any) -> tuple[str, dict[str, str]]:
        """An OAuth 1.0a signed request (oauthlib signs it): the URL and the headers."""
        client_id, secret = self.secrets[who]
        uri = f"http://testserver{BASE}{path}" + (f"?{urlencode(query)}" if query else "")
        signer = Client(client_id, client_secret=secret, signature_method=method, **client)
        uri, headers, _ = signer.sign(uri, http_method=http_method)
        return uri, dict(headers)


@pytest.fixture(scope="module")
def district_v1p1(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> tuple[Path, Ids]:
    """The gradebook district (test_gradebook's ``district``), with terms, and users 1.1
    cannot say as they are: a teacher who is also a guardian elsewhere, a counselor, a
    student of sex ``other``."""
    source, ids = request.getfixturevalue("district")
    out = tmp_path_factory.mktemp("district_v1p1") / "export"
    shutil.copytree(source, out)
    sessions = out / "academicSessions.csv"
    sessions.write_text(sessions.read_text().replace(",semester,", ",term,"))
    roles = out / "roles.csv"
    text = roles.read_text().replace(f"{COUNSELOR},primary,principal,",
                                     f"{COUNSELOR},primary,counselor,")
    roles.write_text(text + f"rol-g-1,,,{TEACHER},primary,guardian,2026-08-24,,"
                            f"{ids.school_b},\n")
    demographics = out / "demographics.csv"
    lines = demographics.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",male,", ",other,").replace(",female,", ",other,")
    demographics.write_text("".join(lines))
    return out, ids


@pytest.fixture
def v11(store: Store, district_v1p1: tuple[Path, Ids]) -> Iterator[V11]:
    path, ids = district_v1p1
    csv_connection(store, path)
    report = asyncio.run(sync(store, store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant = store.tenant("district").id
    clients = ProviderClients(store.engine, store.secrets)
    secrets = {}
    for who, scopes, sharing in (
            ("all", EVERYTHING, Sharing(demographics=True)),
            ("core", [V1P1 + "roster-core.readonly"], Sharing()),
            ("reader", [*ROSTER, V1P1 + "gradebook.readonly"], Sharing()),
            ("school", EVERYTHING, Sharing(schools=frozenset({ids.school_a}))),
            ("v1p2", ["roster.readonly", "roster-core.readonly", "gradebook.readonly",
                      "gradebook.createput"], Sharing())):
        _, client_id, secret = clients.create(tenant, who, scopes, sharing)
        secrets[who] = (client_id, secret)
    app = create_app(store, Settings(), extra_routers=[provider_router(store, max_limit=1000)])
    with TestClient(app) as client:
        yield V11(client, store, tenant, clients, secrets, ids)


def _code_minor(body: dict[str, Any]) -> str:
    assert body["imsx_codeMajor"] == "failure"
    return str(body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])


def _hrefs(value: Any) -> list[str]:
    if isinstance(value, list):
        return [h for item in value for h in _hrefs(item)]
    if isinstance(value, dict):
        own = [value["href"]] if isinstance(value.get("href"), str) else []
        return own + [h for k, v in value.items() if k != "metadata" for h in _hrefs(v)]
    return []


def _samples(v: V11) -> tuple[dict[str, str], dict[str, str]]:
    ids = v.ids
    student = ids.student_a
    teacher = sorted(v.ids_of("all", f"/classes/{ids.class_a}/teachers"))[0]
    term = sorted(v.ids_of("all", "/terms"))[0]
    values = {"schoolSourcedId": ids.school_a, "classSourcedId": ids.class_a,
              "studentSourcedId": student, "teacherSourcedId": teacher,
              "userSourcedId": ids.student_b, "termSourcedId": term,
              "courseSourcedId": ids.course_a, "lineItemSourcedId": ids.line_a}
    single = {"/academicSessions": term, "/terms": term, "/classes": ids.class_a,
              "/courses": ids.course_a, "/demographics": student, "/orgs": ids.school_a,
              "/schools": ids.school_a, "/students": student, "/teachers": teacher,
              "/users": student, "/gradingPeriods": ids.session_a,
              "/enrollments": sorted(v.ids_of("all", "/enrollments", limit=1))[0],
              "/categories": ids.category, "/lineItems": ids.line_a,
              "/results": ids.result_a, "/resources": "rsc-1"}
    return values, single


def test_every_path_answers_in_the_1p1_shape(v11: V11) -> None:
    values, single = _samples(v11)
    assert len(ENDPOINTS) == 56
    for endpoint in ENDPOINTS:
        path = endpoint.path
        if path.endswith("/{sourcedId}"):
            path = path.replace("{sourcedId}", single[path.removesuffix("/{sourcedId}")])
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        answer = v11.get("all", path, limit=5)
        assert answer.status_code == 200, (endpoint.path, answer.text)
        body = answer.json()
        assert check(body, response_schema(endpoint.wrapper, endpoint.single), DOC) == [], \
            endpoint.path
        if not endpoint.single:
            assert body[endpoint.wrapper], f"{endpoint.path} served nothing to check"
            assert int(answer.headers["X-Total-Count"]) >= len(body[endpoint.wrapper])
        assert all(link.startswith(f"http://testserver{BASE}/") for link in _hrefs(body))


def test_1p2_values_are_mapped_to_1p1(v11: V11) -> None:
    ids = v11.ids
    teacher = v11.get("all", f"/users/{TEACHER}").json()["user"]
    assert teacher["role"] == "teacher"
    assert [o["sourcedId"] for o in teacher["orgs"]] == [ids.school_a, ids.school_b]
    assert teacher["orgs"][0] == {"href": f"http://testserver{BASE}/orgs/{ids.school_a}",
                                  "sourcedId": ids.school_a, "type": "org"}
    assert teacher["enabledUser"] in ("true", "false")
    assert not {"roles", "userProfiles", "primaryOrg"} & set(teacher)
    assert v11.get("all", f"/users/{COUNSELOR}").json()["user"]["role"] == "aide"
    administrators = v11.ids_of("all", "/users", filter="role='administrator'")
    assert administrators == {"adm-0001", "adm-0002", "adm-0004"}
    assert v11.ids_of("all", "/users", filter="role='aide'") == {COUNSELOR}
    assert TEACHER not in v11.ids_of("all", "/users", filter="role='guardian'")
    assert TEACHER in v11.ids_of("all", "/users", filter="role='Teacher'")
    assert TEACHER in v11.ids_of("all", "/users", filter=f"orgs.sourcedId='{ids.school_b}'")
    assert TEACHER not in v11.ids_of("all", "/users",
                                     filter=f"orgs.sourcedId!='{ids.school_b}'")
    # A path listing students serves students, whatever else they are.
    students = v11.records("all", "/students")
    assert {u["role"] for u in students} == {"student"}
    assert not v11.ids_of("all", "/students", filter="role='teacher'")
    assert v11.ids_of("all", "/students", filter="role='student'") == {
        u["sourcedId"] for u in students}
    ranked = [u["role"] for u in v11.records("all", "/users", sort="role")]
    assert ranked == sorted(ranked)

    member = v11.records("all", f"/classes/{ids.class_a}/students")[0]
    assert member["role"] == "student" and {"orgs", "username"} <= set(member)
    assert {e["primary"] for e in v11.records("all", "/enrollments", limit=50)} <= {
        "true", "false"}
    line = v11.get("all", f"/lineItems/{ids.line_a}").json()["lineItem"]
    assert line["gradingPeriod"]["sourcedId"] == ids.session_a
    assert line["gradingPeriod"]["href"].startswith(f"http://testserver{BASE}/academicSessions/")
    assert line["class"]["href"].startswith(f"http://testserver{BASE}/classes/")
    assert not {"school", "academicSession", "scoreScale", "learningObjectiveSet"} & set(line)
    result = v11.get("all", f"/results/{ids.result_a}").json()["result"]
    assert isinstance(result["score"], float)
    assert not {"textScore", "class", "scoreScale", "learningObjectiveSet"} & set(result)
    assert "weight" not in v11.get("all", f"/categories/{ids.category}").json()["category"]
    demographics = v11.records("all", "/demographics")
    other = [d for d in demographics if "sex" not in d]
    assert len(other) == 1
    assert other[0]["sourcedId"] not in v11.ids_of("all", "/demographics", filter="sex~'e'")
    assert other[0]["sourcedId"] in v11.ids_of("all", "/demographics", filter="sex=''")


def test_query_parameters_and_paging_headers(v11: V11) -> None:
    total = len(v11.ids_of("all", "/users"))
    answer = v11.get("all", "/users", limit=10, offset=20, sort="familyName", orderBy="desc",
                     fields="sourcedId,familyName,role")
    assert answer.status_code == 200
    users = answer.json()["users"]
    assert len(users) == 10 and all(set(u) == {"sourcedId", "familyName", "role"}
                                    for u in users)
    names = [u["familyName"] for u in users]
    assert names == sorted(names, reverse=True)
    assert answer.headers["X-Total-Count"] == str(total)
    links = dict(re.findall(r'<([^>]+)>; rel="(\w+)"', answer.headers["Link"]))
    assert set(links.values()) == {"first", "prev", "next", "last"}
    assert all(url.startswith(f"http://testserver{BASE}/users?") for url in links)

    ids = v11.ids
    in_q1 = v11.records("all", "/lineItems", filter=f"gradingPeriod.sourcedId='{ids.session_a}'"
                        f" AND class.sourcedId='{ids.class_a}'")
    assert in_q1 and all(li["gradingPeriod"]["sourcedId"] == ids.session_a for li in in_q1)
    assert ids.line_a in {li["sourcedId"] for li in in_q1}
    # 1.2 fields are not 1.1 fields.
    for path, bad in (("/users", "roles.role='teacher'"), ("/users", "primaryOrg='x'"),
                      ("/lineItems", "academicSession.sourcedId='x'"),
                      ("/categories", "weight>'1'"), ("/users", "orgs>'a'")):
        refused = v11.get("all", path, filter=bad)
        assert refused.status_code == 400, (path, bad)
        assert _code_minor(refused.json()) == "invalid_filter_field"
    blank = v11.get("all", "/users", fields="sourcedId,,role")
    assert blank.status_code == 400
    assert _code_minor(blank.json()) == "invalid_blank_selection_field"  # a 1.1 code
    lenient = v11.get("all", "/users", fields="sourcedId,roles", sort="primaryOrg")
    assert lenient.status_code == 200 and "role" in lenient.json()["users"][0]
    assert v11.get("all", "/users", limit=0).status_code == 400


def test_scopes_of_1p1_tokens(v11: V11) -> None:
    c = v11.client
    assert v11.get("core", "/users").status_code == 200
    for path in ("/demographics", "/lineItems", "/resources",
                 f"/classes/{v11.ids.class_a}/students"):
        denied = v11.get("core", path)
        assert denied.status_code == 403, path
        assert _code_minor(denied.json()) == "forbidden"
    assert v11.get("reader", "/demographics").status_code == 200
    assert v11.get("reader", "/results").status_code == 200
    assert v11.call("reader", "DELETE", f"/results/{v11.ids.result_a}").status_code == 403
    # A 1.2 token does not open 1.1 paths, nor a 1.1 token 1.2 paths.
    assert v11.get("v1p2", "/users").status_code == 403
    assert v11.call("core", "GET", "/ims/oneroster/rostering/v1p2/users").status_code == 403
    narrowed = v11.token("all", scope=V1P1 + "roster-core.readonly")
    assert c.get(BASE + "/demographics",
                 headers={"Authorization": f"Bearer {narrowed}"}).status_code == 403
    client_id, secret = v11.secrets["core"]
    assert c.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": client_id,
                                    "client_secret": secret,
                                    "scope": V1P1 + "roster.readonly"}).status_code == 400
    anonymous = c.get(BASE + "/users")
    assert anonymous.status_code == 401 and _code_minor(anonymous.json()) == \
        "unauthorisedrequest"
    challenges = anonymous.headers["WWW-Authenticate"]
    assert "Bearer" in challenges and "OAuth" in challenges


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256])
def test_oauth1_signed_requests(v11: V11, method: str) -> None:
    uri, headers = v11.signed("all", "/users", method=method,
                              query={"limit": "5", "filter": "role='teacher'"})
    answer = v11.client.get(uri, headers=headers)
    assert answer.status_code == 200, answer.text
    assert {u["role"] for u in answer.json()["users"]} == {"teacher"}
    # The signature may travel in the query string instead of the header.
    uri, headers = v11.signed("all", f"/schools/{v11.ids.school_a}", method=method,
                              signature_type=SIGNATURE_TYPE_QUERY)
    assert "oauth_signature=" in uri and "Authorization" not in headers
    assert v11.client.get(uri, headers=headers).status_code == 200
    log = v11.clients.access_log(v11.secrets["all"][0])
    assert log[0].path == f"{BASE}/schools/{v11.ids.school_a}" and log[0].status == 200


def test_oauth1_refusals_say_why_without_secrets(v11: V11) -> None:
    c = v11.client
    secret = v11.secrets["all"][1]

    def refused(uri: str, headers: dict[str, str], reason: str) -> None:
        answer = c.get(uri, headers=headers)
        assert answer.status_code == 401, answer.text
        body = answer.json()
        assert _code_minor(body) == "unauthorisedrequest"
        assert reason in body["imsx_description"], body["imsx_description"]
        assert secret not in answer.text
        assert answer.headers["WWW-Authenticate"].startswith("OAuth")

    uri, headers = v11.signed("all", "/users", query={"limit": "5"})
    tampered = re.sub(r'oauth_signature="[^"]+"', 'oauth_signature="AAAA"',
                      headers["Authorization"])
    refused(uri, {"Authorization": tampered}, "oauth_signature does not match")
    refused(uri.replace("limit=5", "limit=6"), headers, "oauth_signature does not match")
    assert c.get(uri, headers=headers).status_code == 200  # the genuine one still works
    refused(uri, headers, "oauth_nonce was already used")  # ... once
    stale = str(int(time.time()) - 3600)
    uri, headers = v11.signed("all", "/users", timestamp=stale)
    refused(uri, headers, "seconds behind the server clock")
    uri, headers = v11.signed("all", "/users", method="PLAINTEXT")
    refused(uri, headers, "not supported")
    uri, headers, _ = Client("no-such-client", client_secret=secret).sign(
        f"http://testserver{BASE}/users")
    refused(uri, dict(headers), "not a known, active client")
    v11.clients.revoke(v11.secrets["core"][0])
    uri, headers = v11.signed("core", "/users")
    refused(uri, headers, "not a known, active client")


def test_oauth1_answers_server_busy_while_a_sync_holds_sqlite(v11: V11) -> None:
    if v11.store.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite has one write lock a sync can hold")
    uri, headers = v11.signed("all", "/users")
    with v11.store.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        conn.begin()
        busy = v11.client.get(uri, headers=headers)
    assert busy.status_code == 429 and _code_minor(busy.json()) == "server_busy"
    assert busy.headers["Retry-After"] == "5"
    assert v11.client.get(uri, headers=headers).status_code == 200  # the nonce was not used


def test_oauth1_behind_a_proxy_checks_the_public_url(v11: V11) -> None:
    public = "https://harbor.district.example/harbor"
    app = create_app(v11.store, Settings(), extra_routers=[
        provider_router(v11.store, public_base_url=public)])
    client_id, secret = v11.secrets["all"]
    signer = Client(client_id, client_secret=secret, signature_method=SIGNATURE_HMAC_SHA256)
    _, headers, _ = signer.sign(f"{public}{BASE}/orgs?limit=2")
    with TestClient(app) as proxied:  # the proxy forwards /harbor/ims/... as /ims/...
        assert proxied.get(f"{BASE}/orgs?limit=2", headers=headers).status_code == 200
        _, headers, _ = signer.sign(f"http://testserver{BASE}/orgs?limit=2")
        assert proxied.get(f"{BASE}/orgs?limit=2", headers=headers).status_code == 401


def test_oauth1_clients_get_their_1p1_scopes(v11: V11) -> None:
    uri, headers = v11.signed("core", "/users")
    assert v11.client.get(uri, headers=headers).status_code == 200
    uri, headers = v11.signed("core", "/demographics")
    assert v11.client.get(uri, headers=headers).status_code == 403
    uri, headers = v11.signed("v1p2", "/users")  # granted 1.2 scopes only
    denied = v11.client.get(uri, headers=headers)
    assert denied.status_code == 403 and _code_minor(denied.json()) == "forbidden"


def test_a_school_scoped_client_sees_only_its_school_on_1p1_paths(v11: V11) -> None:
    ids = v11.ids
    assert v11.ids_of("school", "/schools") == {ids.school_a}
    assert v11.ids_of("school", "/classes") == v11.ids_of("all", f"/schools/{ids.school_a}"
                                                                 "/classes")
    outsiders = v11.ids_of("all", f"/classes/{ids.class_b}/students") - v11.ids_of(
        "all", f"/schools/{ids.school_a}/students")
    outsider = sorted(outsiders)[0]
    for path in (f"/users/{outsider}", f"/students/{outsider}", f"/classes/{ids.class_b}",
                 f"/schools/{ids.school_b}/classes", f"/classes/{ids.class_b}/students",
                 f"/students/{outsider}/classes", f"/users/{outsider}/classes",
                 f"/schools/{ids.school_b}/classes/{ids.class_b}/enrollments",
                 f"/classes/{ids.class_b}/lineItems", f"/classes/{ids.class_b}/results",
                 f"/classes/{ids.class_b}/lineItems/{ids.line_b}/results",
                 f"/classes/{ids.class_b}/students/{ids.student_b}/results",
                 f"/classes/{ids.class_b}/resources", f"/lineItems/{ids.line_b}",
                 f"/results/{ids.result_b}"):
        answer = v11.get("school", path)
        assert answer.status_code == 404, path
        assert _code_minor(answer.json()) == "unknownobject"
    assert not v11.ids_of("school", "/users", filter=f"sourcedId='{outsider}'")
    assert ids.line_b not in v11.ids_of("school", "/lineItems")
    assert v11.ids_of("school", f"/classes/{ids.class_a}/students") == v11.ids_of(
        "all", f"/classes/{ids.class_a}/students")


def test_gradebook_put_is_idempotent_and_delete_soft_deletes(v11: V11) -> None:
    ids = v11.ids
    category = {"category": {"title": "Projects"}}
    assert v11.call("all", "PUT", "/categories/cat-v11", category).status_code == 201
    version = v11.version()
    assert v11.call("all", "PUT", "/categories/cat-v11", category).status_code == 201
    assert v11.version() == version, "an identical PUT writes nothing"
    assert v11.get("all", "/categories/cat-v11").json()["category"]["title"] == "Projects"

    line = {"lineItem": {
        "title": "Essay", "assignDate": "2026-09-01T00:00:00Z",
        "dueDate": "2026-09-08T00:00:00Z",
        "class": {"href": "x", "sourcedId": ids.class_a, "type": "class"},
        "category": {"href": "x", "sourcedId": "cat-v11", "type": "category"},
        "gradingPeriod": {"sourcedId": ids.session_a, "type": "gradingPeriod"},
        "resultValueMin": 0, "resultValueMax": 10}}
    assert v11.call("all", "PUT", "/lineItems/li-v11", line).status_code == 201
    stored = v11.row("lineItems", "li-v11")
    assert stored["academic_session_sourced_id"] == ids.session_a
    assert stored["school_sourced_id"] == ids.school_a, "the school is the class's"
    served = v11.get("all", "/lineItems/li-v11").json()["lineItem"]
    assert served["gradingPeriod"]["sourcedId"] == ids.session_a
    assert served["resultValueMax"] == 10.0

    result = {"result": {
        "lineItem": {"href": "x", "sourcedId": "li-v11", "type": "lineItem"},
        "student": {"href": "x", "sourcedId": ids.student_a, "type": "student"},
        "scoreStatus": "fully graded", "score": 9.5, "scoreDate": "2026-09-09"}}
    assert v11.call("all", "PUT", "/results/res-v11", result).status_code == 201
    # A 1.2 client adds what 1.1 cannot say; a 1.1 replacement keeps it.
    twelve = {"result": {**result["result"], "textScore": "A-", "student": {
        "href": "x", "sourcedId": ids.student_a, "type": "user"}}}
    assert v11.call("v1p2", "PUT", "/ims/oneroster/gradebook/v1p2/results/res-v11",
                    twelve).status_code == 201
    assert v11.call("all", "GET", "/ims/oneroster/gradebook/v1p2/results/res-v11"
                    ).status_code == 403, "a 1.1 token does not open 1.2 paths"
    result["result"]["score"] = 9.0
    assert v11.call("all", "PUT", "/results/res-v11", result).status_code == 201
    assert v11.row("results", "res-v11")["score"] == "9"
    assert v11.row("results", "res-v11")["text_score"] == "A-"

    bad = v11.call("all", "PUT", "/categories/cat-v11", {"category": {"title": "x",
                                                                       "weight": 2}})
    assert bad.status_code == 422 and "category.weight" in bad.json()["imsx_description"]
    line["lineItem"]["gradingPeriod"]["sourcedId"] = "no-such-session"
    bad = v11.call("all", "PUT", "/lineItems/li-v11", line)
    assert bad.status_code == 422
    assert "lineItem.gradingPeriod" in bad.json()["imsx_description"]
    assert v11.call("reader", "PUT", "/categories/cat-v11", category).status_code == 403
    line["lineItem"]["gradingPeriod"]["sourcedId"] = ids.session_a
    outside = v11.call("school", "PUT", f"/lineItems/{ids.line_b}", line)
    assert outside.status_code == 404

    assert v11.call("all", "DELETE", "/results/res-v11").status_code == 204
    assert v11.get("all", "/results/res-v11").json()["result"]["status"] == "tobedeleted"
    version = v11.version()
    assert v11.call("all", "DELETE", "/results/res-v11").status_code == 204
    assert v11.version() == version
    missing = v11.call("all", "DELETE", "/results/no-such-result")
    assert missing.status_code == 404 and _code_minor(missing.json()) == "unknownobject"


def test_oauth1_signed_write(v11: V11) -> None:
    client_id, secret = v11.secrets["all"]
    signer = Client(client_id, client_secret=secret, signature_method=SIGNATURE_HMAC_SHA256)
    uri, headers, _ = signer.sign(f"http://testserver{BASE}/categories/cat-signed",
                                  http_method="PUT")
    answer = v11.client.put(uri, headers={**headers, "Content-Type": "application/json"},
                            content=b'{"category": {"title": "Signed"}}')
    assert answer.status_code == 201, answer.text
    assert v11.row("categories", "cat-signed")["title"] == "Signed"
