"""Opening the database: engine options per backend, and Alembic migrations to head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from gateway.errors import ConfigError

__all__ = ["create_engine", "current_revision", "downgrade", "head_revision", "is_locked",
           "migrate", "short_wait", "touch_last_used"]

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # Takes effect only when the file is new: larger pages mean fewer B-tree splits on
    # bulk loads of wide roster rows (about 7 % off a first ingest).
    cur.execute("PRAGMA page_size=16384")
    # WAL lets readers (API, CLI) work while a sync holds the write lock; NORMAL sync is
    # durable across process crashes, which is the failure that matters for a daemon.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB page cache for bulk loads
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), tuned for bulk sync work."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"HARBOR_DATABASE_URL {url!r} is not a database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed)
        # pysqlite's own transaction handling issues BEGIN lazily; we want BEGIN IMMEDIATE
        # for sync transactions, so we take over transaction control.
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "connect", _sqlite_autocommit_off)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"database {parsed.get_backend_name()!r} is not supported; use sqlite:///path/harbor.db "
        f"or postgresql+psycopg://user@host/db"
    )


def _sqlite_autocommit_off(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``; safe to run on every start."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Step the schema back to ``revision`` (``base`` removes every table)."""
    command.downgrade(_alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def short_wait(conn: sa.Connection, ms: int) -> Iterator[None]:
    """On SQLite, wait at most ``ms`` for the write lock instead of the usual 30 s: for
    writes that must not stall behind a sync's transaction (leases, access log)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(ms)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def is_locked(exc: sa.exc.OperationalError) -> bool:
    """SQLite's "database is locked" (another connection holds the write lock)."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


TOUCH_EVERY_SECONDS = 60
TOUCH_WAIT_MS = 200


def touch_last_used(engine: sa.Engine, table: sa.Table, row_id: int,
                    last_used_at: str | None, now: str) -> bool:
    """Stamp ``table.last_used_at`` of row ``row_id`` with ``now`` unless it was stamped
    less than a minute ago; True if it wrote. A courtesy for "last used" listings: it never
    makes a request wait behind a sync's write lock (it gives up after a short wait)."""
    if last_used_at is not None and (
            _stamp(now) - _stamp(last_used_at)).total_seconds() < TOUCH_EVERY_SECONDS:
        return False
    try:
        with engine.begin() as conn, short_wait(conn, TOUCH_WAIT_MS):
            conn.execute(table.update().where(table.c.id == row_id).values(last_used_at=now))
    except sa.exc.OperationalError as exc:
        if not is_locked(exc):
            raise
        return False
    return True


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
