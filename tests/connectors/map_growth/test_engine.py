"""MAP Growth exports through the real engine into the store (SQLite and PostgreSQL): a
roster loaded first, learners resolved through the connection's identity rules (by
StudentID, or by state id with the connection's own rules), an unreadable cell skipping
only its record with file, line and field, and an export missing a key column failing the
run with nothing stored lost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.store.learning_tables import assessment_results, evidence
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.connectors.map_growth.exports import (
    drop_column,
    edit_cell,
    state_id,
    student_ids,
    write_export,
)
from tests.gateway.learners.factories import roster
from tests.helpers import run

LEARNERS = 40


def stored(store: Store, table: Any) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.source_key)))


def test_results_land_resolved_through_identity_rules(store: Store, tmp_path: Path) -> None:
    ids = student_ids(LEARNERS)
    roster(store, tmp_path, students=dict.fromkeys(ids[:-2], "05"))  # two not rostered
    export = write_export(tmp_path / "drop", students=ids, windows=("fall", "winter"))
    store.add_connection("district", "map", "map-growth",
                         {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/map")
    assert report.status == "succeeded", (report.message, report.problems)
    results = stored(store, assessment_results)
    assert len(results) == export.tests
    assert Counter(r.user_sourced_id is None for r in results)[True] == sum(
        1 for r in results if r.source_key.split(":")[0] in ids[-2:])
    resolved = [r for r in results if r.user_sourced_id]
    assert all(r.user_sourced_id == r.source_key.split(":")[0] for r in resolved)
    assert {r.assessment for r in results} == {"map-growth"}
    assert {(r.school_year, r.window) for r in results} == {("2027", "fall"),
                                                             ("2027", "winter")}
    assert all(r.administered_at.endswith("Z") for r in results)
    winter = next(r for r in results if r.window == "winter" and r.growth_measure)
    assert "FallToWinterObservedGrowth" in winter.vendor_growth
    assert winter.domains and winter.domains[0]["scale_score"] > 100
    goals = stored(store, evidence)
    assert len(goals) == export.goal_scores
    assert all(0 < g.score < 1 for g in goals if g.score is not None)
    assert run(store, "district/map").writes == 0  # the same drop again: nothing to do


def test_state_ids_through_the_connections_own_rules(store: Store, tmp_path: Path) -> None:
    ids = student_ids(12)
    tenant_id = roster(store, tmp_path, students=dict.fromkeys(ids, "05"))
    users = stream_tables["users"]
    with store.engine.begin() as conn:  # the SIS holds each learner's state id
        for sid in ids:
            conn.execute(users.update().where(users.c.sourced_id == sid,
                                              users.c.tenant_id == tenant_id)
                         .values(identifier=state_id(f"M{sid}")))
    # MAP's StudentID is not the SIS id here: learners are matched by their state id
    write_export(tmp_path / "drop", students=[f"M{s}" for s in ids], windows=("fall",))
    store.add_connection("district", "map", "map-growth", {
        "path": str(tmp_path / "drop"), "learner_id_kind": "state_id",
        "identity": {"match": {"state_id": ["identifier"]}}}, {})
    report = run(store, "district/map")
    assert report.status == "succeeded", (report.message, report.problems)
    results = stored(store, assessment_results)
    assert results and all(r.user_sourced_id is not None for r in results)
    assert {r.user_sourced_id for r in results} == set(ids)


def test_bad_cells_skip_their_record_located(store: Store, tmp_path: Path) -> None:
    roster(store, tmp_path, students={"S00001": "05"})
    export = write_export(tmp_path / "drop", learners=10, windows=("fall",))
    results_file = tmp_path / "drop" / "AssessmentResults.csv"
    edit_cell(results_file, 5, "TestRITScore", "2O8")
    edit_cell(results_file, 7, "TestPercentile", "140")
    edit_cell(results_file, 9, "TestPercentile", "N/A")  # no value, not a bad one
    store.add_connection("district", "map", "map-growth",
                         {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/map")
    assert report.status == "succeeded", report.message
    assert len(stored(store, assessment_results)) == export.tests - 2
    located = {(p.source.split(" ")[0], p.line, p.column) for p in report.problems}
    assert {("AssessmentResults.csv", 5, "scale_score"),
            ("AssessmentResults.csv", 7, "percentile")} <= located
    assert all(p.line != 9 for p in report.problems)


def test_missing_key_column_fails_and_keeps_what_is_stored(store: Store,
                                                           tmp_path: Path) -> None:
    roster(store, tmp_path, students={"S00001": "05"})
    drop = tmp_path / "drop"
    write_export(drop, learners=10, windows=("fall",))
    store.add_connection("district", "map", "map-growth", {"path": str(drop)}, {})
    assert run(store, "district/map").status == "succeeded"
    before = stored(store, assessment_results)
    write_export(drop, learners=10, windows=("fall", "winter"))
    drop_column(drop / "AssessmentResults.csv", "StudentID")
    report = run(store, "district/map")
    assert report.status == "failed"
    text = " ".join([report.message or "", *(str(p) for p in report.problems)])
    assert "AssessmentResults.csv" in text and "StudentID" in text
    assert stored(store, assessment_results) == before
