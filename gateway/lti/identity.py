"""Who an LMS user is in the canonical roster: identity links of LTI users, never guessed.

An LMS knows a person by the ``sub`` it sends in launches and NRPS; the canonical roster by
a OneRoster ``sourcedId``. :class:`IdentityLinks` decides between them by rules, in order:

1. a link already made for the registration and ``sub`` (by these rules or by an admin)
   stands while its user is active in the tenant;
2. the LIS ``person_sourcedid`` equal to an active user's ``sourcedId`` or ``identifier``;
3. the email equal, ignoring case, to exactly one active user's email.

Two users for one rule, or rules naming different users, is a ``conflict``; no user is
``unmatched``. Both wait for an admin (:meth:`IdentityLinks.for_review`,
:meth:`IdentityLinks.confirm`) with the candidates named, and are tried again on the next
launch, when the roster may have been fixed.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.lti.registrations import Registration
from gateway.store.tables import lti_identity_links, lti_registrations, stream_tables

__all__ = ["IdentityLinks", "Link", "match_class"]

Status = Literal["matched", "confirmed", "unmatched", "conflict"]
RESOLVED = ("matched", "confirmed")


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    id: int
    registration_id: int
    sub: str
    user_sourced_id: str | None
    """The canonical user, when matched or confirmed."""
    matched_by: str | None
    """``person_sourcedid``, ``email`` or ``admin``."""
    status: Status
    name: str | None
    email: str | None
    person_sourcedid: str | None
    detail: str | None
    """Why it is unmatched or in conflict (the candidates), for the reviewer."""
    updated_at: str

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED

    def as_public(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _link(row: Any) -> Link:
    return Link(id=row.id, registration_id=row.registration_id, sub=row.sub,
                user_sourced_id=row.user_sourced_id, matched_by=row.matched_by,
                status=row.status, name=row.name, email=row.email,
                person_sourcedid=row.person_sourcedid, detail=row.detail,
                updated_at=row.updated_at)


def _active_users(conn: sa.Connection, tenant_id: int,
                  where: sa.ColumnElement[bool]) -> list[str]:
    users = stream_tables["users"]
    return sorted(conn.execute(sa.select(users.c.sourced_id).where(
        users.c.tenant_id == tenant_id, users.c.status == "active", where)).scalars())


def _candidates(conn: sa.Connection, tenant_id: int, person_sourcedid: str | None,
                email: str | None) -> dict[str, list[str]]:
    """Each rule's candidate users (only the rules the claims give data for)."""
    users = stream_tables["users"]
    found: dict[str, list[str]] = {}
    if person_sourcedid and person_sourcedid.strip():
        value = person_sourcedid.strip()
        found["person_sourcedid"] = _active_users(
            conn, tenant_id, sa.or_(users.c.sourced_id == value, users.c.identifier == value))
    if email and email.strip():
        found["email"] = _active_users(
            conn, tenant_id, sa.func.lower(users.c.email) == email.strip().lower())
    return found


def _decide(found: dict[str, list[str]]) -> tuple[Status, str | None, str | None, str | None]:
    """(status, user, rule, detail) from each rule's candidates."""
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
        rule, user = next(iter(single.items()))  # rules in order: sourcedid before email
        return "matched", user, rule, None
    tried = ", ".join(found) or "nothing (the launch sent neither lis person_sourcedid nor email)"
    return "unmatched", None, None, f"no active user matches; tried {tried}"


class IdentityLinks:
    """The ``lti_identity_links`` table."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get(self, registration_id: int, sub: str) -> Link | None:
        t = lti_identity_links
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.registration_id == registration_id,
                                                  t.c.sub == sub)).first()
        return _link(row) if row is not None else None

    def resolve(self, registration: Registration, *, sub: str,
                person_sourcedid: str | None = None, email: str | None = None,
                name: str | None = None) -> Link:
        """The link of ``sub``, decided by the rules (module doc) and stored."""
        if not sub:
            raise ValueError("an LTI user has no sub")
        users = stream_tables["users"]
        t = lti_identity_links
        existing = self.get(registration.id, sub)
        with self.engine.connect() as conn:
            if existing is not None and existing.resolved and _active_users(
                    conn, registration.tenant_id,
                    users.c.sourced_id == existing.user_sourced_id):
                return existing
            found = _candidates(conn, registration.tenant_id, person_sourcedid, email)
        status, user, rule, detail = _decide(found)
        values = {"user_sourced_id": user, "matched_by": rule, "status": status,
                  "name": name, "email": email, "person_sourcedid": person_sourcedid,
                  "detail": detail, "updated_at": utcnow()}
        if existing is not None and all(getattr(existing, k) == v for k, v in values.items()
                                        if k != "updated_at"):
            return existing  # nothing changed: no write on every launch
        # Only overwrite what we read: an admin's confirmation made meanwhile stands.
        guard = (t.c.status.notin_(RESOLVED) if existing is None or not existing.resolved
                 else t.c.user_sourced_id == existing.user_sourced_id)
        with self.engine.begin() as conn:
            insert = (postgresql.insert(t) if conn.dialect.name == "postgresql"
                      else sqlite.insert(t))
            conn.execute(insert.values(registration_id=registration.id, sub=sub, **values)
                         .on_conflict_do_update(index_elements=["registration_id", "sub"],
                                                set_=values, where=guard))
            row = conn.execute(sa.select(t).where(t.c.registration_id == registration.id,
                                                  t.c.sub == sub)).one()
        return _link(row)

    def of_user(self, registration_id: int, user_sourced_id: str) -> list[Link]:
        """The matched or confirmed links of canonical user ``user_sourced_id`` in a
        registration (the LMS users they are), confirmed by an admin first, then the most
        recently decided."""
        t = lti_identity_links
        query = (sa.select(t).where(t.c.registration_id == registration_id,
                                    t.c.user_sourced_id == user_sourced_id,
                                    t.c.status.in_(RESOLVED))
                 .order_by((t.c.status == "confirmed").desc(), t.c.updated_at.desc(),
                           t.c.id.desc()))
        with self.engine.connect() as conn:
            return [_link(row) for row in conn.execute(query)]

    def by_id(self, link_id: int) -> Link | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_identity_links)
                               .where(lti_identity_links.c.id == link_id)).first()
        return _link(row) if row is not None else None

    def for_review(self, tenant_id: int) -> list[Link]:
        """The tenant's unmatched and conflicting links, oldest change first."""
        t, r = lti_identity_links, lti_registrations
        query = (sa.select(t).join(r, r.c.id == t.c.registration_id)
                 .where(r.c.tenant_id == tenant_id, t.c.status.in_(("unmatched", "conflict")))
                 .order_by(t.c.updated_at, t.c.id))
        with self.engine.connect() as conn:
            return [_link(row) for row in conn.execute(query)]

    def confirm(self, link_id: int, user_sourced_id: str) -> Link:
        """An admin's decision: ``link_id`` is the canonical user ``user_sourced_id``."""
        t, r = lti_identity_links, lti_registrations
        users = stream_tables["users"]
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(t, r.c.tenant_id, r.c.name.label("registration"))
                                 .join(r, r.c.id == t.c.registration_id)
                                 .where(t.c.id == link_id)).first()
            if found is None:
                raise ConfigError(f"no identity link {link_id}; list the links to review "
                                  f"again, it may have been removed with its registration")
            status = conn.execute(sa.select(users.c.status).where(
                users.c.tenant_id == found.tenant_id,
                users.c.sourced_id == user_sourced_id)).scalar()
            if status != "active":
                state = "is not in" if status is None else f"is {status} in"
                raise ConfigError(f"user {user_sourced_id!r} {state} this tenant's roster; "
                                  f"choose an active user's sourcedId for LMS user "
                                  f"{found.sub!r} of registration {found.registration!r}")
            was = f"was {found.status}" + (f": {found.detail}" if found.detail else "")
            conn.execute(t.update().where(t.c.id == link_id).values(
                user_sourced_id=user_sourced_id, matched_by="admin", status="confirmed",
                detail=f"confirmed by an admin ({was})", updated_at=utcnow()))
            row = conn.execute(sa.select(t).where(t.c.id == link_id)).one()
        return _link(row)


def match_class(engine: sa.Engine, tenant_id: int, *, course_section_sourcedid: str | None,
                context_label: str | None) -> str | None:
    """The canonical class of an LTI context: the LIS ``course_section_sourcedid`` equal to
    an active class's sourcedId, else the context label equal to exactly one active class's
    ``classCode``; None when neither decides."""
    classes = stream_tables["classes"]
    active = (classes.c.tenant_id == tenant_id, classes.c.status == "active")
    with engine.connect() as conn:
        if course_section_sourcedid and course_section_sourcedid.strip():
            found = conn.execute(sa.select(classes.c.sourced_id).where(
                *active, classes.c.sourced_id == course_section_sourcedid.strip())).scalar()
            if found is not None:
                return str(found)
        if context_label and context_label.strip():
            codes = conn.execute(sa.select(classes.c.sourced_id).where(
                *active, classes.c.class_code == context_label.strip()).limit(2)).scalars()
            matches = list(codes)
            if len(matches) == 1:
                return str(matches[0])
    return None
