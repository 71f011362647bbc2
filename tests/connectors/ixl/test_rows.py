"""An IXL row's records, on hand-made rows: levels as grades (IXL: 400 is ready for 4th
grade, 0-49 pre-K, 50-99 kindergarten), ranges not yet pinpointed, nulls, the per-subject
and overall percentile and tier, growth kept under its documented name, strands as
grade-level evidence, and unreadable cells passed on for the intake to refuse."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.ixl.columns import IxlColumns
from connectors.ixl.rows import (
    administered,
    grade_code,
    grade_equivalent,
    placement_of,
    read_level,
    records_of,
)


@pytest.mark.parametrize(("level", "grade", "equivalent"), [
    (430, "04", "4.3"), (400, "04", "4.0"), (499, "04", "4.9"), (500, "05", "5.0"),
    (75, "KG", "K.5"), (50, "KG", "K.0"), (99, "KG", "K.9"), (25, "PK", "PK.5"),
    (0, "PK", "PK.0"), (1250, "12", "12.5"), (1300, "12", "12.9"), (100, "01", "1.0"),
])
def test_levels_are_grades(level: int, grade: str, equivalent: str) -> None:
    assert placement_of(level) == grade
    assert grade_equivalent(level) == equivalent


@pytest.mark.parametrize(("text", "value", "pinpointed", "readable"), [
    ("430", 430, True, True), ("430*", 430, True, True), ("\u2605 512", 512, True, True),
    ("420-480", None, False, True), ("420 \u2013 480", None, False, True),
    ("1400", None, False, False), ("-5", None, False, False), ("abc", None, False, False),
    ("480-420", None, False, False),
])
def test_read_level(text: str, value: int | None, pinpointed: bool, readable: bool) -> None:
    level = read_level(text)
    assert (level.value, level.pinpointed, level.readable) == (value, pinpointed, readable)


@pytest.mark.parametrize(("text", "code"), [
    ("4", "04"), ("Grade 4", "04"), ("4th", "04"), ("4th grade", "04"), ("K", "KG"),
    ("Kindergarten", "KG"), ("Pre-K", "PK"), ("12", "12"), ("Ungraded", "Ungraded"),
])
def test_grade_code(text: str, code: str) -> None:
    assert grade_code(text) == code


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-10-06", ("2026-10-06", "fall", "2027")),
    ("1/19/2027", ("2027-01-19", "winter", "2027")),
    ("2027-05-11T09:30:00Z", ("2027-05-11", "spring", "2027")),
    ("2026-12-01", ("2026-12-01", "winter", "2027")),
    ("2027-07-02", ("2027-07-02", "summer", "2027")),
    ("13/45/2026", None), ("soon", None),
])
def test_dates_give_windows(text: str, expected: tuple[str, str, str] | None) -> None:
    assert administered(text) == expected


HEADER = ["Student ID", "Student", "Grade", "State ID", "Email", "Last diagnostic date",
          "Current diagnostic level - Math", "Diagnostic growth - Math", "Percentile - Math",
          "Tier - Math", "Number and operations - Math", "Fractions - Math",
          "Current diagnostic level - ELA", "Diagnostic growth - ELA", "Vocabulary - ELA",
          "Overall percentile", "Overall tier", "Time spent - Math"]


def row_of(header: list[str], cells: list[str | None]) -> dict[str, str | None]:
    mapping = IxlColumns().resolve(header, "export.csv")
    return {name: cells[i] for i, name in mapping.items()}


def records(header: list[str], cells: list[str | None]) -> Any:
    values = row_of(header, cells)
    subjects = tuple(s for s in ("math", "reading") if f"level:{s}" in values)
    return records_of(values, {h: c for h, c in zip(header, cells, strict=True) if c},
                      subjects=subjects, learner_id_kind="sis_id",
                      overall_subject=subjects[0] if len(subjects) == 1 else None)


def test_one_row_two_subjects() -> None:
    out = records(HEADER, ["S1", "Ruiz, Ana", "4", "TX1", "ana@x.org", "2027-01-19",
                           "430", "120", "61", "Tier 1", "452", "410", "388", "-15", "350-410",
                           "70", "Tier 2", "300 min"])
    math, reading = out.assessments
    assert math == {
        "source_key": "S1:ixl:math:2027:winter:2027-01-19", "learner": "S1",
        "learner_id_kind": "sis_id",
        "learner_attributes": {"state_id": "TX1", "email": "ana@x.org", "name": "Ruiz, Ana",
                               "grade": "04"},
        "assessment": "ixl", "subject": "math", "school_year": "2027", "window": "winter",
        "administered_at": "2027-01-19", "growth_measure": True, "grade": "04",
        "scale_score": 430, "percentile": 61, "performance_level": "Tier 1",
        "grade_placement": "04", "vendor_growth": {"Diagnostic growth - Math": 120},
        "domains": [{"name": "Number and operations - Math", "scale_score": 452,
                     "placement": "04"},
                    {"name": "Fractions - Math", "scale_score": 410, "placement": "04"}],
        "payload": math["payload"]}
    assert math["payload"]["Time spent - Math"] == "300 min"
    # Two subjects: "Overall percentile" does not say which, so neither gets it.
    assert "percentile" not in reading and "performance_level" not in reading
    assert reading["vendor_growth"] == {"Diagnostic growth - ELA": -15}
    assert reading["grade_placement"] == "03"
    assert "domains" not in reading  # the strand is a range: not placed yet
    assert [p["subject"] for p in out.placements] == ["math", "reading"]
    assert out.placements[1]["struggling"] is True and out.placements[0]["struggling"] is False
    assert [(e["skill_code"], e["raw_score"], e["scale"]) for e in out.evidence] == [
        ("Number and operations - Math", "4.5", "grade-level:04"),
        ("Fractions - Math", "4.1", "grade-level:04")]
    assert out.evidence[0]["source_key"] == (
        "S1:ixl:math:2027:winter:2027-01-19:Number and operations - Math")


def test_overall_columns_belong_to_the_only_subject() -> None:
    header = ["Student ID", "As of", "Current diagnostic level - Math", "Overall percentile",
              "Overall tier"]
    (math,) = records(header, ["S1", "2026-10-06", "512", "88", "Tier 1"]).assessments
    assert (math["percentile"], math["performance_level"]) == (88, "Tier 1")


def test_blank_subject_and_range() -> None:
    out = records(HEADER, ["S2", None, "5", None, None, "2026-10-06", None, None, None, None,
                           None, None, "480-540", None, None, None, None, None])
    (reading,) = out.assessments
    # Not pinpointed: kept (with the range in its payload), but no score and no growth.
    assert reading["growth_measure"] is False and "scale_score" not in reading
    assert reading["payload"]["Current diagnostic level - ELA"] == "480-540"
    assert "grade_placement" not in reading and not out.placements and not out.evidence


def test_unreadable_cells_are_passed_on_as_written() -> None:
    out = records(HEADER, ["S3", None, "4", None, None, "13/45/2026", "4e0", None, "high",
                           None, "lots", None, None, None, None, None, None, None])
    (math,) = out.assessments
    assert math["scale_score"] == "4e0" and math["percentile"] == "high"
    assert math["school_year"] == math["window"] == math["administered_at"] == "13/45/2026"
    assert not out.placements
    assert out.evidence[0]["raw_score"] == "lots"
