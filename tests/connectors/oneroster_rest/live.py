"""Our own OneRoster provider, served over real HTTP on loopback for the consumer's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gateway.api import create_app
from gateway.engine.run import RunOptions, sync
from gateway.provider.app import provider_router
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from tests.helpers import csv_connection, serve_app

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
    with serve_app(app) as url:
        yield url


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
