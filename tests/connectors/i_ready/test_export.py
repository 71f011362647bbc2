"""Reading i-Ready rows: placements, relative placements, subjects, retests and keys."""

from __future__ import annotations

import pytest

from connectors.i_ready.export import (
    levels_below,
    mark_retests,
    placement_grade,
    placements,
    read_row,
    subject_of,
    unique_keys,
)


@pytest.mark.parametrize(("text", "grade"), [
    ("Grade 3", "03"), ("Early On Grade 2", "02"), ("Mid Grade 4", "04"), ("Late K", "KG"),
    ("Level K", "KG"), ("Grade K", "KG"), ("Early 6", "06"), ("Mid 6", "06"),
    ("grade 12", "12"), ("Surpassed Level", None), ("Max Score", None),
    ("Not Assessed", None), (None, None), ("Grade 14", None)])
def test_placement_grades(text: str | None, grade: str | None) -> None:
    assert placement_grade(text) == grade


@pytest.mark.parametrize(("text", "below"), [
    ("3 or More Grade Levels Below", 3), ("2 Grade Levels Below", 2),
    ("1 Grade Level Below", 1), ("Early On Grade Level", 0), ("Mid or Above Grade Level", 0),
    ("Not Assessed", None), (None, None)])
def test_levels_below(text: str | None, below: int | None) -> None:
    assert levels_below(text) == below


def test_subject_from_measure_column_and_name() -> None:
    assert subject_of("diagnostic_results_ela.csv", ["lexile"]) == ("reading", "")
    assert subject_of("export.zip:diagnostic_results_math.csv", []) == ("math", "")
    assert subject_of("results.csv", ["quantile"]) == ("math", "")
    subject, why = subject_of("diagnostic_results_math.csv", ["lexile"])
    assert subject is None and "Lexile" in why
    subject, why = subject_of("results.csv", [])
    assert subject is None and "diagnostic_results_ela.csv" in why


def _row(student: str, day: str, **extra: str | None) -> dict[str, str | None]:
    return {"student_id": student, "completion_date": day, "scale_score": "480",
            "academic_year": "2026-2027", "placement": "Grade 3",
            "relative_placement": "2 Grade Levels Below", **extra}


def test_a_row_read() -> None:
    record = read_row(_row("S1", "1/13/2027", **{
        "state_id": "ST1", "grade": "5", "percentile": "41", "quantile": "610Q",
        "domain:Geometry:scale_score": "455", "domain:Geometry:placement": "Grade 3",
        "domain:Geometry:relative_placement": "2 Grade Levels Below",
        "growth:Diagnostic Gain": "-4", "growth:Annual Typical Growth Measure": "22",
        "growth:Baseline Diagnostic (Y/N)": "N"}), 9, "math", cells={"Student ID": "S1"})
    a = record.assessment
    assert a["source_key"] == "S1:math:2027-01-13"
    assert (a["school_year"], a["window"], a["administered_at"]) == ("2027", "winter",
                                                                     "2027-01-13")
    assert (a["grade"], a["grade_placement"], a["scale_score"], a["percentile"]) == (
        "05", "03", 480, 41)
    assert a["performance_level"] == "2 Grade Levels Below" and record.struggling is True
    assert a["learner_attributes"]["state_id"] == "ST1"
    assert a["vendor_growth"] == {"Diagnostic Gain": -4, "Annual Typical Growth Measure": 22,
                                  "Baseline Diagnostic (Y/N)": "N"}
    assert a["domains"] == [{"name": "Geometry", "scale_score": 455, "placement": "Grade 3",
                             "relative_placement": "2 Grade Levels Below"}]
    assert a["payload"] == {"Student ID": "S1"} and "lexile" not in a
    [ev] = record.evidence
    assert (ev["skill_code"], ev["raw_score"], ev["scale"]) == ("Geometry", "455",
                                                                "scale:100-800")
    assert ev["source_key"] == "S1:math:2027-01-13:Geometry"


def test_bad_cells_are_passed_as_written_for_the_intake_to_locate() -> None:
    record = read_row(_row("S1", "13/45/2027", scale_score="4x0",
                           **{"domain:Geometry:scale_score": "n/a?"}), 4, "math")
    a = record.assessment
    assert a["administered_at"] == "13/45/2027" and "window" not in a
    assert a["scale_score"] == "4x0"
    assert record.evidence[0]["raw_score"] == "n/a?"


def test_retests_latest_in_window_counts() -> None:
    records = [read_row(_row("S1", d), n, "reading") for n, d in enumerate(
        ["9/10/2026", "1/12/2027", "1/20/2027", "5/10/2027", "1/20/2027"], start=2)]
    records.append(read_row(_row("S2", "1/12/2027"), 7, "reading"))
    mark_retests(records)
    unique_keys(records)
    assert [r.assessment["growth_measure"] for r in records] == [
        True, False, False, True, True, True]
    assert records[4].assessment["source_key"] == "S1:reading:2027-01-20#2"
    [(line, s1), (_, s2)] = placements(records)
    assert line == 5 and s1["observed_at"] == "2027-05-10" and s1["struggling"] is True
    assert s2["learner"] == "S2" and s2["grade_level"] == "03"
