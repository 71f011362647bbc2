"""One IXL export row as the tool streams' records: per subject with a diagnostic level, a
``toolAssessments`` row, a ``toolPlacements`` row (the grade of the level) and a
``toolEvidence`` row per strand level. Pure functions over rows keyed by the canonical
column names of :mod:`connectors.ixl.columns`.

IXL diagnostic levels are grade levels times 100: 400 is ready to start 4th grade, 450
halfway through it; 0-49 is pre-K and 50-99 kindergarten (IXL's help center, "What do the
IXL Real-Time Diagnostic levels mean?"). A level IXL has not pinpointed yet is a range
(``420-480``): the result is kept, the range in its payload, with no score, placement or
evidence, and it is no growth measure.

A cell that cannot be read is passed on as written in the field it feeds, so the intake
skips that record and reports it with the file, line and field (never a guess stored).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.assessment_files import read_date, window_of

from .columns import STRAND, subject_column, vendor_name

__all__ = ["ASSESSMENT", "Level", "RowRecords", "administered", "grade_code",
           "grade_equivalent", "placement_of", "read_level", "records_of"]

ASSESSMENT = "ixl"
MAX_LEVEL = 1300
"""The top of grade 12."""

_RANGE = re.compile(r"^(\d{1,4}(?:\.\d+)?)\s*(?:-|\u2013|to)\s*(\d{1,4}(?:\.\d+)?)$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_STAR = "*\u2605\u2606"  # IXL marks a pinpointed level with a star
_GRADE_WORDS = {"K": "KG", "KG": "KG", "KINDERGARTEN": "KG", "PK": "PK", "PREK": "PK",
                "PRE-K": "PK", "PRESCHOOL": "PK", "PREKINDERGARTEN": "PK"}


@dataclass(frozen=True, slots=True)
class Level:
    """A diagnostic level cell: ``value`` when pinpointed, ``text`` as written."""

    text: str
    value: float | None
    pinpointed: bool
    readable: bool


def read_level(text: str) -> Level:
    """``430`` pinpointed; ``420-480`` a range (not pinpointed); anything else unreadable."""
    cleaned = text.strip().strip(_STAR).strip()
    if _NUMBER.match(cleaned):
        value = float(cleaned)
        if 0 <= value <= MAX_LEVEL:
            return Level(text, int(value) if value.is_integer() else value, True, True)
        return Level(text, None, False, False)
    if (m := _RANGE.match(cleaned)) is not None and float(m[1]) <= float(m[2]) <= MAX_LEVEL:
        return Level(text, None, False, True)
    return Level(text, None, False, False)


def placement_of(level: float) -> str:
    """The grade a level is in: 430 -> ``04``, 75 -> ``KG``, 30 -> ``PK``, 1300 -> ``12``."""
    if level < 50:
        return "PK"
    if level < 100:
        return "KG"
    return f"{min(int(level // 100), 12):02d}"


def grade_equivalent(level: float) -> str:
    """The level as a grade-level equivalent the ``grade-level`` scale reads: 430 ->
    ``4.3``, 75 -> ``K.5`` (halfway through kindergarten), 25 -> ``PK.5``."""
    if level < 50:
        return f"PK.{min(int(level / 5), 9)}"
    if level < 100:
        return f"K.{min(int((level - 50) / 5), 9)}"
    tenths = min(int(level // 10), 129)
    return f"{tenths // 10}.{tenths % 10}"


def grade_code(text: str | None) -> str | None:
    """A grade as exports write it (``Grade 4``, ``4th``, ``K``, ``Pre-K``) in the roster's
    spelling (``04``, ``KG``, ``PK``); other text as written."""
    if text is None:
        return None
    raw = text.strip().upper()
    bare = re.sub(r"^GRADE\s*", "", raw)
    bare = re.sub(r"(?<=\d)(ST|ND|RD|TH)(\s*GRADE)?$", "", bare).strip()
    if bare in _GRADE_WORDS:
        return _GRADE_WORDS[bare]
    if bare.isdigit() and 1 <= int(bare) <= 13:
        return f"{int(bare):02d}"
    return text.strip()


def administered(text: str | None) -> tuple[str, str, str] | None:
    """``(date, window, school_year)`` of a date cell, or None when it is no date."""
    if text is None:
        return None
    day: date | None = read_date(text)
    if day is None:
        try:
            day = datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
        except ValueError:
            return None
    found = window_of(day.isoformat())
    if found is None:
        return None
    return day.isoformat(), found[0], found[1]


def _number(text: str | None) -> float | str | None:
    """A number cell as a number (``+120``, ``65th``, ``12%``), else the text as written."""
    if text is None:
        return None
    cleaned = re.sub(r"(st|nd|rd|th|%)$", "", text.strip().replace(",", ""), flags=re.I)
    if _NUMBER.match(cleaned):
        value = float(cleaned)
        if math.isfinite(value):
            return int(value) if value.is_integer() else value
    return text


@dataclass(slots=True)
class RowRecords:
    """What one export row gives, per stream."""

    assessments: list[dict[str, Any]]
    placements: list[dict[str, Any]]
    evidence: list[dict[str, Any]]


def records_of(values: Mapping[str, str | None], cells: Mapping[str, str], *,
               subjects: tuple[str, ...], learner_id_kind: str,
               overall_subject: str | None) -> RowRecords:
    """The records of one row. ``subjects``: those with a level column in the file;
    ``overall_subject``: the subject ``Overall percentile``/``Overall tier`` speak of (the
    file's only subject), None when the file has several."""
    out = RowRecords([], [], [])
    learner = values.get("student_id")
    when = administered(values.get("date"))
    if when is None:
        # The date gives the window and school year: all three carry the cell as written,
        # so the intake skips the record quoting it, whichever it reads first.
        day = window = year = values.get("date")
    else:
        day, window, year = when
    grade = grade_code(values.get("grade"))
    attributes = _attributes(values, grade)
    for subject in subjects:
        level_text = values.get(subject_column("level", subject))
        if level_text is None:
            continue  # no diagnostic in this subject
        level = read_level(level_text)
        key = f"{learner or ''}:{ASSESSMENT}:{subject}:{year or ''}:{window or ''}:{day or ''}"
        row: dict[str, Any] = {
            "source_key": key, "learner": learner, "learner_id_kind": learner_id_kind,
            "learner_attributes": attributes, "assessment": ASSESSMENT, "subject": subject,
            "school_year": year, "window": window, "administered_at": day,
            "growth_measure": level.pinpointed, "grade": grade,
            "scale_score": level.value if level.readable else level.text,
            "percentile": _number(_per_subject(values, "percentile", subject,
                                               overall_subject)),
            "performance_level": _per_subject(values, "tier", subject, overall_subject),
            "payload": dict(cells),
        }
        growth = {vendor_name(m, subject): _number(values.get(subject_column(m, subject)))
                  for m in ("growth", "start")}
        row["vendor_growth"] = {k: v for k, v in growth.items() if v is not None}
        domains, evidence = _strands(values, subject, key, row, grade)
        if level.value is not None:
            placement = placement_of(level.value)
            row["grade_placement"] = placement
            out.placements.append({
                "learner": learner, "learner_id_kind": learner_id_kind,
                "learner_attributes": attributes, "subject": subject,
                "grade_level": placement, "observed_at": day,
                "struggling": _below(placement, grade)})
        if domains:
            row["domains"] = domains
        out.assessments.append({k: v for k, v in row.items() if v is not None})
        out.evidence.extend(evidence)
    return out


def _per_subject(values: Mapping[str, str | None], measure: str, subject: str,
                 overall_subject: str | None) -> str | None:
    own = values.get(subject_column(measure, subject))
    if own is not None or subject != overall_subject:
        return own
    return values.get(f"overall_{measure}")


def _attributes(values: Mapping[str, str | None], grade: str | None) -> dict[str, str]:
    found = {"state_id": values.get("state_id"), "email": values.get("email"),
             "username": values.get("username"), "name": values.get("student"),
             "first_name": values.get("first_name"), "last_name": values.get("last_name"),
             "grade": grade, "school": values.get("school")}
    return {k: v for k, v in found.items() if v is not None}


def _strands(values: Mapping[str, str | None], subject: str, key: str,
             result: Mapping[str, Any], grade: str | None,
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    domains: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    prefix = f"{STRAND}{subject}:"
    # The grade when tested scores the level: a later roster grade must not re-score it.
    scale = f"grade-level:{grade}" if grade in _SCALE_GRADES else "grade-level"
    for column, text in values.items():
        if not column.startswith(prefix) or text is None:
            continue
        name = column[len(prefix):]
        level = read_level(text)
        if level.readable and not level.pinpointed:
            continue  # a range: IXL has not placed the student in this strand yet
        raw = grade_equivalent(level.value) if level.value is not None else text
        if level.value is not None:
            domains.append({"name": name, "scale_score": level.value,
                            "placement": placement_of(level.value)})
        evidence.append({
            "source_key": f"{key}:{name}", "learner": result["learner"],
            "learner_id_kind": result["learner_id_kind"],
            "learner_attributes": result["learner_attributes"],
            "activity": f"IXL diagnostic strand {name}", "skill_code": name,
            "raw_score": raw, "scale": scale, "observed_at": result["administered_at"],
            "payload": {"level": level.value if level.value is not None else text}})
    return domains, evidence


_SCALE_GRADES = {"PK", "KG", *(f"{n:02d}" for n in range(1, 13))}
_ORDER = ["PK", "KG", *(f"{n:02d}" for n in range(1, 14))]


def _below(placement: str, grade: str | None) -> bool | None:
    """Working below the grade the student is in (None when the grade is unknown)."""
    if grade not in _ORDER:
        return None
    return _ORDER.index(placement) < _ORDER.index(grade)
