"""What an i-Ready pull yields: the shared samples, generated year-long exports (retests,
blanks, older header spellings), refused files, and incremental pulls from saved state."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.i_ready import IReadyConnector
from gateway.abc import Batch, Checkpoint, Mode, PullItem
from gateway.errors import SourceDataError
from tests.connectors.i_ready.exports import SAMPLES, learners, rows_written, write_export


def pull(config: dict[str, Any], state: dict[str, Any] | None = None) -> list[PullItem]:
    connector = IReadyConnector.from_mapping(config)

    async def go() -> list[PullItem]:
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


def rows(items: list[PullItem], stream: str) -> list[dict[str, Any]]:
    return [dict(cast(Mapping[str, Any], r)) for i in items
            if isinstance(i, Batch) and i.stream == stream for r in i.rows]


def test_the_shared_samples() -> None:
    items = pull({"path": str(SAMPLES)})
    tests = rows(items, "toolAssessments")
    assert len(tests) == 10
    assert all(isinstance(i, Batch) and i.mode is Mode.DELTA for i in items
               if isinstance(i, Batch))
    ela = {t["source_key"]: t for t in tests if t["subject"] == "reading"}
    first = ela["605001:reading:2026-01-13"]
    assert (first["window"], first["school_year"], first["scale_score"], first["lexile"]) == (
        "winter", "2026", 424, "215L")
    assert first["vendor_growth"]["Annual Typical Growth Measure"] == 33
    assert first["payload"]["Norming Window"] == "Winter (November 16 - March 1)"
    math = {t["source_key"]: t for t in tests if t["subject"] == "math"}
    early = math["605002:math:2025-08-28"]
    assert (early["grade_placement"], early["performance_level"], early["quantile"]) == (
        "06", "Early On Grade Level", "840Q")
    placements = {(p["learner"], p["subject"]): p for p in rows(items, "toolPlacements")}
    assert placements["605001", "reading"]["observed_at"] == "2026-05-19"
    assert placements["605001", "reading"]["struggling"] is True
    skills = {e["skill_code"] for e in rows(items, "toolEvidence")}
    assert {"Phonics", "Comprehension: Informational Text", "Geometry"} <= skills
    assert "Phonological Awareness" not in skills  # not assessed: no score, no evidence
    assert isinstance(items[-1], Checkpoint)


def test_a_generated_year(tmp_path: Path) -> None:
    people = learners(300)
    write_export(tmp_path, "reading", people)
    write_export(tmp_path, "math", people, seed=3)
    items = pull({"path": str(tmp_path)})
    tests = rows(items, "toolAssessments")
    assert len(tests) == 2 * rows_written(people)
    assert len({t["source_key"] for t in tests}) == len(tests)
    counted = [t for t in tests if t["growth_measure"]]
    assert len(counted) == 2 * 300 * 3  # one per learner, subject and window
    retested = [t for t in tests if t["learner"] == "S00011" and t["subject"] == "math"
                and t["window"] == "winter"]
    assert [t["growth_measure"] for t in sorted(retested, key=lambda t: t["administered_at"])
            ] == [False, True]
    assert {t["window"] for t in tests} == {"fall", "winter", "spring"}
    assert {t["school_year"] for t in tests} == {"2027"}
    blank = next(t for t in tests if t["learner"] == "S00006")
    assert "percentile" not in blank  # "--" is no value
    assert len(rows(items, "toolPlacements")) == 600
    assert all(isinstance(b.rows, list) and len(b.rows) <= 1000 for b in items
               if isinstance(b, Batch))


def test_older_header_spellings_and_case(tmp_path: Path) -> None:
    people = learners(30)
    write_export(tmp_path / "new", "math", people)
    write_export(tmp_path / "old", "math", people, old=True)
    new = rows(pull({"path": str(tmp_path / "new")}), "toolAssessments")
    old = rows(pull({"path": str(tmp_path / "old")}), "toolAssessments")

    def plain(t: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in t.items() if k != "payload"}

    assert [plain(t) for t in old] == [plain(t) for t in new]
    assert "Diagnostic Gain" in old[0]["vendor_growth"]


def test_a_missing_key_column_refuses_the_file_naming_it(tmp_path: Path) -> None:
    people = learners(5)
    write_export(tmp_path, "reading", people)
    write_export(tmp_path, "math", people, drop_columns=["Completion Date"])
    with pytest.raises(SourceDataError) as caught:
        pull({"path": str(tmp_path)})
    assert "diagnostic_results_math.csv" in str(caught.value)
    assert "Completion Date" in str(caught.value)
    assert [p.column for p in caught.value.problems] == ["Completion Date"]


def test_a_wrong_subject_is_refused_before_any_batch(tmp_path: Path) -> None:
    people = learners(5)
    write_export(tmp_path, "math", people)
    write_export(tmp_path, "reading", people, name="diagnostic_results_math_2.csv")
    connector = IReadyConnector.from_mapping({"path": str(tmp_path)})
    got: list[PullItem] = []

    async def go() -> None:
        async for item in connector.pull(None):
            got.append(item)

    with pytest.raises(SourceDataError, match=r"diagnostic_results_math_2\.csv.*Lexile"):
        asyncio.run(go())
    assert got == []


def test_a_zip_drop(tmp_path: Path) -> None:
    write_export(tmp_path / "x", "math", learners(10))
    archive = shutil.make_archive(str(tmp_path / "iready"), "zip", tmp_path / "x")
    items = pull({"path": archive})
    [source] = {i.source for i in items if isinstance(i, Batch)}
    assert source.endswith("iready.zip:diagnostic_results_math.csv")


def test_incremental_pulls(tmp_path: Path) -> None:
    people = learners(40)
    write_export(tmp_path, "reading", people, windows=("fall", "winter"))
    write_export(tmp_path, "math", people, windows=("fall", "winter"))
    first = pull({"path": str(tmp_path)})
    state = next(i.state for i in reversed(first) if isinstance(i, Checkpoint))
    assert rows(pull({"path": str(tmp_path)}, dict(state)), "toolAssessments") == []
    write_export(tmp_path, "math", people)  # the spring export: cumulative
    again = rows(pull({"path": str(tmp_path)}, dict(state)), "toolAssessments")
    assert {t["subject"] for t in again} == {"math"}
    # spring tests, plus the winter tests completed on the day the last pull read up to
    assert {t["window"] for t in again} <= {"winter", "spring"}
    assert sum(t["window"] == "spring" for t in again) == 40
    late = rows(pull({"path": str(tmp_path)}, {"files": {
        k: {**v, "through": "2027-01-18"} for k, v in state["files"].items()}}),
        "toolAssessments")
    # a retest after the mark re-sends its window's earlier test, now not counted
    retest = [t for t in late if t["learner"] == "S00011" and t["subject"] == "math"
              and t["window"] == "winter"]
    assert sorted(t["growth_measure"] for t in retest) == [False, True]
