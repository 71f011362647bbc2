"""IXL exports through the real engine into the store (SQLite and PostgreSQL): a school year
of generated exports against a roster, learners resolved by the identity rules (the Student
ID, else the state id the row carries; unknown students kept waiting), only the latest
fall snapshot a growth measure, a re-drop writing nothing, bad cells skipped and located,
and a file missing a key column refused with nothing stored."""

from __future__ import annotations

import asyncio
import csv
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.engine.run import RunOptions, RunReport, sync
from gateway.store.learning_tables import assessment_results, evidence, identity_links, placements
from gateway.store.store import Store
from tests.connectors.ixl.exports import (
    RETEST_DAY,
    load_roster,
    students,
    write_window,
    write_year,
)


def ixl_run(store: Store, name: str = "district/ixl") -> RunReport:
    return asyncio.run(sync(store, store.connection(name), RunOptions()))


def results(store: Store, tenant_id: int) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(assessment_results).where(assessment_results.c.tenant_id == tenant_id)
            .order_by(assessment_results.c.source_key))]


def count(store: Store, table: sa.Table, tenant_id: int) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)
                                .where(table.c.tenant_id == tenant_id)).scalar_one())


def test_a_school_year_resolved_through_the_roster(store: Store, tmp_path: Path) -> None:
    drop = tmp_path / "ixl"
    written = write_year(drop, 240)
    tenant_id = load_roster(store, tmp_path, written.students, state_only=10, unknown=5)
    store.add_connection("district", "ixl", "ixl", {"path": str(drop)}, {})

    report = ixl_run(store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert report.counts["toolAssessments"].added == written.assessments
    assert report.counts["toolEvidence"].added == written.strands
    rows = results(store, tenant_id)
    assert len(rows) == written.assessments
    # Student ID matched the roster's identifier; the state id found ten with none; the
    # five not in the roster wait for review, their results kept without a user.
    unresolved = {r["source_key"].split(":")[0] for r in rows if r["user_sourced_id"] is None}
    assert unresolved == {p.id for p in written.students[10:15]}
    by_id = {p.id: n for n, p in enumerate(written.students)}
    for r in rows:
        if r["user_sourced_id"] is not None:
            assert r["user_sourced_id"] == f"u-{by_id[r['source_key'].split(':')[0]]}"
    with store.engine.connect() as conn:
        rules = dict(conn.execute(sa.select(identity_links.c.external_id, identity_links.c.rule)
                                  .where(identity_links.c.tenant_id == tenant_id)).all())
    assert rules[written.students[0].id].startswith("state_id")
    assert rules[written.students[20].id].startswith("sis_id")

    # Only the last of a window's snapshots counts for growth: the fall retest, not fall.
    # (A retest IXL has not pinpointed, a range, does not count: the earlier level does.)
    fall = [r for r in rows if r["window"] == "fall" and r["scale_score"] is not None]
    retested = {(r["source_key"].split(":")[0], r["subject"]) for r in fall
                if r["administered_at"].startswith(RETEST_DAY)}
    assert len(retested) > 40
    for r in fall:
        latest = r["administered_at"].startswith(RETEST_DAY)
        if (r["source_key"].split(":")[0], r["subject"]) in retested:
            assert r["growth_measure"] is latest, r["source_key"]
        else:
            assert r["growth_measure"], r["source_key"]
    assert any(r["growth_measure"] for r in fall) and not all(r["growth_measure"] for r in fall)
    spring = [r for r in rows if r["window"] == "spring" and r["scale_score"] is not None]
    assert all(r["growth_measure"] for r in spring)
    assert any(r["vendor_growth"].get("Diagnostic growth - ELA") for r in spring)
    assert count(store, placements, tenant_id) > 0

    again = ixl_run(store)
    assert again.status == "succeeded" and again.writes == 0


def test_a_new_snapshot_in_a_read_window_moves_the_growth_measure(store: Store,
                                                                  tmp_path: Path) -> None:
    drop = tmp_path / "ixl"
    drop.mkdir()
    pupils = students(30)
    tenant_id = load_roster(store, tmp_path, pupils)
    write_window(drop / "fall.csv", pupils, "fall", seed=1)
    store.add_connection("district", "ixl", "ixl", {"path": str(drop)}, {})
    assert ixl_run(store).status == "succeeded"
    first = {r["source_key"]: r["growth_measure"] for r in results(store, tenant_id)}
    assert any(first.values())

    write_window(drop / "fall-later.csv", pupils, "fall", day=RETEST_DAY, progress=0.1,
                 seed=2)
    report = ixl_run(store)
    assert report.status == "succeeded", report.problems
    after = {r["source_key"]: r["growth_measure"] for r in results(store, tenant_id)}
    for key, was in first.items():
        if was:  # the earlier snapshot stopped counting once the later one came
            later = key.replace("2026-10-06", RETEST_DAY)
            # exactly one counts: the later one, unless IXL had not pinpointed it
            assert after[key] is not after.get(later, False), key
    counted: dict[str, int] = {}
    for key, flag in after.items():
        counted[key.rsplit(":", 1)[0]] = counted.get(key.rsplit(":", 1)[0], 0) + flag
    assert set(counted.values()) <= {0, 1} and sum(counted.values()) >= sum(first.values())


def test_bad_cells_are_skipped_and_located(store: Store, tmp_path: Path) -> None:
    drop = tmp_path / "ixl"
    drop.mkdir()
    pupils = students(20)
    for p in pupils:
        p.takes_math = p.takes_ela = True
    tenant_id = load_roster(store, tmp_path, pupils)
    path = write_window(drop / "winter.csv", pupils, "winter", seed=3)
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    level = header.index("Current diagnostic level - Math")
    strand = header.index("Fractions - Math")
    pct = header.index("Percentile - ELA")
    rows[3][level] = "four hundred"  # line 4
    rows[5][header.index("Last diagnostic date")] = "13/45/2027"  # line 6
    rows[7][strand] = "lots"  # line 8
    rows[9][pct] = "150"  # line 10
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    store.add_connection("district", "ixl", "ixl", {"path": str(drop)}, {})

    report = ixl_run(store)
    assert report.status == "succeeded", report.message
    found = {(p.source, p.line, p.column) for p in report.problems}
    assert ("winter.csv (toolAssessments)", 4, "scale_score") in found
    assert ("winter.csv (toolAssessments)", 10, "percentile") in found
    assert ("winter.csv (toolEvidence)", 8, "raw_score") in found
    assert any(line == 6 and "13/45/2027" in p.message
               for p in report.problems if (line := p.line) is not None)
    assert all("skipped" in p.message for p in report.problems)
    stored = {r["source_key"].split(":")[0] for r in results(store, tenant_id)}
    assert pupils[2].id in stored  # the bad math level cost the row's math only
    assert report.counts["toolAssessments"].added > 30


def test_a_file_missing_a_key_column_is_refused_and_nothing_is_stored(
        store: Store, tmp_path: Path) -> None:
    drop = tmp_path / "ixl"
    drop.mkdir()
    pupils = students(20)
    tenant_id = load_roster(store, tmp_path, pupils)
    write_window(drop / "a-fall.csv", pupils, "fall", seed=1)
    broken = write_window(tmp_path / "b-winter.csv", pupils, "winter", seed=3)
    lines = broken.read_text().splitlines()
    lines[0] = lines[0].replace("Student ID", "Learner")
    (drop / "b-winter.csv").write_text("\n".join(lines) + "\n")
    store.add_connection("district", "ixl", "ixl", {"path": str(drop)}, {})

    report = ixl_run(store)
    assert report.status == "failed"
    assert "b-winter.csv" in (report.message or "") and "Student ID" in (report.message or "")
    assert [(p.source, p.column) for p in report.problems] == [("b-winter.csv", "Student ID")]
    assert "export the file again" in report.problems[0].message
    # The good file was not applied either: the header of every file is read first.
    assert count(store, assessment_results, tenant_id) == 0
    assert count(store, evidence, tenant_id) == 0

    shutil.move(str(tmp_path / "b-winter.csv"), drop / "b-winter.csv")  # fixed export
    fixed = ixl_run(store)
    assert fixed.status == "succeeded", fixed.problems
    assert count(store, assessment_results, tenant_id) > 0


def test_identity_rules_of_the_connection(store: Store, tmp_path: Path) -> None:
    """Student ID holds the state id at this district: learner_id_kind says so."""
    drop = tmp_path / "ixl"
    drop.mkdir()
    pupils = students(12)
    tenant_id = load_roster(store, tmp_path, pupils, state_only=12)  # no identifiers
    path = write_window(drop / "fall.csv", pupils, "fall", seed=1)
    text = path.read_text()
    for p in pupils:  # the export's Student ID column is the state id
        text = text.replace(f"{p.id},", f"{p.state_id},", 1)
    path.write_text(text)
    store.add_connection("district", "ixl", "ixl", {
        "path": str(drop), "learner_id_kind": "state_id",
        "identity": {"match": {"state_id": ["userIds:state"]}}}, {})
    report = ixl_run(store)
    assert report.status == "succeeded", report.problems
    rows = results(store, tenant_id)
    assert rows and all(r["user_sourced_id"] is not None for r in rows)
