"""The review queue of identity links, and what an admin's decision changes.

Links the rules could not decide (``unmatched``, ``conflict``) wait here. Confirming one
names the canonical user; the evidence, interventions, placements and assessment results
that arrived for the person meanwhile (kept with no user) then get that user, and the
mastery of what they touched is recomputed. Ignoring one says the person is not in this
roster (a test account, a teacher using a student login): the link stops waiting and is not
decided again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError, SkippableRecordError
from gateway.identity.links import IdentityLink, link_of
from gateway.store.learning_tables import (
    assessment_results,
    evidence,
    identity_links,
    interventions,
    placements,
)
from gateway.store.tables import stream_tables

__all__ = ["WAITING", "Normalize", "Recompute", "confirm", "for_review", "get_link", "ignore",
           "list_links", "relink"]

WAITING = ("unmatched", "conflict")
Pair = tuple[str, str]
Recompute = Callable[[sa.Connection, int, Iterable[Pair]], object]
"""``gateway.mastery.recompute(conn, tenant_id, pairs)``: (learner, standard) pairs."""
Normalize = Callable[..., float]
"""``gateway.mastery.scales.normalize(raw, scale, *, learner_grade=None)``."""


def list_links(conn: sa.Connection, tenant_id: int, *, status: Iterable[str] | None = WAITING,
               system: str | None = None, limit: int = 1000) -> list[IdentityLink]:
    """The tenant's links (by default those waiting for review), oldest change first."""
    t = identity_links
    query = sa.select(t).where(t.c.tenant_id == tenant_id)
    if status is not None:
        query = query.where(t.c.status.in_(list(status)))
    if system is not None:
        query = query.where(t.c.system == system)
    return [link_of(r) for r in conn.execute(query.order_by(t.c.updated_at, t.c.id)
                                             .limit(limit))]


def for_review(conn: sa.Connection, tenant_id: int) -> list[IdentityLink]:
    return list_links(conn, tenant_id)


def get_link(conn: sa.Connection, tenant_id: int, link_id: int) -> IdentityLink:
    """The tenant's link ``link_id``; a ConfigError (another tenant's link included)."""
    t = identity_links
    row = conn.execute(sa.select(t).where(t.c.id == link_id, t.c.tenant_id == tenant_id)
                       ).first()
    if row is None:
        raise ConfigError(f"no identity link {link_id} in this tenant; list the identities "
                          f"to review again")
    return link_of(row)


def relink(conn: sa.Connection, tenant_id: int, link_id: int, user: str | None, *,
           normalize: Normalize | None = None,
           grade: Callable[[str], str | None] | None = None) -> set[Pair]:
    """Give every stored row of link ``link_id`` the user ``user`` (None: no user), and
    return the (learner, standard) pairs whose mastery that changes (old and new learner).

    Evidence on a grade-level scale without a grade could not be scored while its learner
    was unknown; with ``normalize`` and the learner's ``grade`` it is scored now.
    """
    e = evidence
    rows = conn.execute(sa.select(e.c.id, e.c.user_sourced_id, e.c.standard, e.c.raw_score,
                                  e.c.scale, e.c.score)
                        .where(e.c.tenant_id == tenant_id, e.c.identity_link_id == link_id)
                        ).all()
    pairs: set[Pair] = set()
    for row in rows:
        if row.standard is None:
            continue
        if row.user_sourced_id is not None:
            pairs.add((row.user_sourced_id, row.standard))
        if user is not None:
            pairs.add((user, row.standard))
    conn.execute(e.update().where(e.c.tenant_id == tenant_id, e.c.identity_link_id == link_id)
                 .values(user_sourced_id=user))
    if user is not None and normalize is not None and grade is not None:
        learner_grade = grade(user)
        for row in rows:
            if row.score is None and row.raw_score is not None and row.scale:
                try:
                    score = normalize(row.raw_score, row.scale, learner_grade=learner_grade)
                except SkippableRecordError:
                    continue  # still unscorable; it stays as evidence of activity
                conn.execute(e.update().where(e.c.id == row.id).values(score=score))
    a = assessment_results
    moved = {u for u in conn.execute(sa.select(a.c.user_sourced_id).distinct().where(
        a.c.tenant_id == tenant_id, a.c.identity_link_id == link_id)).scalars() if u}
    for table in (interventions, placements, assessment_results):
        conn.execute(table.update().where(table.c.tenant_id == tenant_id,
                                          table.c.identity_link_id == link_id)
                     .values(user_sourced_id=user))
    if user is not None and conn.execute(sa.select(a.c.id).where(
            a.c.tenant_id == tenant_id, a.c.identity_link_id == link_id).limit(1)).first():
        moved.add(user)
    if moved:  # their results moved: so did their growth
        from gateway.assessments.growth import recompute_growth

        recompute_growth(conn, tenant_id, sorted(moved))
    return pairs


def _grade_of(conn: sa.Connection, tenant_id: int) -> Callable[[str], str | None]:
    users = stream_tables["users"]

    def grade(user: str) -> str | None:
        text = conn.execute(sa.select(users.c.grades).where(
            users.c.tenant_id == tenant_id, users.c.sourced_id == user)).scalar()
        return str(text).split(",")[0].strip() if text else None
    return grade


def confirm(conn: sa.Connection, tenant_id: int, link_id: int, user_sourced_id: str, *,
            recompute: Recompute, normalize: Normalize | None = None) -> IdentityLink:
    """An admin's decision: link ``link_id`` is the active user ``user_sourced_id``. The
    link's stored rows get the user and their mastery is recomputed, in ``conn``'s
    transaction."""
    link = get_link(conn, tenant_id, link_id)
    users = stream_tables["users"]
    state = conn.execute(sa.select(users.c.status).where(
        users.c.tenant_id == tenant_id, users.c.sourced_id == user_sourced_id)).scalar()
    if state != "active":
        where = "is not in" if state is None else f"is {state} in"
        raise ConfigError(f"user {user_sourced_id!r} {where} this tenant's roster; choose an "
                          f"active user's sourcedId for {link.kind} {link.external_id!r} of "
                          f"{link.system!r}")
    was = f"was {link.status}" + (f": {link.detail}" if link.detail else "")
    _update(conn, link.id, user_sourced_id=user_sourced_id, rule="admin", status="confirmed",
            detail=f"confirmed by an admin ({was})")
    pairs = relink(conn, tenant_id, link.id, user_sourced_id, normalize=normalize,
                   grade=_grade_of(conn, tenant_id))
    if pairs:
        recompute(conn, tenant_id, sorted(pairs))
    return get_link(conn, tenant_id, link.id)


def ignore(conn: sa.Connection, tenant_id: int, link_id: int, *,
           recompute: Recompute) -> IdentityLink:
    """An admin's decision: the person of link ``link_id`` is no one in this roster. Rows
    already given a user through the link lose it (and their mastery is recomputed)."""
    link = get_link(conn, tenant_id, link_id)
    _update(conn, link.id, user_sourced_id=None, rule="admin", status="ignored",
            detail=f"ignored by an admin (was {link.status})")
    pairs = relink(conn, tenant_id, link.id, None)
    if pairs:
        recompute(conn, tenant_id, sorted(pairs))
    return get_link(conn, tenant_id, link.id)


def _update(conn: sa.Connection, link_id: int, **values: Any) -> None:
    conn.execute(identity_links.update().where(identity_links.c.id == link_id)
                 .values(updated_at=utcnow(), **values))
