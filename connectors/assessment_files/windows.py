"""Administration windows and school years from what exports write: term names (``Fall
2026-2027``, ``Winter 2025-26``, ``Spring 2026``), screening window names, and dates.

A school year is named by the calendar year it ends in (``2027`` for 2026-27). A date's
window follows docs/assessments.md: August to November fall, December to February winter,
March to June spring, July summer (the summer closing the school year that ends then).
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = ["read_date", "school_year_of", "window_name", "window_of"]

_SYNONYMS = {"autumn": "fall", "boy": "fall", "moy": "winter", "eoy": "spring"}
_WINDOW_WORD = re.compile(r"\b(fall|autumn|winter|spring|summer|boy|moy|eoy)\b", re.I)
# 2026-2027, 2026-27, 2026/2027, 2026 - 27
_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s*[-/\u2013]\s*((?:19|20)?\d\d)\b")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T].*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def window_name(text: str) -> str | None:
    """The window a name speaks of (``fall``, ``winter``, ``spring``, ``summer``), whatever
    else it says (``Winter (November 16 - March 1)``, ``BOY``), or None."""
    match = _WINDOW_WORD.search(text)
    if match is None:
        return None
    word = match.group(1).lower()
    return _SYNONYMS.get(word, word)


def school_year_of(text: str) -> str | None:
    """The year a school year ends in, from ``2025-2026``, ``2025-26`` or ``2026``."""
    text = text.strip()
    match = _YEAR_RANGE.search(text)
    if match is not None:
        first, second = int(match.group(1)), match.group(2)
        end = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
        if end < first:  # 1999-00
            end += 100
        return str(end) if end == first + 1 else None
    match = _YEAR.search(text)
    return match.group(1) if match is not None else None


def read_date(text: str) -> date | None:
    """A date as exports write it: ISO (``2026-01-13``, with or without a time) or US
    (``1/13/2026``, ``01/13/26``); None when the text is not one."""
    text = text.strip()
    try:
        if (m := _ISO_DATE.match(text)) is not None:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if (m := _US_DATE.match(text)) is not None:
            year = int(m.group(3))
            return date(year + 2000 if year < 100 else year, int(m.group(1)), int(m.group(2)))
    except ValueError:
        return None
    return None


def window_of(term_or_date: str) -> tuple[str, str] | None:
    """``(window, school_year)`` from a term name or a date, or None when the text names no
    window with a year: ``"Fall 2026-2027"`` -> ``("fall", "2027")``, ``"Spring 2026"`` ->
    ``("spring", "2026")``, ``"Fall 2025"`` -> ``("fall", "2026")``, ``"2026-01-13"`` ->
    ``("winter", "2026")``. A single year after winter is the January one's year."""
    text = term_or_date.strip()
    if not text:
        return None
    day = read_date(text)
    if day is None and "T" in text:
        try:
            day = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            day = None
    if day is not None:
        return _window_of_date(day), str(day.year + 1 if day.month >= 8 else day.year)
    window = window_name(text)
    if window is None:
        return None
    if _YEAR_RANGE.search(text) is not None:
        year = school_year_of(text)
        return (window, year) if year is not None else None
    match = _YEAR.search(text)
    if match is None:
        return None
    single = int(match.group(1))
    return window, str(single + 1 if window == "fall" else single)


def _window_of_date(day: date) -> str:
    month = day.month
    if 8 <= month <= 11:
        return "fall"
    if month == 12 or month <= 2:
        return "winter"
    if month <= 6:
        return "spring"
    return "summer"

