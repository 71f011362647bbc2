"""Plain functions the tests share: add a CSV connection, sync it, read the store, serve an
app on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
import uvicorn

from gateway.bench.harness import throwaway_database
from gateway.engine.run import RunOptions, RunReport, sync
from gateway.store.store import Store

SHARED = Path(os.environ.get("HARBOR_SHARED_DIR",
                             Path(__file__).resolve().parents[1].parent / "shared"))
"""The workplace's shared/ folder (official specs, real fixtures), beside the repository."""


PG_ADMIN_URL = os.environ.get("HARBOR_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn in a thread on a free loopback port; yields its
    base URL ("http://127.0.0.1:PORT") and stops the server on exit."""
    sock = socket.socket()
    # Accepted connections inherit it: without it, a response written in two parts waits
    # for the client's delayed ACK (Nagle), 40 ms a request on loopback.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def throwaway_postgres(prefix: str = "harbor_test") -> Iterator[str]:
    """A new database on the HARBOR_TEST_POSTGRES_URL server, dropped afterwards."""
    dsn = sa.engine.make_url(PG_ADMIN_URL).set(drivername="postgresql")
    try:
        psycopg.connect(dsn.render_as_string(hide_password=False), connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc}); start it or "
                    f"set HARBOR_TEST_POSTGRES_URL", pytrace=False)
    with throwaway_database("postgresql-url", Path("."), PG_ADMIN_URL, prefix=prefix) as url:
        yield url


def csv_connection(store: Store, path: Path, *, tenant: str = "district",
                   name: str = "sis") -> None:
    store.add_connection(tenant, name, "oneroster-csv", {"path": str(path)}, {})


def run(store: Store, name: str = "district/sis", **options: Any) -> RunReport:
    return asyncio.run(sync(store, store.connection(name), RunOptions(**options)))


def counts(report: RunReport) -> dict[str, dict[str, int]]:
    return {k: v.as_dict() for k, v in report.counts.items()}


def record(store: Store, stream: str, sid: str, tenant: str = "district") -> dict[str, Any]:
    rec = store.record(store.tenant(tenant).id, stream, sid)
    assert rec is not None, f"{stream} {sid} not in store"
    return rec


def snapshot(store: Store, tenant: str = "district") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every stream of the tenant, for before/after comparisons."""
    import sqlalchemy as sa

    from gateway.store.tables import stream_tables

    tid = store.tenant(tenant).id
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        for name, table in stream_tables.items():
            rows = conn.execute(sa.select(table).where(table.c.tenant_id == tid)
                                .order_by(table.c.sourced_id)).all()
            out[name] = [tuple(r) for r in rows]
    return out
