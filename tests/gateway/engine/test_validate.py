"""The compiled row checkers: normalization, rejections, and the unchanged-row fast path."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.engine.validate import BatchCheck, Deferred, Problems, checker
from gateway.model.schema import STREAMS


def make_check(stream: str, *, bulk: bool = True, refs: Any = None) -> BatchCheck:
    n_refs = sum(1 for c in STREAMS[stream].columns if c.kind in ("ref", "refs"))
    return BatchCheck(stream=stream, source=f"{stream}.csv", tenant_id=1, connection_id=2,
                      version=3, now="2026-11-23T02:00:00.000Z", bulk=bulk,
                      refs=refs if refs is not None else [None] * n_refs,
                      problems=Problems(), deferred=Deferred())


def row(stream: str, sid: str, status: str = "", dlm: str = "", **values: str) -> list[str]:
    return [sid, status, dlm, *(values.get(c, "") for c in STREAMS[stream].column_names), ""]


def check_one(stream: str, r: list[str], **kw: Any) -> tuple[dict[str, Any] | None, BatchCheck]:
    bc = make_check(stream, **kw)
    out = checker(stream)([r], [2], bc)
    got = (out or bc.inserts)
    if not got:
        return None, bc
    names = ["tenant_id", "sourcedId", "status", "now", "version", "hash", "connection_id",
             "source_modified", *STREAMS[stream].column_names, "metadata"]
    return dict(zip(names, got[0], strict=False)), bc  # deletions carry only the key


def session(**values: str) -> list[str]:
    base = {"title": "2026-27", "type": "schoolYear", "startDate": "2026-08-20",
            "endDate": "2027-06-10", "schoolYear": "2027"}
    return row("academicSessions", "y1", **{**base, **values})


def test_values_are_normalized() -> None:
    got, bc = check_one("academicSessions", session(type="SchoolYear"))
    assert not bc.problems
    assert got is not None
    assert got["type"] == "schoolYear"  # enum case
    assert got["status"] == "active"  # blank status in a bulk file
    assert got["parentSourcedId"] is None  # empty -> NULL
    got, _ = check_one("lineItems", row("lineItems", "li1", title="Q", assignDate="2026-09-01",
                                        dueDate="2026-09-08T10:00:00+02:00", classSourcedId="k",
                                        categorySourcedId="c", academicSessionSourcedId="y"))
    assert got is not None
    assert got["assignDate"] == "2026-09-01T00:00:00.000Z"
    assert got["dueDate"] == "2026-09-08T08:00:00.000Z"  # offsets become UTC


def test_early_years_keep_four_digits_and_out_of_range_offsets_are_rejected() -> None:
    """Year 630 is written 0630 (strftime's %Y writes 630, which no reader takes back), and
    an offset that moves a date-time out of the years 1 to 9999 is a problem, not a crash."""
    values = {"title": "Q", "assignDate": "0630-06-21T00:34:42.5Z", "classSourcedId": "k",
              "dueDate": "0002-01-01", "categorySourcedId": "c",
              "academicSessionSourcedId": "y"}
    got, bc = check_one("lineItems", row("lineItems", "li1", **values))
    assert not bc.problems and got is not None
    assert (got["assignDate"], got["dueDate"]) == ("0630-06-21T00:34:42.500Z",
                                                   "0002-01-01T00:00:00.000Z")
    late = {**values, "dueDate": "0001-01-01T00:00:00+01:00"}
    got, bc = check_one("lineItems", row("lineItems", "li1", **late))
    assert got is None and [p.column for p in bc.problems.kept] == ["dueDate"]


@pytest.mark.parametrize(("values", "column", "phrase"), [
    ({"type": "quarter"}, "type", "use one of gradingPeriod, schoolYear, semester, term"),
    ({"startDate": "2026-02-30"}, "startDate", "is not a date"),
    ({"schoolYear": "26/27"}, "schoolYear", "is not a year"),
    ({"title": ""}, "title", "is required but empty"),
])
def test_rejections_name_the_column(values: dict[str, str], column: str, phrase: str) -> None:
    got, bc = check_one("academicSessions", session(**values))
    assert got is None
    [problem] = bc.problems.kept
    assert (problem.source, problem.line, problem.column) == ("academicSessions.csv", 2, column)
    assert phrase in problem.message
    assert bc.invalid_ids == ["y1"]  # still counts as present for references


def test_extension_values_and_booleans() -> None:
    got, bc = check_one("users", row("users", "u1", enabledUser="TRUE", username="u",
                                     givenName="A", familyName="B"))
    assert got is not None and got["enabledUser"] == "true"
    got, bc = check_one("enrollments", row("enrollments", "e1", classSourcedId="k",
                                           schoolSourcedId="s", userSourcedId="u",
                                           role="ext:mentor"))
    assert got is not None and got["role"] == "ext:mentor"
    _, bc = check_one("users", row("users", "u1", enabledUser="yes", username="u",
                                   givenName="A", familyName="B"))
    assert "write true or false" in bc.problems.kept[0].message


def test_references_checked_now_or_deferred() -> None:
    enrollment = row("enrollments", "e1", classSourcedId="k9", schoolSourcedId="s1",
                     userSourcedId="u1", role="student")
    got, bc = check_one("enrollments", enrollment, refs=[{"k1"}, {"s1"}, {"u1"}])
    assert got is None
    assert "'k9' is not the sourcedId of any active classes" in bc.problems.kept[0].message
    got, bc = check_one("enrollments", enrollment, refs=[None, {"s1"}, {"u1"}])
    assert got is not None
    assert bc.deferred.items == [(0, "k9", 2)]


def test_delta_rows_need_status_and_date_but_deletions_need_only_the_key() -> None:
    got, bc = check_one("users", row("users", "u1", "tobedeleted", "2026-11-20T00:00:00Z"),
                        bulk=False)
    assert not bc.problems
    assert got is not None and got["status"] == "tobedeleted"
    _, bc = check_one("users", row("users", "u1", givenName="A", familyName="B",
                                   username="u", enabledUser="true"), bulk=False)
    assert {p.column for p in bc.problems.kept} == {"status", "dateLastModified"}


def test_unchanged_rows_skip_validation_but_not_references() -> None:
    stream = "enrollments"
    r = row(stream, "e1", classSourcedId="k1", schoolSourcedId="s1", userSourcedId="u1",
            role="student")
    first = make_check(stream, refs=[{"k1"}, {"s1"}, {"u1"}])
    checker(stream)([r], [2], first)
    stored_hash = first.inserts[0][5]
    again = make_check(stream, refs=[{"k1"}, {"s1"}, {"u1"}])
    again.active = {"e1": stored_hash}
    again.seen = seen = object()
    assert checker(stream)([r], [2], again) == []
    assert again.unchanged == 1 and again.active["e1"] is seen
    gone = make_check(stream, refs=[set(), {"s1"}, {"u1"}])  # the class was removed
    gone.active = {"e1": stored_hash}
    checker(stream)([r], [2], gone)
    assert "'k1' is not the sourcedId" in gone.problems.kept[0].message
