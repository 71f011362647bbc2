"""Reading the fields of tool records: times in the store's one spelling, grade levels,
yes/no flags and numbers, and errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.learning.records import (
    FieldError,
    read_bool,
    read_float,
    read_grade,
    read_text,
    read_time,
    required_text,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-03T14:05:00Z", "2026-11-03T14:05:00.000Z"),
    ("2026-11-03T16:05:00.25+02:00", "2026-11-03T14:05:00.250Z"),
    ("2026-11-03", "2026-11-03T00:00:00.000Z"),
    ("2026-11-03 14:05", "2026-11-03T14:05:00.000Z"),
])
def test_times_are_stored_in_utc_with_milliseconds(value: str, expected: str) -> None:
    assert read_time({"observed_at": value}, "observed_at") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("4", "04"), (4, "04"), ("4.0", "04"), ("K", "KG"), ("kg", "KG"), ("PK", "PK"),
    ("12", "12"), (None, None), ("", None),
])
def test_grade_levels_take_the_oneroster_spelling(value: Any, expected: str | None) -> None:
    assert read_grade({"grade_level": value}, "grade_level") == expected


def test_flags_numbers_and_text() -> None:
    assert [read_bool({"f": v}, "f") for v in ("yes", "N", True, 0, None, "")] == [
        True, False, True, False, None, None]
    assert read_float({"m": "12.5"}, "m") == 12.5 and read_float({"m": " "}, "m") is None
    assert read_text({"t": "  x "}, "t") == "x" and read_text({}, "t") is None


@pytest.mark.parametrize(("call", "field", "message"), [
    (lambda: read_time({"at": "yesterday"}, "at"), "at", "not an ISO 8601 time"),
    (lambda: read_time({}, "at"), "at", "the record has no at"),
    (lambda: read_bool({"f": "perhaps"}, "f"), "f", "neither true nor false"),
    (lambda: read_float({"m": "ten"}, "m"), "m", "'ten' is not a number"),
    (lambda: read_float({"m": "nan"}, "m"), "m", "is not a number"),
    (lambda: read_grade({"g": "4.5"}, "g"), "g", "not a grade level"),
    (lambda: required_text({"k": "x" * 300}, "k"), "k", "at most 255 fit"),
])
def test_a_bad_field_is_named(call: Any, field: str, message: str) -> None:
    with pytest.raises(FieldError, match=message) as caught:
        call()
    assert caught.value.field == field
