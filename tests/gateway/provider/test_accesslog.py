"""A vendor's request does not wait on a sync's write lock for its access-log entry, and
the entry is written, with the request's own time, once the lock is free."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.gateway.provider.test_api import Provider, district, provider  # noqa: F401


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_request_during_a_sync_is_logged_after_it(provider: Provider) -> None:  # noqa: F811
    client_id = provider.secrets["core"][0]
    token = provider.token("core")
    before = len(provider.clients.access_log(client_id))
    path = str(provider.store.engine.url.database)
    sync = sqlite3.connect(path, isolation_level=None)
    sync.execute("BEGIN IMMEDIATE")  # what a sync part holds for its whole duration
    try:
        started = time.monotonic()
        answer = provider.client.get("/ims/oneroster/rostering/v1p2/orgs",
                                     headers={"Authorization": f"Bearer {token}"})
        waited = time.monotonic() - started
        assert answer.status_code == 200
        assert waited < 5, f"the request waited {waited:.1f} s for the write lock"
        started = time.monotonic()
        provider.token("demo-less")  # its first use: last_used_at is a write it skips now
        assert time.monotonic() - started < 5
        asked_at = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
    finally:
        sync.execute("ROLLBACK")
        sync.close()
    deadline = time.monotonic() + 10
    while len(provider.clients.access_log(client_id)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    [entry, *_] = provider.clients.access_log(client_id)
    assert entry.path.endswith("/orgs") and entry.status == 200
    assert entry.at[:16] <= asked_at, "logged with the time of the request"
