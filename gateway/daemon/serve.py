"""``harbor serve`` and ``harbor worker``: the long-running processes, and how they stop.

One process can hold every part (the default, and all a single-server install on SQLite
needs): the admin API, the scheduler and a worker. Scaled out on PostgreSQL the parts run
apart: ``harbor serve --api-only`` behind a load balancer, one or more ``harbor serve
--scheduler-only`` (one leads), and any number of ``harbor worker`` processes sharing runs
through procrastinate.

SIGTERM or SIGINT stops gracefully: the API stops taking requests, the scheduler stops
firing, and a run in flight stops at its next batch, rolls back the part since its last
checkpoint and is queued again, to resume when a worker starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import prometheus_client
import uvicorn

from gateway import metrics
from gateway.daemon.dispatch import Dispatcher, NullDispatcher
from gateway.daemon.queue import JobQueue
from gateway.daemon.scheduler import Scheduler
from gateway.daemon.worker import Executor, Worker
from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["Daemon", "Parts"]

log = logging.getLogger("harbormaster.serve")


@dataclass(frozen=True, slots=True)
class Parts:
    api: bool = True
    scheduler: bool = True
    worker: bool = True
    queue: str = "local"
    """``local``: the in-process worker polls the store. ``procrastinate``: runs go through
    procrastinate's job queue to any worker process (PostgreSQL only)."""
    host: str = "127.0.0.1"
    port: int = 8080
    concurrency: int = 1
    metrics_port: int | None = None
    """Serve this process's own metrics on a port of their own (a worker has no API)."""
    metrics_addr: str = "127.0.0.1"


class _Server(uvicorn.Server):
    """uvicorn, minus its own signal handling: the daemon decides when everything stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Daemon:
    def __init__(self, store: Store, settings: Settings, parts: Parts) -> None:
        if parts.queue not in ("local", "procrastinate"):
            raise ConfigError(f"queue {parts.queue!r} is not known; use local or procrastinate")
        self.store = store
        self.settings = settings
        self.parts = parts
        self.queue: JobQueue | None = None
        self.worker: Worker | None = None
        self.executor: Executor | None = None
        if parts.queue == "procrastinate":
            self.executor = Executor(store, settings) if parts.worker else None
            self.queue = JobQueue(store, settings, executor=self.executor)
            self.queue.install()
        elif parts.worker:
            self.worker = Worker(store, settings)
            self.executor = self.worker.executor
        self.dispatcher: Dispatcher = self.queue or self.worker or NullDispatcher()
        self.scheduler = (Scheduler(store, settings, self.dispatcher,
                                    chores=[self.queue.maintain] if self.queue else ())
                          if parts.scheduler else None)
        self.stop_event: asyncio.Event | None = None

    def app(self) -> Any:
        from gateway.api.app import create_app
        from gateway.api.routes.health import health_router
        from gateway.lti.app import lti_router
        from gateway.provider.app import provider_router

        app = create_app(self.store, self.settings, dispatcher=self.dispatcher,
                         on_schedule_change=self.scheduler.reload if self.scheduler else None,
                         extra_routers=[health_router, provider_router(
                             self.store, public_base_url=self.settings.public_url),
                             lti_router(self.store, self.settings)])
        app.state.daemon = self
        return app

    def ready(self) -> dict[str, bool]:
        """What /readyz reports: every part this process runs is up."""
        checks = {"database": database_ok(self.store)}
        if self.scheduler is not None:
            checks["scheduler"] = self.scheduler.running
        if self.worker is not None:
            checks["worker"] = self.worker.alive
        return checks

    def run(self) -> None:
        asyncio.run(self.main())

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        self.stop_event = stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        tasks: list[asyncio.Task[None]] = []
        server: _Server | None = None
        if self.parts.metrics_port is not None:
            prometheus_client.start_http_server(self.parts.metrics_port,
                                                addr=self.parts.metrics_addr,
                                                registry=metrics.REGISTRY)
        if self.worker is not None:
            self.worker.start()
        if self.scheduler is not None:
            self.scheduler.start()
        if self.queue is not None and self.parts.worker:
            tasks.append(asyncio.create_task(
                self.queue.work(concurrency=self.parts.concurrency, stop=stop)))
        if self.parts.api:
            config = uvicorn.Config(self.app(), host=self.parts.host, port=self.parts.port,
                                    log_config=None, access_log=False, lifespan="off")
            server = _Server(config)
            tasks.append(asyncio.create_task(server.serve()))
        log.info("harbor %s started", ", ".join(self._describe()))
        try:
            await stop.wait()
        finally:
            log.info("stopping: runs in flight stop at their next batch and resume later")
            # The run first: on SQLite everything else that writes waits for its lock.
            if self.executor is not None:
                self.executor.stop.set()
            if server is not None:
                server.should_exit = True
            if self.worker is not None:
                await asyncio.to_thread(self.worker.stop)
            if self.scheduler is not None:
                self.scheduler.stop()
            stop.set()
            if tasks:
                await asyncio.wait(tasks, timeout=60)
            if self.queue is not None:
                self.queue.close()
            log.info("stopped")

    def _describe(self) -> list[str]:
        out = []
        if self.parts.api:
            out.append(f"API on http://{self.parts.host}:{self.parts.port}")
        if self.scheduler is not None:
            out.append("scheduler")
        if self.parts.worker:
            out.append(f"worker ({self.parts.queue})")
        return out


def database_ok(store: Store) -> bool:
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception:
        return False
    return True
