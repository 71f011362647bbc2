"""The store's face: tenants, connections, runs, and the sync transaction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError, Problem
from gateway.secrets import SecretBox
from gateway.store import db
from gateway.store.leases import Leases
from gateway.store.schedules import Schedules
from gateway.store.sync import SyncSession
from gateway.store.tables import (
    connections,
    leases,
    record_select,
    run_problems,
    runs,
    schedules,
    stream_tables,
    tenants,
)

__all__ = ["ACTIVE_STATUSES", "FINAL_STATUSES", "ConnectionRecord", "RunBusy", "RunRecord",
           "Store", "TenantRecord"]


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


ACTIVE_STATUSES = ("queued", "running")
FINAL_STATUSES = ("succeeded", "failed", "held", "dry_run", "cancelled")


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    connection: str
    status: str
    """queued, running, succeeded, failed, held (deletion safeguard), dry_run, cancelled."""
    dry_run: bool
    started_at: str | None
    finished_at: str | None
    version: int | None
    counts: Mapping[str, Mapping[str, int]]
    message: str | None
    problem_count: int
    tenant_id: int = 0
    connection_id: int = 0
    trigger: str = "cli"
    requested_by: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    queued_at: str | None = None
    worker: str | None = None
    attempts: int = 0
    progress: Mapping[str, Any] | None = None
    checkpoint: str | None = None
    """Label of the last checkpoint this run committed (what a resumed run starts after)."""
    approves: int | None = None
    """The held run this run approves (re-runs with deletions allowed)."""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class RunBusy(ConfigError):
    """The connection already has a queued or running run."""

    def __init__(self, message: str, run_id: int) -> None:
        super().__init__(message)
        self.run_id = run_id


class Store:
    """The only place that writes the database. Built around an engine (no globals)."""

    def __init__(self, engine: sa.Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets
        self.leases = Leases(engine)
        self.schedules = Schedules(engine)
        self.live_progress: dict[int, dict[str, Any]] = {}
        """Progress of runs in this process, where the database cannot take it mid-run
        (SQLite: the run's own transaction holds the only write lock)."""

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

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

    def list_connections(self, *, tenant_id: int | None = None) -> list[ConnectionRecord]:
        q = self._connection_query().order_by(tenants.c.slug, connections.c.name)
        if tenant_id is not None:
            q = q.where(connections.c.tenant_id == tenant_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [self._connection_record(r) for r in rows]

    def update_connection(self, connection: ConnectionRecord, *,
                          config: Mapping[str, Any] | None = None,
                          secrets: Mapping[str, str] | None = None) -> ConnectionRecord:
        """Replace the plain settings and/or merge new secret values (write-only: a secret
        not given keeps its stored value)."""
        values: dict[str, Any] = {"updated_at": utcnow()}
        if config is not None:
            values["config"] = dict(config)
        if secrets:
            try:
                kept = self.connection_secrets(connection)
            except ConfigError:
                # Sealed under a key this installation no longer has: secrets can still be
                # replaced, all at once, but not merged with values nobody can read.
                missing = sorted(_secret_fields(connection.connector) - set(secrets))
                if missing:
                    raise ConfigError(
                        f"the stored secrets of {connection.label} cannot be opened with this "
                        f"HARBOR_SECRET_KEY (was it changed?); restore the old key, or send "
                        f"every secret again to replace them (missing: "
                        f"{', '.join(missing)})") from None
                kept = {}
            values["secrets"] = self.secrets.seal({**kept, **secrets})
        with self.engine.begin() as conn:
            conn.execute(connections.update().where(connections.c.id == connection.id)
                         .values(**values))
        return self.connection_by_id(connection.id)

    def remove_connection(self, connection: ConnectionRecord) -> None:
        """Forget a connection: its settings, secrets, schedule and run history. Records it
        brought stay in the store (they are the tenant's). Refused while a run is active."""
        active = self.active_run(connection.id)
        if active is not None:
            raise RunBusy(f"{connection.label} has a {active.status} run ({active.id}); "
                          f"wait for it or cancel it before removing the connection", active.id)
        with self.engine.begin() as conn:
            ids = sa.select(runs.c.id).where(runs.c.connection_id == connection.id)
            conn.execute(run_problems.delete().where(run_problems.c.run_id.in_(ids)))
            conn.execute(runs.delete().where(runs.c.connection_id == connection.id))
            conn.execute(schedules.delete().where(schedules.c.connection_id == connection.id))
            conn.execute(leases.delete().where(leases.c.name == f"connection:{connection.id}"))
            conn.execute(connections.delete().where(connections.c.id == connection.id))

    def list_tenants(self) -> list[TenantRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tenants).order_by(tenants.c.slug)).all()
        return [TenantRecord(r.id, r.slug, r.name, r.last_version) for r in rows]

    def connection_secrets(self, connection: ConnectionRecord) -> dict[str, str]:
        with self.engine.connect() as conn:
            token = conn.execute(sa.select(connections.c.secrets).where(
                connections.c.id == connection.id)).scalar_one()
        return self.secrets.open(token)

    # runs ------------------------------------------------------------------------------

    def start_run(self, connection: ConnectionRecord, *, dry_run: bool,
                  trigger: str = "cli", worker: str | None = None) -> int:
        """Record a run that starts now (``harbor sync``); :class:`RunBusy` if the connection
        already has an active run."""
        now = utcnow()
        values = {"status": "running", "started_at": now, "queued_at": now, "worker": worker,
                  "attempts": 1, "options": {"dry_run": dry_run}}
        return self._insert_run(connection, dry_run=dry_run, trigger=trigger, **values)

    def request_run(self, connection: ConnectionRecord, *, trigger: str,
                    options: Mapping[str, Any] | None = None, requested_by: str | None = None,
                    approves: int | None = None) -> tuple[int, bool]:
        """Queue a run of ``connection``: ``(run id, coalesced)``.

        A connection has at most one queued or running run (a unique index says so), so a
        trigger arriving while one is active is coalesced into it: its id comes back with
        ``coalesced=True`` and nothing new is queued.
        """
        opts = dict(options or {})
        try:
            run_id = self._insert_run(connection, dry_run=bool(opts.get("dry_run")),
                                      trigger=trigger, status="queued", queued_at=utcnow(),
                                      options=opts, requested_by=requested_by,
                                      approves=approves)
        except RunBusy as busy:
            return busy.run_id, True
        return run_id, False

    def _insert_run(self, connection: ConnectionRecord, *, dry_run: bool, trigger: str,
                    **values: Any) -> int:
        try:
            with self.engine.begin() as conn:
                key = conn.execute(runs.insert().values(
                    tenant_id=connection.tenant_id, connection_id=connection.id,
                    dry_run=dry_run, trigger=trigger, **values)).inserted_primary_key
        except sa.exc.IntegrityError:
            active = self.active_run(connection.id)
            if active is None:  # finished between our insert and this look: try once more
                return self._insert_run(connection, dry_run=dry_run, trigger=trigger, **values)
            raise RunBusy(
                f"{connection.label} already has a {active.status} run ({active.id}, "
                f"{active.trigger}); wait for it (`harbor runs --connection "
                f"{connection.label} --last`) or cancel it", active.id) from None
        assert key is not None
        return int(key[0])

    def active_run(self, connection_id: int) -> RunRecord | None:
        found = self._runs(runs.c.connection_id == connection_id,
                           runs.c.status.in_(ACTIVE_STATUSES))
        return found[0] if found else None

    def claim_run(self, run_id: int, worker: str) -> RunRecord | None:
        """Mark a queued run (or a running one whose worker died: the caller holds the
        connection's lease, so nobody else works on it) as running under ``worker``."""
        with self.engine.begin() as conn:
            done = conn.execute(
                runs.update().where(runs.c.id == run_id,
                                    runs.c.status.in_(ACTIVE_STATUSES))
                .values(status="running", worker=worker, attempts=runs.c.attempts + 1,
                        started_at=sa.func.coalesce(runs.c.started_at, utcnow()))).rowcount
        return self.run(run_id) if done else None

    def pending_runs(self, *, limit: int = 100) -> list[RunRecord]:
        """Runs waiting for a worker: queued ones, and running ones a dead worker left."""
        return self._runs(runs.c.status.in_(ACTIVE_STATUSES), order=runs.c.id.asc(),
                          limit=limit)

    def requeue_run(self, run_id: int, message: str) -> None:
        """Put a run that stopped at a checkpoint (shutdown) back in the queue to resume."""
        self.live_progress.pop(run_id, None)
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id, runs.c.status == "running")
                         .values(status="queued", worker=None, message=message))

    def save_run_progress(self, run_id: int, *, progress: Mapping[str, Any] | None = None,
                          counts: Mapping[str, Mapping[str, int]] | None = None,
                          checkpoint: str | None = None,
                          conn: sa.Connection | None = None) -> None:
        """Record how far a running run got; pass ``conn`` to write it in the run's own
        transaction (a checkpoint's counts commit together with its data)."""
        values: dict[str, Any] = {}
        if progress is not None:
            if conn is None and self.dialect == "sqlite":
                self.live_progress[run_id] = dict(progress)
            else:
                values["progress"] = dict(progress)
        if counts is not None:
            values["counts"] = dict(counts)
        if checkpoint is not None:
            values["checkpoint"] = checkpoint
        if not values:
            return
        stmt = runs.update().where(runs.c.id == run_id).values(**values)
        if conn is not None:
            conn.execute(stmt)
            return
        with self.engine.begin() as own:
            own.execute(stmt)

    def finish_run(self, run_id: int, *, status: str, counts: Mapping[str, Mapping[str, int]],
                   message: str | None, problems: Sequence[Problem], problem_total: int,
                   version: int | None) -> None:
        self.live_progress.pop(run_id, None)
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                status=status, finished_at=utcnow(), counts=dict(counts), message=message,
                problem_count=problem_total, version=version, progress=None))
            if problems:
                conn.execute(run_problems.insert(), [
                    {"run_id": run_id, "source": p.source, "line": p.line, "column": p.column,
                     "message": p.message} for p in problems])

    def cancel_run(self, run_id: int, message: str) -> bool:
        """Cancel a run that has not started (a queued one); False if it already runs."""
        with self.engine.begin() as conn:
            return bool(conn.execute(
                runs.update().where(runs.c.id == run_id, runs.c.status == "queued")
                .values(status="cancelled", finished_at=utcnow(), message=message)).rowcount)

    def run(self, run_id: int) -> RunRecord | None:
        found = self._runs(runs.c.id == run_id)
        return found[0] if found else None

    def list_runs(self, *, connection: ConnectionRecord | None = None,
                  tenant_id: int | None = None, status: str | None = None,
                  limit: int = 20) -> list[RunRecord]:
        where: list[sa.ColumnElement[bool]] = []
        if connection is not None:
            where.append(runs.c.connection_id == connection.id)
        if tenant_id is not None:
            where.append(runs.c.tenant_id == tenant_id)
        if status is not None:
            where.append(runs.c.status == status)
        return self._runs(*where, limit=limit)

    def count_runs(self) -> dict[str, int]:
        """Runs by status, over all tenants (for metrics)."""
        q = sa.select(runs.c.status, sa.func.count()).group_by(runs.c.status)
        with self.engine.connect() as conn:
            return {status: int(n) for status, n in conn.execute(q)}

    def _runs(self, *where: sa.ColumnElement[bool], order: Any = None,
              limit: int | None = None) -> list[RunRecord]:
        q = (sa.select(runs, tenants.c.slug, connections.c.name.label("cname"))
             .join(connections, connections.c.id == runs.c.connection_id)
             .join(tenants, tenants.c.id == runs.c.tenant_id)
             .where(*where).order_by(order if order is not None else runs.c.id.desc()))
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [RunRecord(
            r.id, f"{r.slug}/{r.cname}", r.status, r.dry_run, r.started_at, r.finished_at,
            r.version, r.counts or {}, r.message, r.problem_count, tenant_id=r.tenant_id,
            connection_id=r.connection_id, trigger=r.trigger, requested_by=r.requested_by,
            options=r.options or {}, queued_at=r.queued_at, worker=r.worker,
            attempts=r.attempts, progress=self.live_progress.get(r.id, r.progress),
            checkpoint=r.checkpoint,
            approves=r.approves) for r in rows]

    def run_problems(self, run_id: int) -> list[Problem]:
        q = sa.select(run_problems).where(run_problems.c.run_id == run_id).order_by(
            run_problems.c.id)
        with self.engine.connect() as conn:
            return [Problem(r.source, r.line, r.column, r.message) for r in conn.execute(q)]

    def connection_by_id(self, connection_id: int) -> ConnectionRecord:
        with self.engine.connect() as conn:
            row = conn.execute(self._connection_query().where(
                connections.c.id == connection_id)).first()
        if row is None:
            raise ConfigError(f"no connection with id {connection_id}")
        return self._connection_record(row)

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


def _secret_fields(connector: str) -> frozenset[str]:
    from gateway.plugins import connector_class

    try:
        return connector_class(connector).config_model.secret_fields()
    except ConfigError:
        return frozenset()
