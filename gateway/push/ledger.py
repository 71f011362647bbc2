"""The push ledger: the assignments made in each destination and every grade write.

The rule that makes a push exactly-once is "claim, write, settle": a grade's row is
committed as ``pending`` (with its idempotency key, the value and the timestamp chosen now)
before the LMS is asked, and settled (``sent``, ``kept``, ``held``, ``skipped``) when it
answers. A push that dies in between leaves the row ``pending``; the next plan finds it and
resends the very same value and timestamp, which the destinations write idempotently
(``PUT``-like calls, AGS timestamps), so the LMS ends with one grade. An assignment is claimed
the same way, and a claimed-but-unconfirmed one is looked up in the LMS (by the key it was
made with) before it is made again.

Claims and settlements go in batches (one transaction for hundreds of grades), so the ledger
costs little next to the LMS's own rate limit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.push.destination import Remote
from gateway.push.plan import PlannedAssignment, PlannedGrade
from gateway.store.push_tables import push_assignments, push_ledger

__all__ = ["Claim", "GradeStatus", "PushLedger", "Settle", "grade_statuses"]


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    """A grade row claimed for sending."""

    ledger_id: int
    timestamp: str
    attempts: int


@dataclasses.dataclass(frozen=True, slots=True)
class Settle:
    """What became of one claimed grade."""

    ledger_id: int
    status: str
    """sent, kept, held, skipped, superseded, or pending (a failure to retry next push)."""
    response_status: int | None = None
    message: str | None = None


def _idempotency_key(connection_id: int, grade_key: str, hashed: str, after: int | None) -> str:
    said = [connection_id, grade_key, hashed, after]
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()


class PushLedger:
    """The ``push_assignments`` and ``push_ledger`` rows of one destination connection."""

    def __init__(self, engine: sa.Engine, connection_id: int) -> None:
        self.engine = engine
        self.connection_id = connection_id

    # Assignments
    def claim_assignment(self, planned: PlannedAssignment) -> int:
        """Record that ``planned`` is about to be made (``pending``); its row id."""
        a, t, now = planned.assignment, push_assignments, utcnow()
        values = {"class_sourced_id": a.section.sourced_id, "item": a.item,
                  "period_sourced_id": a.period.sourced_id if a.period else None,
                  "period_end": a.period.end if a.period else None, "title": a.title[:300],
                  "points_possible": a.points_possible, "status": "pending",
                  "updated_at": now}
        with self.engine.begin() as conn:
            done = conn.execute(t.update().where(t.c.connection_id == self.connection_id,
                                                 t.c.key == a.key)
                                .values(attempts=t.c.attempts + 1, **values))
            if done.rowcount == 0:
                conn.execute(t.insert().values(connection_id=self.connection_id, key=a.key,
                                               attempts=1, created_at=now, **values))
            return int(conn.execute(sa.select(t.c.id).where(
                t.c.connection_id == self.connection_id, t.c.key == a.key)).scalar_one())

    def assignment_made(self, row_id: int, remote: Remote) -> None:
        t = push_assignments
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == row_id).values(
                status="active", remote_id=remote.id, remote_url=remote.url,
                remote_extra=dict(remote.extra) or None, message=None, updated_at=utcnow()))

    def assignment_status(self, row_id: int, status: str, message: str) -> None:
        """``gone``, ``skipped``, or ``pending`` with the reason it is not made yet."""
        t = push_assignments
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == row_id).values(
                status=status, message=message, updated_at=utcnow()))

    def remote(self, row_id: int) -> Remote | None:
        t = push_assignments
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.remote_id, t.c.remote_url, t.c.remote_extra)
                               .where(t.c.id == row_id)).first()
        if row is None or row.remote_id is None:
            return None
        return Remote(row.remote_id, row.remote_url, row.remote_extra or {})

    # Grades
    def claim_grades(self, assignment_ids: dict[str, int],
                     grades: Sequence[PlannedGrade], *, force: bool = False,
                     ) -> list[Claim]:
        """Claim ``grades`` in one transaction, in order: a ``write`` (or any grade when
        ``force``: an assignment made again) inserts a pending row, superseding older pending
        rows of the same grade; a ``resend`` counts another attempt on its row."""
        t, now = push_ledger, utcnow()
        out: list[Claim | None] = [None] * len(grades)
        with self.engine.begin() as conn:
            fresh = [(i, g) for i, g in enumerate(grades) if force or g.ledger_id is None]
            if fresh:
                keys = [g.key for _, g in fresh]
                latest = dict(conn.execute(
                    sa.select(t.c.grade_key, sa.func.max(t.c.id))
                    .where(t.c.connection_id == self.connection_id, t.c.grade_key.in_(keys))
                    .group_by(t.c.grade_key)).all())
                rows = [{"connection_id": self.connection_id,
                         "assignment_id": assignment_ids[g.assignment_key],
                         "grade_key": g.key, "user_sourced_id": g.learner.sourced_id,
                         "idempotency_key": _idempotency_key(self.connection_id, g.key, g.hash,
                                                             latest.get(g.key)),
                         "score": g.score, "points_possible": g.points_possible,
                         "level": g.level, "comment": g.comment, "value_hash": g.hash,
                         "timestamp": now, "status": "pending", "attempts": 1,
                         "created_at": now} for _, g in fresh]
                made = conn.execute(t.insert().returning(t.c.id, sort_by_parameter_order=True),
                                    rows).scalars().all()
                conn.execute(t.update().where(
                    t.c.connection_id == self.connection_id, t.c.grade_key.in_(keys),
                    t.c.status == "pending", t.c.id.not_in(made),
                ).values(status="superseded", message="a newer value for this grade "
                                                      "replaced it before the LMS took it"))
                for (i, _), ledger_id in zip(fresh, made, strict=True):
                    out[i] = Claim(int(ledger_id), now, 1)
            again = [(i, g) for i, g in enumerate(grades) if out[i] is None]
            if again:
                ids = [g.ledger_id for _, g in again]
                conn.execute(t.update().where(t.c.id.in_(ids)).values(attempts=t.c.attempts + 1))
                found = {row.id: row for row in conn.execute(
                    sa.select(t.c.id, t.c.timestamp, t.c.attempts).where(t.c.id.in_(ids)))}
                for i, g in again:
                    assert g.ledger_id is not None
                    row = found[g.ledger_id]
                    out[i] = Claim(row.id, row.timestamp, row.attempts)
        return [c for c in out if c is not None]

    def settle(self, outcomes: Iterable[Settle]) -> None:
        """Record what the LMS answered, in one transaction."""
        rows = [{"b_id": o.ledger_id, "b_status": o.status, "b_code": o.response_status,
                 "b_message": o.message, "b_sent": utcnow() if o.status in ("sent", "kept")
                 else None} for o in outcomes]
        if not rows:
            return
        t = push_ledger
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == sa.bindparam("b_id")).values(
                status=sa.bindparam("b_status"), response_status=sa.bindparam("b_code"),
                message=sa.bindparam("b_message"), sent_at=sa.bindparam("b_sent")), rows)

    def supersede(self, ledger_ids: Sequence[int], message: str) -> None:
        if not ledger_ids:
            return
        t = push_ledger
        with self.engine.begin() as conn:
            for start in range(0, len(ledger_ids), 500):
                conn.execute(t.update().where(t.c.id.in_(ledger_ids[start:start + 500]),
                                              t.c.status == "pending")
                             .values(status="superseded", message=message))


@dataclasses.dataclass(frozen=True, slots=True)
class GradeStatus:
    """One grade as a teacher or admin reads it: the latest ledger row of a learner's grade
    on an assignment."""

    class_sourced_id: str
    assignment: str
    item: str
    period: str | None
    user_sourced_id: str
    score: float
    points_possible: float
    level: str | None
    status: str
    attempts: int
    message: str | None
    updated_at: str
    sent_at: str | None
    remote_url: str | None

    def as_public(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def grade_statuses(conn: sa.Connection, connection_id: int, *,
                   class_sourced_id: str | None = None, user_sourced_id: str | None = None,
                   status: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[list[GradeStatus], int]:
    """The latest row of each grade of a destination (filtered), and how many match."""
    t, a = push_ledger, push_assignments
    newest = (sa.select(sa.func.max(t.c.id)).where(t.c.connection_id == connection_id)
              .group_by(t.c.grade_key))
    where: list[sa.ColumnElement[bool]] = [t.c.id.in_(newest)]
    if class_sourced_id is not None:
        where.append(a.c.class_sourced_id == class_sourced_id)
    if user_sourced_id is not None:
        where.append(t.c.user_sourced_id == user_sourced_id)
    if status is not None:
        where.append(t.c.status == status)
    joined = t.join(a, a.c.id == t.c.assignment_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar()
    rows = conn.execute(
        sa.select(a.c.class_sourced_id, a.c.title, a.c.item, a.c.period_sourced_id,
                  t.c.user_sourced_id, t.c.score, t.c.points_possible, t.c.level, t.c.status,
                  t.c.attempts, t.c.message, t.c.created_at, t.c.sent_at, a.c.remote_url)
        .select_from(joined).where(*where)
        .order_by(a.c.class_sourced_id, a.c.title, t.c.user_sourced_id)
        .limit(limit).offset(offset))
    return [GradeStatus(r.class_sourced_id, r.title, r.item, r.period_sourced_id,
                        r.user_sourced_id, r.score, r.points_possible, r.level, r.status,
                        r.attempts, r.message, r.created_at, r.sent_at, r.remote_url)
            for r in rows], int(total or 0)
