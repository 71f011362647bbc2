"""Pulling generated Star drops: a school year of SR and SM tests for 300 learners in each
export layout, the standards file, files refused before anything is sent, and re-drops
read incrementally."""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from connectors.star import StarConnector
from gateway.abc import Batch, Checkpoint, PullItem
from gateway.errors import ConfigError, SourceDataError
from tests.connectors.star.exports import Written, learners, write_standards, write_tests


def _pull(config: dict[str, Any], state: Any = None) -> list[PullItem]:
    connector = StarConnector.from_mapping(config)

    async def go() -> list[PullItem]:
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


def _rows(items: list[PullItem], stream: str = "toolAssessments") -> list[dict[str, Any]]:
    return [dict(cast(Mapping[str, Any], r)) for i in items
            if isinstance(i, Batch) and i.stream == stream
            for r in i.rows]


def _state(items: list[PullItem]) -> Any:
    return [i for i in items if isinstance(i, Checkpoint)][-1].state


@pytest.mark.parametrize("layout", ["v2", "legacy", "spaced"])
def test_a_school_year_in_every_layout(tmp_path: Path, layout: str) -> None:
    people = learners(300)
    _, reading = write_tests(tmp_path, "reading", people, layout=layout)
    _, math = write_tests(tmp_path, "math", people, layout=layout)
    rows = _rows(_pull({"path": str(tmp_path)}))
    written: dict[str, Written] = {w.assessment_id: w for w in reading + math}
    assert len(rows) == len(written) > 1800
    for row in rows:
        w = written[row["source_key"]]
        assert (row["learner"], row["learner_id_kind"]) == (w.learner.sourced_id, "sis_id")
        assert row["learner_attributes"]["state_id"] == w.learner.state_id
        assert (row["subject"], row["window"], row["school_year"]) == (w.subject, w.window,
                                                                       "2027")
        assert row["scale_score"] == w.scaled_score
        assert row["grade_equivalent"] == w.grade_equivalent
        assert row["growth_measure"] is w.counts, (row, w)
        assert row["status"] == ("active" if w.active else "tobedeleted")
        assert row["vendor_growth"]["GradePlacement"] == pytest.approx(w.grade_placement)
    assert {r["grade_equivalent"] for r in rows} >= {"PP", ">12.9"}
    assert any(r["lexile"].startswith("BR") for r in rows if r["subject"] == "reading")
    assert all("quantile" in r for r in rows if r["subject"] == "math") or layout == "legacy"
    if layout == "v2":
        assert all(r["administered_at"].endswith("Z") for r in rows)
        assert any("StudentGrowthPercentileFallSpring" in r["vendor_growth"] for r in rows)
    else:
        assert all(len(r["administered_at"]) == 10 for r in rows)


def test_standards_become_percent_mastery_evidence(tmp_path: Path) -> None:
    people = learners(50)
    _, written = write_tests(tmp_path, "math", people)
    _, count = write_standards(tmp_path, "math", written)
    evidence = _rows(_pull({"path": str(tmp_path)}), "toolEvidence")
    assert len(evidence) == count > 0
    assert {r["scale"] for r in evidence} == {"percent"}
    assert all(r["skill_code"].endswith(tuple("123")) and ".NF.A." in r["skill_code"]
               for r in evidence)
    assert len({r["source_key"] for r in evidence}) == count


def test_a_zip_with_the_drop_reads_the_same(tmp_path: Path) -> None:
    people = learners(20)
    file, written = write_tests(tmp_path / "files", "reading", people)
    with zipfile.ZipFile(tmp_path / "star.zip", "w") as archive:
        archive.write(file, "nightly/SR_v2.csv")
    items = _pull({"path": str(tmp_path / "star.zip")})
    assert len(_rows(items)) == len(written)
    assert {i.source for i in items if isinstance(i, Batch)} == {"star.zip:nightly/SR_v2.csv"}


@pytest.mark.parametrize(("column", "named"), [
    ("AssessmentID", "AssessmentID"), ("ScaledScore", "ScaledScore")])
def test_a_file_missing_a_key_column_is_refused_before_any_row(tmp_path: Path, column: str,
                                                               named: str) -> None:
    people = learners(10)
    write_tests(tmp_path, "reading", people)
    write_tests(tmp_path, "math", people, drop_columns=(column,))
    with pytest.raises(SourceDataError) as caught:
        _pull({"path": str(tmp_path)})
    assert "SM_v2.csv" in str(caught.value) and named in str(caught.value)
    assert [(p.source, p.line, p.column) for p in caught.value.problems] == [
        ("SM_v2.csv", 1, named)]


def test_a_file_with_no_student_id_column_names_the_choices(tmp_path: Path) -> None:
    write_tests(tmp_path, "reading", learners(5), layout="legacy",
                drop_columns=("StudentLocalID",))
    with pytest.raises(SourceDataError) as caught:
        _pull({"path": str(tmp_path)})
    text = str(caught.value.problems[0])
    assert "SR.csv" in text and "a student id" in text and "StudentSourcedID" in text


def test_an_export_whose_subject_cannot_be_told_is_refused(tmp_path: Path) -> None:
    write_tests(tmp_path, "reading", learners(5), name="export.csv")
    with pytest.raises(SourceDataError, match=r"export\.csv: cannot tell the subject"):
        _pull({"path": str(tmp_path), "tests": ["export.csv"]})


def test_a_drop_without_star_files_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConfigError, match="no Star export matching"):
        _pull({"path": str(tmp_path)})
    with pytest.raises(ConfigError, match="learner_id_kind"):
        StarConnector.from_mapping({"path": str(tmp_path), "learner_id_kind": "badge"})


def test_a_re_drop_sends_only_what_is_new_and_the_windows_it_touches(tmp_path: Path) -> None:
    people = learners(60)
    write_tests(tmp_path, "reading", people, windows=("fall", "winter"))
    write_tests(tmp_path, "math", people, windows=("fall", "winter"))
    first = _pull({"path": str(tmp_path)})
    state = _state(first)
    assert _rows(_pull({"path": str(tmp_path)}, state)) == []  # nothing changed
    _, written = write_tests(tmp_path, "math", people)  # spring arrives
    again = _rows(_pull({"path": str(tmp_path)}, state))
    assert {r["subject"] for r in again} == {"math"}
    spring = [r for r in again if r["window"] == "spring"]
    assert len(spring) == sum(w.window == "spring" for w in written) > 0
    # Tests of the last day read before are sent again with their window (the day is the
    # cursor, inclusive: a test later that day may have been exported after the first drop).
    assert len(again) - len(spring) < 10
