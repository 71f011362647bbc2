"""Workers: take a queued run, hold its connection's lease, run it, record it.

:class:`Executor` runs one run end to end and is shared by every way a run is started
(``harbor sync``, the in-process worker of ``harbor serve``, a procrastinate job on a
``harbor worker``). :class:`Worker` is the in-process worker: a thread that takes queued
runs one at a time, woken by the API or the scheduler, and polling the store so that runs
queued by other processes, or left behind by a worker that died, are taken too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from gateway import metrics
from gateway.engine.run import Progress, RunControl, RunOptions, RunReport, sync
from gateway.plugins import connector_class
from gateway.push.destination import Destination
from gateway.push.run import PushOptions, PushReport, push
from gateway.settings import Settings
from gateway.store.leases import holder_id
from gateway.store.store import RunRecord, Store

__all__ = ["Executor", "Worker", "connection_lease"]

log = logging.getLogger("harbormaster.worker")
PROGRESS_EVERY = 2.0


def connection_lease(connection_id: int) -> str:
    return f"connection:{connection_id}"


class Executor:
    """Runs one queued run at a time under its connection's lease."""

    def __init__(self, store: Store, settings: Settings, *, holder: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.holder = holder or holder_id("worker")
        self.stop = threading.Event()
        """Set to stop the run in flight at its next batch (it is queued again)."""

    def execute_blocking(self, run_id: int) -> RunReport | PushReport | None:
        return asyncio.run(self.execute(run_id))

    async def execute(self, run_id: int, *, progress: Progress | None = None,
                      ) -> RunReport | PushReport | None:
        """Run ``run_id`` if it is still active and its connection is free.

        Returns None without doing anything when the run already ended, or another worker
        holds its connection (that worker runs it, or resumes it once its lease expires).
        """
        run = self.store.run(run_id)
        if run is None or not run.active:
            return None
        lease, ttl = connection_lease(run.connection_id), self.settings.lease_seconds
        if not self.store.leases.acquire(lease, self.holder, ttl):
            log.debug("run %s: %s is busy elsewhere", run_id, run.connection)
            return None
        beat = _Heartbeat(self.store, lease, self.holder, ttl)
        beat.start()
        try:
            claimed = self.store.claim_run(run_id, self.holder)
            if claimed is None:
                return None
            return await self._run(claimed, (lease, self.holder, ttl), progress)
        finally:
            beat.close()
            self.store.leases.release(lease, self.holder)

    async def _run(self, run: RunRecord, lease: tuple[str, str, float],
                   progress: Progress | None) -> RunReport | PushReport:
        connection = self.store.connection_by_id(run.connection_id)
        opts = run.options
        if _pushes(connection.connector):
            log.info("run %s of %s: push started (%s)", run.id, run.connection, run.trigger)
            pushed = await push(self.store, connection,
                                PushOptions(dry_run=bool(opts.get("dry_run"))), run_id=run.id,
                                lease=lease, stop=self.stop,
                                progress=progress or _Saver(self.store, run.id))
            metrics.observe_run(pushed)
            log.info("run %s of %s: push %s in %.1f s%s", run.id, run.connection,
                     pushed.status, pushed.seconds,
                     f": {pushed.message}" if pushed.message else "",
                     extra={"run_id": run.id, "connection": run.connection,
                            "status": pushed.status, "seconds": round(pushed.seconds, 3)})
            return pushed
        options = RunOptions(
            dry_run=bool(opts.get("dry_run")),
            approve_deletions=bool(opts.get("approve_deletions")),
            max_delete_share=float(opts.get("max_delete_share",
                                            self.settings.max_delete_share)),
            reread=bool(opts.get("reread")))
        if run.attempts > 1:
            log.info("run %s of %s: resuming (attempt %s) after checkpoint %r", run.id,
                     run.connection, run.attempts, run.checkpoint)
        else:
            log.info("run %s of %s: started (%s)", run.id, run.connection, run.trigger)
        report = await sync(self.store, connection, options, run_id=run.id,
                            control=RunControl(lease=lease, stop=self.stop),
                            progress=progress or _Saver(self.store, run.id))
        metrics.observe_run(report)
        log.info("run %s of %s: %s in %.1f s%s", run.id, run.connection, report.status,
                 report.seconds, f": {report.message}" if report.message else "",
                 extra={"run_id": run.id, "connection": run.connection,
                        "status": report.status, "seconds": round(report.seconds, 3)})
        if report.status == "succeeded" and not options.dry_run:
            self._after_pull(connection.tenant_id, connection.name, run.id)
        return report

    def _after_pull(self, tenant_id: int, name: str, run_id: int) -> None:
        """Queue a push of every destination whose ``push.after`` names this connection."""
        for other in self.store.list_connections(tenant_id=tenant_id):
            if not _pushes(other.connector):
                continue
            block = other.config.get("push") or {}
            if name in (block.get("after") or ()):
                queued, coalesced = self.store.request_run(
                    other, trigger="after-pull", requested_by=f"run {run_id} of {name}")
                log.info("run %s of %s: %s push %s of %s", run_id, name,
                         "joined the queued" if coalesced else "queued", queued, other.label)


def _pushes(connector: str) -> bool:
    """Whether ``connector`` is a push destination (an LMS gradebook)."""
    try:
        return issubclass(connector_class(connector), Destination)
    except Exception:  # unknown connector: the run itself reports it
        return False


class _Saver:
    """A progress callback that records progress at most every couple of seconds."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store, self.run_id, self.last = store, run_id, 0.0

    def __call__(self, stream: str, rows: int, units: tuple[int, int] | None) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        info: dict[str, Any] = {"stream": stream, "rows": rows}
        if units is not None:
            info["done"], info["total"] = units
        try:
            self.store.save_run_progress(self.run_id, progress=info)
        except Exception:  # progress is a courtesy; never fail a run over it
            log.debug("could not record progress of run %s", self.run_id, exc_info=True)


class _Heartbeat(threading.Thread):
    """Renews a lease in the background while a run works."""

    def __init__(self, store: Store, name: str, holder: str, ttl: float) -> None:
        super().__init__(name=f"lease {name}", daemon=True)
        self.store, self.lease, self.holder, self.ttl = store, name, holder, ttl
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.ttl / 3):
            try:
                if not self.store.leases.renew(self.lease, self.holder, self.ttl):
                    log.warning("lost the lease %s; the run will not commit", self.lease)
                    return
            except Exception:
                log.warning("could not renew the lease %s", self.lease, exc_info=True)

    def close(self) -> None:
        self.done.set()
        self.join(timeout=5)


class Worker:
    """The in-process worker: one thread taking queued runs, one at a time.

    One at a time is deliberate: on SQLite only one transaction can write at once, and on
    PostgreSQL scale-out is the job of more ``harbor worker`` processes.
    """

    def __init__(self, store: Store, settings: Settings, *,
                 executor: Executor | None = None) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor or Executor(store, settings)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.current: int | None = None

    # Dispatcher
    def submit(self, run_id: int, connection_id: int) -> None:
        self.wake.set()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="harbor worker", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful: the run in flight stops at its next batch and is queued again."""
        self.stopping.set()
        self.executor.stop.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _loop(self) -> None:
        log.info("worker %s started", self.executor.holder)
        while not self.stopping.is_set():
            try:
                self.run_pending()
            except Exception:
                log.exception("worker loop error; retrying")
            self.wake.wait(self.settings.poll_seconds)
            self.wake.clear()
        log.info("worker %s stopped", self.executor.holder)

    def run_pending(self) -> int:
        """Run every run that is waiting and whose connection is free; how many ran."""
        ran = 0
        for run in self.store.pending_runs():
            if self.stopping.is_set():
                break
            if run.status == "running" and run.worker == self.executor.holder:
                continue
            self.current = run.id
            try:
                if self.executor.execute_blocking(run.id) is not None:
                    ran += 1
            finally:
                self.current = None
        return ran
