"""The store's face: tenants, connections, runs, and the sync transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError, Problem
from gateway.secrets import SecretBox
from gateway.store import db
from gateway.store.sync import SyncSession
from gateway.store.tables import (
    connections,
    record_select,
    run_problems,
    runs,
    stream_tables,
    tenants,
)

__all__ = ["ConnectionRecord", "RunRecord", "Store", "TenantRecord"]


@dataclass(frozen=True, slots=True)
class TenantRecord:
    id: int
    slug: str
    name: str
    last_version: int


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    id: int
    tenant_id: int
    tenant: str
    name: str
    connector: str
    config: Mapping[str, Any]
    state: Mapping[str, Any] | None
    has_secrets: bool
    marks: Mapping[str, Mapping[str, Any]] | None = None
    """Per stream, the digest and change version of the source last applied."""

    @property
    def label(self) -> str:
        return f"{self.tenant}/{self.name}"


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    connection: str
    status: str
    dry_run: bool
    started_at: str
    finished_at: str | None
    version: int | None
    counts: Mapping[str, Mapping[str, int]]
    message: str | None
    problem_count: int


class Store:
    """The only place that writes the database. Built around an engine (no globals)."""

    def __init__(self, engine: sa.Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets

    @classmethod
    def open(cls, url: str, secrets: SecretBox, *, migrate: bool = True) -> Store:
        store = cls(db.create_engine(url), secrets)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        db.migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # tenants ---------------------------------------------------------------------------

    def ensure_tenant(self, slug: str, name: str | None = None) -> TenantRecord:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(tenants).where(tenants.c.slug == slug)).first()
            if row is None:
                conn.execute(tenants.insert().values(slug=slug, name=name or slug,
                                                     created_at=utcnow()))
                row = conn.execute(sa.select(tenants).where(tenants.c.slug == slug)).one()
        return TenantRecord(row.id, row.slug, row.name, row.last_version)

    def tenant(self, slug: str) -> TenantRecord:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tenants).where(tenants.c.slug == slug)).first()
        if row is None:
            raise ConfigError(f"no tenant {slug!r}; create it with `harbor connections add "
                              f"--tenant {slug} ...`")
        return TenantRecord(row.id, row.slug, row.name, row.last_version)

    # connections -----------------------------------------------------------------------

    def add_connection(self, tenant_slug: str, name: str, connector: str,
                       config: Mapping[str, Any], secrets: Mapping[str, str]) -> ConnectionRecord:
        tenant = self.ensure_tenant(tenant_slug)
        now = utcnow()
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(connections.c.id).where(
                connections.c.tenant_id == tenant.id, connections.c.name == name)).first()
            if exists:
                raise ConfigError(f"connection {tenant_slug}/{name} already exists; pick another "
                                  f"name or remove it first")
            conn.execute(connections.insert().values(
                tenant_id=tenant.id, name=name, connector=connector, config=dict(config),
                secrets=self.secrets.seal(dict(secrets)), state=None, created_at=now,
                updated_at=now))
        return self.connection(name, tenant=tenant_slug)

    def _connection_query(self) -> sa.Select[Any]:
        return sa.select(connections, tenants.c.slug.label("tenant")).join(
            tenants, tenants.c.id == connections.c.tenant_id)

    @staticmethod
    def _connection_record(row: Any) -> ConnectionRecord:
        return ConnectionRecord(row.id, row.tenant_id, row.tenant, row.name, row.connector,
                                row.config, row.state, bool(row.secrets), row.marks)

    def connection(self, name: str, *, tenant: str | None = None) -> ConnectionRecord:
        """A connection by ``name`` (or ``tenant/name``); a clear error when unknown or
        ambiguous."""
        if tenant is None and "/" in name:
            tenant, name = name.split("/", 1)
        q = self._connection_query().where(connections.c.name == name)
        if tenant is not None:
            q = q.where(tenants.c.slug == tenant)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            raise ConfigError(f"no connection named {name!r}; see `harbor connections list`")
        if len(rows) > 1:
            raise ConfigError(f"connection name {name!r} exists in several tenants; write "
                              f"TENANT/{name}")
        return self._connection_record(rows[0])

    def list_connections(self) -> list[ConnectionRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._connection_query().order_by(tenants.c.slug,
                                                                   connections.c.name)).all()
        return [self._connection_record(r) for r in rows]

    def connection_secrets(self, connection: ConnectionRecord) -> dict[str, str]:
        with self.engine.connect() as conn:
            token = conn.execute(sa.select(connections.c.secrets).where(
                connections.c.id == connection.id)).scalar_one()
        return self.secrets.open(token)

    # runs ------------------------------------------------------------------------------

    def start_run(self, connection: ConnectionRecord, *, dry_run: bool) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(runs.insert().values(
                tenant_id=connection.tenant_id, connection_id=connection.id, status="running",
                dry_run=dry_run, started_at=utcnow()))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, *, status: str, counts: Mapping[str, Mapping[str, int]],
                   message: str | None, problems: Sequence[Problem], problem_total: int,
                   version: int | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                status=status, finished_at=utcnow(), counts=dict(counts), message=message,
                problem_count=problem_total, version=version))
            if problems:
                conn.execute(run_problems.insert(), [
                    {"run_id": run_id, "source": p.source, "line": p.line, "column": p.column,
                     "message": p.message} for p in problems])

    def list_runs(self, *, connection: ConnectionRecord | None = None,
                  limit: int = 20) -> list[RunRecord]:
        q = (sa.select(runs, tenants.c.slug, connections.c.name.label("cname"))
             .join(connections, connections.c.id == runs.c.connection_id)
             .join(tenants, tenants.c.id == runs.c.tenant_id)
             .order_by(runs.c.id.desc()).limit(limit))
        if connection is not None:
            q = q.where(runs.c.connection_id == connection.id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [RunRecord(r.id, f"{r.slug}/{r.cname}", r.status, r.dry_run, r.started_at,
                          r.finished_at, r.version, r.counts or {}, r.message, r.problem_count)
                for r in rows]

    def run_problems(self, run_id: int) -> list[Problem]:
        q = sa.select(run_problems).where(run_problems.c.run_id == run_id).order_by(
            run_problems.c.id)
        with self.engine.connect() as conn:
            return [Problem(r.source, r.line, r.column, r.message) for r in conn.execute(q)]

    # sync ------------------------------------------------------------------------------

    @contextmanager
    def sync_session(self, connection: ConnectionRecord) -> Iterator[tuple[SyncSession, int]]:
        """One run's transaction, holding the tenant's write lock; yields the session and the
        change version its writes carry. :meth:`commit_sync` commits; leaving the block
        without it (an exception, a dry run) rolls everything back."""
        opts = {"sqlite_begin": "IMMEDIATE"}
        with self.engine.connect().execution_options(**opts) as conn:
            tx = conn.begin()
            try:
                q = sa.select(tenants.c.last_version).where(
                    tenants.c.id == connection.tenant_id)
                if conn.dialect.name == "postgresql":
                    q = q.with_for_update()
                last = conn.execute(q).scalar_one()
                session = SyncSession(conn, connection.tenant_id, connection.id)
                session.tx = tx
                yield session, int(last) + 1
            finally:
                if tx.is_active:
                    tx.rollback()

    @staticmethod
    def commit_sync(session: SyncSession, *, version: int, wrote: bool,
                    state: Mapping[str, Any] | None,
                    marks: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        conn = session.conn
        if wrote:
            conn.execute(tenants.update().where(tenants.c.id == session.tenant_id)
                         .values(last_version=version))
        conn.execute(connections.update().where(connections.c.id == session.connection_id)
                     .values(state=dict(state) if state is not None else None,
                             marks=dict(marks) if marks else None,
                             updated_at=utcnow()))
        assert session.tx is not None
        session.tx.commit()

    # reads -----------------------------------------------------------------------------

    def count(self, tenant_id: int, stream: str, status: str | None = "active") -> int:
        t = stream_tables[stream]
        q = sa.select(sa.func.count()).select_from(t).where(t.c.tenant_id == tenant_id)
        if status:
            q = q.where(t.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def record(self, tenant_id: int, stream: str, sourced_id: str) -> dict[str, Any] | None:
        """One record as a flat OneRoster row (CSV column names), or None."""
        t = stream_tables[stream]
        with self.engine.connect() as conn:
            row = conn.execute(record_select(stream).where(
                t.c.tenant_id == tenant_id, t.c.sourced_id == sourced_id)).first()
        return dict(row._mapping) if row else None

    def changes_since(self, tenant_id: int, stream: str, version: int,
                      *, limit: int = 1000) -> list[dict[str, Any]]:
        """Records of ``stream`` written after change ``version`` (the change feed), oldest
        change first; pass the last row's ``version`` to get the next page."""
        t = stream_tables[stream]
        names = ["sourcedId", "status", "dateLastModified", "version"]
        q = (sa.select(t.c.sourced_id, t.c.status, t.c.date_last_modified, t.c.version)
             .where(t.c.tenant_id == tenant_id, t.c.version > version)
             .order_by(t.c.version, t.c.sourced_id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(zip(names, r, strict=True)) for r in conn.execute(q)]
