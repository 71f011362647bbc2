"""Grade levels as the learning half spells them (CEDS codes: ``PK``, ``KG``, ``01``..``12``),
from what CASE producers actually write in ``educationLevel``: ``"KG"``, ``"K"``, ``"3"``,
``"Grade 3"``, ``"HS"``, ranges like ``"K-2"`` or ``"09-12"``, and lists in one string."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["GRADE_ORDER", "grade_rank", "normalize_grades"]

GRADE_ORDER: tuple[str, ...] = ("IT", "PR", "PK", "TK", "KG", *(f"{n:02d}" for n in range(1, 14)),
                                "PS", "UG", "AE")
"""CEDS grade-level codes in school order (infant/toddler to adult education)."""

_RANK = {code: n for n, code in enumerate(GRADE_ORDER)}

_WORDS = {
    "K": "KG", "KG": "KG", "KINDERGARTEN": "KG", "KINDER": "KG", "00": "KG", "0": "KG",
    "PK": "PK", "PREK": "PK", "PRE-K": "PK", "PREKINDERGARTEN": "PK", "PRE-KINDERGARTEN": "PK",
    "TK": "TK", "TRANSITIONALKINDERGARTEN": "TK", "IT": "IT", "PR": "PR", "PS": "PS",
    "UG": "UG", "AE": "AE",
}
# Bands that frameworks name instead of grades (CCSS high-school conceptual categories).
_BANDS = {"HS": ("09", "10", "11", "12"), "HIGHSCHOOL": ("09", "10", "11", "12"),
          "MS": ("06", "07", "08"), "MIDDLESCHOOL": ("06", "07", "08")}
_NUMBER = re.compile(r"^(?:GRADE|GR|G)?\.?\s*(\d{1,2})(?:ST|ND|RD|TH)?(?:\s*GRADE)?$")
_RANGE = re.compile(r"^(.+?)\s*(?:-|\u2013|TO|THROUGH)\s*(.+)$")  # hyphen or en dash


def grade_rank(code: str) -> int:
    """Position of a normalized grade code in school order (unknown codes sort last)."""
    return _RANK.get(code, len(GRADE_ORDER))


def _one(token: str) -> str | None:
    word = token.replace(" ", "").replace("_", "")
    if word in _WORDS:
        return _WORDS[word]
    match = _NUMBER.match(token)
    if match:
        n = int(match.group(1))
        if n == 0:
            return "KG"
        if 1 <= n <= 13:
            return f"{n:02d}"
    return None


def _token(token: str) -> list[str] | None:
    """The grades one token names, or None when it is not a grade we know."""
    token = token.strip().upper()
    if not token:
        return []
    band = _BANDS.get(token.replace(" ", ""))
    if band:
        return list(band)
    single = _one(token)
    if single is not None:
        return [single]
    match = _RANGE.match(token)
    if match:
        low, high = _one(match.group(1).strip()), _one(match.group(2).strip())
        if low is not None and high is not None and _RANK[low] <= _RANK[high]:
            return list(GRADE_ORDER[_RANK[low]:_RANK[high] + 1])
    return None


def normalize_grades(value: object) -> tuple[list[str], list[str]]:
    """``(grades, not_understood)``: the grade codes ``value`` names, deduplicated in school
    order, and the parts that are not a grade (for the import report).

    ``value`` is CASE 1.1's ``educationLevel`` (a list of strings) or the single string of
    older exports (``educationalLevel``); strings may hold several grades separated by
    commas, semicolons or slashes."""
    if value is None:
        return [], []
    parts: Iterable[object] = value if isinstance(value, list | tuple) else [value]
    found: set[str] = set()
    unknown: list[str] = []
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            part = str(part)
        if not isinstance(part, str):
            unknown.append(repr(part))
            continue
        for token in re.split(r"[,;/|]", part):
            grades = _token(token)
            if grades is None:
                unknown.append(token.strip())
            else:
                found.update(grades)
    return sorted(found, key=grade_rank), unknown
