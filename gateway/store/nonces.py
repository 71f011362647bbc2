"""OAuth 1.0a nonces in the database, so a signed request is accepted once by any process.

RFC 5849 §3.3: a nonce is unique per consumer key and timestamp. :class:`Nonces` records
each accepted ``(consumer key, nonce, timestamp)`` with one insert that either adds the row
or finds it there (a replay), atomically on SQLite and PostgreSQL alike, so two API
processes sharing the database cannot both accept the same request. Rows are kept for
``window`` seconds past their timestamp, which must cover the whole time a timestamp is
acceptable (twice the verifier's allowed clock skew), and swept at most once a minute.

On SQLite a sync holds the only write lock for seconds to a minute at district scale; the
insert waits ``wait_ms`` at most and then raises :class:`NonceStoreBusy` rather than make
the request hang (the provider answers ``server_busy``). PostgreSQL never blocks here.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.errors import RetriableError
from gateway.store import db
from gateway.store.tables import oauth1_nonces

__all__ = ["NonceStoreBusy", "Nonces"]

SWEEP_EVERY = 60.0
WAIT_MS = 2000


class NonceStoreBusy(RetriableError):
    """The nonce could not be recorded now (SQLite's write lock is held by a sync)."""


class Nonces:
    """A :class:`gateway.provider.oauth1.NonceStore` in the ``oauth1_nonces`` table."""

    def __init__(self, engine: sa.Engine, window: int = 900, wait_ms: int = WAIT_MS) -> None:
        if window <= 0:
            raise ValueError("window must be a positive number of seconds")
        self.engine = engine
        self.window = window
        self.wait_ms = wait_ms
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def use(self, consumer_key: str, nonce: str, timestamp: int) -> bool:
        """Record ``nonce``; False if this key already used it with this timestamp, or if the
        timestamp is older than what is kept (whether it was used can no longer be told)."""
        now = time.time()
        if timestamp < now - self.window:
            return False
        values = {"consumer_key": consumer_key, "nonce": nonce, "timestamp": timestamp}
        try:
            with self.engine.begin() as conn, db.short_wait(conn, self.wait_ms):
                insert = (postgresql.insert(oauth1_nonces) if conn.dialect.name == "postgresql"
                          else sqlite.insert(oauth1_nonces))
                # RETURNING rather than rowcount, which psycopg leaves at -1 here.
                added = conn.execute(insert.values(**values).on_conflict_do_nothing()
                                     .returning(oauth1_nonces.c.nonce)).first() is not None
                if self._sweep_due(now):
                    conn.execute(oauth1_nonces.delete().where(
                        oauth1_nonces.c.timestamp < int(now - self.window)))
        except sa.exc.OperationalError as exc:
            if db.is_locked(exc):
                raise NonceStoreBusy("the nonce store is busy (a sync holds the database's "
                                     "write lock); retry in a few seconds") from None
            raise
        return added

    def sweep(self, now: float | None = None) -> int:
        """Forget nonces whose timestamp is older than the window; how many were removed."""
        horizon = int((time.time() if now is None else now) - self.window)
        with self.engine.begin() as conn:
            return int(conn.execute(oauth1_nonces.delete().where(
                oauth1_nonces.c.timestamp < horizon)).rowcount)

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(oauth1_nonces))
                       .scalar_one())

    def _sweep_due(self, now: float) -> bool:
        with self._lock:
            if now < self._next_sweep:
                return False
            self._next_sweep = now + SWEEP_EVERY
            return True
