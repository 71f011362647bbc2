"""Star exports through the real engine into the store: learners resolved through the
identity rules against a loaded roster, standards stored as evidence, bad cells skipped
and located, and a file missing a key column refused with nothing stored."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from gateway.store.learning_tables import assessment_results, evidence
from gateway.store.store import Store
from tests.connectors.star.exports import learners, write_standards, write_tests
from tests.gateway.learners.factories import roster
from tests.helpers import run


def _count(store: Store, table: sa.Table, **where: object) -> int:
    with store.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(conn.execute(query).scalar_one())


def test_learners_resolved_through_the_identity_rules(store: Store, tmp_path: Path) -> None:
    people = learners(40)
    # The roster knows these learners by their state id, not by Renaissance's ids.
    roster(store, tmp_path, students={p.state_id: "05" for p in people[:36]})
    _, reading = write_tests(tmp_path / "drop", "reading", people)
    _, math = write_tests(tmp_path / "drop", "math", people)
    _, standards = write_standards(tmp_path / "drop", "reading", reading)
    store.add_connection("district", "star", "star", {
        "path": str(tmp_path / "drop"), "identity": {"match": {"state_id": ["sourcedId"]}}},
        {})
    report = run(store, "district/star")
    assert report.status == "succeeded", (report.message, report.problems)
    # A deactivated test withdraws the result; one never stored is not added.
    active = [w for w in reading + math if w.active]
    assert len(active) < len(reading) + len(math)
    assert _count(store, assessment_results) == len(active)
    outside = {p.sourced_id for p in people[36:]}
    assert _count(store, assessment_results, user_sourced_id=None) == sum(
        w.learner.sourced_id in outside for w in active)
    counted = next(w for w in math if w.counts and w.window == "spring")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(assessment_results).where(
            assessment_results.c.source_key == counted.assessment_id)).mappings().one()
    assert row["user_sourced_id"] == (counted.learner.state_id
                                      if counted.learner.sourced_id not in outside else None)
    assert (row["assessment"], row["subject"], row["window"], row["school_year"]) == (
        "star", "math", "spring", "2027")
    assert row["growth_measure"] is True
    assert row["grade_equivalent"] == counted.grade_equivalent
    assert row["vendor_growth"]["GradePlacement"] == counted.grade_placement
    assert _count(store, assessment_results, growth_measure=True) == sum(
        w.counts for w in reading + math)
    assert _count(store, evidence) == standards
    again = run(store, "district/star")
    assert again.status == "succeeded" and again.writes == 0


def test_bad_cells_are_skipped_and_located(store: Store, tmp_path: Path) -> None:
    people = learners(20)
    roster(store, tmp_path, students={p.sourced_id: "05" for p in people})
    file, written = write_tests(tmp_path / "drop", "math", people, windows=("fall",))
    with file.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[3][rows[0].index("ScaledScore")] = "4x0"
    rows[5][rows[0].index("PercentileRank")] = "--"  # no value, not a bad one
    with file.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    store.add_connection("district", "star", "star", {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/star")
    assert report.status == "succeeded", (report.message, report.problems)
    assert _count(store, assessment_results) == sum(w.active for w in written) - 1
    [problem] = [p for p in report.problems if "toolAssessments" in p.source]
    assert "SM_v2.csv" in problem.source
    assert (problem.line, problem.column) == (4, "scale_score")
    assert "4x0" in problem.message


def test_a_file_missing_a_key_column_stores_nothing(store: Store, tmp_path: Path) -> None:
    people = learners(10)
    roster(store, tmp_path, students={p.sourced_id: "05" for p in people})
    write_tests(tmp_path / "drop", "reading", people)
    write_tests(tmp_path / "drop", "math", people, drop_columns=("AssessmentID",))
    store.add_connection("district", "star", "star", {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/star")
    assert report.status == "failed"
    text = " ".join([report.message or "", *(str(p) for p in report.problems)])
    assert "SM_v2.csv" in text and "AssessmentID" in text
    assert _count(store, assessment_results) == 0
