"""``toolAssessments`` through a real run: the test tool connector (a plugin) over the small
district of test_engine, on both databases. Results land with their learner or wait for
review, bad fields skip one record naming the field, a re-drop updates instead of
duplicating, confirming a link backfills, ``tobedeleted`` and a bulk feed withdraw (behind
the deletion safeguard)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.identity import confirm, for_review, ignore
from gateway.learning.records import (
    FieldError,
    read_domains,
    read_json_object,
    read_placement,
    read_school_year,
    read_subject,
    read_window,
)
from gateway.mastery import recompute
from gateway.store.learning_tables import assessment_results
from gateway.store.store import Store
from tests.gateway.learning.test_engine import District
from tests.helpers import counts, run


@pytest.fixture
def district(store: Store, tmp_path: Path, tool_plugin: str) -> District:
    return District(store, tmp_path, tool_plugin)


def result(learner: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"source_key": key, "learner": learner, "assessment": "map-growth",
            "subject": "Mathematics", "school_year": "2026-27", "window": "Fall",
            "administered_at": "2026-09-15", "scale_score": "201", "standard_error": "3.1",
            "percentile": "55", **fields}


def feed(d: District) -> list[dict[str, Any]]:
    name = d.students[0]["username"]
    return [
        result(name, "t1", grade="4", performance_level="Avg", growth_measure="Y",
               domains=[{"name": "Operations and Algebraic Thinking", "scale_score": "199",
                         "adjective": "Avg"}, {"name": "Geometry", "scale_score": "--"}],
               vendor_growth={"FallToSpringProjectedGrowth": 9,
                              "FallToSpringObservedGrowth": "--"},
               payload={"TestID": "t1"}),
        result("T-77", "t2", learner_id_kind="tool_id", subject="reading", percentile="N/A",
               grade_placement="Grade 3", lexile="BR400L"),
        result(name, "t3", scale_score="high"),
        result(name, "t4", window="autumn"),
        result(name, "t5", subject="history"),
        result(name, "t6", window="winter", administered_at="2027-01-20T10:00:00-05:00",
               growth_measure="N", school_year=2027),
    ]


def stored(d: District) -> dict[str, Any]:
    with d.store.engine.connect() as conn:
        return {r.source_key: r for r in conn.execute(sa.select(assessment_results))}


def test_results_land_and_bad_fields_skip_one_record(district: District) -> None:
    d = district
    d.write({"toolAssessments": feed(d)})
    report = run(d.store, "district/reader")
    assert report.status == "succeeded", report.message
    assert counts(report)["toolAssessments"] == {"added": 3, "updated": 0, "unchanged": 0,
                                                 "deleted": 0, "skipped": 3}
    problems = sorted((p.line, p.column) for p in report.problems)
    assert problems == [(3, "scale_score"), (4, "window"), (5, "subject")]
    by_line = {p.line: p for p in report.problems}
    assert "'high' is not a number" in by_line[3].message
    assert "fall, winter, spring, summer" in by_line[4].message
    assert "toolAssessments" in (by_line[5].source or "")
    rows = stored(d)
    assert set(rows) == {"t1", "t2", "t6"}
    t1 = rows["t1"]
    assert (t1.user_sourced_id, t1.assessment, t1.subject, t1.school_year, t1.window) == (
        d.sid(0), "map-growth", "math", "2027", "fall")
    assert (t1.administered_at, t1.growth_measure, t1.grade) == (
        "2026-09-15T00:00:00.000Z", True, "04")
    assert (t1.scale_score, t1.standard_error, t1.percentile, t1.performance_level) == (
        201.0, 3.1, 55.0, "Avg")
    assert t1.domains == [{"name": "Operations and Algebraic Thinking", "scale_score": 199.0,
                           "adjective": "Avg"}, {"name": "Geometry"}]
    assert t1.vendor_growth == {"FallToSpringProjectedGrowth": 9}
    assert t1.payload == {"TestID": "t1"} and t1.status == "active"
    assert t1.connection_id == d.store.connection("district/reader").id
    t2 = rows["t2"]
    assert (t2.user_sourced_id, t2.percentile, t2.grade_placement, t2.lexile) == (
        None, None, "03", "BR400L")
    t6 = rows["t6"]
    assert (t6.window, t6.school_year, t6.growth_measure, t6.administered_at) == (
        "winter", "2027", False, "2027-01-20T15:00:00.000Z")


def test_a_redrop_updates_and_confirming_backfills(district: District) -> None:
    d = district
    records = feed(d)
    d.write({"toolAssessments": records})
    run(d.store, "district/reader")
    again = run(d.store, "district/reader")
    assert counts(again)["toolAssessments"]["unchanged"] == 3 and again.writes == 0
    # The vendor corrects one score and the file gets a bad row: the correction lands,
    # the bad row's stored result is kept as it was.
    records[0] = {**records[0], "scale_score": "204"}
    records[1] = {**records[1], "school_year": "next year"}
    d.write({"toolAssessments": records})
    fixed = run(d.store, "district/reader")
    assert counts(fixed)["toolAssessments"]["updated"] == 1
    assert any(p.column == "school_year" and p.line == 2 for p in fixed.problems)
    rows = stored(d)
    assert len(rows) == 3 and rows["t1"].scale_score == 204.0
    assert rows["t2"].school_year == "2027" and rows["t1"].updated_at >= rows["t1"].created_at
    with d.store.engine.begin() as conn:
        link = next(x for x in for_review(conn, d.tenant_id) if x.external_id == "T-77")
        confirm(conn, d.tenant_id, link.id, d.sid(1), recompute=recompute)
    assert stored(d)["t2"].user_sourced_id == d.sid(1)
    with d.store.engine.begin() as conn:
        ignore(conn, d.tenant_id, link.id, recompute=recompute)
    assert stored(d)["t2"].user_sourced_id is None


def test_withdrawn_results_and_a_bulk_feed(district: District, store: Store) -> None:
    d = district
    records = [r for r in feed(d) if r["source_key"] in ("t1", "t2", "t6")]
    records += [result(d.students[0]["username"], f"s{n}", window="spring",
                       administered_at=f"2027-05-0{n}") for n in range(1, 6)]
    d.write({"toolAssessments": records})
    assert counts(run(d.store, "district/reader"))["toolAssessments"]["added"] == 8
    records[0] = {**records[0], "status": "tobedeleted"}
    d.write({"toolAssessments": records})
    report = run(d.store, "district/reader")
    assert counts(report)["toolAssessments"]["deleted"] == 1
    assert stored(d)["t1"].status == "tobedeleted"
    connection = store.connection("district/reader")
    store.update_connection(connection, config={**connection.config, "mode": "bulk"})
    d.write({"toolAssessments": records[1:5]})  # t2, t6, s1, s2: s3..s5 are gone
    held = run(d.store, "district/reader")
    assert held.status == "held"
    assert "would withdraw 3 of 7 stored assessment results" in (held.message or "")
    assert stored(d)["s3"].status == "active"  # nothing lost while held
    approved = run(d.store, "district/reader", approve_deletions=True)
    assert approved.status == "succeeded"
    assert counts(approved)["toolAssessments"]["deleted"] == 3
    assert {k for k, r in stored(d).items() if r.status == "active"} == {"t2", "t6", "s1",
                                                                          "s2"}


@pytest.mark.parametrize(("value", "expected"), [
    ("2027", "2027"), (2027, "2027"), (2027.0, "2027"), ("2026-27", "2027"),
    ("2026-2027", "2027"), (" 2026 - 27 ", "2027"), ("1999-00", "2000"),
])
def test_school_years_are_the_year_they_end(value: Any, expected: str) -> None:
    assert read_school_year({"school_year": value}) == expected


@pytest.mark.parametrize("value", ["27", "2026-28", "next year", "2026/27", "3000"])
def test_a_bad_school_year_names_the_field_and_the_fix(value: str) -> None:
    with pytest.raises(FieldError, match="four digits") as caught:
        read_school_year({"school_year": value})
    assert caught.value.field == "school_year"


def test_subjects_windows_placements() -> None:
    assert [read_subject({"subject": s}) for s in ("Math", "MATHEMATICS", "ELA",
                                                   "Language Usage", "science")] == [
        "math", "math", "reading", "language", "science"]
    assert read_window({"window": " Winter "}) == "winter"
    with pytest.raises(FieldError, match="'History' is not one of math, reading"):
        read_subject({"subject": "History"})
    with pytest.raises(FieldError, match="the record has no window"):
        read_window({})
    assert [read_placement({"p": v}, "p") for v in ("Grade 3", "K", "Grade K", "12", None)] == [
        "03", "KG", "KG", "12", None]


def test_domains_and_vendor_growth_keep_what_was_reported() -> None:
    assert read_domains({"domains": [{"name": "Geometry", "scale_score": "N/A",
                                      "percent_mastery": 80, "extra": 1}]}) == [
        {"name": "Geometry", "percent_mastery": 80.0}]
    assert read_domains({"domains": []}) is None
    with pytest.raises(FieldError, match="item 1 has no name"):
        read_domains({"domains": [{"scale_score": 3}]})
    with pytest.raises(FieldError, match="'Geometry': scale_score 'big' is not a number"):
        read_domains({"domains": [{"name": "Geometry", "scale_score": "big"}]})
    assert read_json_object({"g": {"CurrentSGP": 61, "Tier": "Tier 2", "X": "--"}}, "g") == {
        "CurrentSGP": 61, "Tier": "Tier 2"}
    with pytest.raises(FieldError, match="is a list"):
        read_json_object({"g": {"Nested": [1]}}, "g")
    with pytest.raises(FieldError, match="not an object"):
        read_json_object({"g": [1]}, "g")
