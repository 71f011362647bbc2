"""Scale normalization: every kind of scale on values a tool really sends, and the errors
that say which value, which scale and what to fix."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError, SkippableRecordError
from gateway.mastery.scales import grade_number, normalize, parse_scale


@pytest.mark.parametrize(("raw", "scale", "expected"), [
    ("85%", "percent", 0.85),
    (85, "percent", 0.85),
    (" 72.5 ", "percent", 0.725),
    ("120", "percent", 1.0),  # clamped
    (-5, "percent", 0.0),
    ("0.3", "fraction", 0.3),
    (1.4, "fraction", 1.0),
    ("15", "points:20", 0.75),
    (0, "points:20", 0.0),
    (1, "rubric:1-4", 0.0),
    ("2.5", "rubric:1-4", 0.5),
    (3, "rubric:1-4", 2 / 3),
    (4, "rubric:1-4", 1.0),
    ("2", "rubric:0-4", 0.5),
    ("C", "levels:A,B,C,D,E", 0.5),
    ("emerging", "levels:emerging,developing,secure", 0.0),
    ("Secure", "levels:emerging,developing,secure", 1.0),  # another case, unambiguous
    ("Z", "levels:A-Z", 1.0),
    ("m", "levels:A-Z", 12 / 25),
    ("225", "scale:100-350", 0.5),
    (400, "scale:100-350", 1.0),
    ("0", "scale:-3-3", 0.5),
    (50, " Percent ", 0.5),
])
def test_numeric_and_ordinal_scales(raw: str | float, scale: str, expected: float) -> None:
    assert normalize(raw, scale) == pytest.approx(expected)


@pytest.mark.parametrize(("raw", "learner_grade", "expected"), [
    ("4.0", "04", 1.0),  # at grade
    ("5.2", "04", 1.0),  # above grade
    ("3.0", "04", 0.75),  # one grade below
    ("3.4", "04", 0.85),  # 0.6 of a grade below
    ("2", "04", 0.5),
    ("0.0", "04", 0.0),  # four grades below and more
    ("K.5", "02", 0.625),  # 1.5 grades below
    ("K", "KG", 1.0),
    ("PP", "KG", 1.0),  # pre-primer is mid-kindergarten
    ("PP", "02", 0.625),
    ("P", "01", 0.95),
    ("8.9", "8", 1.0),
])
def test_grade_level_equivalents_against_the_learners_grade(
        raw: str, learner_grade: str, expected: float) -> None:
    assert normalize(raw, "grade-level", learner_grade=learner_grade) == pytest.approx(expected)


def test_grade_level_spec_can_carry_the_grade() -> None:
    assert normalize("2.0", "grade-level:03") == pytest.approx(0.75)
    assert parse_scale("grade-level:KG").grade == 0.0
    # the grade the spec records wins over the one passed along
    assert normalize("2.0", "grade-level:03", learner_grade="08") == pytest.approx(0.75)


def test_grade_numbers() -> None:
    assert [grade_number(g) for g in ("PK", "KG", "K.5", "01", "3.4", "12", "13")] == \
        pytest.approx([-1.0, 0.0, 0.5, 1.0, 3.4, 12.0, 13.0])
    for bad in ("UG", "Other", "3.45", "grade 4", ""):
        with pytest.raises(ValueError, match="not a grade"):
            grade_number(bad)


@pytest.mark.parametrize(("raw", "scale", "learner_grade", "says"), [
    ("abc", "percent", None, "'abc' is not a number on scale 'percent'"),
    ("nan", "fraction", None, "'nan' is not a number"),
    ("7/10", "points:10", None, "between 0 and 10"),
    (True, "percent", None, "True on scale 'percent' is not a score"),
    ("Q", "levels:A,B,C", None, "'Q' is not one of the levels of scale 'levels:A,B,C'"),
    ("ab", "levels:Ab,aB,c", "", "not one of the levels"),  # another case: ambiguous
    ("3.4", "grade-level", None, "needs the learner's grade"),
    ("3.4", "grade-level", "UG", "learner's grade 'UG' is not a grade"),
    ("above", "grade-level", "04", "'above' is not a grade-level equivalent"),
    ("80", "stars:5", None, "scale 'stars:5' of raw score '80': unknown kind 'stars'"),
])
def test_unreadable_values_are_skippable_records(raw: str | float, scale: str,
                                                 learner_grade: str | None, says: str) -> None:
    with pytest.raises(SkippableRecordError) as caught:
        normalize(raw, scale, learner_grade=learner_grade)
    assert says in str(caught.value)


@pytest.mark.parametrize(("spec", "says"), [
    ("", "a scale is required"),
    ("stars:5", "unknown kind 'stars'"),
    ("percent:100", "percent takes no argument"),
    ("points:0", "points:MAX needs a MAX above 0"),
    ("points:many", "points:MAX needs a MAX above 0"),
    ("rubric:4-1", "rubric needs a range from low to high, e.g. rubric:1-4"),
    ("rubric:1", "rubric needs a range"),
    ("scale:abc", "scale needs a range from low to high, e.g. scale:100-350"),
    ("levels:A", "levels needs at least two different levels"),
    ("levels:A,B,A", "levels needs at least two different levels"),
    ("grade-level:senior", "grade-level:GRADE needs a grade such as KG or 04"),
])
def test_parse_scale_names_the_bad_spec(spec: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scale(spec)
    assert f"scale {spec!r}: " in str(caught.value)
    assert says in str(caught.value)
    assert "Use one of: percent, fraction, points:MAX" in str(caught.value)


def test_parse_scale_reads_every_kind() -> None:
    assert parse_scale("points:20").high == 20
    assert (parse_scale("rubric:1-4").low, parse_scale("rubric:1-4").high) == (1, 4)
    assert parse_scale("levels:A-E").levels == ("A", "B", "C", "D", "E")
    assert parse_scale("levels: low, mid ,high").levels == ("low", "mid", "high")
    assert parse_scale("scale:100-350").kind == "scale"
    assert parse_scale("grade-level").grade is None
