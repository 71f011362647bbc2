"""i-Ready exports through the real engine into the store: learners resolved through the
identity rules against a loaded roster, bad cells skipped and located, and a file missing
a key column refused with nothing stored."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gateway.store.learning_tables import assessment_results, evidence, placements
from gateway.store.store import Store
from tests.connectors.i_ready.exports import learners, rows_written, write_export
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
    # The roster knows these learners by their state id, not by i-Ready's Student ID.
    roster(store, tmp_path, students={p.state_id: f"{p.grade:02d}" for p in people[:36]})
    write_export(tmp_path / "drop", "reading", people)
    write_export(tmp_path / "drop", "math", people, seed=5)
    store.add_connection("district", "iready", "i-ready", {
        "path": str(tmp_path / "drop"), "identity": {"match": {"state_id": ["sourcedId"]}}},
        {})
    report = run(store, "district/iready")
    assert report.status == "succeeded", (report.message, report.problems)
    total = 2 * rows_written(people)
    assert _count(store, assessment_results) == total
    unresolved = _count(store, assessment_results, user_sourced_id=None)
    assert unresolved == 2 * rows_written(people) - 2 * rows_written(people[:36])
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(assessment_results).where(
            assessment_results.c.source_key == "S00002:math:2026-09-15")).mappings().one()
    assert row["user_sourced_id"] == "ST0000002"
    assert (row["window"], row["school_year"], row["growth_measure"]) == ("fall", "2027", True)
    assert row["vendor_growth"]["Annual Typical Growth Measure"] == 25
    assert _count(store, placements) == 2 * 40  # kept for review when unresolved
    assert _count(store, evidence) > total
    again = run(store, "district/iready")
    assert again.status == "succeeded" and again.writes == 0


def test_bad_cells_are_skipped_and_located(store: Store, tmp_path: Path) -> None:
    people = learners(20)
    roster(store, tmp_path, students={p.student_id: "05" for p in people})
    file = write_export(tmp_path / "drop", "math", people, windows=("fall",))
    text = file.read_text(encoding="utf-8-sig").splitlines()
    cells = text[3].split(",")
    score = text[0].split(",").index("Overall Scale Score")
    cells[score] = "4x0"
    text[3] = ",".join(cells)
    file.write_text("\r\n".join(text) + "\r\n", encoding="utf-8-sig")
    store.add_connection("district", "iready", "i-ready", {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/iready")
    assert report.status == "succeeded", (report.message, report.problems)
    assert _count(store, assessment_results) == 19
    [problem] = [p for p in report.problems if "toolAssessments" in p.source]
    assert "diagnostic_results_math.csv" in problem.source
    assert (problem.line, problem.column) == (4, "scale_score")
    assert "4x0" in problem.message


def test_a_file_missing_a_key_column_stores_nothing(store: Store, tmp_path: Path) -> None:
    people = learners(10)
    roster(store, tmp_path, students={p.student_id: "05" for p in people})
    write_export(tmp_path / "drop", "reading", people)
    write_export(tmp_path / "drop", "math", people, drop_columns=["Student ID"])
    store.add_connection("district", "iready", "i-ready", {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/iready")
    assert report.status == "failed"
    text = " ".join([report.message or "", *(str(p) for p in report.problems)])
    assert "diagnostic_results_math.csv" in text and "Student ID" in text
    assert _count(store, assessment_results) == 0
