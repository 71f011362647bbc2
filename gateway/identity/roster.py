"""The roster side of identity resolution: which active users a value of a roster field
names, looked up for many values at once.

A run resolves thousands of learners, and none of the fields the rules compare (email,
username, identifier, userIds) is indexed; so :class:`RosterIndex` reads each field it needs
once, for every active user of the tenant, and answers from memory. :class:`RosterQuery`
asks the database per call, for the one-off resolution of a single person.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa

from gateway.model._values import parse_pairs
from gateway.store.tables import lti_identity_links, lti_registrations, stream_tables

__all__ = ["Roster", "RosterIndex", "RosterQuery"]

_COLUMNS = {"sourcedId": "sourced_id", "identifier": "identifier", "username": "username",
            "email": "email", "userMasterIdentifier": "user_master_identifier"}
_RESOLVED = ("matched", "confirmed")
_CHUNK = 500


def _key(field: str, value: str) -> str:
    return value.strip().lower() if field == "email" else value.strip()


def _user_ids(text: str | None) -> list[tuple[str, str]]:
    if not text:
        return []
    try:
        return [(kind.lower(), value) for kind, value in parse_pairs(text, "userIds")]
    except ValueError:
        return []  # a malformed stored value names nobody


class Roster(Protocol):
    def find(self, field: str, values: Iterable[str]) -> dict[str, list[str]]:
        """Per value (as given), the sorted sourcedIds of the active users whose ``field``
        holds it."""

    def active(self, sourced_ids: Iterable[str]) -> set[str]:
        """Which of ``sourced_ids`` are active users of the tenant."""

    def grade(self, sourced_id: str) -> str | None:
        """The user's (first) grade, for grade-level scales."""


class RosterIndex:
    """Every field a run needs, read once for all active users of the tenant."""

    def __init__(self, conn: sa.Connection, tenant_id: int) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self._fields: dict[str, dict[str, list[str]]] = {}
        self._active: set[str] | None = None
        self._grades: dict[str, str] | None = None

    def _users(self, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        users = stream_tables["users"]
        return sa.select(*columns).where(users.c.tenant_id == self.tenant_id,
                                         users.c.status == "active")

    def _load(self, field: str) -> dict[str, list[str]]:
        users = stream_tables["users"]
        index: dict[str, list[str]] = {}
        if field == "lti":
            t, r = lti_identity_links, lti_registrations
            rows = self.conn.execute(
                sa.select(t.c.sub, t.c.user_sourced_id).join(r, r.c.id == t.c.registration_id)
                .where(r.c.tenant_id == self.tenant_id, t.c.status.in_(_RESOLVED)))
            active = self._all_active()
            pairs = [(sub, user) for sub, user in rows if user in active]
        elif field.startswith("userIds:"):
            kind = field.partition(":")[2].lower()
            rows = self.conn.execute(self._users(users.c.sourced_id, users.c.user_ids)
                                     .where(users.c.user_ids.is_not(None)))
            pairs = [(value, sid) for sid, text in rows
                     for k, value in _user_ids(text) if k == kind]
        else:
            column = users.c[_COLUMNS[field]]
            rows = self.conn.execute(self._users(column, users.c.sourced_id)
                                     .where(column.is_not(None)))
            pairs = [(str(value), str(sid)) for value, sid in rows]
        for value, sid in pairs:
            found = index.setdefault(_key(field, str(value)), [])
            if sid not in found:
                found.append(str(sid))
        for found in index.values():
            found.sort()
        return index

    def find(self, field: str, values: Iterable[str]) -> dict[str, list[str]]:
        index = self._fields.get(field)
        if index is None:
            index = self._fields[field] = self._load(field)
        return {v: list(index.get(_key(field, v), ())) for v in values}

    def _all_active(self) -> set[str]:
        if self._active is None:
            users = stream_tables["users"]
            self._active = {str(s) for s in self.conn.execute(
                self._users(users.c.sourced_id)).scalars()}
        return self._active

    def active(self, sourced_ids: Iterable[str]) -> set[str]:
        return self._all_active() & set(sourced_ids)

    def grade(self, sourced_id: str) -> str | None:
        if self._grades is None:
            users = stream_tables["users"]
            rows = self.conn.execute(self._users(users.c.sourced_id, users.c.grades)
                                     .where(users.c.grades.is_not(None)))
            self._grades = {str(sid): str(g).split(",")[0].strip() for sid, g in rows if g}
        return self._grades.get(sourced_id)


class RosterQuery:
    """The same answers, one query per call: for resolving a single person."""

    def __init__(self, conn: sa.Connection, tenant_id: int) -> None:
        self.conn = conn
        self.tenant_id = tenant_id

    def find(self, field: str, values: Iterable[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for value in values:
            index = _OneValue(self.conn, self.tenant_id, field, value)
            out[value] = index.find(field, [value])[value]
        return out

    def active(self, sourced_ids: Iterable[str]) -> set[str]:
        users = stream_tables["users"]
        ids = list(sourced_ids)
        found: set[str] = set()
        for i in range(0, len(ids), _CHUNK):
            found.update(self.conn.execute(sa.select(users.c.sourced_id).where(
                users.c.tenant_id == self.tenant_id, users.c.status == "active",
                users.c.sourced_id.in_(ids[i:i + _CHUNK]))).scalars())
        return found

    def grade(self, sourced_id: str) -> str | None:
        users = stream_tables["users"]
        text = self.conn.execute(sa.select(users.c.grades).where(
            users.c.tenant_id == self.tenant_id, users.c.status == "active",
            users.c.sourced_id == sourced_id)).scalar()
        return str(text).split(",")[0].strip() if text else None


class _OneValue(RosterIndex):
    """A :class:`RosterIndex` whose field loads are narrowed to the users that can hold one
    value, so a single lookup reads a handful of rows rather than the roster."""

    def __init__(self, conn: sa.Connection, tenant_id: int, field: str, value: str) -> None:
        super().__init__(conn, tenant_id)
        self._narrow = (field, value.strip())

    def _users(self, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        users = stream_tables["users"]
        query = super()._users(*columns)
        field, value = self._narrow
        if field == "email":
            return query.where(sa.func.lower(users.c.email) == value.lower())
        if field.startswith("userIds:"):
            return query.where(users.c.user_ids.contains(value, autoescape=True))
        if field in _COLUMNS:
            return query.where(users.c[_COLUMNS[field]] == value)
        return query

    def _all_active(self) -> set[str]:
        # Only the users an LTI link of this sub names can matter (the ``lti`` field).
        t, r = lti_identity_links, lti_registrations
        linked = [str(u) for u in self.conn.execute(
            sa.select(t.c.user_sourced_id).join(r, r.c.id == t.c.registration_id).where(
                r.c.tenant_id == self.tenant_id, t.c.sub == self._narrow[1],
                t.c.status.in_(_RESOLVED))).scalars() if u]
        return RosterQuery(self.conn, self.tenant_id).active(linked)
