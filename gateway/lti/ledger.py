"""The score ledger: every AGS score the gateway posts, so a grade is never written twice.

A score's row is claimed before it is sent. Its idempotency key hashes what the score says
(registration, line item, user, given and maximum score, activity and grading progress,
comment) and the key of the row before it for that user and line item, so pushing the same
grade again finds its row and sends nothing, while a grade that changes and then changes
back (85, 70, 85) is a new row each time and reaches the gradebook. A ``pending`` row is a
score that may or may not have reached the platform (a crash or a failure after the
POST): it is resent with the timestamp stored when it was claimed, and AGS lets a platform
treat a score with an equal timestamp as the same score, so the gradebook holds it once.

Statuses: ``pending`` (to send, or sent without an answer recorded), ``sent`` (the platform
said 2xx, or already held it), ``superseded`` (a newer score for the same user and line
item, or the line item was recreated, or the platform holds a later grade).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.errors import SkippableRecordError
from gateway.store.tables import lti_score_ledger

__all__ = ["ACTIVITY_PROGRESS", "GRADING_PROGRESS", "Score", "ScoreEntry", "ScoreLedger"]

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")

Status = Literal["pending", "sent", "superseded"]


@dataclasses.dataclass(frozen=True, slots=True)
class Score:
    """What a score says (AGS 2.0 §3.4), without its timestamp, which the ledger picks."""

    user_id: str
    """The LTI user id (the ``sub`` of the user's launches, NRPS ``user_id``)."""
    score_given: float | None = None
    score_maximum: float | None = None
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None

    def check(self) -> None:
        """SkippableRecordError, naming the user and field, for what AGS does not allow."""
        who = f"score for LTI user {self.user_id!r}"
        if not self.user_id:
            raise SkippableRecordError("a score has no userId; link the learner to an LMS "
                                       "user first")
        if self.activity_progress not in ACTIVITY_PROGRESS:
            raise SkippableRecordError(f"{who}: activityProgress {self.activity_progress!r} "
                                       f"is not one of {', '.join(ACTIVITY_PROGRESS)}")
        if self.grading_progress not in GRADING_PROGRESS:
            raise SkippableRecordError(f"{who}: gradingProgress {self.grading_progress!r} "
                                       f"is not one of {', '.join(GRADING_PROGRESS)}")
        if self.score_given is not None:
            if self.score_maximum is None or self.score_maximum <= 0:
                raise SkippableRecordError(f"{who}: scoreGiven needs a scoreMaximum above 0 "
                                           f"(got {self.score_maximum!r})")
            if self.score_given < 0:
                raise SkippableRecordError(f"{who}: scoreGiven {self.score_given} is below 0")

    def says(self) -> dict[str, Any]:
        """The fields the idempotency key covers, normalized (85 and 85.0 are one score)."""
        return {"userId": self.user_id,
                "scoreGiven": None if self.score_given is None else float(self.score_given),
                "scoreMaximum": (None if self.score_maximum is None
                                 else float(self.score_maximum)),
                "activityProgress": self.activity_progress,
                "gradingProgress": self.grading_progress, "comment": self.comment}


@dataclasses.dataclass(frozen=True, slots=True)
class ScoreEntry:
    """One ledger row."""

    id: int
    registration_id: int
    idempotency_key: str
    line_item_url: str
    score: Score
    timestamp: str
    """When the score was claimed (ISO 8601, ms, Z): the AGS ``timestamp`` on every send."""
    status: Status
    attempts: int
    """POSTs tried (counted as each starts, so a crash mid-POST still counts)."""
    response_status: int | None
    message: str | None
    created_at: str
    sent_at: str | None

    def body(self) -> dict[str, Any]:
        """The AGS score JSON (``application/vnd.ims.lis.v1.score+json``)."""
        body = {k: v for k, v in self.score.says().items() if v is not None}
        body["timestamp"] = self.timestamp
        return body

    def as_public(self) -> dict[str, Any]:
        """What the admin API shows."""
        return {"id": self.id, "registration_id": self.registration_id,
                "line_item_url": self.line_item_url, **self.score.says(),
                "timestamp": self.timestamp, "status": self.status,
                "attempts": self.attempts, "response_status": self.response_status,
                "message": self.message, "created_at": self.created_at,
                "sent_at": self.sent_at}


def _entry(row: Any) -> ScoreEntry:
    score = Score(user_id=row.user_id, score_given=row.score_given,
                  score_maximum=row.score_maximum, activity_progress=row.activity_progress,
                  grading_progress=row.grading_progress, comment=row.comment)
    return ScoreEntry(id=row.id, registration_id=row.registration_id,
                      idempotency_key=row.idempotency_key, line_item_url=row.line_item_url,
                      score=score, timestamp=row.timestamp, status=row.status,
                      attempts=row.attempts, response_status=row.response_status,
                      message=row.message, created_at=row.created_at, sent_at=row.sent_at)


def idempotency_key(registration_id: int, line_item_url: str, score: Score,
                    previous_key: str | None) -> str:
    said = {"registration": registration_id, "lineItem": line_item_url, **score.says(),
            "after": previous_key}
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()


class ScoreLedger:
    """The ``lti_score_ledger`` table."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def claim(self, registration_id: int, line_item_url: str, score: Score) -> ScoreEntry:
        """The row for sending ``score``: found if this score is what was last pushed for
        the user and line item (``sent``: nothing to do; ``pending``: resend it as it is),
        else inserted ``pending`` with the timestamp chosen now. Either way its attempts
        count the POST about to start. Atomic on SQLite and PostgreSQL."""
        score.check()
        t = lti_score_ledger
        mine = (t.c.registration_id == registration_id, t.c.line_item_url == line_item_url,
                t.c.user_id == score.user_id)
        # IMMEDIATE: the read of the latest row and the insert after it see one state.
        with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, \
                conn.begin():
            latest = conn.execute(sa.select(t).where(*mine).order_by(t.c.id.desc())
                                  .limit(1)).first()
            if latest is not None and _entry(latest).score == score:
                row = latest
            else:
                key = idempotency_key(registration_id, line_item_url, score,
                                      latest.idempotency_key if latest is not None else None)
                now = utcnow()
                insert = (postgresql.insert(t) if conn.dialect.name == "postgresql"
                          else sqlite.insert(t))
                added = conn.execute(insert.values(
                    registration_id=registration_id, idempotency_key=key,
                    line_item_url=line_item_url, user_id=score.user_id,
                    score_given=score.score_given, score_maximum=score.score_maximum,
                    activity_progress=score.activity_progress,
                    grading_progress=score.grading_progress, comment=score.comment,
                    timestamp=now, status="pending", attempts=0, created_at=now,
                ).on_conflict_do_nothing(index_elements=["idempotency_key"])
                    .returning(t.c.id)).first()
                if added is not None:
                    # An older score never confirmed is no longer what the gradebook should
                    # show; this one (a later timestamp) replaces it wherever it landed.
                    conn.execute(t.update().where(*mine, t.c.id < added.id,
                                                  t.c.status == "pending")
                                 .values(status="superseded",
                                         message="a newer score for this user replaced it"))
                row = conn.execute(sa.select(t).where(t.c.idempotency_key == key)).one()
            if row.status == "pending":
                conn.execute(t.update().where(t.c.id == row.id)
                             .values(attempts=t.c.attempts + 1))
                row = conn.execute(sa.select(t).where(t.c.id == row.id)).one()
        return _entry(row)

    def _set(self, entry: ScoreEntry, **values: Any) -> ScoreEntry:
        t = lti_score_ledger
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == entry.id).values(**values))
            row = conn.execute(sa.select(t).where(t.c.id == entry.id)).one()
        return _entry(row)

    def sent(self, entry: ScoreEntry, response_status: int,
             message: str | None = None) -> ScoreEntry:
        """The platform took the score (or said it already held it)."""
        return self._set(entry, status="sent", sent_at=utcnow(),
                         response_status=response_status, message=message)

    def failed(self, entry: ScoreEntry, message: str,
               response_status: int | None = None) -> ScoreEntry:
        """The send failed; the row stays ``pending`` for the next push."""
        return self._set(entry, message=message, response_status=response_status)

    def superseded(self, entry: ScoreEntry, message: str,
                   response_status: int | None = None) -> ScoreEntry:
        """The score is no longer to be sent (why is in ``message``)."""
        return self._set(entry, status="superseded", message=message,
                         response_status=response_status)

    def get(self, entry_id: int) -> ScoreEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_score_ledger)
                               .where(lti_score_ledger.c.id == entry_id)).first()
        return _entry(row) if row is not None else None

    def list(self, registration_id: int, *, status: Status | None = None,
             user_id: str | None = None, after_id: int = 0,
             limit: int = 100) -> list[ScoreEntry]:
        """Rows of a registration, oldest first; page on with ``after_id`` = the last id."""
        t = lti_score_ledger
        query = (sa.select(t).where(t.c.registration_id == registration_id, t.c.id > after_id)
                 .order_by(t.c.id).limit(limit))
        if status is not None:
            query = query.where(t.c.status == status)
        if user_id is not None:
            query = query.where(t.c.user_id == user_id)
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def counts(self, registration_id: int) -> dict[str, int]:
        """How many rows of a registration are in each status."""
        t = lti_score_ledger
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.status, sa.func.count())
                                .where(t.c.registration_id == registration_id)
                                .group_by(t.c.status)).all()
        return {status: int(n) for status, n in rows}
