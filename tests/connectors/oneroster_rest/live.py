"""Our own OneRoster provider, served over real HTTP on loopback for the consumer's tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from gateway.api import create_app
from gateway.engine.run import RunOptions, sync
from gateway.provider.app import provider_router
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from tests.helpers import csv_connection

V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"
SCOPES = ["roster.readonly", "roster-core.readonly", "roster-demographics.readonly",
          "gradebook.readonly",
          *(V1P1 + s for s in ("roster.readonly", "roster-core.readonly",
                               "roster-demographics.readonly", "gradebook.readonly"))]


@dataclass
class LiveProvider:
    url: str
    store: Store
    tenant_id: int
    client_id: str
    secret: str


@contextmanager
def serve(store: Store) -> Iterator[str]:
    """Serve the provider of ``store`` on a free loopback port; yields its base URL."""
    app = create_app(store, Settings(), extra_routers=[provider_router(store, max_limit=1000)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the provider did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def load_source(store: Store, district: Path, tenant: str = "source") -> tuple[int, str, str]:
    """Load ``district`` into ``tenant`` and create a provider client on it."""
    csv_connection(store, district, tenant=tenant)
    report = asyncio.run(sync(store, store.connection(f"{tenant}/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant_id = store.tenant(tenant).id
    clients = ProviderClients(store.engine, store.secrets)
    _, client_id, secret = clients.create(tenant_id, "consumer-test", SCOPES,
                                          Sharing(demographics=True))
    return tenant_id, client_id, secret
