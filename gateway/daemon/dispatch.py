"""How a queued run reaches a worker.

Every trigger (API, schedule, approval, CLI) first records a ``queued`` run in the store
(:meth:`Store.request_run`, which coalesces a second trigger into the active run). The
dispatcher then tells the workers: the in-process worker is woken at once; with
procrastinate (PostgreSQL, scaled out) a job is deferred that any ``harbor worker`` picks up.
Workers also poll the store, so a run whose notification was lost still runs.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Dispatcher", "NullDispatcher"]


class Dispatcher(Protocol):
    def submit(self, run_id: int, connection_id: int) -> None:
        """A run was queued: make a worker take it soon."""


class NullDispatcher:
    """No worker in this process: queued runs wait for a worker's next poll."""

    def submit(self, run_id: int, connection_id: int) -> None:
        return None
