"""The OneRoster 1.2 gradebook and resources services over HTTP, on both databases: every
read path in the official shape, sharing on nested paths, and gradebook writes (PUT, DELETE,
POST) with their codes, validation, idempotency, change versions and the access log. The
assessment paths have their own tests (``test_assessments``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gateway.engine.run import RunOptions, sync
from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.resources import RESOURCES
from gateway.provider.service import Service
from gateway.provider.writes import WRITES, origin
from tests.gateway.model.test_oneroster import check
from tests.gateway.provider.gradebook_tenant import (
    GB,
    RS,
    Api,
    Ids,
    api,
    district,
    read_csv,
    write_csv,
)
from tests.helpers import SHARED

__all__ = ["Ids", "api", "district"]  # the fixtures (and Ids), for pytest and other tests


# reads ------------------------------------------------------------------------------------

def _fill(path: str, ids: Ids, single: str) -> str:
    values = {"classSourcedId": ids.class_a, "lineItemSourcedId": ids.line_a,
              "studentSourcedId": ids.student_a, "schoolSourcedId": ids.school_a,
              "courseSourcedId": ids.course_a, "userSourcedId": ids.student_b,
              "sourcedId": single}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_read_path_answers_in_the_official_shape(api: Api) -> None:
    ids = api.ids
    single = {"categories": ids.category, "lineItems": ids.line_a, "results": ids.result_a,
              "scoreScales": "ss-a", "resources": "rsc-1", "assessmentLineItems": "ali-a",
              "assessmentResults": "ar-a"}
    served = 0
    for service in (GRADEBOOK, RESOURCES):
        doc = service.spec()
        for endpoint in service.endpoints:
            path = _fill(endpoint.path, ids, single.get(endpoint.stream, ""))
            answer = api.get("all", service.base + path, limit=5)
            assert answer.status_code == 200, (endpoint.path, answer.text)
            operation = doc["paths"][endpoint.path]["get"]
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert check(answer.json(), schema, doc) == [], endpoint.path
            body = answer.json()[endpoint.wrapper]
            assert body, f"{endpoint.path} served nothing to check"
            served += 1
    assert served == 19 + 5
    # Every GET of both files is served.
    for service in (GRADEBOOK, RESOURCES):
        gets = {p for p, ops in service.spec()["paths"].items() if "get" in ops}
        assert gets == {e.path for e in service.endpoints}


def test_nested_score_scale_and_objectives_and_hrefs(api: Api) -> None:
    ids = api.ids
    line = api.get("all", f"{GB}/lineItems/{ids.line_a}").json()["lineItem"]
    assert line["scoreScale"]["sourcedId"] == "ss-a"
    assert line["scoreScale"]["href"].endswith(f"{GB}/scoreScales/ss-a")
    assert line["learningObjectiveSet"] == [{"source": "case",
                                             "learningObjectiveIds": ["LO-1", "LO-2"]}]
    # References leave the gradebook for the service that serves them.
    assert line["class"]["href"].endswith(f"/ims/oneroster/rostering/v1p2/classes/{ids.class_a}")
    assert line["category"]["href"].endswith(f"{GB}/categories/{ids.category}")
    result = api.get("all", f"{GB}/results/{ids.result_a}").json()["result"]
    assert result["student"]["href"].endswith(f"rostering/v1p2/users/{ids.student_a}")
    assert result["scoreScale"]["sourcedId"] == "ss-a"
    assert result["learningObjectiveSet"][0]["learningObjectiveResults"] == [
        {"learningObjectiveId": "LO-1", "score": 3.0}]
    assert api.get("all", f"{GB}/lineItems", filter=f"class.sourcedId='{ids.class_a}'"
                   ).status_code == 200
    # Rostering hrefs are untouched.
    cls = api.get("all", f"/ims/oneroster/rostering/v1p2/classes/{ids.class_a}").json()
    assert "/ims/oneroster/rostering/v1p2/courses/" in cls["class"]["course"]["href"]


def test_discovery_serves_the_official_documents(api: Api) -> None:
    for service in (GRADEBOOK, RESOURCES):
        answer = api.client.get(service.base + "/openapi.json")
        assert answer.status_code == 200 and answer.content == service.spec_file.read_bytes()
        shared = SHARED / "specs" / "oneroster" / service.spec_file.name
        assert service.spec_file.read_bytes() == shared.read_bytes()


def test_a_school_scoped_client_sees_only_its_gradebook(api: Api) -> None:
    ids = api.ids
    mine = api.ids_of("all", f"/ims/oneroster/rostering/v1p2/schools/{ids.school_a}/classes")
    lines = api.ids_of("school", f"{GB}/lineItems")
    assert ids.line_a in lines and ids.line_b not in lines
    assert lines == {li for c in mine if c for li in api.ids_of("all", f"{GB}/lineItems",
                                                                filter=f"class.sourcedId='{c}'")}
    results = api.ids_of("school", f"{GB}/results")
    assert ids.result_a in results and ids.result_b not in results
    # Outside the grant is indistinguishable from missing, on every kind of path.
    for path in (f"/lineItems/{ids.line_b}", f"/results/{ids.result_b}", "/scoreScales/ss-b",
                 f"/classes/{ids.class_b}/lineItems", f"/classes/{ids.class_b}/results",
                 f"/classes/{ids.class_b}/categories", f"/classes/{ids.class_b}/scoreScales",
                 f"/classes/{ids.class_b}/lineItems/{ids.line_b}/results",
                 f"/classes/{ids.class_a}/lineItems/{ids.line_b}/results",
                 f"/classes/{ids.class_b}/students/{ids.student_b}/results",
                 f"/schools/{ids.school_b}/scoreScales"):
        answer = api.get("school", GB + path)
        assert answer.status_code == 404, path
        assert answer.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0][
            "imsx_codeMinorFieldValue"] == "unknownobject"
    assert api.ids_of("school", f"{GB}/scoreScales") == {"ss-a"}
    # Categories are the district's vocabulary: all of them, to everyone.
    assert api.ids_of("school", f"{GB}/categories") == api.ids_of("all", f"{GB}/categories")
    assert api.ids_of("school", f"{RS}/resources") == {"rsc-1", "rsc-3"}
    assert api.ids_of("all", f"{RS}/resources") == {"rsc-1", "rsc-2", "rsc-3", "rsc-4"}
    for path in ("/resources/rsc-2", f"/classes/{ids.class_b}/resources",
                 f"/users/{ids.student_b}/resources"):
        assert api.get("school", RS + path).status_code == 404, path
    assert api.ids_of("school", f"{RS}/courses/{ids.course_a}/resources") == {"rsc-3"}


# writes -----------------------------------------------------------------------------------

def _line_item(api: Api, sid: str, **changes: Any) -> dict[str, Any]:
    ids = api.ids
    record = {"sourcedId": sid, "status": "active",
              "dateLastModified": "2026-10-01T00:00:00.000Z", "title": "Essay 1",
              "description": "A vendor's essay", "assignDate": "2026-10-01T08:00:00Z",
              "dueDate": "2026-10-08T23:59:00.000Z",
              "class": {"href": "x", "sourcedId": ids.class_a, "type": "class"},
              "school": {"href": "x", "sourcedId": ids.school_a, "type": "org"},
              "category": {"href": "x", "sourcedId": ids.category, "type": "category"},
              "academicSession": {"href": "x", "sourcedId": ids.session_a,
                                  "type": "academicSession"},
              "resultValueMin": 0, "resultValueMax": 10}
    return {**record, **changes}


def _result(api: Api, sid: str, line: str, student: str, **changes: Any) -> dict[str, Any]:
    record = {"sourcedId": sid, "status": "active",
              "dateLastModified": "2026-10-09T00:00:00.000Z",
              "lineItem": {"href": "x", "sourcedId": line, "type": "lineItem"},
              "student": {"href": "x", "sourcedId": student, "type": "user"},
              "scoreStatus": "fully graded", "score": 8.5, "scoreDate": "2026-10-09",
              "late": "false"}
    return {**record, **changes}


def test_put_creates_replaces_and_repeats_idempotently(api: Api) -> None:
    before = api.version()
    body = {"lineItem": _line_item(api, "vendor-li-1")}
    created = api.call("all", "PUT", f"{GB}/lineItems/vendor-li-1", body)
    assert created.status_code == 201, created.text
    assert api.version() == before + 1
    stored = api.row("lineItems", "vendor-li-1")
    assert stored["connection_id"] == origin(api.clients.get(api.secrets["all"][0]).id)
    assert stored["version"] == before + 1 and stored["assign_date"] == "2026-10-01T08:00:00.000Z"
    got = api.get("all", f"{GB}/lineItems/vendor-li-1").json()["lineItem"]
    assert got["title"] == "Essay 1" and got["dateLastModified"] == stored["date_last_modified"]

    again = api.call("all", "PUT", f"{GB}/lineItems/vendor-li-1", body)
    assert again.status_code == 201
    assert api.version() == before + 1, "an identical PUT writes nothing"
    assert api.row("lineItems", "vendor-li-1") == stored

    changed = {"lineItem": _line_item(api, "vendor-li-1", title="Essay 1 (revised)")}
    assert api.call("all", "PUT", f"{GB}/lineItems/vendor-li-1", changed).status_code == 201
    assert api.version() == before + 2
    assert api.get("all", f"{GB}/lineItems/vendor-li-1").json()["lineItem"]["title"] == \
        "Essay 1 (revised)"
    changes = api.store.changes_since(api.tenant_id, "lineItems", before)
    assert [c["sourcedId"] for c in changes] == ["vendor-li-1"]

    # A result, a category and a score scale the same way.
    result = {"result": _result(api, "vendor-r-1", "vendor-li-1", api.ids.student_a)}
    assert api.call("all", "PUT", f"{GB}/results/vendor-r-1", result).status_code == 201
    assert api.get("all", f"{GB}/results/vendor-r-1").json()["result"]["score"] == 8.5
    category = {"category": {"sourcedId": "vendor-cat", "status": "active",
                             "dateLastModified": "2026-10-01T00:00:00Z", "title": "Essays",
                             "weight": 0.25}}
    assert api.call("all", "PUT", f"{GB}/categories/vendor-cat", category).status_code == 201
    scale = {"scoreScale": {"sourcedId": "vendor-ss", "status": "active",
                            "dateLastModified": "2026-10-01T00:00:00Z", "title": "Pass/fail",
                            "type": "binary",
                            "class": {"href": "x", "sourcedId": api.ids.class_a,
                                      "type": "class"},
                            "scoreScaleValue": [{"itemValueLHS": "P", "itemValueRHS": "1"}]}}
    assert api.call("all", "PUT", f"{GB}/scoreScales/vendor-ss", scale).status_code == 201
    assert api.get("all", f"{GB}/scoreScales/vendor-ss").json()["scoreScale"][
        "scoreScaleValue"] == [{"itemValueLHS": "P", "itemValueRHS": "1"}]


def test_a_record_put_back_as_read_is_unchanged(api: Api) -> None:
    """A vendor's row is normalized and hashed exactly as the CSV sync stores it: the SIS's
    result, read and PUT back verbatim, is recognized as the same content."""
    before = api.version()
    sid = api.ids.result_a
    result = api.get("all", f"{GB}/results/{sid}").json()["result"]
    for nested in ("scoreScale", "learningObjectiveSet"):
        result.pop(nested, None)
    stored = api.row("results", sid)
    assert api.call("all", "PUT", f"{GB}/results/{sid}", {"result": result}).status_code == 201
    assert api.version() == before and api.row("results", sid) == stored


def test_a_line_item_takes_school_and_session_from_its_class(api: Api) -> None:
    """LineItemDType requires ``school`` and makes ``academicSession`` optional; the store
    keeps both for every line item, so what a writer leaves out comes from the class."""
    ids, url = api.ids, f"{GB}/lineItems/vendor-li-7"
    cls = api.row("classes", ids.class_a)
    terms = cls["term_sourced_ids"].split(",")
    assert len(terms) == 2, "the sample's classes run over two semesters"
    second = api.row("academicSessions", terms[1])
    due = f"{second['start_date']}T12:00:00Z"
    line = _line_item(api, "vendor-li-7", dueDate=due)
    del line["school"], line["academicSession"]
    assert api.call("all", "PUT", url, {"lineItem": line}).status_code == 201
    stored = api.row("lineItems", "vendor-li-7")
    assert stored["school_sourced_id"] == cls["school_sourced_id"]
    assert stored["academic_session_sourced_id"] == terms[1], "the term it is due in"
    got = api.get("all", url).json()["lineItem"]
    assert got["school"]["sourcedId"] == cls["school_sourced_id"]
    # A gradingPeriod (the 1.1 name) stands in for the academic session.
    period = {"href": "x", "sourcedId": ids.session_a, "type": "academicSession"}
    assert api.call("all", "PUT", url, {"lineItem": {**line, "gradingPeriod": period}}
                    ).status_code == 201
    assert api.row("lineItems", "vendor-li-7")["academic_session_sourced_id"] == ids.session_a
    # Due in no term of the class: the writer has to name the session.
    status, _, text = _error(api.call("all", "PUT", url, {"lineItem": {
        **line, "dueDate": "1999-01-01T00:00:00Z"}}))
    assert status == 422 and "lineItem.academicSession" in text


def test_delete_marks_tobedeleted(api: Api) -> None:
    api.call("all", "PUT", f"{GB}/lineItems/vendor-li-2",
             {"lineItem": _line_item(api, "vendor-li-2")})
    before = api.version()
    gone = api.call("all", "DELETE", f"{GB}/lineItems/vendor-li-2")
    assert gone.status_code == 204 and gone.content == b""
    assert api.version() == before + 1
    got = api.get("all", f"{GB}/lineItems/vendor-li-2")
    assert got.status_code == 200 and got.json()["lineItem"]["status"] == "tobedeleted"
    assert api.call("all", "DELETE", f"{GB}/lineItems/vendor-li-2").status_code == 204
    assert api.version() == before + 1, "deleting again changes nothing"
    # The SIS's records can be deleted too; unknown ones are unknown.
    assert api.call("all", "DELETE", f"{GB}/results/{api.ids.result_a}").status_code == 204
    assert api.row("results", api.ids.result_a)["status"] == "tobedeleted"
    missing = api.call("all", "DELETE", f"{GB}/categories/no-such-category")
    assert missing.status_code == 404
    # A PUT revives a deleted record.
    assert api.call("all", "PUT", f"{GB}/lineItems/vendor-li-2",
                    {"lineItem": _line_item(api, "vendor-li-2")}).status_code == 201
    assert api.row("lineItems", "vendor-li-2")["status"] == "active"


def test_post_creates_sets_and_reports_sourced_id_pairs(api: Api) -> None:
    ids = api.ids
    line = _line_item(api, "tmp-1")
    del line["class"]  # the path names it
    body = {"lineItems": [line, _line_item(api, ids.line_a), _line_item(api, "tmp-1")]}
    answer = api.call("all", "POST", f"{GB}/classes/{ids.class_a}/lineItems", body)
    assert answer.status_code == 201, answer.text
    doc = GRADEBOOK.spec()
    schema = doc["paths"]["/classes/{classSourcedId}/lineItems"]["post"]["responses"]["201"][
        "content"]["application/json"]["schema"]
    assert check(answer.json(), schema, doc) == []
    pairs = answer.json()["sourcedIdPairs"]
    assert [p["suppliedSourcedId"] for p in pairs] == ["tmp-1", ids.line_a, "tmp-1"]
    allocated = [p["allocatedSourcedId"] for p in pairs]
    assert allocated[0] == "tmp-1" and len(set(allocated)) == 3
    assert ids.line_a not in allocated, "an id already taken is not overwritten"
    for sid in allocated:
        got = api.get("all", f"{GB}/lineItems/{sid}").json()["lineItem"]
        assert got["class"]["sourcedId"] == ids.class_a
    results = {"results": [_result(api, "tmp-r", "ignored", ids.student_a)]}
    del results["results"][0]["lineItem"]
    answer = api.call("all", "POST", f"{GB}/lineItems/tmp-1/results", results)
    assert answer.status_code == 201, answer.text
    [pair] = answer.json()["sourcedIdPairs"]
    assert api.row("results", pair["allocatedSourcedId"])["line_item_sourced_id"] == "tmp-1"
    session = {"results": [_result(api, "tmp-s", ids.line_a, ids.student_a)]}
    path = f"{GB}/classes/{ids.class_a}/academicSessions/{ids.session_a}/results"
    assert api.call("all", "POST", path, session).status_code == 201
    other = f"{GB}/classes/{ids.class_b}/academicSessions/{ids.session_a}/results"
    wrong = api.call("all", "POST", other, session)
    assert wrong.status_code == 422 and "lineItem" in wrong.json()["imsx_description"]
    # All or nothing: one bad record, nothing created.
    before = api.version()
    bad = {"lineItems": [_line_item(api, "tmp-ok"), _line_item(api, "tmp-bad", title=None)]}
    answer = api.call("all", "POST", f"{GB}/classes/{ids.class_a}/lineItems", bad)
    assert answer.status_code == 422 and "lineItems[1].title" in answer.json()["imsx_description"]
    assert api.version() == before
    unknown = api.call("all", "POST", f"{GB}/classes/no-such-class/lineItems", body)
    assert unknown.status_code == 404
    # LineItemSetDType requires nothing: {} is an empty set. An empty id gets one.
    empty = api.call("all", "POST", f"{GB}/classes/{ids.class_a}/lineItems", {})
    assert empty.status_code == 201 and empty.json() == {"sourcedIdPairs": []}
    unnamed = api.call("all", "POST", f"{GB}/classes/{ids.class_a}/lineItems",
                       {"lineItems": [_line_item(api, "")]})
    [pair] = unnamed.json()["sourcedIdPairs"]
    assert pair["suppliedSourcedId"] == "" and api.row("lineItems", pair["allocatedSourcedId"])


def _error(answer: Any) -> tuple[int, str, str]:
    body = answer.json()
    minor = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
    return answer.status_code, minor, body["imsx_description"]


def test_bad_bodies_name_the_field(api: Api) -> None:
    ids, url = api.ids, f"{GB}/lineItems/vendor-bad"
    cases: list[tuple[Any, str]] = [
        ({"lineItem": _line_item(api, "vendor-bad", dueDate="next week")}, "lineItem.dueDate"),
        ({"lineItem": _line_item(api, "vendor-bad", title=None)}, "lineItem.title"),
        ({"lineItem": _line_item(api, "vendor-bad", resultValueMax="ten")},
         "lineItem.resultValueMax"),
        ({"lineItem": _line_item(api, "other-id")}, "lineItem.sourcedId"),
        ({"lineItem": _line_item(api, "vendor-bad", status="tobedeleted")}, "lineItem.status"),
        ({"lineItem": _line_item(api, "vendor-bad", shoeSize=9)}, "lineItem.shoeSize"),
        ({"lineItem": _line_item(api, "vendor-bad", category={
            "href": "x", "sourcedId": "no-such-category", "type": "category"})},
         "lineItem.category"),
        ({"lineItem": _line_item(api, "vendor-bad", scoreScale={
            "href": "x", "sourcedId": "ss-a", "type": "scoreScale"})}, "lineItem.scoreScale"),
        ({"lineItems": [_line_item(api, "vendor-bad")]}, '{"lineItem": {...}}'),
        ([1, 2], '{"lineItem": {...}}'),
    ]
    for body, named in cases:
        status, minor, text = _error(api.call("all", "PUT", url, body))
        assert (status, minor) == (422, "invaliddata") and named in text, (named, text)
    status, minor, text = _error(api.call("all", "PUT", url, raw=b"{not json"))
    assert (status, minor) == (400, "invaliddata")
    unknown_student = {"result": _result(api, "vendor-bad", ids.line_a, "no-such-user")}
    status, _, text = _error(api.call("all", "PUT", f"{GB}/results/vendor-bad",
                                      unknown_student))
    assert status == 422 and "result.student" in text
    assert api.get("all", url).status_code == 404, "nothing was stored"
    # What no table can hold is refused, never a 500 (PostgreSQL rejects NUL in text).
    for odd in ("a\x00b", "x" * 300):
        path = f"{GB}/lineItems/{quote(odd, safe='')}"
        assert _error(api.call("all", "PUT", path, {"lineItem": _line_item(api, odd)}))[0] == 404
        assert api.call("all", "DELETE", path).status_code == 404
    status, _, text = _error(api.call("all", "PUT", url, {"lineItem": _line_item(
        api, "vendor-bad", title="a\x00b")}))
    assert status == 422 and "lineItem.title" in text
    # What the flat columns cannot hold as sent: an empty title, a ':' in a scale's item.
    status, _, text = _error(api.call("all", "PUT", url, {"lineItem": _line_item(
        api, "vendor-bad", title="")}))
    assert status == 422 and "lineItem.title" in text
    scale = {"scoreScale": {"sourcedId": "vendor-bad", "title": "Odd", "type": "odd",
                            "class": {"href": "x", "sourcedId": ids.class_a, "type": "class"},
                            "scoreScaleValue": [{"itemValueLHS": "A:B", "itemValueRHS": "1"}]}}
    status, _, text = _error(api.call("all", "PUT", f"{GB}/scoreScales/vendor-bad", scale))
    assert status == 422 and "scoreScale.scoreScaleValue[0].itemValueLHS" in text
    status, _, text = _error(api.call("all", "POST", f"{GB}/classes/{ids.class_a}/lineItems",
                                      {"lineItems": [_line_item(api, "y" * 300)]}))
    assert status == 422 and "lineItems[0].sourcedId" in text


def test_scopes_and_sharing_on_writes(api: Api) -> None:
    ids = api.ids
    body = {"lineItem": _line_item(api, "vendor-li-3")}
    denied = api.call("reader", "PUT", f"{GB}/lineItems/vendor-li-3", body)
    assert _error(denied)[:2] == (403, "forbidden")
    assert api.call("reader", "DELETE", f"{GB}/lineItems/{ids.line_a}").status_code == 403
    assert api.call("reader", "POST", f"{GB}/classes/{ids.class_a}/lineItems",
                    {"lineItems": []}).status_code == 403
    assert api.client.put(f"{GB}/lineItems/x", json=body).status_code == 401
    for write in WRITES:
        assert write.scopes, write.path
    # A school-scoped client writes within its school only, and cannot tell the rest exists.
    assert api.call("school", "PUT", f"{GB}/lineItems/vendor-li-3", body).status_code == 201
    theirs = {"lineItem": _line_item(api, "vendor-li-4", **{
        "class": {"href": "x", "sourcedId": ids.class_b, "type": "class"}})}
    status, _, text = _error(api.call("school", "PUT", f"{GB}/lineItems/vendor-li-4", theirs))
    assert status == 422 and "lineItem.class" in text
    outsider = {"result": _result(api, "vendor-r-4", ids.line_a, ids.student_b)}
    status, _, text = _error(api.call("school", "PUT", f"{GB}/results/vendor-r-4", outsider))
    assert status == 422 and "result.student" in text
    steal = {"lineItem": _line_item(api, ids.line_b)}
    assert api.call("school", "PUT", f"{GB}/lineItems/{ids.line_b}", steal).status_code == 404
    assert api.call("school", "DELETE", f"{GB}/lineItems/{ids.line_b}").status_code == 404
    assert api.call("school", "POST", f"{GB}/classes/{ids.class_b}/lineItems",
                    {"lineItems": []}).status_code == 404
    assert api.row("lineItems", ids.line_b)["status"] == "active"


def test_writes_are_logged(api: Api) -> None:
    api.call("all", "PUT", f"{GB}/lineItems/vendor-li-5",
             {"lineItem": _line_item(api, "vendor-li-5")})
    api.call("all", "DELETE", f"{GB}/lineItems/vendor-li-5")
    api.call("all", "POST", f"{GB}/classes/{api.ids.class_a}/lineItems",
             {"lineItems": [_line_item(api, "tmp-a"), _line_item(api, "tmp-b")]})
    api.call("all", "PUT", f"{GB}/lineItems/vendor-li-6", raw=b"nope")
    log = api.clients.access_log(api.secrets["all"][0])
    assert [(e.method, e.path, e.status, e.records) for e in log[:4]] == [
        ("PUT", f"{GB}/lineItems/vendor-li-6", 400, 0),
        ("POST", f"{GB}/classes/{api.ids.class_a}/lineItems", 201, 2),
        ("DELETE", f"{GB}/lineItems/vendor-li-5", 204, 1),
        ("PUT", f"{GB}/lineItems/vendor-li-5", 201, 1)]


def test_a_sis_resync_keeps_vendor_results(api: Api, tmp_path: Path) -> None:
    """Vendor-written rows are foreign to the SIS connection: a bulk results file that
    never had them does not soft-delete them (while it still deletes its own vanished
    rows)."""
    ids = api.ids
    assert api.call("all", "PUT", f"{GB}/results/vendor-r-9", {"result": _result(
        api, "vendor-r-9", ids.line_a, ids.student_a)}).status_code == 201
    copy = tmp_path / "district"
    copy.mkdir()
    for f in api.district.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    rows = read_csv(copy / "results.csv")
    dropped = rows.pop()["sourcedId"]
    write_csv(copy, "results", rows)
    connection = api.store.connection("district/sis")
    api.store.update_connection(connection, config={"path": str(copy)})
    report = asyncio.run(sync(api.store, api.store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    assert api.row("results", "vendor-r-9")["status"] == "active"
    assert api.row("results", dropped)["status"] == "tobedeleted"
    assert api.get("all", f"{GB}/results/vendor-r-9").json()["result"]["status"] == "active"


def test_services_are_registered() -> None:
    from gateway.provider.app import SERVICES

    assert GRADEBOOK in SERVICES and RESOURCES in SERVICES
    assert all(isinstance(s, Service) for s in SERVICES)
    assert {(w.method, w.path) for w in WRITES} == {
        (m.upper(), p) for p, ops in GRADEBOOK.spec()["paths"].items() for m in ops
        if m != "get"}
