"""Where an LTI launch keeps its state between requests: the database, shared by every API
process, so a login answered by one replica and a launch posted to another still meet.

:class:`LaunchData` is pylti1p3's launch-data storage (OIDC ``state``, the login ``nonce``,
validated launches for deep linking) over ``lti_launch_data``. :class:`UsedNonces` records
every id_token nonce accepted, per issuer, with one insert that either adds the row or finds
it (a replay), atomically on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import sqlalchemy as sa
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store.tables import lti_launch_data, lti_nonces

__all__ = ["LaunchData", "UsedNonces"]

SWEEP_EVERY = 300.0
DEFAULT_LIFETIME = 3600


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql.insert(table) if conn.dialect.name == "postgresql"
            else sqlite.insert(table))


class _Sweeper:
    """Deletes expired rows of one table, at most once every ``SWEEP_EVERY`` seconds."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self._lock = threading.Lock()
        self._next = 0.0

    def __call__(self, conn: sa.Connection, now: float) -> None:
        with self._lock:
            if now < self._next:
                return
            self._next = now + SWEEP_EVERY
        conn.execute(self.table.delete().where(self.table.c.expires_at < now))


class LaunchData(LaunchDataStorage[Any]):
    """pylti1p3 ``LaunchDataStorage`` in the database.

    Over HTTPS the keys are namespaced by a session cookie (pylti1p3 sets it at login and
    refuses a launch without it), which binds the login's nonce to the browser that logged
    in. Plain HTTP (a developer's machine) cannot keep cookies across the LMS's cross-site
    form post, so there the keys stand alone, as pylti1p3's own cache storage does.
    """

    def __init__(self, engine: sa.Engine, secure: bool) -> None:
        super().__init__()
        self.engine = engine
        self.secure = secure
        self._sweep = _Sweeper(lti_launch_data)

    def get_session_cookie_name(self) -> str | None:
        return super().get_session_cookie_name() if self.secure else None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_launch_data.c.value).where(
                lti_launch_data.c.key == self._prepare_key(key),
                lti_launch_data.c.expires_at >= time.time())).first()
        return json.loads(row.value) if row is not None else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        now = time.time()
        values = {"key": self._prepare_key(key), "value": json.dumps(value),
                  "expires_at": now + (exp or DEFAULT_LIFETIME)}
        with self.engine.begin() as conn:
            insert = _insert(conn, lti_launch_data).values(**values)
            conn.execute(insert.on_conflict_do_update(
                index_elements=[lti_launch_data.c.key],
                set_={"value": values["value"], "expires_at": values["expires_at"]}))
            self._sweep(conn, now)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def pop_value(self, key: str) -> Any:
        """Read and delete ``key`` in one step (None if it was not there or expired)."""
        with self.engine.begin() as conn:
            row = conn.execute(lti_launch_data.delete().where(
                lti_launch_data.c.key == self._prepare_key(key))
                .returning(lti_launch_data.c.value, lti_launch_data.c.expires_at)).first()
        if row is None or row.expires_at < time.time():
            return None
        return json.loads(row.value)


class UsedNonces:
    """The ``lti_nonces`` table: a nonce is accepted once per issuer."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._sweep = _Sweeper(lti_nonces)

    def use(self, issuer: str, nonce: str, expires_at: float) -> bool:
        """Record ``nonce``; False if the issuer's launches used it already. Kept until
        ``expires_at`` (the token's own ``exp`` plus leeway), after which the token is
        refused as expired anyway."""
        now = time.time()
        with self.engine.begin() as conn:
            insert = _insert(conn, lti_nonces).values(issuer=issuer, nonce=nonce,
                                                      expires_at=max(expires_at, now))
            # RETURNING rather than rowcount, which psycopg leaves at -1 here.
            added = conn.execute(insert.on_conflict_do_nothing()
                                 .returning(lti_nonces.c.nonce)).first() is not None
            self._sweep(conn, now)
        return added
