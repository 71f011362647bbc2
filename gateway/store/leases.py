"""Leases: a named lock in the database that one holder keeps by renewing it.

A run holds ``connection:<id>`` so that no two processes, on any machine, run one connection
at once; the scheduler's leader holds ``scheduler``. A holder that dies (SIGKILL, a lost
machine) simply stops renewing, and the lease becomes free when it expires. Works the same
on SQLite and PostgreSQL: an upsert that takes the row only when it is free or already ours.

The sync transaction renews its lease *inside* the transaction before each commit
(:meth:`Leases.fence`): if the lease was lost meanwhile, the commit is refused, so a stalled
worker that wakes up late cannot apply a run another worker has since taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.errors import HarborError
from gateway.store import db
from gateway.store.tables import leases

__all__ = ["LeaseLost", "Leases", "holder_id"]

log = logging.getLogger("harbormaster.leases")
SHORT_WAIT_MS = 2000


class LeaseLost(HarborError):
    """This process no longer holds a lease it was working under."""


def holder_id(role: str = "worker") -> str:
    """A name for this process as a lease holder: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    name: str
    holder: str
    expires_at: float
    acquired_at: str

    @property
    def expired(self) -> bool:
        return self.expires_at < time.time()


class Leases:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def _upsert(self, name: str, holder: str, ttl: float) -> sa.Executable:
        now = time.time()
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(leases).values(name=name, holder=holder, expires_at=now + ttl,
                                             acquired_at=utcnow())
        upsert: sa.Executable = stmt.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"holder": holder, "expires_at": now + ttl,
                  "acquired_at": sa.case((leases.c.holder == holder, leases.c.acquired_at),
                                         else_=stmt.excluded.acquired_at)},
            where=(leases.c.expires_at < now) | (leases.c.holder == holder),
        ).returning(leases.c.holder)
        return upsert

    def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take ``name`` for ``ttl`` seconds if it is free, expired or already ours.

        Never waits long: on SQLite a sync transaction of another run holds the write lock,
        and the lease is then as good as held by someone else.
        """
        try:
            with self.engine.begin() as conn, db.short_wait(conn, SHORT_WAIT_MS):
                got = conn.execute(self._upsert(name, holder, ttl)).first()
        except sa.exc.OperationalError as exc:
            if db.is_locked(exc):
                return False
            raise
        return got is not None

    def renew(self, name: str, holder: str, ttl: float) -> bool:
        """Extend our lease; False if it is no longer ours (or the database is busy)."""
        try:
            with self.engine.begin() as conn, db.short_wait(conn, SHORT_WAIT_MS):
                done = conn.execute(
                    leases.update().where(leases.c.name == name, leases.c.holder == holder)
                    .values(expires_at=time.time() + ttl)).rowcount
        except sa.exc.OperationalError as exc:
            if db.is_locked(exc):
                return True  # our own sync transaction holds the write lock (SQLite)
            raise
        return done == 1

    def release(self, name: str, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(leases.delete().where(leases.c.name == name, leases.c.holder == holder))

    def get(self, name: str) -> LeaseInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(leases).where(leases.c.name == name)).first()
        return LeaseInfo(row.name, row.holder, row.expires_at, row.acquired_at) if row else None

    @staticmethod
    def fence(conn: sa.Connection, name: str, holder: str, ttl: float) -> None:
        """Inside a transaction about to commit: renew the lease or refuse the commit."""
        done = conn.execute(
            leases.update().where(leases.c.name == name, leases.c.holder == holder)
            .values(expires_at=time.time() + ttl)).rowcount
        if done != 1:
            raise LeaseLost(f"lost the lease {name!r} (another worker took it over after this "
                            f"one stopped renewing); this run's last part was not applied")
