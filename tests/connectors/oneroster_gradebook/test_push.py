"""End to end: the push engine over a seeded world into an SIS gradebook (our provider,
holding the same roster, served on loopback), by PUT and by POST: every grade once, a
second push writes nothing, and a lineItem a teacher deleted is made again with its grades."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from connectors.oneroster_gradebook.records import CATEGORY_ID
from gateway.api import create_app
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.gradebook import GRADEBOOK
from gateway.push.run import PushOptions, PushReport, push
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables, tenants
from tests.helpers import serve_app
from tests.push.world import TODAY, World, add_destination, build_world, set_mastery

SCOPES = ["gradebook.createput", "gradebook.createpost", "gradebook.delete",
          "gradebook.readonly"]


class Gradebook:
    """The SIS side: its store, its tenant's gradebook rows and change version."""

    def __init__(self, store: Store, url: str, client_id: str, secret: str) -> None:
        self.store, self.url, self.client_id, self.secret = store, url, client_id, secret
        self.tenant_id = store.tenant("district").id

    def rows(self, stream: str) -> list[dict[str, Any]]:
        t = stream_tables[stream]
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                t.select().where(t.c.tenant_id == self.tenant_id, t.c.status == "active"))]

    def version(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.select(tenants.c.last_version).where(
                tenants.c.id == self.tenant_id)).scalar_one())

    def delete_line_item(self, sourced_id: str) -> None:
        import httpx

        with httpx.Client(base_url=self.url) as http:
            token = http.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                              auth=(self.client_id, self.secret)).json()["access_token"]
            gone = http.delete(f"{GRADEBOOK.base}/lineItems/{sourced_id}",
                               headers={"Authorization": f"Bearer {token}"})
            assert gone.status_code == 204, gone.text


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    return build_world(store, tmp_path)


@pytest.fixture
def sis(tmp_path: Path, sqlite_template: Path) -> Iterator[Gradebook]:
    """The SIS: the world's roster in a store of its own, its provider served."""
    path = tmp_path / "sis.db"
    shutil.copyfile(sqlite_template, path)
    store = Store.open(f"sqlite:///{path}", SecretBox(Fernet.generate_key()), migrate=False)
    build_world(store, tmp_path / "sis", mastery=False)
    clients = ProviderClients(store.engine, store.secrets)
    _, client_id, secret = clients.create(store.tenant("district").id, "harbormaster",
                                          SCOPES, Sharing())
    app = create_app(store, Settings(), extra_routers=[provider_router(store)])
    with serve_app(app) as url:
        yield Gradebook(store, url, client_id, secret)
    store.close()


def do_push(world: World) -> PushReport:
    connection = world.store.connection("district/sis-gradebook")
    return asyncio.run(push(world.store, connection, PushOptions(today=TODAY)))


@pytest.mark.parametrize("write", ["put", "post"])
def test_push_into_a_oneroster_gradebook(world: World, sis: Gradebook, write: str) -> None:
    add_destination(world, "sis-gradebook", "oneroster-gradebook",
                    {"base_url": sis.url, "client_id": sis.client_id, "write": write},
                    secrets={"client_secret": sis.secret})
    report = do_push(world)
    assert report.status == "succeeded", (report.message, report.problems)
    assert report.counts["assignments"] == {"created": 4}
    assert report.counts["grades"] == {"written": 12}
    lines = sis.rows("lineItems")
    assert len(lines) == 4 and {li["category_sourced_id"] for li in lines} == {CATEGORY_ID}
    assert {li["class_sourced_id"] for li in lines} == set(world.classes)
    results = sis.rows("results")
    assert len(results) == 12
    for r in results:
        line = next(li for li in lines if li["sourced_id"] == r["line_item_sourced_id"])
        assert r["student_sourced_id"] in world.classes[line["class_sourced_id"]]

    before = sis.version()
    again = do_push(world)
    assert again.counts["grades"] == {"unchanged": 12}
    assert sis.version() == before, "a second push writes nothing"

    # A teacher deletes one lineItem; a changed score reveals it; it is made again and
    # every grade of it resent.
    victim = next(li for li in lines if li["class_sourced_id"] == "k1"
                  and li["title"].startswith("3.NF.A.1"))
    sis.delete_line_item(victim["sourced_id"])
    set_mastery(world, "k1-s2", "m-3nfa1", 0.44)
    third = do_push(world)
    assert third.status == "succeeded", (third.message, third.problems)
    assert third.counts["assignments"]["recreated"] == 1
    lines = sis.rows("lineItems")
    assert len(lines) == 4
    [remade] = [li for li in lines if li["class_sourced_id"] == "k1"
                and li["title"].startswith("3.NF.A.1")]
    assert (remade["sourced_id"] == victim["sourced_id"]) is (write == "put")
    remade_results = [r for r in sis.rows("results")
                      if r["line_item_sourced_id"] == remade["sourced_id"]]
    assert {r["student_sourced_id"] for r in remade_results} == set(world.classes["k1"])
    assert next(float(r["score"]) for r in remade_results
                if r["student_sourced_id"] == "k1-s2") == 44.0
