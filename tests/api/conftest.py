"""An admin API around a real store (SQLite and PostgreSQL), with two tenants, their
connections, and keys for an operator and for each tenant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.settings import Settings
from gateway.store.keys import ApiKeys
from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, write_export

SECRET = "s3cr3t-Vendor-Value-7f1c"
"""The vendor connection's client secret: no response may ever contain it."""


@dataclass
class RecordingDispatcher:
    submitted: list[tuple[int, int]] = field(default_factory=list)

    def submit(self, run_id: int, connection_id: int) -> None:
        self.submitted.append((run_id, connection_id))


@dataclass
class Harbor:
    app: FastAPI
    client: TestClient
    store: Store
    keys: ApiKeys
    dispatcher: RecordingDispatcher
    schedule_changes: list[str]
    operator: str
    north: str
    south: str
    responses: list[str] = field(default_factory=list)

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def harbor(store: Store, tmp_path: Path, vendor_plugin: str) -> Iterator[Harbor]:
    north_export = write_export(tmp_path / "north", small_district())
    south_export = write_export(tmp_path / "south", small_district())
    store.ensure_tenant("north", "North District")
    store.ensure_tenant("south", "South District")
    store.add_connection("north", "sis", "oneroster-csv", {"path": str(north_export)}, {})
    store.add_connection("south", "sis", "oneroster-csv", {"path": str(south_export)}, {})
    store.add_connection("north", "vendor", vendor_plugin,
                         {"url": "https://api.example.com", "client_id": "harbor"},
                         {"client_secret": SECRET})
    keys = ApiKeys(store.engine)
    tenants = {t.slug: t.id for t in store.list_tenants()}
    operator = keys.create("ops", None)[1]
    north = keys.create("north-it", tenants["north"])[1]
    south = keys.create("south-it", tenants["south"])[1]

    settings = Settings(_env_file=None, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                        timezone="America/Chicago")
    dispatcher = RecordingDispatcher()
    changes: list[str] = []
    app = create_app(store, settings, dispatcher=dispatcher,
                     on_schedule_change=lambda: changes.append("reload"))
    client = TestClient(app)
    h = Harbor(app, client, store, keys, dispatcher, changes, operator, north, south)

    def keep(response: httpx.Response) -> None:
        response.read()
        h.responses.append(response.text + str(response.headers))

    client.event_hooks = {"request": [], "response": [keep]}
    yield h
    client.close()
    leaked = [text for text in h.responses if SECRET in text]
    assert not leaked, f"a response carried the vendor secret: {leaked[0][:300]}"
