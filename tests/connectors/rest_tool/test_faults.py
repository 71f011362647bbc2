"""The tool connector under injected faults. Requests go to the vendor apps (httpx's ASGI
transport) through a transport that breaks chosen ones: 429 with Retry-After, 500s,
timeouts, a revoked token; and the vendors misbehave: a page of HTML, a page without the
records, records without a learner or with a bad date. Passing trouble is retried by the
core HTTP policy; bad data fails the stream naming the URL, record and field."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.rest_tool import RestToolConnector
from gateway.abc import Batch, PullItem
from gateway.errors import ConfigError, RetriableError, RunFatalError, SourceDataError
from tests.connectors.rest_tool.vendors import Literacy, Math, literacy_app, math_app

Fault = Callable[[httpx.Request, int], httpx.Response | None]
"""Given a request and how many requests of its path came before, a response to send
instead of asking the vendor app, or None to pass it on."""


class Faulty(httpx.AsyncBaseTransport):
    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.faults: list[Fault] = []
        self.calls: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        n = self.calls.get(request.url.path, 0)
        self.calls[request.url.path] = n + 1
        for fault in self.faults:
            answer = fault(request, n)
            if answer is not None:
                return answer
        return await self.inner.handle_async_request(request)


class Rig:
    def __init__(self, tool: Literacy | Math, config: dict[str, Any]) -> None:
        self.tool = tool
        app = literacy_app(tool) if isinstance(tool, Literacy) else math_app(tool)
        self.transport = Faulty(app)
        self.config = config
        self.sleeps: list[float] = []

    def connector(self) -> RestToolConnector:
        connector = RestToolConnector.from_mapping(self.config)
        assert isinstance(connector, RestToolConnector)
        connector.transport = self.transport

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        connector.sleep = sleep
        return connector

    def pull(self) -> list[PullItem]:
        connector = self.connector()

        async def go() -> list[PullItem]:
            return [item async for item in connector.pull(None)]

        return asyncio.run(go())

    def evidence(self, items: list[PullItem]) -> int:
        return sum(len(i.rows) for i in items if isinstance(i, Batch)
                   and i.stream == "toolEvidence")


@pytest.fixture
def literacy() -> Rig:
    return Rig(Literacy(), {"mapping": "literacy-tool", "base_url": "http://lantern.test",
                            "page_size": 10, "retries": 4, "api_key": Literacy.API_KEY})


@pytest.fixture
def math() -> Rig:
    return Rig(Math(), {"mapping": "math-tool", "base_url": "http://summit.test",
                        "page_size": 15, "retries": 4, "client_id": Math.CLIENT_ID,
                        "client_secret": Math.CLIENT_SECRET})


def nth(path_end: str, which: set[int], answer: Callable[[], httpx.Response]) -> Fault:
    def fault(request: httpx.Request, n: int) -> httpx.Response | None:
        return answer() if request.url.path.endswith(path_end) and n in which else None
    return fault


def test_429_with_retry_after_and_500s_and_timeouts_are_retried(literacy: Rig) -> None:
    def timeout() -> httpx.Response:
        raise httpx.ReadTimeout("the tool took too long")

    literacy.transport.faults += [
        nth("/activity", {1}, lambda: httpx.Response(429, headers={"Retry-After": "3"})),
        nth("/activity", {3, 4}, lambda: httpx.Response(500, text="oops")),
        nth("/students", {0}, timeout),
    ]
    items = literacy.pull()
    assert literacy.evidence(items) == 36
    assert 3.0 in literacy.sleeps and len(literacy.sleeps) == 4


def test_a_persistent_500_ends_the_run_as_retriable(math: Rig) -> None:
    math.transport.faults.append(nth("/diagnostics", set(range(10)),
                                     lambda: httpx.Response(503, text="down")))
    with pytest.raises(RetriableError, match="HTTP 503 after every retry"):
        math.pull()


def test_a_token_revoked_mid_run_is_replaced(math: Rig) -> None:
    revoked = {"done": False}

    def revoke(request: httpx.Request, n: int) -> httpx.Response | None:
        if request.url.path.endswith("/lesson-results") and n == 1 and not revoked["done"]:
            math.tool.tokens.clear()
            revoked["done"] = True
        return None

    math.transport.faults.append(revoke)
    items = math.pull()
    assert math.evidence(items) == 50 and math.tool.token_requests == 2


def test_a_page_that_is_not_json_fails_naming_the_url(literacy: Rig) -> None:
    literacy.tool.broken = "garbage"
    with pytest.raises(SourceDataError) as caught:
        literacy.pull()
    text = str(caught.value)
    assert "not JSON" in text and "http://lantern.test/api/v2/reading/activity?" in text
    assert "Scheduled maintenance" in text


def test_a_page_without_the_records_path_fails_naming_it(math: Rig) -> None:
    math.tool.broken = "no-records"
    with pytest.raises(SourceDataError) as caught:
        math.pull()
    problem = caught.value.problems[0]
    assert problem.source.startswith("http://summit.test/v1/lesson-results")
    assert "$.results" in problem.message and "data, next" in problem.message


def test_a_record_without_its_learner_is_a_located_problem(literacy: Rig) -> None:
    literacy.tool.broken = "no-learner"
    with pytest.raises(SourceDataError) as caught:
        literacy.pull()
    assert "toolEvidence" in str(caught.value) and "mappings/literacy-tool.yaml" in str(
        caught.value)
    [problem] = caught.value.problems
    assert problem.source.startswith("http://lantern.test/api/v2/reading/activity?")
    assert problem.line == 1 and problem.column == "learner"
    assert "record 1 has no learner (looked at student.sis_id)" in problem.message


def test_a_bad_date_is_a_located_problem_and_nothing_of_the_stream_goes_on(
        literacy: Rig) -> None:
    literacy.tool.collections["activity"][23]["completed_at"] = "02/11/2026"
    items: list[PullItem] = []
    connector = literacy.connector()

    async def go() -> None:
        async for item in connector.pull(None):
            items.append(item)

    with pytest.raises(SourceDataError) as caught:
        asyncio.run(go())
    [problem] = caught.value.problems
    assert problem.line == 24 and problem.column == "observed_at"
    assert "'02/11/2026' is not a time" in problem.message and "format:" in problem.message
    # Rows of the pages before the bad one were yielded, but the stream never ended (no
    # last=True, no checkpoint), so the engine applies none of it.
    assert not [i for i in items if isinstance(i, Batch) and i.last]


def test_wrong_credentials_say_what_to_fix_and_never_echo_the_secret(literacy: Rig,
                                                                     math: Rig) -> None:
    literacy.config["api_key"] = "s3cret-but-wrong"
    literacy.transport.faults.append(lambda request, n: httpx.Response(
        401, text=f"key {request.headers['x-api-key']} is not valid"))
    result = asyncio.run(literacy.connector().check())
    assert not result.ok
    assert "connection's secret 'api_key' (sent as X-Api-Key) was refused" in result.message
    assert "s3cret-but-wrong" not in result.message and "***" in result.message
    with pytest.raises(ConfigError) as caught:
        literacy.pull()
    assert "s3cret-but-wrong" not in str(caught.value)
    math.config["client_secret"] = "also-wrong"
    result = asyncio.run(math.connector().check())
    assert not result.ok and "refused the client credentials" in result.message
    assert "also-wrong" not in result.message


def test_a_server_echoing_the_key_in_any_error_never_gets_it_into_a_message(
        literacy: Rig) -> None:
    key = Literacy.API_KEY
    literacy.transport.faults = [nth("/activity", {0}, lambda: httpx.Response(
        400, json={"message": f"bad request from key {key}"}))]
    with pytest.raises(RunFatalError) as refused:
        literacy.pull()
    assert "HTTP 400" in str(refused.value) and key not in str(refused.value)
    literacy.transport.faults = [nth("/activity", {1}, lambda: httpx.Response(
        200, text=f"<html>debug: X-Api-Key={key}</html>"))]
    with pytest.raises(SourceDataError) as garbage:
        literacy.pull()
    assert key not in str(garbage.value)
    assert all(key not in p.message for p in garbage.value.problems)
