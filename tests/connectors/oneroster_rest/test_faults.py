"""The REST consumer under injected faults. Requests go to our real provider app (httpx's
ASGI transport) through a transport that breaks chosen requests: 429 with Retry-After in
both forms, 500 then success, timeouts, a token revoked mid-run, a page of garbage, a short
read. Each gives the right outcome, and none loses or duplicates data: after a failed run
the store holds what it held, and the next run completes the pull."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from connectors.oneroster_rest import OneRosterRestConnector
from gateway.api import create_app
from gateway.engine.run import RunOptions, RunReport, build_connector, sync
from gateway.provider.app import provider_router
from gateway.sample import write_district
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.store import Store
from tests.connectors.oneroster_rest.live import load_source
from tests.connectors.oneroster_rest.test_contract import ROSTER, rows

Fault = Callable[[httpx.Request, int], httpx.Response | None]
"""Given a request and how many requests of its path came before, a response to send
instead of asking the provider, or None to pass it on."""


class Faulty(httpx.AsyncBaseTransport):
    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.faults: list[Fault] = []
        self.calls: dict[str, int] = {}
        self.log: list[str] = []
        self.rewrite: Callable[[httpx.Request, httpx.Response], httpx.Response] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        n = self.calls.get(path, 0)
        self.calls[path] = n + 1
        self.log.append(f"{request.method} {request.url}")
        for fault in self.faults:
            answer = fault(request, n)
            if answer is not None:
                return answer
        response = await self.inner.handle_async_request(request)
        if self.rewrite is not None:
            await response.aread()
            response = self.rewrite(request, response)
        return response


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(out, 120, gradebook=False)
    return out


class Rig:
    def __init__(self, source: Store, tenant_id: int, dest: Store, transport: Faulty) -> None:
        self.source, self.tenant_id, self.dest, self.transport = source, tenant_id, dest, \
            transport
        self.sleeps: list[float] = []

    def pull(self, **options: Any) -> RunReport:
        record = self.dest.connection("dest/sis")
        connector = build_connector(self.dest, record)
        assert isinstance(connector, OneRosterRestConnector)
        connector.transport = self.transport
        sleeps = self.sleeps

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        connector.sleep = sleep

        async def go() -> RunReport:
            return await sync(self.dest, record, RunOptions(**options), connector=connector)
        return asyncio.run(go())

    def configure(self, **config: Any) -> None:
        record = self.dest.connection("dest/sis")
        self.dest.update_connection(record, config={**record.config, **config})

    def dest_rows(self, stream: str) -> dict[str, tuple[Any, ...]]:
        return rows(self.dest, self.dest.tenant("dest").id, stream)

    def same_as_source(self) -> None:
        for stream in ROSTER:
            want = {k: v[2:] for k, v in rows(self.source, self.tenant_id, stream).items()
                    if v[0] == "active"}
            got = {k: v[2:] for k, v in self.dest_rows(stream).items() if v[0] == "active"}
            assert got == want, stream


@pytest.fixture
def rig(tmp_path: Path, district: Path, sqlite_store: Store) -> Iterator[Rig]:
    source = Store.open(f"sqlite:///{tmp_path / 'source.db'}", SecretBox(Fernet.generate_key()))
    tenant_id, client_id, secret = load_source(source, district)
    app = create_app(source, Settings(), extra_routers=[provider_router(source)])
    sqlite_store.add_connection("dest", "sis", "oneroster-rest", {
        "base_url": "http://provider.test", "client_id": client_id, "page_size": 50,
        "concurrency": 2, "retries": 4}, {"client_secret": secret})
    yield Rig(source, tenant_id, sqlite_store, Faulty(app))
    source.close()


def on(path_end: str, when: Callable[[int], bool], answer: Callable[[], httpx.Response]) -> Fault:
    """Answer the n-th request (counted from 0 since the fault was set) for ``path_end``."""
    seen = [0]

    def fault(request: httpx.Request, _: int) -> httpx.Response | None:
        if not request.url.path.endswith(path_end):
            return None
        seen[0] += 1
        return answer() if when(seen[0] - 1) else None
    return fault


def test_429_with_retry_after_in_seconds_and_as_a_date(rig: Rig) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    rig.transport.faults += [
        on("/users", lambda n: n == 1, lambda: httpx.Response(429, headers={"Retry-After": "3"})),
        on("/enrollments", lambda n: n == 0,
           lambda: httpx.Response(429, headers={"Retry-After": later})),
    ]
    report = rig.pull()
    assert report.status == "succeeded", report.message
    assert 3.0 in rig.sleeps and any(15 <= s <= 20 for s in rig.sleeps)
    rig.same_as_source()


def test_500_then_success_and_timeouts_are_retried(rig: Rig) -> None:
    def timeout() -> httpx.Response:
        raise httpx.ReadTimeout("the SIS took too long")

    rig.transport.faults += [
        on("/classes", lambda n: n in (0, 1), lambda: httpx.Response(500, text="oops")),
        on("/courses", lambda n: n == 0, timeout),
    ]
    report = rig.pull()
    assert report.status == "succeeded", report.message
    rig.same_as_source()


def test_a_token_revoked_mid_run_is_replaced_and_the_run_completes(rig: Rig) -> None:
    # The provider issues the same token for the same second, so the fault tracks token
    # fetches: from the second users page on, requests are refused until a new one is made.
    tokens = {"fetched": 0, "refused_until": -1}

    def revoke(request: httpx.Request, n: int) -> httpx.Response | None:
        if request.url.path.endswith("/token"):
            tokens["fetched"] += 1
            return None
        if request.url.path.endswith("/users") and n >= 1 and tokens["refused_until"] < 0:
            tokens["refused_until"] = tokens["fetched"] + 1
        if tokens["fetched"] < tokens["refused_until"]:
            return httpx.Response(401, json={"imsx_codeMajor": "failure",
                                             "imsx_codeMinor": "unauthorisedrequest"})
        return None

    rig.transport.faults.append(revoke)
    report = rig.pull()
    assert report.status == "succeeded", report.message
    assert tokens["fetched"] == 2
    rig.same_as_source()


def test_a_garbage_page_fails_the_stream_and_keeps_the_store(rig: Rig) -> None:
    assert rig.pull().status == "succeeded"
    before = {s: rig.dest_rows(s) for s in ROSTER}
    rig.configure(reconcile_days=0)  # a full pull: enrollments take many pages
    rig.transport.faults.append(on("/enrollments", lambda n: n == 2, lambda: httpx.Response(
        200, text="<html>maintenance</html>", headers={"content-type": "text/html"})))
    report = rig.pull()
    assert report.status == "failed"
    assert "not JSON" in (report.message or "") or any(
        "not JSON" in p.message for p in report.problems)
    assert {s: rig.dest_rows(s) for s in ROSTER} == before
    rig.transport.faults.clear()
    assert rig.pull().status == "succeeded"
    rig.same_as_source()


def test_a_short_read_is_an_error_not_a_partial_roster(rig: Rig) -> None:
    def cut(request: httpx.Request, n: int) -> httpx.Response | None:
        if request.url.path.endswith("/users") and request.url.params.get("offset") not in \
                (None, "0"):
            return httpx.Response(200, json={"users": []}, headers={"X-Total-Count": "9999"})
        return None

    rig.transport.faults.append(cut)
    report = rig.pull()
    assert report.status == "failed"
    assert "cut short" in (report.message or "")
    assert rig.dest_rows("users") == {}  # nothing of the stream was applied
    state = rig.dest.connection("dest/sis").state
    assert state["full"]["done"] == ["orgs", "academicSessions", "courses", "classes"]
    rig.transport.faults.clear()
    report = rig.pull()  # resumes with users
    assert report.status == "succeeded", report.message
    assert "orgs" not in report.counts
    rig.same_as_source()


def test_a_full_pull_that_lost_most_users_is_held(rig: Rig) -> None:
    assert rig.pull().status == "succeeded"
    before = rig.dest_rows("users")

    def few(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        # A consistent but truncated roster: 10 users, and the count says so.
        if not request.url.path.endswith("/users"):
            return response
        users = response.json()["users"][:10] if request.url.params.get("offset") == "0" \
            else []
        return httpx.Response(200, json={"users": users}, headers={"X-Total-Count": "10"})

    rig.transport.rewrite = few
    rig.configure(reconcile_days=0)  # every pull is a full one
    report = rig.pull()
    assert report.status == "held", report.message
    assert "safeguard" in (report.message or "")
    assert rig.dest_rows("users") == before
