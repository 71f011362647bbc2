"""What a courseWork the gateway makes looks like, and how it is found again.

Classroom has no field for a caller's own id, so the assignment key rides in the
description's last line (``Harbormaster key: hm-...``). A courseWork counts as the
gateway's only if it carries that exact key *and* Classroom reports it as made by this
Cloud project (``associatedWithDeveloper``): a teacher's copy of it ("reuse post") has the
key but belongs to nobody's project, and must not be taken for ours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from gateway.errors import ConfigError
from gateway.push.destination import Assignment, Remote

__all__ = ["MARKER", "course_work_body", "key_of", "ours", "remote_of"]

MARKER = "Harbormaster key: {key}"
_MARKER = re.compile(r"^Harbormaster key: ([a-z0-9-]{1,64})[ \t]*$", re.MULTILINE)
TITLE_MAX = 3000
DESCRIPTION_MAX = 30_000


def key_of(description: str | None) -> str | None:
    """The assignment key a description carries (its last marker line), or None."""
    found = _MARKER.findall(description or "")
    return found[-1] if found else None


def course_work_body(assignment: Assignment) -> dict[str, Any]:
    """The ``courses.courseWork.create`` body; ConfigError if Classroom cannot take it."""
    where = _where(assignment)
    points = assignment.points_possible
    if not math.isfinite(points) or points <= 0 or not float(points).is_integer():
        raise ConfigError(f"{where}: Classroom grades out of a whole number of points "
                          f"(maxPoints), and this assignment has {points:g}; set the grade "
                          f"conversion's points possible to a whole number above 0")
    marker = MARKER.format(key=assignment.key)
    text = assignment.description.strip()
    room = DESCRIPTION_MAX - len(marker) - 2
    description = f"{text[:room].rstrip()}\n\n{marker}" if text else marker
    body: dict[str, Any] = {
        "title": (assignment.title.strip() or assignment.item)[:TITLE_MAX],
        "description": description,
        "workType": "ASSIGNMENT",
        "state": "PUBLISHED",
        "maxPoints": int(points),
    }
    if assignment.due_at:
        due = _instant(assignment.due_at, where)
        body["dueDate"] = {"year": due.year, "month": due.month, "day": due.day}
        body["dueTime"] = {"hours": due.hour, "minutes": due.minute, "seconds": due.second}
    return body


def ours(works: Iterable[Mapping[str, Any]]) -> dict[str, Remote]:
    """The gateway's courseWork among ``works``, by assignment key (the oldest if a key
    appears twice, so every lookup picks the same one)."""
    found: dict[str, tuple[str, Remote]] = {}
    for work in works:
        key = key_of(work.get("description"))
        if key is None or work.get("associatedWithDeveloper") is not True:
            continue
        created = str(work.get("creationTime") or "")
        if key not in found or created < found[key][0]:
            found[key] = (created, remote_of(work))
    return {key: remote for key, (_, remote) in found.items()}


def remote_of(work: Mapping[str, Any]) -> Remote:
    return Remote(id=str(work["id"]), url=work.get("alternateLink") or None,
                  extra={"course": str(work.get("courseId") or "")})


def _instant(value: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{where}: due date {value!r} is not an ISO 8601 instant") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _where(assignment: Assignment) -> str:
    section = assignment.section
    return (f"assignment {assignment.title!r} ({assignment.key}) for class "
            f"{section.title!r} ({section.sourced_id})")
