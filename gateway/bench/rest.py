"""OneRoster REST pull: the consumer connector reading a district from our own provider.

The source district is loaded into a throwaway store, whose provider API is served by
uvicorn in a separate process on loopback (so the server and the consumer each have a
core, as they would on two machines). The consumer then pulls it into a fresh SQLite store:
a full pull, an incremental pull with nothing changed, and an incremental pull after the
SIS's 1 % delta. Each pull is timed in its own child process, with its peak memory.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa
from rich.console import Console

from gateway.bench.harness import Measurement, measure, print_table, throwaway_database
from gateway.bench.ingest import KEY, harbor_sync, prepare_district
from gateway.engine.run import RunOptions, sync
from gateway.errors import ConfigError
from gateway.secrets import SecretBox
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables

__all__ = ["rest_pull", "run_rest_bench"]

BACKDATED = "2026-01-01T00:00:00.000Z"
SCOPES = ["roster.readonly", "roster-core.readonly", "roster-demographics.readonly"]


def rest_pull(database_url: str, key: str, base_url: str, client_id: str, secret: str,
              page_size: int = 1000, concurrency: int = 4) -> float:
    """Child-process body: one pull of the provider at ``base_url``; returns seconds."""
    store = Store.open(database_url, SecretBox(key.encode()))
    try:
        try:
            conn = store.connection("bench/rest")
        except ConfigError:
            conn = store.add_connection("bench", "rest", "oneroster-rest", {
                "base_url": base_url, "client_id": client_id, "page_size": page_size,
                "concurrency": concurrency}, {"client_secret": secret})
        started = time.perf_counter()
        report = asyncio.run(sync(store, conn, RunOptions(approve_deletions=True)))
        seconds = time.perf_counter() - started
        if report.status != "succeeded":
            raise SystemExit(f"REST pull failed: {report.message} {report.problems[:3]}")
        records = sum(c.added + c.updated + c.unchanged for c in report.counts.values())
        print(f"  pulled {records:,} records in {seconds:.1f} s", flush=True)
        return seconds
    finally:
        store.close()


def _backdate(database_url: str) -> None:
    """Date the loaded records as last modified at New Year, as an SIS's mostly are (the
    export left ``dateLastModified`` empty, so the load stamped them all with its own
    time). The delta's records carry the next night's time, so the incremental pulls see
    what a nightly job would: nothing, then the 1 % that changed."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            for table in stream_tables.values():
                conn.execute(table.update().values(date_last_modified=BACKDATED))
    finally:
        engine.dispose()


def _client(database_url: str) -> tuple[str, str]:
    store = Store.open(database_url, SecretBox(KEY.encode()))
    try:
        clients = ProviderClients(store.engine, store.secrets)
        _, client_id, secret = clients.create(store.tenant("bench").id,
                                              f"rest-bench-{time.time_ns()}", SCOPES,
                                              Sharing(demographics=True))
        return client_id, secret
    finally:
        store.close()


@contextmanager
def _served(database_url: str, port: int) -> Iterator[str]:
    """The provider of ``database_url`` in a uvicorn child process; yields its URL."""
    env = {**os.environ, "HARBOR_DATABASE_URL": database_url, "HARBOR_SECRET_KEY": KEY}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gateway.bench.rest", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/ims/oneroster/rostering/v1p2/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the provider did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def _serve(port: int) -> None:
    import uvicorn

    from gateway.api import create_app
    from gateway.provider.app import provider_router
    from gateway.settings import get_settings

    settings = get_settings()
    assert settings.database_url
    assert settings.secret_key
    store = Store.open(settings.database_url,
                       SecretBox(settings.secret_key.get_secret_value().encode()))
    app = create_app(store, settings, extra_routers=[provider_router(store)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rest_rows(workdir: Path, students: int) -> list[Measurement]:
    base, delta = prepare_district(workdir, students)
    with throwaway_database("sqlite-url", workdir, None) as source, \
            throwaway_database("sqlite-url", workdir, None) as dest:
        load = harbor_sync(source, str(base), KEY)
        print(f"  source loaded (CSV full ingest) in {load:.1f} s", flush=True)
        _backdate(source)
        client_id, secret = _client(source)
        params = {"database_url": dest, "key": KEY, "client_id": client_id, "secret": secret}
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # the same for both servers: it is in the connection
        sock.close()
        with _served(source, port) as url:
            params["base_url"] = url
            full = measure("REST full pull (SQLite)", "gateway.bench.rest:rest_pull", params,
                           note="every stream, 1,000 records a page, 4 requests in flight")
            again = measure("REST incremental pull, nothing changed (SQLite)",
                            "gateway.bench.rest:rest_pull", params,
                            note="dateLastModified>= the cursors")
        harbor_sync(source, str(delta), KEY, name="delta")
        with _served(source, port) as url:
            params["base_url"] = url
            changed = measure("REST incremental pull after a 1 % delta (SQLite)",
                              "gateway.bench.rest:rest_pull", params)
    return [full, again, changed]


def run_rest_bench(console: Console, *, students: int, workdir: Path) -> list[Measurement]:
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(f"generating (or reusing) a {students:,}-student district in {workdir} ...")
    rows = rest_rows(workdir, students)
    print_table(console, f"OneRoster REST pull, {students:,} students", rows,
                baseline=rows[0].name)
    return rows


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
