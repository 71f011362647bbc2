"""The OneRoster 1.2 records a push writes: a lineItem per assignment, a result per grade,
the gateway's category; their sourcedIds, and the marker a lineItem is found again by."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gateway.push.destination import Assignment, Grade

__all__ = ["CATEGORY_ID", "MARKER", "category", "line_item", "marked", "ref", "result",
           "result_id", "same_result"]

CATEGORY_ID = "harbormaster"
"""The sourcedId of the category the gateway files its lineItems under by default."""
MARKER = "harbormaster.key"
"""The ``metadata`` entry holding the assignment key on every lineItem the gateway makes,
so one the server gave its own sourcedId (``write: post``) is still found exactly."""

_ROSTERING = "ims/oneroster/rostering/v1p2"
_GRADEBOOK = "ims/oneroster/gradebook/v1p2"
_TYPES = {"class": ("classes", _ROSTERING), "org": ("orgs", _ROSTERING),
          "user": ("users", _ROSTERING), "academicSession": ("academicSessions", _ROSTERING),
          "category": ("categories", _GRADEBOOK), "lineItem": ("lineItems", _GRADEBOOK)}


def ref(server: str, kind: str, sourced_id: str) -> dict[str, str]:
    """A GUIDRef to ``sourced_id`` of ``kind``, its ``href`` where the 1.2 services serve it."""
    collection, service = _TYPES[kind]
    return {"href": f"{server}/{service}/{collection}/{sourced_id}", "sourcedId": sourced_id,
            "type": kind}


def result_id(grade: Grade) -> str:
    """The result's sourcedId: the assignment key and a hash of the learner (never the
    learner's id itself: sourcedIds are not to carry anything personal), 57 characters."""
    digest = hashlib.sha256(grade.learner.sourced_id.encode()).hexdigest()[:16]
    return f"{grade.assignment.key}-{digest}"


def category(sourced_id: str, title: str, now: str) -> dict[str, Any]:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": now,
            "title": title}


def line_item(server: str, assignment: Assignment, *, sourced_id: str, class_id: str,
              category_id: str, now: str) -> dict[str, Any]:
    """The lineItem of ``assignment``. ``dueDate`` and ``assignDate`` are required: the due
    date, else the end of the grading period, else now; assigned at the period's start
    (never after the due date), else when due."""
    period = assignment.period
    if assignment.due_at:
        due = assignment.due_at
    elif period is not None:
        due = f"{period.end}T23:59:59Z"
    else:
        due = now
    assign = due
    if period is not None and f"{period.start}T00:00:00Z" < due:
        assign = f"{period.start}T00:00:00Z"
    record: dict[str, Any] = {
        "sourcedId": sourced_id, "status": "active", "dateLastModified": now,
        "metadata": {MARKER: assignment.key, "harbormaster.item": assignment.item},
        "title": assignment.title, "assignDate": assign, "dueDate": due,
        "class": ref(server, "class", class_id),
        "category": ref(server, "category", category_id),
        "resultValueMin": 0.0, "resultValueMax": float(assignment.points_possible),
    }
    if assignment.description:
        record["description"] = assignment.description
    if assignment.section.school_sourced_id:
        record["school"] = ref(server, "org", assignment.section.school_sourced_id)
    if period is not None:
        record["gradingPeriod"] = ref(server, "academicSession", period.sourced_id)
        record["academicSession"] = ref(server, "academicSession", period.sourced_id)
    if assignment.standard_uri:
        record["metadata"]["harbormaster.standard"] = assignment.standard_uri
    return record


def result(server: str, grade: Grade, *, sourced_id: str, line_item_id: str,
           student_id: str, class_id: str) -> dict[str, Any]:
    """The result of ``grade``: the same body on every resend (the ledger's timestamp
    dates it), so a repeated PUT is an identical one."""
    record: dict[str, Any] = {
        "sourcedId": sourced_id, "status": "active", "dateLastModified": grade.timestamp,
        "metadata": {"harbormaster.key": grade.key},
        "lineItem": ref(server, "lineItem", line_item_id),
        "student": ref(server, "user", student_id),
        "class": ref(server, "class", class_id),
        "scoreStatus": "fully graded", "score": float(grade.score),
        "scoreDate": grade.timestamp[:10], "late": "true" if grade.late else "false",
    }
    if grade.comment:
        record["comment"] = grade.comment
    return record


def marked(record: Mapping[str, Any], key: str) -> bool:
    """Whether a served lineItem carries the gateway's marker for ``key``."""
    metadata = record.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get(MARKER) == key


def same_result(served: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a served result already says what ``wanted`` says (nothing to write)."""
    def number(value: Any) -> float | None:
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError):
            return None

    return (served.get("status") == "active"
            and number(served.get("score")) == number(wanted.get("score"))
            and served.get("scoreStatus") == wanted.get("scoreStatus")
            and (served.get("comment") or None) == (wanted.get("comment") or None)
            and str(served.get("late") or "false") == wanted.get("late")
            and str(served.get("scoreDate") or "")[:10] == wanted.get("scoreDate"))
