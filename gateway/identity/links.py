"""Who a person of another system is in the canonical roster: identity links, never guessed.

A tool knows a learner by its own id, a username, an email, a state id...; the roster by a
OneRoster ``sourcedId``. :class:`IdentityResolver` decides between them for one connection
(``system``) with its :class:`~gateway.identity.rules.IdentityRules`, in order:

1. a link already ``matched`` or ``confirmed`` for the (system, external id) stands while
   its user is active in the tenant; an ``ignored`` link stands as it is;
2. otherwise every roster field the rules give the id's kind (and the kinds the record's
   attributes carry) is looked up among the tenant's active users;
3. exactly one user in all → ``matched``; two users for one field, or fields naming different
   users → ``conflict`` (the candidates in ``detail``); none → ``unmatched``.

Unmatched and conflicting links wait for review and are decided again on the next run, when
the roster may have been fixed. One resolver serves a run: each (system, external id) is
decided once, from roster fields read once (:class:`~gateway.identity.roster.RosterIndex`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.identity.roster import Roster, RosterIndex, RosterQuery
from gateway.identity.rules import IdentityRules
from gateway.learning.records import ID_KINDS
from gateway.store.learning_tables import identity_links

__all__ = ["RESOLVED", "IdentityLink", "IdentityResolver", "LearnerRef", "LinkCounts",
           "link_of", "resolve"]

Status = Literal["matched", "confirmed", "unmatched", "conflict", "ignored"]
RESOLVED = ("matched", "confirmed")
_CHUNK = 500


@dataclasses.dataclass(frozen=True, slots=True)
class IdentityLink:
    id: int
    tenant_id: int
    system: str
    external_id: str
    kind: str
    user_sourced_id: str | None
    """The canonical user, when matched or confirmed."""
    rule: str | None
    """What decided it: ``KIND:FIELD`` (such as ``email:email``) or ``admin``."""
    status: Status
    attributes: Mapping[str, Any] | None
    detail: str | None
    """Why it is unmatched or in conflict (the candidates), for the reviewer."""
    updated_at: str

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED

    def as_public(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class LearnerRef:
    """A person as one record names them."""

    external_id: str
    kind: str
    attributes: Mapping[str, Any] | None = None


@dataclasses.dataclass(slots=True)
class LinkCounts:
    added: int = 0
    updated: int = 0
    """Links whose decision changed (a new match, a user no longer active, ...)."""
    unchanged: int = 0
    waiting: int = 0
    """Links of this run that wait for review (unmatched or conflict)."""


def link_of(row: Any) -> IdentityLink:
    return IdentityLink(id=row.id, tenant_id=row.tenant_id, system=row.system,
                        external_id=row.external_id, kind=row.kind,
                        user_sourced_id=row.user_sourced_id, rule=row.rule, status=row.status,
                        attributes=row.attributes, detail=row.detail, updated_at=row.updated_at)


Decision = tuple[Status, str | None, str | None, str | None]
"""(status, user, rule, detail)."""


def _decide(found: dict[str, list[str]], tried: str) -> Decision:
    ambiguous = {rule: users for rule, users in found.items() if len(users) > 1}
    single = {rule: users[0] for rule, users in found.items() if len(users) == 1}
    if ambiguous:
        detail = "; ".join(f"{rule} matches {len(users)} users: {', '.join(users)}"
                           for rule, users in ambiguous.items())
        return "conflict", None, None, detail
    if len(set(single.values())) > 1:
        detail = "; ".join(f"{rule} matches user {user}" for rule, user in single.items())
        return "conflict", None, None, f"the rules disagree: {detail}"
    if single:
        rule, user = next(iter(single.items()))
        return "matched", user, rule, None
    return "unmatched", None, None, tried


class IdentityResolver:
    """The links of one connection's people, decided once per run and stored."""

    def __init__(self, tenant_id: int, system: str, rules: IdentityRules | None = None) -> None:
        self.tenant_id = tenant_id
        self.system = system
        self.rules = rules or IdentityRules()
        self.links: dict[str, IdentityLink] = {}
        """Every link decided in this run, by external id."""
        self.moved: dict[int, tuple[str | None, str | None]] = {}
        """Stored links whose user changed in this run: id -> (old user, new user); their
        stored rows must follow (:func:`gateway.identity.review.relink`)."""
        self.counts = LinkCounts()
        self._roster: Roster | None = None
        self._conn: sa.Connection | None = None

    def roster(self, conn: sa.Connection, *, preload: bool = True) -> Roster:
        if self._roster is None or self._conn is not conn:
            self._roster = (RosterIndex if preload else RosterQuery)(conn, self.tenant_id)
            self._conn = conn
        return self._roster

    def resolve_many(self, conn: sa.Connection, refs: Iterable[LearnerRef], *,
                     preload: bool = True) -> dict[str, IdentityLink]:
        """The link of each ref's person (by external id), deciding and storing those this
        run has not decided yet."""
        wanted: dict[str, LearnerRef] = {}
        for ref in refs:
            if ref.external_id not in self.links:
                wanted.setdefault(ref.external_id, ref)
        if wanted:
            roster = self.roster(conn, preload=preload)
            stored = self._stored(conn, list(wanted))
            users = roster.active({link.user_sourced_id for link in stored.values()
                                   if link.user_sourced_id})
            undecided = []
            for external_id, ref in wanted.items():
                link = stored.get(external_id)
                if link is not None and (link.status == "ignored" or (
                        link.resolved and link.user_sourced_id in users)):
                    self.links[external_id] = link
                    self.counts.unchanged += 1
                else:
                    undecided.append(ref)
            decisions = self._decide_all(roster, undecided)
            self._store(conn, undecided, decisions, stored)
        return self.links

    def resolve(self, conn: sa.Connection, ref: LearnerRef, *,
                preload: bool = True) -> IdentityLink:
        return self.resolve_many(conn, [ref], preload=preload)[ref.external_id]

    # deciding ----------------------------------------------------------------------------

    def _lookups(self, ref: LearnerRef) -> list[tuple[str, str, str]]:
        """(rule name, roster field, value) to try for ``ref``: its own kind, then the id
        kinds among its attributes."""
        out = [(f"{ref.kind}:{f}", f, ref.external_id) for f in self.rules.fields(ref.kind)]
        for kind, value in (ref.attributes or {}).items():
            if kind in ID_KINDS and kind != ref.kind and isinstance(value, str) and value.strip():
                out += [(f"{kind}:{f}", f, value) for f in self.rules.fields(kind)]
        return out

    def _decide_all(self, roster: Roster, refs: list[LearnerRef]) -> list[Decision]:
        by_field: dict[str, set[str]] = {}
        plans = [self._lookups(ref) for ref in refs]
        for plan in plans:
            for _, field, value in plan:
                by_field.setdefault(field, set()).add(value)
        hits = {field: roster.find(field, values) for field, values in by_field.items()}
        decisions = []
        for ref, plan in zip(refs, plans, strict=True):
            found = {rule: hits[field][value] for rule, field, value in plan}
            if ref.kind not in ID_KINDS:
                tried = (f"{ref.kind!r} is not an id kind ({', '.join(ID_KINDS)}); fix the "
                         f"mapping's learner_id_kind")
            elif not plan:
                tried = (f"a {ref.kind} is in no roster field, so only an admin can link it; "
                         f"confirm the user")
            else:
                tried = "no active user matches; tried " + ", ".join(found)
            decisions.append(_decide(found, tried))
        return decisions

    # storing -----------------------------------------------------------------------------

    def _stored(self, conn: sa.Connection, external_ids: list[str]) -> dict[str, IdentityLink]:
        t = identity_links
        out: dict[str, IdentityLink] = {}
        for i in range(0, len(external_ids), _CHUNK):
            rows = conn.execute(sa.select(t).where(
                t.c.tenant_id == self.tenant_id, t.c.system == self.system,
                t.c.external_id.in_(external_ids[i:i + _CHUNK])))
            out.update((row.external_id, link_of(row)) for row in rows)
        return out

    def _store(self, conn: sa.Connection, refs: list[LearnerRef], decisions: list[Decision],
               stored: dict[str, IdentityLink]) -> None:
        t = identity_links
        now = utcnow()
        new: list[dict[str, Any]] = []
        for ref, (status, user, rule, detail) in zip(refs, decisions, strict=True):
            values: dict[str, Any] = {"kind": ref.kind, "user_sourced_id": user, "rule": rule,
                      "status": status, "detail": detail,
                      "attributes": dict(ref.attributes) if ref.attributes else None}
            old = stored.get(ref.external_id)
            if status not in RESOLVED:
                self.counts.waiting += 1
            if old is None:
                new.append({"tenant_id": self.tenant_id, "system": self.system,
                            "external_id": ref.external_id, "updated_at": now, **values})
                continue
            if all(getattr(old, k) == v for k, v in values.items()):
                self.links[ref.external_id] = old
                self.counts.unchanged += 1
                continue
            conn.execute(t.update().where(t.c.id == old.id).values(updated_at=now, **values))
            self.links[ref.external_id] = dataclasses.replace(old, updated_at=now, **values)
            self.counts.updated += 1
            if old.user_sourced_id != user:
                before = self.moved.get(old.id, (old.user_sourced_id, None))[0]
                self.moved[old.id] = (before, user)
        if new:
            conn.execute(t.insert(), new)
            self.counts.added += len(new)
            self.links.update(self._stored(conn, [v["external_id"] for v in new]))


def resolve(conn: sa.Connection, tenant_id: int, system: str, external_id: str, kind: str,
            attributes: Mapping[str, Any] | None = None,
            rules: IdentityRules | None = None) -> IdentityLink:
    """The stored link of one person of ``system`` (decided by the rules if need be), with
    targeted queries: for a single score or launch. A run uses one
    :class:`IdentityResolver` for all its records instead. Stored rows of a link whose user
    changed are not moved here; :func:`gateway.identity.review.relink` does that."""
    resolver = IdentityResolver(tenant_id, system, rules)
    return resolver.resolve(conn, LearnerRef(external_id, kind, attributes), preload=False)
