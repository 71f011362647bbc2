"""The OneRoster REST consumer against our own provider over real HTTP on loopback: a full
pull reproduces the source tenant record for record, with either paging style, into SQLite
and PostgreSQL; incremental pulls apply only changes, deletions included (also for a client
granted one school); the deletion safeguard holds a pull that lost most of a roster."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from gateway.engine.run import RunOptions, RunReport, sync
from gateway.sample import write_delta, write_district
from gateway.secrets import SecretBox
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.connectors.oneroster_rest.live import SCOPES, LiveProvider, load_source, serve
from tests.helpers import counts

ROSTER = ("orgs", "academicSessions", "courses", "classes", "users", "demographics",
          "enrollments")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(out, 300, gradebook=False)
    return out


@pytest.fixture
def live(tmp_path: Path, district: Path) -> Iterator[LiveProvider]:
    source = Store.open(f"sqlite:///{tmp_path / 'source.db'}", SecretBox(Fernet.generate_key()))
    tenant_id, client_id, secret = load_source(source, district)
    with serve(source) as url:
        yield LiveProvider(url, source, tenant_id, client_id, secret)
    source.close()


def rest_connection(store: Store, live: LiveProvider, **config: Any) -> str:
    settings = {"base_url": live.url, "client_id": live.client_id, "page_size": 97, **config}
    store.add_connection("dest", "sis", "oneroster-rest", settings,
                         {"client_secret": live.secret})
    return "dest/sis"


def pull(store: Store, name: str = "dest/sis", **options: Any) -> RunReport:
    return asyncio.run(sync(store, store.connection(name), RunOptions(**options)))


def rows(store: Store, tenant_id: int, stream: str) -> dict[str, tuple[Any, ...]]:
    """sourcedId -> (status, dateLastModified, the stream's columns..., metadata); numbers
    as floats (JSON carries 100.0 for a CSV's "100.0" or "100", the value is what counts)."""
    from gateway.model.schema import STREAMS

    floats = {2 + i for i, c in enumerate(STREAMS[stream].columns) if c.kind == "float"}
    t = stream_tables[stream]
    names = [c.name for c in t.columns]
    keep = [i for i, n in enumerate(names)
            if n not in ("tenant_id", "version", "content_hash", "connection_id", "synced_at")
            and i != 3]
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(t).where(t.c.tenant_id == tenant_id)).all()
    out = {r[1]: tuple(r[i] for i in keep if i != 1) for r in found}
    return {k: tuple(float(x) if n in floats and x is not None else x
                     for n, x in enumerate(v)) for k, v in out.items()}


def roles(store: Store, tenant_id: int) -> set[tuple[Any, ...]]:
    t = stream_tables["roles"]
    with store.engine.connect() as conn:
        return set(conn.execute(sa.select(
            t.c.status, t.c.user_sourced_id, t.c.role_type, t.c.role, t.c.org_sourced_id,
            t.c.begin_date, t.c.end_date).where(t.c.tenant_id == tenant_id)).all())


def assert_same(source: Store, source_id: int, dest: Store, streams: tuple[str, ...] = ROSTER,
                *, roles_too: bool = True) -> None:
    dest_id = dest.tenant("dest").id
    for stream in streams:
        want, got = rows(source, source_id, stream), rows(dest, dest_id, stream)
        # dateLastModified aside: the provider serves the time of the change when the
        # source export left it empty, and the consumer keeps what it was served.
        active = {k: v[2:] for k, v in want.items() if v[0] == "active"}
        got_active = {k: v[2:] for k, v in got.items() if v[0] == "active"}
        assert got_active == active, stream
    if not roles_too:
        return
    assert {r for r in roles(dest, dest_id) if r[0] == "active"} == \
        {r for r in roles(source, source_id) if r[0] == "active"}


@pytest.mark.parametrize("paging", ["auto", "offset"])
def test_full_pull_reproduces_the_source(store: Store, live: LiveProvider, paging: str) -> None:
    rest_connection(store, live, paging=paging, concurrency=3)
    report = pull(store)
    assert report.status == "succeeded", (report.message, report.problems[:3])
    assert_same(live.store, live.tenant_id, store)
    assert counts(report)["enrollments"]["added"] > 1000
    state = store.connection("dest/sis").state
    assert "reconciled" in state and "full" not in state
    assert set(state["cursors"]) == set(ROSTER)


def test_incremental_pull_applies_only_changes(store: Store, live: LiveProvider,
                                               district: Path, tmp_path: Path) -> None:
    rest_connection(store, live)
    assert pull(store).status == "succeeded"
    # The SIS changes: 1 % of the users edited, some students added and some removed.
    delta = tmp_path / "delta"
    write_delta(district, delta, share=0.02, mode="delta")
    live.store.add_connection("source", "delta", "oneroster-csv", {"path": str(delta)}, {})
    changed = asyncio.run(sync(live.store, live.store.connection("source/delta"),
                               RunOptions()))
    assert changed.status == "succeeded", changed.message
    report = pull(store)
    assert report.status == "succeeded", (report.message, report.problems[:3])
    c = counts(report)
    assert 0 < c["users"]["updated"] + c["users"]["added"] < 50
    assert c["enrollments"]["added"] > 0
    assert assert_same_active_users(live, store)


@pytest.mark.parametrize("grant", ["tenant", "school"])
def test_incremental_pull_applies_deletions(store: Store, live: LiveProvider, district: Path,
                                            tmp_path: Path, grant: str) -> None:
    """Students the SIS deletes in a CSV delta are soft-deleted by the consumer's next
    incremental pull, users and enrollments, without waiting for a reconcile: the
    provider serves them as tobedeleted to its dateLastModified filter, also to a client
    granted one school, whose deleted students no longer hold an active role there."""
    if grant == "school":
        _, client_id, secret = ProviderClients(live.store.engine, live.store.secrets).create(
            live.tenant_id, "school-consumer", SCOPES,
            Sharing(schools=frozenset({"sch-0001"}), demographics=True))
        live = replace(live, client_id=client_id, secret=secret)
    rest_connection(store, live)
    assert pull(store).status == "succeeded"
    dest = store.tenant("dest").id
    reconciled = store.connection("dest/sis").state["reconciled"]
    had = {stream: rows(store, dest, stream) for stream in ("users", "enrollments")}
    delta = tmp_path / "delta"
    write_delta(district, delta, share=0.05, mode="delta")
    deleted = {stream: _deleted_in(delta / f"{stream}.csv")
               for stream in ("users", "enrollments")}
    live.store.add_connection("source", "delta", "oneroster-csv", {"path": str(delta)}, {})
    changed = asyncio.run(sync(live.store, live.store.connection("source/delta"),
                               RunOptions()))
    assert changed.status == "succeeded", changed.message

    report = pull(store)
    assert report.status == "succeeded", (report.message, report.problems[:3])
    assert store.connection("dest/sis").state["reconciled"] == reconciled, "incremental"
    c = counts(report)
    for stream in ("users", "enrollments"):
        gone = deleted[stream] & set(had[stream])
        assert len(gone) > (2 if grant == "school" else 10), stream
        now = rows(store, dest, stream)
        assert {k for k in gone if now[k][0] == "tobedeleted"} == gone, stream
        assert c[stream]["deleted"] == len(gone), stream
    assert not {r[1] for r in roles(store, dest) if r[0] == "active"} & deleted["users"]
    assert assert_same_active_users(live, store) if grant == "tenant" else True


def _deleted_in(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return {r["sourcedId"] for r in csv.DictReader(f) if r["status"] == "tobedeleted"}


def assert_same_active_users(live: LiveProvider, store: Store) -> bool:
    want = {k for k, v in rows(live.store, live.tenant_id, "users").items() if v[0] == "active"}
    got = {k for k, v in rows(store, store.tenant("dest").id, "users").items()
           if v[0] == "active"}
    added = want - got
    assert not added, f"{len(added)} users missing from the consumer"
    return True


def test_check_signs_in_and_names_a_wrong_secret(live: LiveProvider, sqlite_store: Store,
                                                  ) -> None:
    from connectors.oneroster_rest import OneRosterRestConnector

    good = OneRosterRestConnector.from_mapping({
        "base_url": live.url + "/ims/oneroster/rostering/v1p2", "client_id": live.client_id,
        "client_secret": live.secret})
    result = asyncio.run(good.check())
    assert result.ok, result.message
    assert "orgs" in result.message
    bad = OneRosterRestConnector.from_mapping({
        "base_url": live.url, "client_id": live.client_id, "client_secret": "not-it"})
    result = asyncio.run(bad.check())
    assert not result.ok
    assert "client id, secret" in result.message and "not-it" not in result.message
    # And a run with it fails with that message, recorded, nothing written.
    sqlite_store.add_connection("dest", "sis", "oneroster-rest", {
        "base_url": live.url, "client_id": live.client_id}, {"client_secret": "not-it"})
    report = pull(sqlite_store)
    assert report.status == "failed" and "client id, secret" in (report.message or "")
    assert "not-it" not in (report.message or "")


def test_gradebook_streams_come_over_too(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "gradebook-district"
    write_district(out, 60, gradebook=True)
    source = Store.open(f"sqlite:///{tmp_path / 'gb.db'}", SecretBox(Fernet.generate_key()))
    try:
        tenant_id, client_id, secret = load_source(source, out)
        with serve(source) as url:
            live = LiveProvider(url, source, tenant_id, client_id, secret)
            rest_connection(store, live, streams=",".join(
                (*ROSTER, "categories", "lineItems", "results")))
            report = pull(store)
        assert report.status == "succeeded", (report.message, report.problems[:3])
        assert counts(report)["results"]["added"] > 0
        assert_same(source, tenant_id, store, (*ROSTER, "categories", "lineItems", "results"))
    finally:
        source.close()
