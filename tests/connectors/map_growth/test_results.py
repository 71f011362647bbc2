"""One MAP row into its records, as pure functions: subjects from Subject and Course,
numbers, dates and times, goals, the growth block, and which id is the learner."""

from __future__ import annotations

from connectors.map_growth.results import number, records_of, subject_of


def test_subjects_from_subject_and_course() -> None:
    assert subject_of("Mathematics", "Algebra 2") == "math"
    assert subject_of("Language Arts", "Reading K-2") == "reading"
    assert subject_of("Language Arts", "Language Usage") == "language"
    assert subject_of("Science", "Science K-12") == "science"
    assert subject_of(None, "Math 6+") == "math"  # old files: MeasurementScale only
    assert subject_of(None, "Reading") == "reading"
    assert subject_of(None, "General Science") == "science"
    assert subject_of("Art", "Drawing") is None


def test_numbers_as_numbers_text_as_written() -> None:
    assert number("208") == 208 and isinstance(number("208"), int)
    assert number("3.40") == 3.4
    assert number("-2.15") == -2.15
    assert number(None) is None
    assert number("abc") == "abc"
    assert number("NaN") == "NaN"


ROW = {"term": "Winter 2026-2027", "student_id": "S00001", "state_id": "9900001",
       "subject": "Mathematics", "course": "Math 6+", "growth_measure": "TRUE",
       "test_id": "700000012", "test_date": "1/13/2027", "test_time": "2:05:00 PM",
       "rit": "215", "standard_error": "3.10", "percentile": "61", "quintile": "HiAvg",
       "quantile": "750Q", "growth:fall:winter:observedgrowth": "6",
       "growth:fall:winter:metprojectedgrowth": "Yes", "typical:fall:winter:": "x",
       "typical:fall:spring": "9", "goal:1:name": "Geometry", "goal:1:ritscore": "219",
       "goal:1:stderr": "6.8", "goal:1:range": "213-225", "goal:1:adjective": "HiAvg",
       "goal:2:name": "Statistics and Probability", "goal:2:adjective": "Avg"}


def test_a_test_row_becomes_an_assessment_and_goal_evidence() -> None:
    result = records_of(ROW, {"TestID": "700000012"}, learner_id_kind="sis_id",
                        student={"given_name": "Ana", "grade": "07", "state_id": "9900001"})
    a = result.assessment
    assert a["source_key"] == "S00001:700000012"
    assert (a["learner"], a["learner_id_kind"]) == ("S00001", "sis_id")
    assert a["learner_attributes"] == {"given_name": "Ana", "grade": "07",
                                       "state_id": "9900001"}
    assert (a["assessment"], a["subject"], a["school_year"], a["window"]) == (
        "map-growth", "math", "2027", "winter")
    assert a["administered_at"] == "2027-01-13T14:05:00"
    assert a["growth_measure"] is True and a["grade"] == "07"
    assert (a["scale_score"], a["standard_error"], a["percentile"]) == (215, 3.1, 61)
    assert a["performance_level"] == "HiAvg" and a["quantile"] == "750Q"
    assert a["vendor_growth"] == {"FallToWinterObservedGrowth": 6,
                                  "FallToWinterMetProjectedGrowth": "Yes",
                                  "TypicalFallToSpringGrowth": 9}
    assert a["domains"] == [
        {"name": "Geometry", "scale_score": 219, "standard_error": 6.8, "range": "213-225",
         "adjective": "HiAvg"},
        {"name": "Statistics and Probability", "adjective": "Avg"}]
    assert a["payload"] == {"TestID": "700000012"}
    [goal] = result.evidence  # the unscored goal is a domain, not evidence
    assert goal["source_key"] == "S00001:700000012:goal1"
    assert (goal["skill_code"], goal["raw_score"], goal["scale"]) == ("Geometry", 219,
                                                                       "scale:100-350")
    assert goal["observed_at"] == "2027-01-13T14:05:00" and goal["learner"] == "S00001"


def test_state_id_as_the_learner() -> None:
    a = records_of(ROW, {}, learner_id_kind="state_id", student=None).assessment
    assert (a["learner"], a["learner_id_kind"]) == ("9900001", "state_id")
    assert a["learner_attributes"]["sis_id"] == "S00001"
    assert "state_id" not in a["learner_attributes"]


def test_window_from_the_date_when_the_term_is_unreadable_and_key_without_test_id() -> None:
    row = {**ROW, "term": "Term 2", "test_id": None, "test_time": None,
           "test_date": "09/20/2026"}
    a = records_of(row, {}, learner_id_kind="sis_id", student=None).assessment
    assert (a["window"], a["school_year"], a["administered_at"]) == ("fall", "2027",
                                                                    "2026-09-20")
    assert a["source_key"] == "S00001:map-growth:math:2027:fall:2026-09-20"


def test_unreadable_cells_pass_as_written_for_the_intake_to_refuse() -> None:
    row = {**ROW, "rit": "2l5", "test_date": "13/45/2027", "term": None}
    a = records_of(row, {}, learner_id_kind="sis_id", student=None).assessment
    assert a["scale_score"] == "2l5"
    assert a["administered_at"] == "13/45/2027"
    assert "window" not in a and "school_year" not in a
