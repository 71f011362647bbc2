"""What a MAP Growth pull yields from real and generated drops: the shared sample file,
hundreds of learners over three windows (retests, blanks, older header spellings, the
combo file, a zip), re-drops read only when changed, a file missing a key column refused
naming it and the column, and unreadable cells passed on at their line."""

from __future__ import annotations

import asyncio
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.map_growth import MapGrowthConnector
from gateway.abc import Batch, Checkpoint, Mode, PullItem
from gateway.errors import ConfigError, SourceDataError
from tests.connectors.map_growth.exports import drop_column, edit_cell, write_export
from tests.helpers import SHARED

SAMPLE = SHARED / "fixtures" / "assessments" / "map_growth"


def pull(config: dict[str, Any], state: dict[str, Any] | None = None) -> list[PullItem]:
    async def go() -> list[PullItem]:
        connector = MapGrowthConnector.from_mapping(config)
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


def rows(items: list[PullItem], stream: str) -> list[tuple[str, int, dict[str, Any]]]:
    return [(b.source, line, cast(dict[str, Any], row)) for b in items
            if isinstance(b, Batch) and b.stream == stream
            for line, row in zip(b.lines, b.rows, strict=True)]


def test_the_shared_sample(tmp_path: Path) -> None:
    shutil.copy(SAMPLE / "AssessmentResults_sample.csv", tmp_path / "AssessmentResults.csv")
    items = pull({"path": str(tmp_path)})
    tests = rows(items, "toolAssessments")
    assert [line for _, line, _ in tests] == [2, 3, 4, 5, 6, 7, 8]
    assert {src for src, _, _ in tests} == {"AssessmentResults.csv"}
    first = tests[0][2]
    assert first["source_key"] == "605000:711521234"
    assert (first["subject"], first["school_year"], first["window"]) == ("science", "2022",
                                                                          "fall")
    assert first["administered_at"] == "2021-09-16T08:54:50"
    assert (first["scale_score"], first["standard_error"], first["percentile"]) == (208, 3.4,
                                                                                    57)
    assert first["performance_level"] == "Avg" and first["growth_measure"] is True
    assert first["learner_attributes"] == {"school": "Grand Bend Elementary School",
                                           "state_id": "604821"}
    assert first["vendor_growth"] == {"TypicalFallToFallGrowth": 3,
                                      "TypicalFallToWinterGrowth": 3,
                                      "TypicalFallToSpringGrowth": 5}
    assert [d["name"] for d in first["domains"]] == [
        "Matter, Force, Motion and Energy", "Earth and Space", "Organisms and Environments"]
    assert first["payload"]["TestName"] == "Growth: Science 6+ TX 2017"
    assert Counter(r["subject"] for _, _, r in tests) == {"science": 3, "math": 3,
                                                          "reading": 1}
    screening = tests[-1][2]  # no TestID: the contract's composite key; not a growth test
    assert screening["source_key"] == ("605000:map-growth:reading:2022:fall:"
                                       "2021-09-20T09:15:30")
    assert screening["growth_measure"] is False and "domains" not in screening
    evidence = rows(items, "toolEvidence")
    assert len(evidence) == 3 + 4 + 3 + 4 + 3 + 4
    assert evidence[0][1] == 2 and evidence[0][2]["skill_code"] == (
        "Matter, Force, Motion and Energy")
    assert all(b.mode is Mode.DELTA for b in items if isinstance(b, Batch))


def test_three_windows_of_generated_exports(tmp_path: Path) -> None:
    export = write_export(tmp_path, learners=300)
    items = pull({"path": str(tmp_path)})
    tests = [r for _, _, r in rows(items, "toolAssessments")]
    assert len(tests) == export.tests
    assert len({r["source_key"] for r in tests}) == export.tests
    assert Counter(r["window"] for r in tests).keys() == {"fall", "winter", "spring"}
    assert {r["school_year"] for r in tests} == {"2027"}
    assert sum(not r["growth_measure"] for r in tests) == export.retests
    counted = Counter((r["learner"], r["subject"], r["window"]) for r in tests
                      if r["growth_measure"])
    assert set(counted.values()) == {1}  # one counting test per learner, subject, window
    assert len(rows(items, "toolEvidence")) == export.goal_scores
    spring = next(r for r in tests if r["window"] == "spring" and r["subject"] == "reading")
    assert {"FallToSpringObservedGrowth", "TypicalFallToSpringGrowth",
            "WinterToSpringConditionalGrowthPercentile"} <= set(spring["vendor_growth"])
    assert isinstance(spring["vendor_growth"]["FallToSpringObservedGrowth"], int)
    assert spring["lexile"].endswith("L")
    # names, grade and state id come from StudentsBySchool.csv of the same term
    attrs = tests[0]["learner_attributes"]
    assert {"given_name", "family_name", "grade", "school", "state_id"} <= set(attrs)
    assert tests[0]["grade"] == attrs["grade"]
    assert any("percentile" not in r for r in tests)  # blank cells are absent values


def test_older_header_spellings_and_case(tmp_path: Path) -> None:
    export = write_export(tmp_path, learners=40, old=True)
    header = (tmp_path / "AssessmentResults.csv").read_text().splitlines()[0]
    assert "MeasurementScale" in header and "RITtoReadingScore" in header
    assert '"termname"' in header and '"Test RIT Score"' in header
    tests = [r for _, _, r in rows(pull({"path": str(tmp_path)}), "toolAssessments")]
    assert len(tests) == export.tests
    assert {r["subject"] for r in tests} == {"math", "reading"}
    assert all(isinstance(r["scale_score"], int) for r in tests)
    assert all(r["lexile"] for r in tests if r["subject"] == "reading")


def test_combo_file_in_a_zip(tmp_path: Path) -> None:
    folder = tmp_path / "combo"
    export = write_export(folder, learners=30, combo=True)
    archive = tmp_path / "drop" / "map_export.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.write(export.files[0], "ComboStudentAssessment.csv")
    tests = rows(pull({"path": str(archive)}), "toolAssessments")
    assert len(tests) == export.tests
    assert "ComboStudentAssessment.csv" in tests[0][0]
    attrs = tests[0][2]["learner_attributes"]
    assert {"given_name", "family_name", "grade", "state_id"} <= set(attrs)


def test_a_re_drop_reads_only_changed_exports(tmp_path: Path) -> None:
    write_export(tmp_path, learners=20, windows=("fall",))
    first = pull({"path": str(tmp_path)})
    state = next(i for i in first if isinstance(i, Checkpoint)).state
    again = pull({"path": str(tmp_path)}, dict(state))
    assert not rows(again, "toolAssessments")
    assert any(isinstance(i, Checkpoint) for i in again)
    winter = write_export(tmp_path, learners=20, windows=("fall", "winter"))  # cumulative
    later = rows(pull({"path": str(tmp_path)}, dict(state)), "toolAssessments")
    assert len(later) == winter.tests
    fall_keys = {r["source_key"] for _, _, r in rows(first, "toolAssessments")}
    assert fall_keys < {r["source_key"] for _, _, r in later}  # same keys: updates


def test_missing_key_column_is_refused_naming_file_and_column(tmp_path: Path) -> None:
    write_export(tmp_path, learners=5)
    drop_column(tmp_path / "AssessmentResults.csv", "TestRITScore")
    with pytest.raises(SourceDataError) as caught:
        pull({"path": str(tmp_path)})
    assert "AssessmentResults.csv" in str(caught.value)
    assert "TestRITScore" in str(caught.value)
    [problem] = caught.value.problems
    assert (problem.source, problem.column) == ("AssessmentResults.csv", "TestRITScore")
    result = asyncio.run(MapGrowthConnector.from_mapping({"path": str(tmp_path)}).check())
    assert not result.ok and "TestRITScore" in result.message


def test_unreadable_cells_are_passed_on_at_their_line(tmp_path: Path) -> None:
    write_export(tmp_path, learners=5)
    results = tmp_path / "AssessmentResults.csv"
    edit_cell(results, 4, "TestRITScore", "2O8")
    edit_cell(results, 6, "TestStartDate", "13/45/2026")
    found = {line: r for _, line, r in rows(pull({"path": str(tmp_path)}), "toolAssessments")}
    assert found[4]["scale_score"] == "2O8"
    assert found[6]["administered_at"] == "13/45/2026"
    assert isinstance(found[5]["scale_score"], int)


def test_check_and_empty_drops(tmp_path: Path) -> None:
    connector = MapGrowthConnector.from_mapping({"path": str(tmp_path)})
    result = asyncio.run(connector.check())
    assert not result.ok and "AssessmentResults" in result.message
    with pytest.raises(ConfigError, match="no MAP Growth export"):
        pull({"path": str(tmp_path)})
    write_export(tmp_path, learners=3)
    assert asyncio.run(connector.check()).ok
    with pytest.raises(ConfigError, match="identity"):
        MapGrowthConnector.from_mapping({"path": str(tmp_path),
                                         "identity": {"learner_id_kind": "shoe"}})
