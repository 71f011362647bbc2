"""API keys of the admin API: made once, stored as a hash, checked in constant time.

A key reads ``hmk_<key_id>.<secret>``. The key id is public (it names the key in lists and
is the OAuth2 ``client_id``); the secret is shown once, when the key is made, and only its
SHA-256 is stored, so a copy of the database does not yield working keys. A key bound to a
tenant administers that tenant only; a key without one (an operator's) administers all.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import hmac
import secrets
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.store import db
from gateway.store.tables import api_keys, tenants

__all__ = ["PREFIX", "ApiKeyRecord", "ApiKeys", "split_token"]

PREFIX = "hmk_"
"""``last_used_at`` is rewritten at most this often, so a busy key does not write per call."""

_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: int
    key_id: str
    name: str
    tenant_id: int | None
    """None: an operator key, for every tenant."""
    tenant: str | None
    """The tenant's slug, None for an operator key."""
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def client_id(self) -> str:
        """The public half of the token (``hmk_<key_id>``), the OAuth2 client id."""
        return PREFIX + self.key_id

    @property
    def operator(self) -> bool:
        return self.tenant_id is None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def split_token(token: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed ``hmk_<key_id>.<secret>``, else None."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX):].partition(".")
    if not sep or not key_id or not secret or len(key_id) > 40:
        return None
    return key_id, secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, name: str, tenant_id: int | None) -> tuple[ApiKeyRecord, str]:
        """Make a key; returns its record and the token, which nothing can show again."""
        key_id = secrets.token_urlsafe(9)  # 12 characters
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(api_keys.insert().values(
                key_id=key_id, secret_hash=_hash(secret), tenant_id=tenant_id, name=name,
                created_at=utcnow()))
        record = self.get(key_id)
        assert record is not None
        return record, f"{PREFIX}{key_id}.{secret}"

    def verify(self, token: str) -> ApiKeyRecord | None:
        """The active key ``token`` is, else None (malformed, unknown, wrong secret or
        revoked); marks the key as used."""
        parts = split_token(token)
        if parts is None:
            return None
        key_id, secret = parts
        return self.check_secret(key_id, secret)

    def check_secret(self, key_id: str, secret: str) -> ApiKeyRecord | None:
        """The active key ``key_id`` if ``secret`` is its secret, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(self._query().where(api_keys.c.key_id == key_id)).first()
        # Hash and compare even for an unknown id, so timing does not tell ids apart.
        stored = row.secret_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(_hash(secret), stored)
        if row is None or not matches or row.revoked_at is not None:
            return None
        return self.touch(_record(row))

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The key ``key_id`` (``hmk_`` prefix optional), revoked or not."""
        key_id = key_id.removeprefix(PREFIX)
        with self.engine.connect() as conn:
            row = conn.execute(self._query().where(api_keys.c.key_id == key_id)).first()
        return _record(row) if row is not None else None

    def list(self, *, tenant_id: int | None = None) -> builtins.list[ApiKeyRecord]:
        q = self._query().order_by(api_keys.c.id)
        if tenant_id is not None:
            q = q.where(api_keys.c.tenant_id == tenant_id)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(q)]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key at once (tokens it obtained stop working too); False when there is
        no such active key."""
        key_id = key_id.removeprefix(PREFIX)
        with self.engine.begin() as conn:
            return bool(conn.execute(
                api_keys.update().where(api_keys.c.key_id == key_id,
                                        api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())).rowcount)

    def touch(self, record: ApiKeyRecord) -> ApiKeyRecord:
        """Note that ``record`` was used now, unless that was noted less than a minute ago
        (or a sync holds SQLite's write lock: then it is skipped)."""
        now = utcnow()
        if db.touch_last_used(self.engine, api_keys, record.id, record.last_used_at, now):
            return dataclasses.replace(record, last_used_at=now)
        return record

    @staticmethod
    def _query() -> sa.Select[Any]:
        return sa.select(api_keys, tenants.c.slug.label("tenant")).outerjoin(
            tenants, tenants.c.id == api_keys.c.tenant_id)


def _record(row: Any) -> ApiKeyRecord:
    return ApiKeyRecord(row.id, row.key_id, row.name, row.tenant_id, row.tenant,
                        row.created_at, row.last_used_at, row.revoked_at)
