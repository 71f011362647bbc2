"""Administration windows and school years from term names, screening windows and dates."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.assessment_files import (
    normalize_header,
    read_date,
    school_year_of,
    window_name,
    window_of,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Fall 2026-2027", ("fall", "2027")),
    ("Winter 2025-26", ("winter", "2026")),
    ("Spring 2025-2026", ("spring", "2026")),
    ("spring 2026", ("spring", "2026")),
    ("Fall 2025", ("fall", "2026")),
    ("Summer 2026", ("summer", "2026")),
    ("Winter 2026", ("winter", "2026")),
    ("  FALL 2021-2022 ", ("fall", "2022")),
    ("BOY 2024-2025", ("fall", "2025")),
    ("Fall 1999-00", ("fall", "2000")),
    ("2026-09-14", ("fall", "2027")),
    ("2026-12-01", ("winter", "2027")),
    ("2027-02-28", ("winter", "2027")),
    ("2027-03-01", ("spring", "2027")),
    ("2027-06-30", ("spring", "2027")),
    ("2027-07-15", ("summer", "2027")),
    ("2026-08-01T13:05:00Z", ("fall", "2027")),
    ("1/13/2026", ("winter", "2026")),
    ("09/16/2021", ("fall", "2022")),
    ("5/2/26", ("spring", "2026")),
    ("Fall", None),
    ("Winter (November 16 - March 1)", None),
    ("Fall 2026-2029", None),
    ("2025-2026", None),
    ("", None),
    ("13/45/2026", None),
])
def test_window_of(text: str, expected: tuple[str, str] | None) -> None:
    assert window_of(text) == expected


def test_window_names_years_and_dates() -> None:
    assert window_name("Winter (November 16 - March 1)") == "winter"
    assert window_name("MOY") == "winter"
    assert window_name("Screening 3") is None
    assert school_year_of("2025-2026") == "2026"
    assert school_year_of("2025-26") == "2026"
    assert school_year_of("2026") == "2026"
    assert school_year_of("next year") is None
    assert read_date("1/13/2026") == date(2026, 1, 13)
    assert read_date("2026-01-13 08:54:50") == date(2026, 1, 13)
    assert read_date("2026-02-30") is None
    assert read_date("soon") is None


def test_normalize_header() -> None:
    assert normalize_header("Test RIT Score") == "testritscore"
    assert normalize_header("\ufeffStudent_ID") == "studentid"
    assert normalize_header("Percent Progress to Annual Typical Growth (%)") == \
        "percentprogresstoannualtypicalgrowth"
    assert normalize_header("Baseline Diagnostic (Y/N)") == "baselinediagnosticyn"
    assert normalize_header("Current diagnostic level - Math") == "currentdiagnosticlevelmath"
