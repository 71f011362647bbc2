"""Reading Star rows: values kept as reported, dates and windows, learners, subjects and
which test counts for growth, as pure functions over rows keyed by canonical columns."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.star.export import (
    Administration,
    mark_growth_measures,
    read_standard,
    read_test,
    subject_of,
)


def _row(**values: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "assessment_id": "a-1", "sourced_id": "STU1", "renaissance_id": "r-1",
        "state_id": "WA1", "first_name": "Ana", "last_name": "Ruiz", "current_grade": "4",
        "school_year": "2026-2027", "completed_utc": "1/23/27 18:39",
        "completed_local": "1/23/27 10:39", "grade": "4", "grade_placement": "4.47",
        "scaled_score": "1137", "sem": "36", "grade_equivalent": "4.5", "percentile": "52",
        "lexile": "BR400L", "window_name": "Winter", "benchmark": "On Watch",
        "growth:CurrentSGP": "87", "growth:StudentGrowthPercentileFallWinter": "61"}
    base.update(values)
    return base


def test_a_v2_row_becomes_an_assessment_with_values_as_reported() -> None:
    test = read_test(_row(), 2, "reading", cells={"ScaledScore": "1137"})
    row = test.row
    assert row["source_key"] == "a-1" and row["assessment"] == "star"
    assert (row["learner"], row["learner_id_kind"]) == ("STU1", "sis_id")
    assert row["learner_attributes"] == {"state_id": "WA1", "givenName": "Ana",
                                         "familyName": "Ruiz", "grade": "04",
                                         "renaissance_id": "r-1"}
    assert (row["window"], row["school_year"]) == ("winter", "2027")
    assert row["administered_at"] == "2027-01-23T18:39:00Z"  # CompletedDate is UTC
    assert (row["scale_score"], row["standard_error"], row["percentile"]) == (1137, 36, 52)
    assert (row["grade_equivalent"], row["lexile"], row["grade"]) == ("4.5", "BR400L", "04")
    assert row["performance_level"] == "On Watch"
    assert row["vendor_growth"] == {"GradePlacement": 4.47, "CurrentSGP": 87,
                                    "StudentGrowthPercentileFallWinter": 61}
    assert "grade_placement" not in row  # GradePlacement is no placement level
    assert row["payload"] == {"ScaledScore": "1137"} and row["status"] == "active"


@pytest.mark.parametrize("ge", ["PP", ">12.9", "0.0", "12.9"])
def test_grade_equivalents_are_kept_as_reported(ge: str) -> None:
    assert read_test(_row(grade_equivalent=ge), 2, "reading").row["grade_equivalent"] == ge


def test_a_cell_that_is_no_number_is_passed_on_as_written_for_the_intake_to_report() -> None:
    row = read_test(_row(scaled_score="4x0", completed_utc="13/45/27 99:00"), 2, "math").row
    assert row["scale_score"] == "4x0" and row["administered_at"] == "13/45/27 99:00"
    assert row["window"] == "winter"  # from the screening window's name


@pytest.mark.parametrize(("name", "local", "window", "day"), [
    ("Fall", "10/1/2026", "fall", "2026-10-01"),
    ("Late Fall", "10/1/2026", "fall", "2026-10-01"),
    ("BOY", "10/1/2026", "fall", "2026-10-01"),
    ("Window 3", "3/18/2027 15:01:16", "spring", "2027-03-18"),
    (None, "12/04/2026 10:48:55", "winter", "2026-12-04"),
])
def test_the_window_comes_from_its_name_else_the_local_date(name: str | None, local: str,
                                                            window: str, day: str) -> None:
    values = _row(window_name=name, completed_utc=None, completed_local=local,
                  school_year=None)
    row = read_test(values, 2, "reading").row
    assert row["window"] == window and row["school_year"] == "2027"
    assert row["administered_at"] == day  # a local time of unknown zone is its date


def test_a_learner_without_a_district_id_is_named_by_the_renaissance_id() -> None:
    row = read_test(_row(sourced_id=None, identifier="50001"), 2, "reading").row
    assert (row["learner"], row["learner_id_kind"]) == ("50001", "sis_id")
    row = read_test(_row(sourced_id=None, identifier=None), 2, "reading").row
    assert (row["learner"], row["learner_id_kind"]) == ("r-1", "tool_id")
    row = read_test(_row(), 2, "reading", learner_id_kind="state_id").row
    assert row["learner_id_kind"] == "state_id"


def _test(key: str, when: str, window: str | None = "Fall", status: str | None = None,
          learner: str = "STU1") -> Administration:
    return read_test(_row(assessment_id=key, completed_utc=when, window_name=window,
                          status=status, sourced_id=learner, school_year=None), 2, "reading")


def test_the_last_active_screening_test_of_a_window_counts_for_growth() -> None:
    tests = [_test("first", "9/10/26 15:00"), _test("retest", "9/14/26 15:00"),
             _test("voided", "9/16/26 15:00", status="Deactivated"),
             _test("progress", "10/20/26 15:00", window=None),
             _test("other", "9/11/26 15:00", learner="STU2"),
             _test("winter", "1/20/27 15:00", window="Winter")]
    mark_growth_measures(tests)
    counted = {t.row["source_key"]: t.row["growth_measure"] for t in tests}
    assert counted == {"first": False, "retest": True, "voided": False, "progress": False,
                       "other": True, "winter": True}
    assert tests[2].row["status"] == "tobedeleted"


def test_outside_any_window_the_last_test_of_the_period_counts() -> None:
    tests = [_test("a", "10/1/26 15:00", window=None), _test("b", "10/20/26 15:00", window=None)]
    mark_growth_measures(tests)
    assert [t.row["growth_measure"] for t in tests] == [False, True]


@pytest.mark.parametrize(("name", "activity", "subject"), [
    ("SR.csv", None, "reading"), ("SM_v2.csv", None, "math"),
    ("export.zip:star/SR_Dashboard_Standards_v2.csv", None, "reading"),
    ("district_export.csv", "Star Math Enterprise Tests", "math"),
    ("Star_Reading_2026.csv", None, "reading"), ("export.csv", None, None),
])
def test_the_subject_comes_from_the_name_else_the_activity(name: str, activity: str | None,
                                                          subject: str | None) -> None:
    assert subject_of(name, activity) == subject


def test_a_standards_row_is_percent_mastery_evidence_of_its_standard_name() -> None:
    values: dict[str, Any] = {"sourced_id": "STU1", "standard": "4.NF.A.1",
                              "percent": "78", "mastery_level": "Mastered",
                              "assessment_id": "a-1", "completed_utc": "1/23/27 18:39"}
    row = read_standard(values, 5, "math")
    assert row["source_key"] == "a-1:4.NF.A.1" and row["skill_code"] == "4.NF.A.1"
    assert (row["raw_score"], row["scale"]) == ("78", "percent")
    assert row["observed_at"] == "2027-01-23T18:39:00Z"
    assert row["payload"]["StandardMasteryLevel"] == "Mastered"
    values.pop("assessment_id")
    assert read_standard(values, 5, "math")["source_key"] == \
        "sis_id:STU1:math:4nfa1:2027-01-23"
