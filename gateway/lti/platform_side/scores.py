"""AGS scores from vendor tools, kept as **evidence**: one row per line item and learner
(``source_key`` ``<line item id>:<user sourcedId>``, system ``lti-tool:<name>``), holding
the latest score, its raw value on the scale ``points:MAX``, the normalized score, and the
score's timestamp as ``observed_at``. A score older than the one stored is refused (AGS
2.0 §3.4: the platform keeps the latest); an equal timestamp overwrites. The standard is
the line item's own, else what its ``tag`` or ``resourceId`` crosswalks to. Mastery of the
pair is recomputed in the same transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.errors import SkippableRecordError
from gateway.lti.ledger import ACTIVITY_PROGRESS, GRADING_PROGRESS
from gateway.lti.platform_side.line_items import LineItem
from gateway.lti.platform_side.tickets import LaunchRefused
from gateway.lti.platform_side.tools import VendorTool
from gateway.mastery import normalize, recompute
from gateway.standards import Crosswalk
from gateway.store.learning_tables import evidence

__all__ = ["ScoreIn", "Stale", "StoredScore", "points_scale", "read_score", "realign",
           "record_score", "remove_scores", "stored_scores"]

e = evidence


class Stale(LaunchRefused):
    """A score older than the one Harbormaster holds (409: the stored one stays)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreIn:
    user_id: str
    timestamp: datetime
    score_given: float | None
    score_maximum: float | None
    activity_progress: str
    grading_progress: str
    comment: str | None
    body: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class StoredScore:
    user_sourced_id: str
    score_given: float | None
    score_maximum: float | None
    comment: str | None


def _bad(message: str) -> LaunchRefused:
    return LaunchRefused(message, "", 400)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_score(body: Mapping[str, Any]) -> ScoreIn:
    """A score as a tool posted it, checked (AGS 2.0 §3.4)."""
    for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if body.get(name) in (None, ""):
            raise _bad(f"{name} is required")
    if body["activityProgress"] not in ACTIVITY_PROGRESS:
        raise _bad(f"activityProgress {body['activityProgress']!r} is not one of "
                   f"{', '.join(ACTIVITY_PROGRESS)}")
    if body["gradingProgress"] not in GRADING_PROGRESS:
        raise _bad(f"gradingProgress {body['gradingProgress']!r} is not one of "
                   f"{', '.join(GRADING_PROGRESS)}")
    try:
        timestamp = datetime.fromisoformat(str(body["timestamp"]).replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"timestamp {body['timestamp']!r} is not ISO 8601") from None
    if timestamp.tzinfo is None:
        raise _bad("timestamp needs a time zone (e.g. 2026-01-31T10:00:00Z)")
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is not None:
        if not _number(given) or given < 0:
            raise _bad(f"scoreGiven must be a number, 0 or more, not {given!r}")
        if not _number(maximum) or maximum <= 0:
            raise _bad("scoreGiven needs scoreMaximum, a number above 0")
    comment = body.get("comment")
    return ScoreIn(user_id=str(body["userId"]), timestamp=timestamp.astimezone(UTC),
                   score_given=None if given is None else float(given),
                   score_maximum=float(maximum) if _number(maximum) else None,
                   activity_progress=str(body["activityProgress"]),
                   grading_progress=str(body["gradingProgress"]),
                   comment=comment if isinstance(comment, str) else None, body=dict(body))


def points_scale(maximum: float) -> str:
    """``points:MAX`` with MAX as written (10, not 10.0)."""
    return f"points:{int(maximum) if float(maximum).is_integer() else maximum}"


def _stamp(moment: datetime) -> str:
    # The clock's spelling, so evidence from every source sorts as one timeline.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _standard(conn: sa.Connection, tool: VendorTool, item: LineItem) -> str | None:
    if item.standard:
        return item.standard
    for code in (item.tag, item.resource_id):
        if code:
            found = Crosswalk.lookup(conn, tool.tenant_id, tool.system, code)
            if found:
                return found[0][0]
    return None


def _source_key(item: LineItem, user: str) -> str:
    return f"{item.id}:{user}"


def _insert(conn: sa.Connection) -> Any:
    return postgresql.insert(e) if conn.dialect.name == "postgresql" else sqlite.insert(e)


def _pairs(*pairs: tuple[str | None, str | None]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((u, s) for u, s in pairs if u and s))


def record_score(conn: sa.Connection, tool: VendorTool, item: LineItem, user: str,
                 score: ScoreIn) -> None:
    """Store the score as the learner's evidence for the line item, in ``conn``'s
    transaction; Stale if a later score is stored."""
    key = _source_key(item, user)
    where = (e.c.tenant_id == tool.tenant_id, e.c.system == tool.system,
             e.c.source_key == key)
    before = conn.execute(sa.select(e.c.payload, e.c.standard).where(*where)
                          .with_for_update()).first()
    if before is not None and isinstance(before.payload, dict):
        stored = read_score(before.payload).timestamp
        if score.timestamp < stored:
            raise Stale(f"timestamp {score.body['timestamp']} is earlier than the stored "
                        f"score's ({before.payload['timestamp']}) for this user and line "
                        f"item; the stored score stays", "", 409)
    maximum = score.score_maximum or item.score_maximum
    scale = points_scale(maximum)
    graded = score.score_given is not None and score.grading_progress == "FullyGraded"
    normalized: float | None = None
    if graded:
        try:
            normalized = normalize(score.score_given or 0.0, scale)
        except SkippableRecordError as exc:
            raise _bad(str(exc)) from None
    standard = _standard(conn, tool, item)
    values = {
        "identity_link_id": None, "user_sourced_id": user, "activity": item.label,
        "skill_code": item.tag or item.resource_id, "standard": standard,
        "raw_score": None if score.score_given is None else f"{score.score_given:g}",
        "scale": scale, "score": normalized, "observed_at": _stamp(score.timestamp),
        "usage_minutes": None, "payload": {**score.body, "lineitem": item.id},
        # Only a graded score is evidence of mastery; a started or pending one is kept
        # (for results and the timestamp rule) without counting.
        "status": "active" if graded else "ungraded",
    }
    insert = _insert(conn).values(tenant_id=tool.tenant_id, system=tool.system,
                                  connection_id=None, source_key=key, created_at=utcnow(),
                                  **values)
    conn.execute(insert.on_conflict_do_update(
        index_elements=[e.c.tenant_id, e.c.system, e.c.source_key], set_=values))
    recompute(conn, tool.tenant_id,
              _pairs((user, standard), (user, before.standard if before else None)))


def _of_item(tool: VendorTool, item: LineItem) -> tuple[sa.ColumnElement[bool], ...]:
    return (e.c.tenant_id == tool.tenant_id, e.c.system == tool.system,
            e.c.source_key.startswith(f"{item.id}:", autoescape=True))


def stored_scores(conn: sa.Connection, tool: VendorTool, item: LineItem,
                  user: str | None = None) -> list[StoredScore]:
    """The latest score of each learner (or of ``user``) on the line item."""
    where = list(_of_item(tool, item))
    if user is not None:
        where.append(e.c.source_key == _source_key(item, user))
    rows = conn.execute(sa.select(e.c.user_sourced_id, e.c.payload)
                        .where(*where, e.c.status.in_(("active", "ungraded")))
                        .order_by(e.c.user_sourced_id)).all()
    out = []
    for row in rows:
        body = row.payload if isinstance(row.payload, dict) else {}
        given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
        out.append(StoredScore(row.user_sourced_id,
                               float(given) if _number(given) else None,
                               float(maximum) if _number(maximum) else item.score_maximum,
                               body.get("comment")))
    return out


def remove_scores(conn: sa.Connection, tool: VendorTool, item: LineItem) -> None:
    """A deleted line item's scores stop counting (their rows stay, marked deleted)."""
    rows = conn.execute(sa.select(e.c.user_sourced_id, e.c.standard)
                        .where(*_of_item(tool, item))).all()
    conn.execute(e.update().where(*_of_item(tool, item)).values(status="deleted"))
    recompute(conn, tool.tenant_id, _pairs(*((r.user_sourced_id, r.standard) for r in rows)))


def realign(conn: sa.Connection, tool: VendorTool, item: LineItem) -> None:
    """After the line item's standard changed: its evidence names the new one, and
    mastery of the old and the new standard is recomputed."""
    rows = conn.execute(sa.select(e.c.user_sourced_id, e.c.standard)
                        .where(*_of_item(tool, item))).all()
    standard = _standard(conn, tool, item)
    conn.execute(e.update().where(*_of_item(tool, item)).values(standard=standard))
    recompute(conn, tool.tenant_id, _pairs(*((r.user_sourced_id, r.standard) for r in rows),
                                           *((r.user_sourced_id, standard) for r in rows)))
