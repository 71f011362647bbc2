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

__all__ = ["FIELDS", "ID_KINDS", "INTERVENTION_KINDS", "REQUIRED", "TOOL_EVIDENCE",
           "TOOL_INTERVENTIONS", "TOOL_PLACEMENTS", "TOOL_STREAMS", "FieldError",
           "read_bool", "read_float", "read_grade", "read_text", "read_time", "required_text"]

TOOL_EVIDENCE = "toolEvidence"
TOOL_INTERVENTIONS = "toolInterventions"
TOOL_PLACEMENTS = "toolPlacements"
TOOL_STREAMS = (TOOL_EVIDENCE, TOOL_INTERVENTIONS, TOOL_PLACEMENTS)
"""The streams a ``ConnectorKind.TOOL`` connector yields; the engine hands them to
:mod:`gateway.learning.intake` instead of the OneRoster apply path."""

ID_KINDS = ("sis_id", "state_id", "username", "email", "lti_sub", "tool_id")
"""Which of a person's identifiers ``learner`` is (``learner_id_kind``)."""

INTERVENTION_KINDS = ("small-group", "individual")

_LEARNER = ("learner", "learner_id_kind", "learner_attributes")
FIELDS: dict[str, tuple[str, ...]] = {
    TOOL_EVIDENCE: ("source_key", *_LEARNER, "activity", "skill_code", "standard",
                    "raw_score", "scale", "observed_at", "usage_minutes", "payload", "status"),
    TOOL_INTERVENTIONS: ("source_key", *_LEARNER, "kind", "skill_code", "standard",
                         "given_by", "started_at", "minutes", "notes"),
    TOOL_PLACEMENTS: (*_LEARNER, "subject", "grade_level", "struggling", "observed_at"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    TOOL_EVIDENCE: ("source_key", "learner", "observed_at"),
    TOOL_INTERVENTIONS: ("source_key", "learner", "kind", "started_at"),
    TOOL_PLACEMENTS: ("learner", "subject", "observed_at"),
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
