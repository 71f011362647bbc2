"""A loaded tenant with a gradebook, shared by the gradebook, assessment and conformance tests.

The sample district with line items and results, plus resources, score scales and the nested
gradebook streams (which the generator does not write); on top of the sync, assessment line
items and results written through the API by a vendor client, since no CSV binding carries
them. Three vendor clients: ``all`` (whole tenant, every gradebook, assessment and resources
scope), ``school`` (the same scopes, school A only) and ``reader`` (read scopes only).
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.engine.run import RunOptions, sync
from gateway.model.schema import STREAMS
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.resources import RESOURCES
from gateway.sample import write_district
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables, tenants
from tests.helpers import csv_connection

__all__ = ["ASSESSMENT_LINE_ITEMS", "ASSESSMENT_RESULTS", "GB", "READ", "RS", "WRITE", "Api",
           "Ids", "api", "assessment_line_item", "assessment_records", "assessment_result",
           "district", "read_csv", "serve", "write_csv", "write_gradebook_district"]

GB = GRADEBOOK.base
RS = RESOURCES.base
READ = ["roster.readonly", "gradebook.readonly", "resource.readonly", "assessment.readonly"]
WRITE = ["gradebook.createput", "gradebook.createpost", "gradebook.delete",
         "assessment.createput", "assessment.delete"]


@dataclass
class Ids:
    """Records of the loaded district the tests use: a class with a gradebook at school A
    and one at school B, their line items, results, students."""

    school_a: str
    school_b: str
    class_a: str
    class_b: str
    course_a: str
    line_a: str
    line_b: str
    result_a: str
    result_b: str
    student_a: str
    student_b: str
    category: str
    session_a: str


class TenantRows:
    """The store side of a provider test tenant: its change version and stored rows."""

    store: Store
    tenant_id: int

    def version(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.select(tenants.c.last_version).where(
                tenants.c.id == self.tenant_id)).scalar_one())

    def row(self, stream: str, sid: str) -> dict[str, Any]:
        t = stream_tables[stream]
        with self.store.engine.connect() as conn:
            found = conn.execute(t.select().where(t.c.tenant_id == self.tenant_id,
                                                  t.c.sourced_id == sid)).first()
        assert found is not None, sid
        return dict(found._mapping)


@dataclass
class Api(TenantRows):
    client: TestClient
    store: Store
    tenant_id: int
    clients: ProviderClients
    secrets: dict[str, tuple[str, str]]
    ids: Ids
    district: Path

    def token(self, who: str) -> str:
        client_id, secret = self.secrets[who]
        answer = self.client.post(TOKEN_PATH, data={"grant_type": "client_credentials",
                                                    "client_id": client_id,
                                                    "client_secret": secret})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def call(self, who: str, method: str, path: str, body: Any = None, *,
             raw: bytes | None = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        if body is not None:
            return self.client.request(method, path, json=body, headers=headers)
        if raw is not None:
            return self.client.request(method, path, content=raw, headers=headers)
        return self.client.request(method, path, params=params, headers=headers)

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.call(who, "GET", path, **params)

    def ids_of(self, who: str, path: str, **params: Any) -> set[str]:
        answer = self.get(who, path, **{"limit": 1000, **params})
        assert answer.status_code == 200, answer.text
        [(_, records)] = answer.json().items()
        return {r["sourcedId"] for r in records}



def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_csv(out: Path, stream: str, rows: list[dict[str, str]]) -> None:
    header = ["sourcedId", "status", "dateLastModified", *STREAMS[stream].column_names]
    with (out / f"{stream}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, header, restval="")
        writer.writeheader()
        writer.writerows(rows)


def write_gradebook_district(out: Path) -> Ids:
    """Write the sample district with its gradebook to ``out``, plus resources, score scales
    and the nested gradebook streams (which the generator does not write)."""
    write_district(out, 400, gradebook=True)
    classes = {c["sourcedId"]: c for c in read_csv(out / "classes.csv")}
    lines = read_csv(out / "lineItems.csv")
    results = read_csv(out / "results.csv")
    line_a = lines[0]
    class_a = classes[line_a["classSourcedId"]]
    line_b = next(li for li in lines
                  if classes[li["classSourcedId"]]["schoolSourcedId"] != class_a[
                      "schoolSourcedId"] and any(r["lineItemSourcedId"] == li["sourcedId"]
                                                 for r in results))
    class_b = classes[line_b["classSourcedId"]]
    result_a = next(r for r in results if r["lineItemSourcedId"] == line_a["sourcedId"])
    result_b = next(r for r in results if r["lineItemSourcedId"] == line_b["sourcedId"])
    ids = Ids(class_a["schoolSourcedId"], class_b["schoolSourcedId"], class_a["sourcedId"],
              class_b["sourcedId"], class_a["courseSourcedId"], line_a["sourcedId"],
              line_b["sourcedId"], result_a["sourcedId"], result_b["sourcedId"],
              result_a["studentSourcedId"], result_b["studentSourcedId"],
              line_a["categorySourcedId"], line_a["academicSessionSourcedId"])
    write_csv(out, "resources", [
        {"sourcedId": f"rsc-{n}", "vendorResourceId": f"V-{n}", "title": f"Resource {n}",
         "roles": "student,teacher", "importance": "primary"} for n in range(1, 5)])
    write_csv(out, "classResources", [
        {"sourcedId": "cr-1", "classSourcedId": ids.class_a, "resourceSourcedId": "rsc-1"},
        {"sourcedId": "cr-2", "classSourcedId": ids.class_b, "resourceSourcedId": "rsc-2"}])
    write_csv(out, "courseResources", [
        {"sourcedId": "cor-1", "courseSourcedId": ids.course_a, "resourceSourcedId": "rsc-3"}])
    write_csv(out, "userResources", [
        {"sourcedId": "ur-1", "userSourcedId": ids.student_b, "resourceSourcedId": "rsc-4"}])
    write_csv(out, "scoreScales", [
        {"sourcedId": f"ss-{x}", "title": f"Letters {x}", "type": "letter",
         "orgSourcedId": school, "classSourcedId": cls,
         "scoreScaleValue": "{A:90},{B:80},{C:70}"}
        for x, school, cls in (("a", ids.school_a, ids.class_a),
                               ("b", ids.school_b, ids.class_b))])
    write_csv(out, "lineItemScoreScales", [{"sourcedId": "lss-1", "lineItemSourcedId": ids.line_a,
                                         "scoreScaleSourcedId": "ss-a"}])
    write_csv(out, "lineItemLearningObjectiveIds", [
        {"sourcedId": f"llo-{n}", "lineItemSourcedId": ids.line_a, "source": "case",
         "learningObjectiveId": f"LO-{n}"} for n in (1, 2)])
    write_csv(out, "resultScoreScales", [{"sourcedId": "rss-1", "resultSourcedId": ids.result_a,
                                       "scoreScaleSourcedId": "ss-a"}])
    write_csv(out, "resultLearningObjectiveIds", [
        {"sourcedId": "rlo-1", "resultSourcedId": ids.result_a, "source": "case",
         "learningObjectiveId": "LO-1", "score": "3"}])
    manifest = out / "manifest.csv"
    text = manifest.read_text()
    for stream in ("resources", "classResources", "courseResources", "userResources",
                   "scoreScales", "lineItemScoreScales", "lineItemLearningObjectiveIds",
                   "resultScoreScales", "resultLearningObjectiveIds"):
        text = text.replace(f"file.{stream},absent", f"file.{stream},bulk")
    manifest.write_text(text)
    return ids


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ids]:
    out = tmp_path_factory.mktemp("district")
    return out, write_gradebook_district(out)


@pytest.fixture
def api(store: Store, district: tuple[Path, Ids]) -> Iterator[Api]:
    with serve(store, *district) as served:
        yield served


@contextmanager
def serve(store: Store, path: Path, ids: Ids) -> Iterator[Api]:
    """The district at ``path`` synced into ``store``, its clients, the assessments written
    by the ``all`` client, and the provider API in front of it all."""
    csv_connection(store, path)
    report = asyncio.run(sync(store, store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant = store.tenant("district").id
    clients = ProviderClients(store.engine, store.secrets)
    secrets = {}
    for who, scopes, sharing in (
            ("all", READ + WRITE, Sharing()),
            ("school", READ + WRITE, Sharing(schools=frozenset({ids.school_a}))),
            ("reader", READ, Sharing())):
        _, client_id, secret = clients.create(tenant, who, scopes, sharing)
        secrets[who] = (client_id, secret)
    app = create_app(store, Settings(), extra_routers=[provider_router(store, max_limit=1000)])
    with TestClient(app) as client:
        api = Api(client, store, tenant, clients, secrets, ids, path)
        for sid, record in assessment_records(ids):
            collection, wrapper = (("assessmentLineItems", "assessmentLineItem")
                                   if sid in ASSESSMENT_LINE_ITEMS else
                                   ("assessmentResults", "assessmentResult"))
            answer = api.call("all", "PUT", f"{GB}/{collection}/{sid}", {wrapper: record})
            assert answer.status_code == 201, answer.text
        yield api


# Assessments -------------------------------------------------------------------------------

ASSESSMENT_LINE_ITEMS = ("ali-district", "ali-a", "ali-b")
"""A district-wide benchmark (no class), and one assessment each in class A and class B."""
ASSESSMENT_RESULTS = ("ar-a", "ar-b", "ar-district-a", "ar-district-b")
"""Student A's result in class A, student B's in class B, and both students' benchmark."""


def assessment_line_item(sid: str, cls: str | None = None, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sourcedId": sid, "status": "active", "dateLastModified": "2026-10-01T00:00:00.000Z",
        "title": f"Assessment {sid}", "description": "A vendor's assessment",
        "resultValueMin": 0, "resultValueMax": 40}
    if cls is not None:
        record["class"] = {"href": "x", "sourcedId": cls, "type": "class"}
    return {**record, **changes}


def assessment_result(sid: str, line: str, student: str, **changes: Any) -> dict[str, Any]:
    record = {"sourcedId": sid, "status": "active",
              "dateLastModified": "2026-10-02T00:00:00.000Z",
              "assessmentLineItem": {"href": "x", "sourcedId": line,
                                     "type": "assessmentLineItem"},
              "student": {"href": "x", "sourcedId": student, "type": "user"},
              "scoreStatus": "fully graded", "score": 31.5, "scoreDate": "2026-10-02",
              "scorePercentile": 78, "late": "false"}
    return {**record, **changes}


def assessment_records(ids: Ids) -> list[tuple[str, dict[str, Any]]]:
    """The seeded assessment records, in an order whose references resolve."""
    scale = {"href": "x", "sourcedId": "ss-a", "type": "scoreScale"}
    district = {"href": "x", "sourcedId": "ali-district", "type": "assessmentLineItem"}
    return [
        ("ali-district", assessment_line_item("ali-district", title="Fall benchmark")),
        ("ali-a", assessment_line_item("ali-a", ids.class_a, scoreScale=scale,
                                       parentAssessmentLineItem=district)),
        ("ali-b", assessment_line_item("ali-b", ids.class_b)),
        ("ar-a", assessment_result("ar-a", "ali-a", ids.student_a, textScore="B",
                                   scoreScale=scale)),
        ("ar-b", assessment_result("ar-b", "ali-b", ids.student_b)),
        ("ar-district-a", assessment_result("ar-district-a", "ali-district", ids.student_a)),
        ("ar-district-b", assessment_result("ar-district-b", "ali-district", ids.student_b,
                                            score=12, scoreStatus="partially graded")),
    ]

