"""The provider's access log, written without making a vendor's request wait on a sync.

On SQLite a sync holds the database's only write lock for a whole part (seconds to a
minute at district scale). A request's log entry is tried at once with a short wait; if
the lock is taken, the entry goes to a background thread that writes it as soon as the
lock is free, with the time of the request itself. Nothing is dropped unless the process
dies with entries still pending, or more than ``MAX_PENDING`` pile up (both are logged).
"""

from __future__ import annotations

import logging
import queue
import threading

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.store import db
from gateway.store.clients import ProviderClientRecord, ProviderClients

__all__ = ["AccessLog"]

log = logging.getLogger("harbormaster.provider.access")
WAIT_MS = 200
MAX_PENDING = 100_000
Entry = tuple[int, str, str, str | None, int, int, str]


class AccessLog:
    def __init__(self, clients: ProviderClients) -> None:
        self.clients = clients
        self.pending: queue.Queue[Entry] = queue.Queue(MAX_PENDING)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, client: ProviderClientRecord, method: str, path: str, query: str | None,
               status: int, records: int) -> None:
        entry: Entry = (client.id, method, path, query, status, records, utcnow())
        if self.pending.empty():  # keep the order: never write ahead of queued entries
            try:
                self._write(entry, WAIT_MS)
                return
            except sa.exc.OperationalError as exc:
                if not db.is_locked(exc):
                    raise
        try:
            self.pending.put_nowait(entry)
        except queue.Full:
            log.error("access log: %d entries waiting for the database; dropped %s %s of "
                      "client %s", MAX_PENDING, method, path, client.client_id)
            return
        self._start()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every pending entry is written; False if ``timeout`` passed first."""
        done = threading.Event()

        def wait() -> None:
            self.pending.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _write(self, entry: Entry, wait_ms: int | None) -> None:
        client_id, method, path, query, status, records, at = entry
        self.clients.log_access(client_id, method, path, query, status, records, at=at,
                                wait_ms=wait_ms)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain, daemon=True,
                                                name="provider access log")
                self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                entry = self.pending.get(timeout=5)
            except queue.Empty:
                return
            while True:
                try:
                    self._write(entry, None)  # waits for the lock as long as it takes
                    break
                except Exception:
                    log.warning("access log write failed; retrying", exc_info=True)
                    threading.Event().wait(1.0)
            self.pending.task_done()
