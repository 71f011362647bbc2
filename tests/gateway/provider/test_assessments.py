"""The gradebook's assessment paths (``/assessmentLineItems``, ``/assessmentResults``) over
HTTP, on both databases: reads in the official shape, query parameters, PUT idempotency,
DELETE, validation, sharing, scopes and the access log.

The tenant (``gradebook_tenant``) has three assessment line items written by the ``all``
client: ``ali-district`` (no class), ``ali-a`` (class A, child of ``ali-district``) and
``ali-b`` (class B), and four results: ``ar-a`` (student A on ``ali-a``), ``ar-b`` (student B
on ``ali-b``), ``ar-district-a`` and ``ar-district-b`` (both students on the benchmark).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.writes import origin
from gateway.store.clients import Sharing
from tests.gateway.model.test_oneroster import check
from tests.gateway.provider.gradebook_tenant import (
    ASSESSMENT_LINE_ITEMS,
    ASSESSMENT_RESULTS,
    GB,
    Api,
    api,
    assessment_line_item,
    assessment_result,
    district,
)

__all__ = ["api", "district"]  # the fixtures, imported for pytest

ROSTERING = "/ims/oneroster/rostering/v1p2"


def _schema_errors(answer: Any, path: str) -> list[str]:
    doc = GRADEBOOK.spec()
    schema = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]
    return check(answer.json(), schema, doc)


def _error(answer: Any) -> tuple[int, str, str]:
    body = answer.json()
    minor = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
    return answer.status_code, minor, body["imsx_description"]


def _put(api: Api, who: str, sid: str, record: dict[str, Any]) -> Any:
    if "assessmentLineItem" in record:
        return api.call(who, "PUT", f"{GB}/assessmentResults/{quote(sid, safe='')}",
                        {"assessmentResult": record})
    return api.call(who, "PUT", f"{GB}/assessmentLineItems/{quote(sid, safe='')}",
                    {"assessmentLineItem": record})


# reads ------------------------------------------------------------------------------------

def test_reads_answer_in_the_official_shape(api: Api) -> None:
    ids = api.ids
    lines = api.get("all", f"{GB}/assessmentLineItems")
    assert lines.status_code == 200, lines.text
    assert _schema_errors(lines, "/assessmentLineItems") == []
    assert {r["sourcedId"] for r in lines.json()["assessmentLineItems"]} == set(
        ASSESSMENT_LINE_ITEMS)
    assert lines.headers["X-Total-Count"] == "3" and 'rel="first"' in lines.headers["Link"]
    results = api.get("all", f"{GB}/assessmentResults")
    assert _schema_errors(results, "/assessmentResults") == []
    assert {r["sourcedId"] for r in results.json()["assessmentResults"]} == set(
        ASSESSMENT_RESULTS)

    one = api.get("all", f"{GB}/assessmentLineItems/ali-a")
    assert _schema_errors(one, "/assessmentLineItems/{sourcedId}") == []
    line = one.json()["assessmentLineItem"]
    assert line["title"] == "Assessment ali-a" and line["resultValueMax"] == 40
    # References point at the service that serves them.
    assert line["class"]["href"].endswith(f"{ROSTERING}/classes/{ids.class_a}")
    assert line["parentAssessmentLineItem"] == {
        "href": line["parentAssessmentLineItem"]["href"], "sourcedId": "ali-district",
        "type": "assessmentLineItem"}
    assert line["parentAssessmentLineItem"]["href"].endswith(
        f"{GB}/assessmentLineItems/ali-district")
    assert line["scoreScale"]["href"].endswith(f"{GB}/scoreScales/ss-a")
    benchmark = api.get("all", f"{GB}/assessmentLineItems/ali-district").json()[
        "assessmentLineItem"]
    assert "class" not in benchmark and benchmark["title"] == "Fall benchmark"

    result = api.get("all", f"{GB}/assessmentResults/ar-a")
    assert _schema_errors(result, "/assessmentResults/{sourcedId}") == []
    body = result.json()["assessmentResult"]
    assert body["assessmentLineItem"]["href"].endswith(f"{GB}/assessmentLineItems/ali-a")
    assert body["student"]["href"].endswith(f"{ROSTERING}/users/{ids.student_a}")
    assert (body["score"], body["scorePercentile"], body["textScore"], body["late"]) == (
        31.5, 78, "B", "false")
    assert body["scoreDate"] == "2026-10-02" and body["scoreStatus"] == "fully graded"

    for path in ("/assessmentLineItems/no-such-thing", "/assessmentResults/ali-a"):
        assert _error(api.get("all", GB + path))[:2] == (404, "unknownobject"), path


def test_filters_sort_fields_and_paging(api: Api) -> None:
    ids = api.ids
    lines, results = f"{GB}/assessmentLineItems", f"{GB}/assessmentResults"
    assert api.ids_of("all", lines, filter=f"class.sourcedId='{ids.class_a}'") == {"ali-a"}
    assert api.ids_of("all", lines, filter="class.sourcedId=''") == {"ali-district"}
    assert api.ids_of("all", lines, filter="parentAssessmentLineItem.sourcedId='ali-district'"
                      ) == {"ali-a"}
    assert api.ids_of("all", lines, filter="title~'BENCH' OR resultValueMax>'100'") == {
        "ali-district"}
    assert api.ids_of("all", results, filter="assessmentLineItem.sourcedId='ali-district'"
                      ) == {"ar-district-a", "ar-district-b"}
    assert api.ids_of("all", results, filter=f"student.sourcedId='{ids.student_b}' AND "
                      "score<'20'") == {"ar-district-b"}
    assert api.ids_of("all", results, filter="scoreStatus='partially graded'") == {
        "ar-district-b"}
    # dateLastModified is when the store took the record, not the body's value.
    stamp = api.row("assessmentResults", "ar-district-b")["date_last_modified"]
    assert api.ids_of("all", results, filter=f"dateLastModified>'{stamp}'") == set()
    assert "ar-district-b" in api.ids_of("all", results, filter=f"dateLastModified>='{stamp}'")
    assert api.ids_of("all", results, filter="scoreDate='2026-10-02'") == set(
        ASSESSMENT_RESULTS)
    ordered = api.get("all", results, sort="score", orderBy="desc", fields="sourcedId,score")
    assert [r["score"] for r in ordered.json()["assessmentResults"]] == [31.5, 31.5, 31.5, 12]
    assert all(set(r) == {"sourcedId", "score"} for r in ordered.json()["assessmentResults"])
    page = api.get("all", results, limit=3, offset=0)
    assert len(page.json()["assessmentResults"]) == 3 and page.headers["X-Total-Count"] == "4"
    assert 'rel="next"' in page.headers["Link"] and "offset=3" in page.headers["Link"]
    for bad in ("shoeSize='9'", "score>'many'", "scoreStatus='fully graded"):
        assert _error(api.get("all", results, filter=bad))[:2] == (400, "invalid_filter_field")


# writes -----------------------------------------------------------------------------------

def test_put_creates_replaces_and_repeats_idempotently(api: Api) -> None:
    ids = api.ids
    before = api.version()
    record = assessment_line_item("vendor-ali", ids.class_a)
    assert _put(api, "all", "vendor-ali", record).status_code == 201
    assert api.version() == before + 1
    stored = api.row("assessmentLineItems", "vendor-ali")
    assert stored["connection_id"] == origin(api.clients.get(api.secrets["all"][0]).id)
    assert stored["class_sourced_id"] == ids.class_a and stored["version"] == before + 1

    assert _put(api, "all", "vendor-ali", record).status_code == 201
    assert api.version() == before + 1, "an identical PUT writes nothing"
    assert api.row("assessmentLineItems", "vendor-ali") == stored

    changed = {**record, "title": "Unit 4 check"}
    assert _put(api, "all", "vendor-ali", changed).status_code == 201
    assert api.version() == before + 2
    assert api.get("all", f"{GB}/assessmentLineItems/vendor-ali").json()[
        "assessmentLineItem"]["title"] == "Unit 4 check"
    assert [c["sourcedId"] for c in api.store.changes_since(
        api.tenant_id, "assessmentLineItems", before)] == ["vendor-ali"]

    result = assessment_result("vendor-ar", "vendor-ali", ids.student_a, score=7)
    assert _put(api, "all", "vendor-ar", result).status_code == 201
    assert _put(api, "all", "vendor-ar", result).status_code == 201
    assert api.version() == before + 3
    # A record read back and PUT verbatim is the same content.
    read = api.get("all", f"{GB}/assessmentResults/ar-a").json()["assessmentResult"]
    stored_result = api.row("assessmentResults", "ar-a")
    assert _put(api, "all", "ar-a", read).status_code == 201
    assert api.version() == before + 3 and api.row("assessmentResults", "ar-a") == stored_result
    # Optional fields left out of a replacement are cleared, as a PUT replaces the record.
    assert _put(api, "all", "ar-a", {k: v for k, v in read.items() if k != "textScore"}
                ).status_code == 201
    assert "textScore" not in api.get("all", f"{GB}/assessmentResults/ar-a").json()[
        "assessmentResult"]


def test_delete_marks_tobedeleted(api: Api) -> None:
    before = api.version()
    gone = api.call("all", "DELETE", f"{GB}/assessmentResults/ar-b")
    assert gone.status_code == 204 and gone.content == b""
    assert api.version() == before + 1
    got = api.get("all", f"{GB}/assessmentResults/ar-b").json()["assessmentResult"]
    assert got["status"] == "tobedeleted"
    assert api.call("all", "DELETE", f"{GB}/assessmentResults/ar-b").status_code == 204
    assert api.version() == before + 1, "deleting again changes nothing"
    # Nothing cascades: the line item's other results stay.
    assert api.call("all", "DELETE", f"{GB}/assessmentLineItems/ali-district"
                    ).status_code == 204
    assert api.row("assessmentResults", "ar-district-a")["status"] == "active"
    assert _error(api.call("all", "DELETE", f"{GB}/assessmentLineItems/nope"))[:2] == (
        404, "unknownobject")
    # A PUT revives a deleted record.
    revived = assessment_line_item("ali-district", title="Fall benchmark")
    assert _put(api, "all", "ali-district", revived).status_code == 201
    assert api.row("assessmentLineItems", "ali-district")["status"] == "active"


def test_bad_bodies_name_the_field(api: Api) -> None:
    ids = api.ids
    line, result = "assessmentLineItem", "assessmentResult"
    cases: list[tuple[dict[str, Any], str]] = [
        (assessment_line_item("bad", title=None), f"{line}.title"),
        (assessment_line_item("bad", resultValueMin="low"), f"{line}.resultValueMin"),
        (assessment_line_item("other"), f"{line}.sourcedId"),
        (assessment_line_item("bad", status="tobedeleted"), f"{line}.status"),
        (assessment_line_item("bad", dueDate="2026-10-01"), f"{line}.dueDate"),
        (assessment_line_item("bad", "no-such-class"), f"{line}.class"),
        (assessment_line_item("bad", parentAssessmentLineItem={
            "href": "x", "sourcedId": "bad", "type": "assessmentLineItem"}),
         f"{line}.parentAssessmentLineItem"),
        (assessment_line_item("bad", learningObjectiveSet=[
            {"source": "case", "learningObjectiveIds": ["LO-1"]}]), f"{line}.learningObjectiveSet"),
        (assessment_result("bad", "no-such-assessment", ids.student_a),
         f"{result}.assessmentLineItem"),
        (assessment_result("bad", "ali-a", ids.student_a, assessmentLineItem={
            "href": "x", "sourcedId": ids.line_a, "type": "lineItem"}),
         f"{result}.assessmentLineItem"),
        (assessment_result("bad", "ali-a", "no-such-user"), f"{result}.student"),
        (assessment_result("bad", "ali-a", ids.student_a, scoreDate="yesterday"),
         f"{result}.scoreDate"),
        (assessment_result("bad", "ali-a", ids.student_a, scoreStatus="graded"),
         f"{result}.scoreStatus"),
        (assessment_result("bad", "ali-a", ids.student_a, scoreScale={
            "href": "x", "sourcedId": "no-such-scale", "type": "scoreScale"}),
         f"{result}.scoreScale"),
    ]
    for record, named in cases:
        status, minor, text = _error(_put(api, "all", "bad", record))
        assert (status, minor) == (422, "invaliddata") and named in text, (named, text)
    url = f"{GB}/assessmentLineItems/bad"
    wrong_wrapper = api.call("all", "PUT", url, {"lineItem": assessment_line_item("bad")})
    assert _error(wrong_wrapper)[0] == 422
    assert _error(api.call("all", "PUT", url, raw=b"{not json"))[:2] == (400, "invaliddata")
    assert api.get("all", url).status_code == 404, "nothing was stored"
    for odd in ("a\x00b", "x" * 300):
        assert _error(_put(api, "all", odd, assessment_line_item(odd)))[0] == 404
        path = f"{GB}/assessmentResults/{quote(odd, safe='')}"
        assert api.call("all", "DELETE", path).status_code == 404


# sharing, scopes, the access log ----------------------------------------------------------

def test_a_school_scoped_client_sees_and_writes_only_its_assessments(api: Api) -> None:
    ids = api.ids
    assert api.get("school", f"{ROSTERING}/users/{ids.student_b}").status_code == 404
    assert api.ids_of("school", f"{GB}/assessmentLineItems") == {"ali-district", "ali-a"}
    assert api.ids_of("school", f"{GB}/assessmentResults") == {"ar-a", "ar-district-a"}
    # Outside the grant is indistinguishable from missing, whatever the path or filter.
    for path in ("/assessmentLineItems/ali-b", "/assessmentResults/ar-b",
                 "/assessmentResults/ar-district-b"):
        assert _error(api.get("school", GB + path))[:2] == (404, "unknownobject"), path
    assert api.ids_of("school", f"{GB}/assessmentLineItems",
                      filter=f"class.sourcedId='{ids.class_b}'") == set()
    assert api.ids_of("school", f"{GB}/assessmentResults",
                      filter=f"student.sourcedId='{ids.student_b}'") == set()
    assert api.get("school", f"{GB}/assessmentResults",
                   filter="assessmentLineItem.sourcedId='ali-b'").headers["X-Total-Count"] == "0"
    # Writes: within the school, yes; another school's records cannot be replaced, deleted
    # or referenced, and answer as if they did not exist.
    mine = assessment_line_item("school-ali", ids.class_a)
    assert _put(api, "school", "school-ali", mine).status_code == 201
    status, _, text = _error(_put(api, "school", "school-ali-2",
                                  assessment_line_item("school-ali-2", ids.class_b)))
    assert status == 422 and "assessmentLineItem.class" in text
    status, _, text = _error(_put(api, "school", "school-ar", assessment_result(
        "school-ar", "ali-district", ids.student_b)))
    assert status == 422 and "assessmentResult.student" in text
    status, _, text = _error(_put(api, "school", "school-ar", assessment_result(
        "school-ar", "ali-b", ids.student_a)))
    assert status == 422 and "assessmentResult.assessmentLineItem" in text
    steal = assessment_line_item("ali-b", ids.class_a)
    assert _error(_put(api, "school", "ali-b", steal))[:2] == (404, "unknownobject")
    assert _error(api.call("school", "DELETE", f"{GB}/assessmentResults/ar-b"))[0] == 404
    assert api.row("assessmentLineItems", "ali-b")["class_sourced_id"] == ids.class_b
    assert api.row("assessmentResults", "ar-b")["status"] == "active"


def test_scopes(api: Api) -> None:
    _, client_id, secret = api.clients.create(
        api.tenant_id, "gradebook only", ["gradebook.readonly", "gradebook.createput",
                                          "gradebook.delete"], Sharing())
    api.secrets["gradebook"] = (client_id, secret)
    record = {"assessmentLineItem": assessment_line_item("scoped")}
    for who, method, path, body in (
            ("gradebook", "GET", "/assessmentLineItems", None),
            ("gradebook", "GET", "/assessmentResults/ar-a", None),
            ("gradebook", "PUT", "/assessmentLineItems/scoped", record),
            ("gradebook", "DELETE", "/assessmentResults/ar-a", None),
            ("reader", "PUT", "/assessmentLineItems/scoped", record),
            ("reader", "DELETE", "/assessmentLineItems/ali-a", None)):
        status, minor, text = _error(api.call(who, method, GB + path, body))
        assert (status, minor) == (403, "forbidden"), (who, method, path)
        assert "assessment." in text
    assert api.ids_of("reader", f"{GB}/assessmentLineItems") == set(ASSESSMENT_LINE_ITEMS)
    assert api.client.get(f"{GB}/assessmentLineItems").status_code == 401
    assert api.client.delete(f"{GB}/assessmentLineItems/ali-a").status_code == 401
    assert api.row("assessmentResults", "ar-a")["status"] == "active"


def test_reads_and_writes_are_logged(api: Api) -> None:
    api.get("all", f"{GB}/assessmentResults", limit=2)
    _put(api, "all", "logged", assessment_line_item("logged"))
    api.call("all", "DELETE", f"{GB}/assessmentLineItems/logged")
    api.get("school", f"{GB}/assessmentLineItems/ali-b")
    log = api.clients.access_log(api.secrets["all"][0])
    assert [(e.method, e.path, e.status, e.records) for e in log[:3]] == [
        ("DELETE", f"{GB}/assessmentLineItems/logged", 204, 1),
        ("PUT", f"{GB}/assessmentLineItems/logged", 201, 1),
        ("GET", f"{GB}/assessmentResults", 200, 2)]
    [refused] = api.clients.access_log(api.secrets["school"][0], limit=1)
    assert (refused.path, refused.status, refused.records) == (
        f"{GB}/assessmentLineItems/ali-b", 404, 0)
