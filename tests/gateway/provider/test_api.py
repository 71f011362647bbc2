"""The OneRoster 1.2 rostering provider, over HTTP against a loaded tenant on both databases:
tokens and scopes, every path's shape against the official OpenAPI, query parameters and
paging headers, sharing rules on nested paths, and the access log."""

from __future__ import annotations

import asyncio
import base64
import csv
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.clock import utcnow
from gateway.engine.run import RunOptions, sync
from gateway.provider import reader
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.rostering import BASE, ENDPOINTS, SPEC_FILE, spec
from gateway.sample import write_delta, write_district
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from tests.gateway.model.test_oneroster import check
from tests.helpers import SHARED, csv_connection

ALL = ["roster.readonly", "roster-core.readonly", "roster-demographics.readonly"]


@dataclass
class Provider:
    client: TestClient
    store: Store
    tenant_id: int
    clients: ProviderClients
    secrets: dict[str, tuple[str, str]]

    def token(self, who: str, scope: str | None = None) -> str:
        client_id, secret = self.secrets[who]
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret, **({"scope": scope} if scope else {})}
        answer = self.client.post(TOKEN_PATH, data=form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def get(self, who: str, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        return self.client.get(BASE + path, params=params, headers=headers)

    def ids(self, who: str, path: str, **params: Any) -> set[str]:
        answer = self.get(who, path, **{"limit": 500, **params})
        assert answer.status_code == 200, answer.text
        [(_, records)] = answer.json().items()
        return {r["sourcedId"] for r in records}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(out, 400, gradebook=False)
    # The generator's classes run in semesters; make them terms so /terms/... have data.
    sessions = out / "academicSessions.csv"
    sessions.write_text(sessions.read_text().replace(",semester,", ",term,"))
    return out


@pytest.fixture
def provider(store: Store, district: Path) -> Iterator[Provider]:
    csv_connection(store, district)
    report = asyncio.run(sync(store, store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant = store.tenant("district").id
    clients = ProviderClients(store.engine, store.secrets)
    schools = sorted(_school_ids(store, tenant))
    secrets = {}
    for who, scopes, sharing in (
            ("all", ALL, Sharing(demographics=True)),
            ("core", ["roster-core.readonly"], Sharing()),
            ("school", ALL, Sharing(schools=frozenset(schools[:1]))),
            ("demo-less", ALL, Sharing())):
        _, client_id, secret = clients.create(tenant, who, scopes, sharing)
        secrets[who] = (client_id, secret)
    app = create_app(store, Settings(), extra_routers=[provider_router(store, max_limit=500)])
    with TestClient(app) as client:
        yield Provider(client, store, tenant, clients, secrets)


def _school_ids(store: Store, tenant: int) -> set[str]:
    from gateway.store.tables import stream_tables

    t = stream_tables["orgs"]
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(
            t.select().with_only_columns(t.c.sourced_id)
            .where(t.c.tenant_id == tenant, t.c.type == "school"))}


def _sample_params(p: Provider) -> tuple[dict[str, str], dict[str, str]]:
    """Real ids for the paths' parameters (a school with classes, a class with students...),
    and for each collection the id its single-record path is asked for."""
    school = sorted(_school_ids(p.store, p.tenant_id))[0]
    classes = sorted(p.ids("all", f"/schools/{school}/classes"))
    cls = next(c for c in classes if p.ids("all", f"/classes/{c}/students"))
    student = sorted(p.ids("all", f"/classes/{cls}/students"))[0]
    teacher = sorted(p.ids("all", f"/classes/{cls}/teachers"))[0]
    term = sorted(p.ids("all", "/terms"))[0]
    course = sorted(p.ids("all", f"/schools/{school}/courses") or p.ids("all", "/courses"))[0]
    values = {"schoolSourcedId": school, "classSourcedId": cls, "studentSourcedId": student,
              "teacherSourcedId": teacher, "userSourcedId": student, "termSourcedId": term,
              "courseSourcedId": course}
    single = {"/academicSessions": term, "/terms": term, "/classes": cls, "/courses": course,
              "/demographics": student, "/orgs": school, "/schools": school,
              "/students": student, "/teachers": teacher, "/users": student,
              "/enrollments": sorted(p.ids("all", "/enrollments", limit=1))[0],
              "/gradingPeriods": sorted(p.ids("all", "/gradingPeriods") or {"none"})[0]}
    return values, single


def test_every_path_answers_in_the_official_shape(provider: Provider) -> None:
    doc = spec()
    samples, single = _sample_params(provider)
    for endpoint in ENDPOINTS:
        path = endpoint.path
        if path.endswith("/{sourcedId}"):
            path = path.replace("{sourcedId}", single[path.removesuffix("/{sourcedId}")])
        for name, value in samples.items():
            path = path.replace("{" + name + "}", value)
        answer = provider.get("all", path, limit=5)
        operation = doc["paths"][endpoint.path]["get"]
        if endpoint.path == "/gradingPeriods/{sourcedId}" and "none" in path:
            assert answer.status_code == 404
            continue
        assert answer.status_code == 200, (endpoint.path, answer.text)
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert check(answer.json(), schema, doc) == [], endpoint.path
        if not endpoint.single:
            assert int(answer.headers["X-Total-Count"]) >= len(answer.json()[endpoint.wrapper])


def test_tokens_and_scopes(provider: Provider) -> None:
    c = provider.client
    client_id, secret = provider.secrets["core"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    answer = c.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert answer.json()["scope"].endswith("roster-core.readonly")
    assert c.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": client_id,
                                    "client_secret": "wrong"}).json()["error"] == "invalid_client"
    assert c.post(TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": client_id,
                                    "client_secret": secret,
                                    "scope": "roster.readonly"}).json()["error"] == "invalid_scope"
    assert c.post(TOKEN_PATH, data={"grant_type": "password"}).status_code == 400

    unauth = c.get(BASE + "/users")
    assert unauth.status_code == 401 and unauth.headers["WWW-Authenticate"].startswith("Bearer")
    assert _code_minor(unauth.json()) == "unauthorisedrequest"
    forged = c.get(BASE + "/users", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    # roster-core.readonly does not reach demographics nor the nested class lists.
    assert provider.get("core", "/users").status_code == 200
    denied = provider.get("core", "/demographics")
    assert denied.status_code == 403 and _code_minor(denied.json()) == "forbidden"
    # A revoked client's unexpired token stops working at once.
    token = provider.token("core")
    provider.clients.revoke(client_id)
    gone = c.get(BASE + "/users", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_query_parameters_and_paging_headers(provider: Provider) -> None:
    total = len(provider.ids("all", "/users"))
    answer = provider.get("all", "/users", limit=10, offset=20, sort="familyName",
                          orderBy="desc", fields="sourcedId,familyName")
    assert answer.status_code == 200
    users = answer.json()["users"]
    assert len(users) == 10 and all(set(u) == {"sourcedId", "familyName"} for u in users)
    names = [u["familyName"] for u in users]
    assert names == sorted(names, reverse=True)
    assert answer.headers["X-Total-Count"] == str(total)
    links = dict(re.findall(r'<([^>]+)>; rel="(\w+)"', answer.headers["Link"]))
    assert set(links.values()) == {"first", "prev", "next", "last"}
    assert all("sort=familyName" in url for url in links)

    teachers = provider.ids("all", "/teachers")
    enabled = provider.ids("all", "/users", filter="roles.role='teacher' AND enabledUser='true'")
    assert enabled == teachers
    bad = provider.get("all", "/users", filter="shoeSize>'9'")
    assert bad.status_code == 400 and _code_minor(bad.json()) == "invalid_filter_field"
    assert "shoeSize" in bad.json()["imsx_description"]
    blank = provider.get("all", "/users", fields="sourcedId,,givenName")
    assert blank.status_code == 400
    # Unknown selection and sort fields warn (the spec): all fields, default order.
    lenient = provider.get("all", "/users", fields="sourcedId,nickname", sort="nickname")
    assert lenient.status_code == 200 and "givenName" in lenient.json()["users"][0]
    clipped = provider.get("all", "/users", limit=100000)
    assert len(clipped.json()["users"]) == min(500, total)
    assert provider.get("all", "/users", limit=0).status_code == 400


def _records(p: Provider, path: str, limit: int = 100, **params: Any) -> list[Any]:
    """Every page of ``path`` in order, ``limit`` at a time, checked against X-Total-Count."""
    out: list[Any] = []
    total = None
    while total is None or len(out) < total:
        answer = p.get("all", path, limit=limit, offset=len(out), **params)
        assert answer.status_code == 200, answer.text
        total = int(answer.headers["X-Total-Count"])
        [(_, records)] = answer.json().items()
        assert records or len(out) == total
        out += records
    return out


def _page_through(p: Provider, path: str, limit: int = 100, **params: Any) -> list[str]:
    return [r["sourcedId"] for r in _records(p, path, limit, **params)]


@pytest.mark.parametrize("sorted_pages", [True, False], ids=["keys-sorted", "walked"])
def test_delta_and_name_filters_page_through_exactly_their_users(
        provider: Provider, tmp_path: Path, district: Path, monkeypatch: pytest.MonkeyPatch,
        sorted_pages: bool) -> None:
    """A delta consumer's ``dateLastModified>'…'`` gets exactly the users the next sync
    changed, added or removed, and ``familyName='…'`` exactly that family, page by page,
    whichever way the reader cuts the pages (see ``reader.SORTED_KEYS_FACTOR``)."""
    monkeypatch.setattr(reader, "SORTED_KEYS_FACTOR", math.inf if sorted_pages else 0)
    since = utcnow()
    time.sleep(0.002)  # the delta's stamp is later than the consumer's last sync
    delta = tmp_path / "delta"
    write_delta(district, delta, share=0.05, mode="delta")
    with (delta / "users.csv").open(newline="", encoding="utf-8") as f:
        changed = {row["sourcedId"] for row in csv.DictReader(f)}
    csv_connection(provider.store, delta, name="delta")
    report = asyncio.run(sync(provider.store, provider.store.connection("district/delta"),
                              RunOptions()))
    assert report.status == "succeeded", report.message
    # Every user, the delta's deleted ones included (the filter names dateLastModified).
    users = _records(provider, "/users", filter="dateLastModified>'2000-01-01'")
    everyone = [u["sourcedId"] for u in users]  # in the database's order of sourcedIds
    assert 20 < len(changed) < len(users) // 5
    assert _page_through(provider, "/users", 9) == [
        u["sourcedId"] for u in users if u["status"] == "active"], "no filter: active only"

    assert _page_through(provider, "/users", 7, filter=f"dateLastModified>'{since}'") == [
        u for u in everyone if u in changed]
    # Another order: the database's own, as the unfiltered listing walks it.
    by_name = _page_through(provider, "/users", sort="familyName", orderBy="desc",
                            filter="status='active' OR status='tobedeleted'")
    assert _page_through(provider, "/users", 6, filter=f"dateLastModified>='{since}'",
                         sort="familyName", orderBy="desc") == [
        u for u in by_name if u in changed]
    assert not _page_through(provider, "/users", 7, filter="dateLastModified>'2999-01-01'")
    assert _page_through(provider, "/users", filter="dateLastModified>'2000-01-01'"
                         ) == everyone

    names = sorted({u["familyName"] for u in users},
                   key=lambda n: (-sum(u["familyName"] == n for u in users), n))
    for name in names[:3]:
        family = [u["sourcedId"] for u in users
                  if u["familyName"] == name and u["status"] == "active"]
        assert len(family) > 1
        assert _page_through(provider, "/users", 2, filter=f"familyName='{name}'") == family
    assert _page_through(provider, "/users", 3, filter=(
        f"familyName='{names[0]}' AND dateLastModified>'{since}'")) == [
        u["sourcedId"] for u in users if u["familyName"] == names[0] and u["sourcedId"] in changed]


def test_single_records_and_unknown_objects(provider: Provider) -> None:
    [sid] = sorted(provider.ids("all", "/students", limit=1))[:1]
    assert provider.get("all", f"/users/{sid}").json()["user"]["sourcedId"] == sid
    assert provider.get("all", f"/students/{sid}").status_code == 200
    assert provider.get("all", f"/teachers/{sid}").status_code == 404, "a student is no teacher"
    missing = provider.get("all", "/users/no-such-user")
    assert missing.status_code == 404 and _code_minor(missing.json()) == "unknownobject"
    assert provider.get("all", "/schools/no-such-school/classes").status_code == 404
    assert "password" not in provider.get("all", f"/users/{sid}").json()["user"]


def test_a_school_scoped_client_sees_only_its_school(provider: Provider) -> None:
    schools = sorted(_school_ids(provider.store, provider.tenant_id))
    mine, other = schools[0], schools[1]
    assert provider.ids("school", "/schools") == {mine}
    their_classes = provider.ids("all", f"/schools/{other}/classes")
    my_classes = provider.ids("all", f"/schools/{mine}/classes")
    assert provider.ids("school", "/classes") == my_classes
    their_class = sorted(their_classes)[0]
    their_students = provider.ids("all", f"/classes/{their_class}/students")
    my_students = provider.ids("all", f"/schools/{mine}/students")
    visible_users = provider.ids("school", "/users")
    assert my_students <= visible_users
    assert not (their_students - my_students) & visible_users
    outsider = sorted(their_students - my_students)[0]
    # Outside the grant is indistinguishable from missing, on every kind of path.
    for path in (f"/users/{outsider}", f"/students/{outsider}", f"/classes/{their_class}",
                 f"/schools/{other}", f"/schools/{other}/classes",
                 f"/classes/{their_class}/students", f"/students/{outsider}/classes",
                 f"/schools/{other}/classes/{their_class}/enrollments"):
        answer = provider.get("school", path)
        assert answer.status_code == 404, path
        assert _code_minor(answer.json()) == "unknownobject"
    assert not provider.ids("school", "/users", filter=f"sourcedId='{outsider}'")
    enrollments = provider.ids("school", "/enrollments")
    assert enrollments == provider.ids("all", f"/schools/{mine}/enrollments")


def test_demographics_only_when_granted(provider: Provider) -> None:
    student = sorted(provider.ids("all", "/students"))[0]
    assert provider.get("all", f"/demographics/{student}").status_code == 200
    assert provider.ids("demo-less", "/demographics") == set()
    assert provider.get("demo-less", f"/demographics/{student}").status_code == 404


def test_every_request_is_logged(provider: Provider) -> None:
    provider.get("core", "/users", limit=3)
    provider.get("core", "/users/no-such-user")
    client_id = provider.secrets["core"][0]
    log = provider.clients.access_log(client_id)
    assert [(e.path, e.status, e.records) for e in log[:2]] == [
        (BASE + "/users/no-such-user", 404, 0), (BASE + "/users", 200, 3)]


def test_discovery_serves_the_official_document(provider: Provider) -> None:
    answer = provider.client.get(BASE + "/openapi.json")
    assert answer.status_code == 200 and answer.content == SPEC_FILE.read_bytes()
    assert SPEC_FILE.read_bytes() == (SHARED / "specs" / "oneroster" / SPEC_FILE.name
                                      ).read_bytes()


def _code_minor(body: dict[str, Any]) -> str:
    assert body["imsx_codeMajor"] == "failure"
    return str(body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"])
