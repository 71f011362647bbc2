"""One MAP Growth test row into the tool records: its ``toolAssessments`` row and a
``toolEvidence`` row per goal score. Pure functions over rows keyed by the canonical column
names of :mod:`.layout`; a cell that cannot be read is passed on as written, so the intake
skips that record naming the field and the file's line (docs/assessments-map-growth.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.assessment_files import window_of
from gateway.learning import records as rec

from .layout import GROWTH_MEASURES, TERMS

__all__ = ["ASSESSMENT", "GOAL_SCALE", "ResultRecords", "number", "records_of",
           "student_attributes", "subject_of"]

ASSESSMENT = "map-growth"
GOAL_SCALE = "scale:100-350"
"""RIT goal scores are on the RIT scale (about 100 to 350 across grades K-12)."""

_SUBJECT_WORDS = (  # (word in Subject or Course, subject), first match wins
    ("language usage", "language"), ("lenguaje", "language"), ("reading", "reading"),
    ("lectura", "reading"), ("vocabulary", "reading"), ("math", "math"),
    ("matem", "math"), ("algebra", "math"), ("geometry", "math"), ("science", "science"),
    ("ciencia", "science"), ("language", "language"),
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")


@dataclass(slots=True)
class ResultRecords:
    """What one test row becomes."""

    assessment: dict[str, Any]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    retest_group: tuple[Any, ...] = ()
    """(learner, subject, course, school year, window): tests of one group are retests of
    each other, for deciding which counts for growth when the export does not say."""


def number(text: str | None) -> int | float | str | None:
    """A cell as a number (``208`` -> 208, ``3.40`` -> 3.4), None when blank, the text as
    written when it is not a number (the intake then says which field is wrong)."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        return text
    return int(value) if value.is_integer() and "." not in cleaned else value


def subject_of(subject: str | None, course: str | None) -> str | None:
    """``math``, ``reading``, ``language`` or ``science`` from MAP's Subject and Course:
    Course decides within ``Language Arts`` (Reading or Language Usage)."""
    for text in (course, subject):
        if not text:
            continue
        lowered = text.lower()
        for word, name in _SUBJECT_WORDS:
            if word in lowered:
                return name
    return None


def _date(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if (m := _ISO_DATE.match(text[:10])) is not None:
        return text[:10]
    if (m := _US_DATE.match(text)) is not None:
        year = int(m.group(3))
        year = year + 2000 if year < 100 else year
        month, day = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _time(text: str | None) -> str | None:
    m = _TIME.match(text.strip()) if text else None
    if m is None:
        return None
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        hour = hour % 12 + (12 if m.group(4).lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def _grade(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return rec.read_grade({"grade": text}, "grade")
    except rec.FieldError:
        return text


def _bool(text: str | None) -> bool | None:
    try:
        return rec.read_bool({"value": text}, "value")
    except rec.FieldError:
        return None


def student_attributes(values: Mapping[str, str | None]) -> dict[str, str]:
    """What a StudentsBySchool (or combo) row tells of the learner, for the identity link."""
    out = {"family_name": values.get("last_name"), "given_name": values.get("first_name"),
           "middle_name": values.get("middle"), "grade": _grade(values.get("grade")),
           "school": values.get("school"), "state_id": values.get("state_id")}
    return {k: v for k, v in out.items() if v}


def _vendor_growth(values: Mapping[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, text in values.items():
        if text is None:
            continue
        part = key.split(":")
        if part[0] == "growth" and len(part) == 4:
            name = f"{TERMS[part[1]]}To{TERMS[part[2]]}{GROWTH_MEASURES[part[3]]}"
        elif part[0] == "typical" and len(part) == 3:
            name = f"Typical{TERMS[part[1]]}To{TERMS[part[2]]}Growth"
        else:
            continue
        out[name] = number(text)
    return out


def _goals(values: Mapping[str, str | None],
           ) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    """(goal number, its cells, its domain) for each named goal."""
    goals: dict[int, dict[str, Any]] = {}
    for key, text in values.items():
        part = key.split(":")
        if part[0] != "goal" or len(part) != 3 or text is None:
            continue
        goals.setdefault(int(part[1]), {})[part[2]] = text
    out = []
    for n in sorted(goals):
        goal = goals[n]
        if not goal.get("name"):
            continue
        score = number(goal.get("ritscore"))
        # An unreadable goal score stays out of the domain (the result is kept); its evidence
        # record carries it, and the intake skips that one naming the line.
        domain = {"name": goal["name"],
                  "scale_score": score if not isinstance(score, str) else None,
                  "standard_error": number(goal.get("stderr")), "range": goal.get("range"),
                  "adjective": goal.get("adjective")}
        out.append((n, goal, {k: v for k, v in domain.items() if v is not None}))
    return out


def records_of(values: Mapping[str, str | None], cells: Mapping[str, str], *,
                 learner_id_kind: str = "sis_id",
                 student: Mapping[str, str] | None = None) -> ResultRecords:
    """The records of one test row; ``student`` is the learner's StudentsBySchool row
    (:func:`student_attributes`) for the same term, when the export has one."""
    attributes = {**(student or {}), **student_attributes(values)}
    student_id, state_id = values.get("student_id"), attributes.get("state_id")
    if learner_id_kind == "state_id":
        learner = state_id
        attributes.pop("state_id", None)
        if student_id:
            attributes["sis_id"] = student_id
    else:
        learner = student_id
    term, day = values.get("term"), _date(values.get("test_date"))
    window = window_of(term) if term else None
    if window is None and day is not None:
        window = window_of(day)
    course = values.get("course")
    subject = subject_of(values.get("subject"), course) or values.get("subject") or course
    time = _time(values.get("test_time"))
    administered = (f"{day}T{time}" if time else day) if day else values.get("test_date")
    season, year = window if window is not None else (None, None)
    test_id = values.get("test_id")
    key = (f"{student_id}:{test_id}" if test_id and student_id else
           f"{learner}:{ASSESSMENT}:{subject}:{year}:{season}:{administered}")
    goals = _goals(values)
    domains = [domain for _, _, domain in goals]
    row: dict[str, Any] = {
        "source_key": key, "learner": learner, "learner_id_kind": learner_id_kind,
        "learner_attributes": attributes or None, "assessment": ASSESSMENT,
        "subject": subject, "school_year": year, "window": season,
        "administered_at": administered, "growth_measure": _bool(values.get("growth_measure")),
        "grade": attributes.get("grade"), "scale_score": number(values.get("rit")),
        "standard_error": number(values.get("standard_error")),
        "percentile": number(values.get("percentile")),
        "performance_level": values.get("quintile"), "lexile": values.get("lexile"),
        "quantile": values.get("quantile"), "domains": domains or None,
        "vendor_growth": _vendor_growth(values) or None, "payload": dict(cells),
    }
    row = {k: v for k, v in row.items() if v is not None}
    evidence = []
    activity = f"MAP Growth: {values.get('test_name') or course}"
    for n, goal, domain in goals:
        if goal.get("ritscore") is None:
            continue  # a goal with too few items to score: its name and adjective only
        evidence.append({k: v for k, v in {
            "source_key": f"{key}:goal{n}", "learner": learner,
            "learner_id_kind": learner_id_kind, "learner_attributes": attributes or None,
            "activity": activity, "skill_code": goal["name"],
            "raw_score": number(goal["ritscore"]),
            "scale": GOAL_SCALE, "observed_at": administered,
            "payload": {"TestID": test_id, "Goal": n, **domain},
        }.items() if v is not None})
    return ResultRecords(row, evidence, (learner, subject, course, year, season))
