"""The records tool connectors yield (docs/learning.md, "Tool records"): the stream names,
each stream's fields, and readers that turn one field into what the store keeps or say,
naming the field, why a record cannot be used.

Tool rows are mappings of these field names (not OneRoster tuples). Besides the fields of
the contract a row may carry ``status`` (``tobedeleted`` withdraws an evidence record),
``standard`` (a CASE item identifier the tool reports itself, instead of a skill code to
crosswalk) and ``learner_attributes`` (what the tool knows of the person: name, email, ...,
kept on the identity link for the reviewer and tried by the identity rules).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.errors import SkippableRecordError

__all__ = ["ASSESSMENT_SUBJECTS", "ASSESSMENT_WINDOWS", "FIELDS", "ID_KINDS",
           "INTERVENTION_KINDS", "NULL_CELLS", "REQUIRED", "TOOL_ASSESSMENTS", "TOOL_EVIDENCE",
           "TOOL_INTERVENTIONS", "TOOL_PLACEMENTS", "TOOL_STREAMS",
           "FieldError", "read_bool", "read_domains", "read_float", "read_grade",
           "read_json_object", "read_placement", "read_school_year", "read_subject",
           "read_text", "read_time", "read_window", "required_text", "without_null_cells"]

TOOL_EVIDENCE = "toolEvidence"
TOOL_INTERVENTIONS = "toolInterventions"
TOOL_PLACEMENTS = "toolPlacements"
TOOL_ASSESSMENTS = "toolAssessments"
"""Results of normed assessments (MAP Growth, i-Ready, Star, IXL): docs/assessments.md."""
TOOL_STREAMS = (TOOL_EVIDENCE, TOOL_INTERVENTIONS, TOOL_PLACEMENTS, TOOL_ASSESSMENTS)
"""The streams a ``ConnectorKind.TOOL`` connector yields; the engine hands them to
:mod:`gateway.learning.intake` instead of the OneRoster apply path."""

ID_KINDS = ("sis_id", "state_id", "username", "email", "lti_sub", "tool_id")
"""Which of a person's identifiers ``learner`` is (``learner_id_kind``)."""

INTERVENTION_KINDS = ("small-group", "individual")
ASSESSMENT_WINDOWS = ("fall", "winter", "spring", "summer")
ASSESSMENT_SUBJECTS = ("math", "reading", "language", "science")
NULL_CELLS = frozenset({"", "--", "n/a", "na"})
"""Cells of an assessment export that mean "no value" (docs/assessments.md)."""

_LEARNER = ("learner", "learner_id_kind", "learner_attributes")
FIELDS: dict[str, tuple[str, ...]] = {
    TOOL_EVIDENCE: ("source_key", *_LEARNER, "activity", "skill_code", "standard",
                    "raw_score", "scale", "observed_at", "usage_minutes", "payload", "status"),
    TOOL_INTERVENTIONS: ("source_key", *_LEARNER, "kind", "skill_code", "standard",
                         "given_by", "started_at", "minutes", "notes"),
    TOOL_PLACEMENTS: (*_LEARNER, "subject", "grade_level", "struggling", "observed_at"),
    TOOL_ASSESSMENTS: ("source_key", *_LEARNER, "assessment", "subject", "school_year",
                       "window", "administered_at", "growth_measure", "grade", "scale_score",
                       "standard_error", "percentile", "performance_level", "grade_placement",
                       "grade_equivalent", "lexile", "quantile", "domains", "vendor_growth",
                       "payload", "status"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    TOOL_EVIDENCE: ("source_key", "learner", "observed_at"),
    TOOL_INTERVENTIONS: ("source_key", "learner", "kind", "started_at"),
    TOOL_PLACEMENTS: ("learner", "subject", "observed_at"),
    TOOL_ASSESSMENTS: ("source_key", "learner", "assessment", "subject", "school_year",
                       "window", "administered_at"),
}
"""``learner_id_kind`` may be left out when the connection's identity rules name the kind
its tool sends (``identity.learner_id_kind``)."""


class FieldError(SkippableRecordError):
    """One field of a tool record cannot be used; the rest of the pull goes on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_text(row: Mapping[str, Any], field: str, limit: int = 255) -> str | None:
    """The field as stripped text, None when absent or blank."""
    value = row.get(field)
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise FieldError(field, f"{field} is {len(text)} characters long; at most {limit} "
                                f"fit, shorten it in the tool's mapping")
    return text or None


def required_text(row: Mapping[str, Any], field: str, limit: int = 255) -> str:
    text = read_text(row, field, limit)
    if text is None:
        raise FieldError(field, f"the record has no {field}; every record of this stream "
                                f"needs one, check the mapping's {field} path")
    return text


def read_float(row: Mapping[str, Any], field: str) -> float | None:
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(field, f"{field} {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise FieldError(field, f"{field} {value!r} is not a number")
    return number


def read_time(row: Mapping[str, Any], field: str) -> str:
    """An ISO 8601 time in the one spelling the store keeps (UTC, milliseconds, ``Z``), so
    stored times sort as times; a date alone is its midnight, a time without zone UTC."""
    text = required_text(row, field, 40)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(field, f"{field} {text!r} is not an ISO 8601 time such as "
                                f"2026-11-03T14:05:00Z") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def read_bool(row: Mapping[str, Any], field: str) -> bool | None:
    value = row.get(field)
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise FieldError(field, f"{field} {value!r} is neither true nor false")


def read_grade(row: Mapping[str, Any], field: str) -> str | None:
    """A grade level in the OneRoster spelling (``KG``, ``04``): ``4`` and ``4.0`` are
    ``04``, ``K`` is ``KG``; other codes (``PK``, ``13``) pass as written."""
    text = read_text(row, field, 10)
    if text is None:
        return None
    upper = text.upper()
    if upper in ("K", "KG", "KINDERGARTEN"):
        return "KG"
    try:
        number = float(upper)
    except ValueError:
        return upper
    if number.is_integer() and 0 <= number <= 13:
        return f"{int(number):02d}"
    raise FieldError(field, f"{field} {text!r} is not a grade level such as KG or 04")


def without_null_cells(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with its :data:`NULL_CELLS` text values left out, so every reader sees them
    as absent (``--`` is no percentile, not a bad one)."""
    return {k: v for k, v in row.items()
            if not (isinstance(v, str) and v.strip().lower() in NULL_CELLS)}


def _choice(row: Mapping[str, Any], field: str, allowed: tuple[str, ...],
            aliases: Mapping[str, str] | None = None) -> str:
    text = required_text(row, field, 40).lower()
    text = (aliases or {}).get(text, text)
    if text not in allowed:
        raise FieldError(field, f"{field} {row.get(field)!r} is not one of "
                                f"{', '.join(allowed)}; map the export's value to one of them")
    return text


_SUBJECTS = {"mathematics": "math", "maths": "math", "ela": "reading",
             "english language arts": "reading", "language usage": "language",
             "language arts": "language", "general science": "science"}


def read_subject(row: Mapping[str, Any], field: str = "subject") -> str:
    """One of :data:`ASSESSMENT_SUBJECTS` (``Mathematics`` is ``math``, ``ELA`` ``reading``)."""
    return _choice(row, field, ASSESSMENT_SUBJECTS, _SUBJECTS)


def read_window(row: Mapping[str, Any], field: str = "window") -> str:
    """One of :data:`ASSESSMENT_WINDOWS`, any case."""
    return _choice(row, field, ASSESSMENT_WINDOWS)


def read_school_year(row: Mapping[str, Any], field: str = "school_year") -> str:
    """The four-digit year a school year ends: ``2027``, and ``2026-27`` or ``2026-2027``
    (which are 2027)."""
    text = required_text(row, field, 20)
    if isinstance(row.get(field), float) and float(text).is_integer():
        text = str(int(float(text)))
    start, dash, end = text.replace("\u2013", "-").partition("-")
    year: int | None = None
    if not dash and start.strip().isdigit() and len(start.strip()) == 4:
        year = int(start)
    elif dash and start.strip().isdigit() and end.strip().isdigit():
        first, last = int(start), end.strip()
        # The end year in four digits, or its last two (1999-00 ends in 2000).
        if len(start.strip()) == 4 and (int(last) == first + 1 if len(last) == 4
                                        else len(last) == 2 and int(last) == (first + 1) % 100):
            year = first + 1
    if year is None or not 1990 <= year <= 2100:
        raise FieldError(field, f"{field} {text!r} is not a school year; give the year it "
                                f"ends in four digits (2027 for 2026-27)")
    return str(year)


def read_placement(row: Mapping[str, Any], field: str) -> str | None:
    """A grade-level placement in the spelling of :func:`read_grade`; ``Grade 3`` is
    ``03``."""
    text = read_text(row, field, 30)
    if text is None:
        return None
    bare = text[6:].strip() if text.lower().startswith("grade ") else text
    return read_grade({field: bare}, field)


def _json_scalar(field: str, name: str, value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(field, f"{field}: {name} {value!r} is not a number")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise FieldError(field, f"{field}: {name} is a {type(value).__name__}; give a number "
                                f"or text")
    return value


def read_json_object(row: Mapping[str, Any], field: str) -> dict[str, Any] | None:
    """A flat object of numbers and text (the vendor's growth fields, as reported), None
    when absent or empty; null cells are left out."""
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FieldError(field, f"{field} is a {type(value).__name__}, not an object of "
                                f"named values")
    kept = without_null_cells(value)
    return {str(k): _json_scalar(field, str(k), v) for k, v in kept.items()
            if v is not None} or None


_DOMAIN_NUMBERS = ("scale_score", "percent_mastery")
_DOMAIN_TEXTS = ("placement", "relative_placement", "adjective")


def read_domains(row: Mapping[str, Any], field: str = "domains") -> list[dict[str, Any]] | None:
    """A list of domain or goal scores ``{name, scale_score?, placement?,
    relative_placement?, adjective?, percent_mastery?}``; None when absent or empty."""
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise FieldError(field, f"{field} is a {type(value).__name__}, not a list of "
                                f"domain scores")
    out: list[dict[str, Any]] = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, Mapping):
            raise FieldError(field, f"{field} item {n} is not an object with a name")
        item = without_null_cells(item)
        name = read_text(item, "name", 255)
        if name is None:
            raise FieldError(field, f"{field} item {n} has no name; every domain score names "
                                    f"its domain or goal")
        domain: dict[str, Any] = {"name": name}
        try:
            for key in _DOMAIN_NUMBERS:
                number = read_float(item, key)
                if number is not None:
                    domain[key] = number
            for key in _DOMAIN_TEXTS:
                text = read_text(item, key, 100)
                if text is not None:
                    domain[key] = text
        except FieldError as exc:
            raise FieldError(field, f"{field} {name!r}: {exc}") from None
        out.append(domain)
    return out or None
