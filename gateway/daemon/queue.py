"""Scale-out: runs reach ``harbor worker`` processes through procrastinate (PostgreSQL).

Every run is still recorded in the store first (queued, coalesced per connection); the
procrastinate job only carries its id to whichever worker is free. Each job has the
procrastinate ``lock`` of its connection, so jobs of one connection run one after the
other, and its ``queueing_lock``, so a connection never has two jobs waiting. The worker
then takes the connection's lease as everywhere else, which also keeps out a ``harbor
sync`` started by hand.

A worker killed mid-run leaves its job "doing" and the connection's lock taken; the
scheduler's maintenance finds such jobs by procrastinate's worker heartbeats, fails them,
and re-dispatches the run, which the next worker resumes from its last checkpoint once the
dead worker's lease has expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

import procrastinate
import sqlalchemy as sa
from procrastinate import exceptions as pexc
from procrastinate.jobs import Status

from gateway.daemon.worker import Executor, connection_lease
from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["TASK_NAME", "JobQueue"]

log = logging.getLogger("harbormaster.queue")
TASK_NAME = "harbormaster.run"
QUEUE = "runs"


def _conninfo(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class JobQueue:
    """The procrastinate app, its one task, and the dispatcher that defers it."""

    def __init__(self, store: Store, settings: Settings, *,
                 executor: Executor | None = None) -> None:
        if store.dialect != "postgresql":
            raise ConfigError(
                "scaled-out workers share runs through PostgreSQL; this database is "
                f"{store.dialect}. On SQLite run `harbor serve`, whose in-process worker runs "
                "every sync, or set HARBOR_DATABASE_URL to a PostgreSQL database")
        self.store = store
        self.settings = settings
        self.executor = executor
        self.conninfo = _conninfo(store.engine.url)
        # One procrastinate app per use, each with its own connection pool: the worker's
        # async pool, synchronous defers from API and scheduler threads, and the async
        # recovery chore would otherwise trip over each other's open/close.
        self.app = self._new_app()
        self.app.task(name=TASK_NAME, queue=QUEUE)(self._run)
        self._defer_app = self._new_app()
        self._sync_lock = threading.Lock()
        self._opened = False

    def _new_app(self) -> procrastinate.App:
        return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=self.conninfo))

    # the schema -------------------------------------------------------------------------

    def install(self) -> None:
        """Create procrastinate's tables on first use (idempotent)."""
        with self.store.engine.begin() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")  # one installer
            exists = conn.exec_driver_sql(
                "SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
            if not exists:
                # Straight to psycopg: the schema's own "%" must not be read as parameters.
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute(self.app.schema_manager.get_schema())
                log.info("installed procrastinate's job tables")

    # dispatching ------------------------------------------------------------------------

    def submit(self, run_id: int, connection_id: int) -> None:
        """Defer the job of a queued run (a no-op if that connection's job already waits)."""
        lock = connection_lease(connection_id)
        with self._sync_lock:
            if not self._opened:
                self._defer_app.open()
                self._opened = True
            with contextlib.suppress(pexc.AlreadyEnqueued):
                self._defer_app.configure_task(TASK_NAME, queue=QUEUE, lock=lock,
                                               queueing_lock=lock).defer(run_id=run_id)

    def close(self) -> None:
        with self._sync_lock:
            if self._opened:
                self._defer_app.close()
                self._opened = False

    async def recover_stalled(self) -> int:
        """Fail the jobs of workers that stopped sending heartbeats; how many."""
        stalled_after = max(self.settings.lease_seconds, 3.0)
        app = self._new_app()
        async with app.open_async():
            jobs = list(await app.job_manager.get_stalled_jobs(
                queue=QUEUE, seconds_since_heartbeat=stalled_after))
            for job in jobs:
                log.warning("job %s (run %s) stalled: its worker stopped; dispatching the "
                            "run again", job.id, job.task_kwargs.get("run_id"))
                assert job.id is not None
                await app.job_manager.finish_job_by_id_async(
                    job.id, status=Status.FAILED, delete_job=False)
        return len(jobs)

    def maintain(self) -> None:
        """The scheduler's chore: free stalled jobs' locks (runs are re-dispatched after)."""
        asyncio.run(self.recover_stalled())

    # working ----------------------------------------------------------------------------

    def _run(self, run_id: int) -> None:
        """The task body; procrastinate runs synchronous tasks in a thread."""
        if self.executor is None:
            self.executor = Executor(self.store, self.settings)
        self.executor.execute_blocking(run_id)

    async def work(self, *, concurrency: int = 1, stop: asyncio.Event | None = None) -> None:
        """Run a procrastinate worker until ``stop`` is set (then stop gracefully)."""
        beat = max(self.settings.lease_seconds / 4, 0.5)
        options: dict[str, Any] = {
            "queues": [QUEUE], "concurrency": concurrency, "install_signal_handlers": False,
            "update_heartbeat_interval": beat, "stalled_worker_timeout": beat * 4,
            "delete_jobs": "successful", "fetch_job_polling_interval": 2.0,
        }
        async with self.app.open_async():
            worker = asyncio.create_task(self.app.run_worker_async(**options))
            if stop is None:
                await worker
                return
            await stop.wait()
            if self.executor is not None:
                self.executor.stop.set()  # the run in flight stops at its next batch
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
