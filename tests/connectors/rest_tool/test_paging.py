"""The paging styles and incremental formats the two shipped mappings do not use (offset,
``Link`` headers, one response, epoch cursors, bearer auth), against a small vendor app on
loopback; a server serving smaller pages than asked is read to the end, one clamping to its
last page stops, and one that ignores the paging parameters is caught."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from connectors.rest_tool import RestToolConnector
from gateway.abc import Batch, Checkpoint, PullItem
from gateway.errors import RunFatalError
from tests.helpers import serve_app

TOKEN = "bearer-token-1"
SCORES = [{"id": f"s{i:03d}", "email": f"kid{i}@school.example", "pct": i % 100,
           "at": 1_793_000_000 + 60 * i} for i in range(23)]
seen: list[str] = []


def scores_app() -> FastAPI:
    app = FastAPI()

    def allowed(authorization: str | None) -> bool:
        return authorization == f"Bearer {TOKEN}"

    def since(rows: list[dict[str, Any]], after: int | None) -> list[dict[str, Any]]:
        return [r for r in rows if after is None or r["at"] > after]

    @app.get("/offset")
    def offset(request: Request, skip: int = 0, take: int = 10, after: int | None = None,
               authorization: str | None = Header(None)) -> Response:
        seen.append(str(request.url))
        if not allowed(authorization):
            return JSONResponse({"message": "no"}, 401)
        return JSONResponse({"scores": since(SCORES, after)[skip:skip + take]})

    @app.get("/linked")
    def linked(request: Request, page: int = 0, size: int = 10) -> Response:
        seen.append(str(request.url))
        chunk = SCORES[page * size:(page + 1) * size]
        headers = {}
        if (page + 1) * size < len(SCORES):
            nxt = request.url.include_query_params(page=page + 1)
            headers["Link"] = f'<{nxt}>; rel="next", <{request.url}>; rel="self"'
        return JSONResponse(chunk, headers=headers)

    @app.get("/everything")
    def everything() -> Response:
        return JSONResponse({"result": {"rows": SCORES}})

    @app.get("/capped")
    def capped(skip: int = 0, take: int = 10, after: int | None = None) -> Response:
        take = min(take, 7)
        return JSONResponse({"scores": since(SCORES, after)[skip:skip + take]})

    @app.get("/clamped")
    def clamped(page: int = 1, n: int = 10) -> Response:
        last = max(1, -(-len(SCORES) // n))
        page = min(page, last)  # past the end: the last page again
        return JSONResponse({"scores": SCORES[(page - 1) * n:page * n]})

    @app.get("/stuck")
    def stuck(page: int = 1) -> Response:
        return JSONResponse({"scores": SCORES[:5]})  # whatever page is asked for

    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_app(scores_app()) as base:
        yield base


def mapping(tmp_path: Path, feed: str) -> str:
    path = tmp_path / "scores.yaml"
    path.write_text(f"""\
auth: {{type: bearer}}
streams:
  toolEvidence:
{feed}
    fields:
      source_key: id
      learner: email
      learner_id_kind: {{const: email}}
      raw_score: {{path: pct, scale: percent}}
      observed_at: at
""")
    return str(path)


def pull(config: dict[str, Any], state: Any = None) -> list[PullItem]:
    connector = RestToolConnector.from_mapping(config)

    async def go() -> list[PullItem]:
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


def keys(items: list[PullItem]) -> list[str]:
    return [r["source_key"] for i in items if isinstance(i, Batch)  # type: ignore[call-overload]
            for r in i.rows]


OFFSET = """\
    endpoint: {path: /offset}
    pagination: {style: offset, offset_param: skip, limit_param: take}
    records: scores
    incremental: {cursor_field: at, param: after, format: epoch_seconds, margin_minutes: 0}"""


def test_offset_paging_with_an_epoch_cursor(tmp_path: Path, url: str) -> None:
    config = {"mapping": mapping(tmp_path, OFFSET), "base_url": url, "page_size": 10,
              "token": TOKEN}
    items = pull(config)
    assert keys(items) == [s["id"] for s in SCORES]
    assert [u.split("?")[1] for u in seen[-3:]] == ["skip=0&take=10", "skip=10&take=10",
                                                    "skip=20&take=10"]
    state = [i for i in items if isinstance(i, Checkpoint)][-1].state
    assert state["cursors"]["toolEvidence"] == "2026-10-26T07:55:20.000Z"
    assert keys(pull(config, state)) == []
    assert "after=1793001320" in seen[-1]
    SCORES.append({"id": "s999", "email": "new@school.example", "pct": 99,
                   "at": 1_793_100_000})
    try:
        assert keys(pull(config, state)) == ["s999"]
    finally:
        SCORES.pop()


def test_link_header_paging_of_a_bare_list(tmp_path: Path, url: str) -> None:
    feed = """\
    endpoint: {path: /linked}
    pagination: {style: link, size_param: size}
    records: $[*]"""
    items = pull({"mapping": mapping(tmp_path, feed), "base_url": url, "page_size": 10,
                  "token": TOKEN})
    assert keys(items) == [s["id"] for s in SCORES]
    assert "page=2" in seen[-1]


def test_one_response_holds_everything(tmp_path: Path, url: str) -> None:
    feed = """\
    endpoint: {path: /everything}
    records: result.rows"""
    items = pull({"mapping": mapping(tmp_path, feed), "base_url": url, "token": TOKEN})
    assert len(keys(items)) == 23
    row = next(r for i in items if isinstance(i, Batch) for r in i.rows)
    assert row["observed_at"] == "2026-10-26T07:33:20.000Z"  # epoch seconds read as time


def test_a_server_that_ignores_paging_is_an_error_not_a_loop(tmp_path: Path, url: str) -> None:
    feed = """\
    endpoint: {path: /stuck}
    pagination: {style: page_number, page_param: page, size_param: n}
    records: scores"""
    with pytest.raises(RunFatalError, match="ignores the paging parameters"):
        pull({"mapping": mapping(tmp_path, feed), "base_url": url, "page_size": 5,
              "token": TOKEN})


def test_a_wrong_bearer_token_is_refused_with_advice(tmp_path: Path, url: str) -> None:
    config = {"mapping": mapping(tmp_path, OFFSET), "base_url": url, "token": "expired"}
    result = asyncio.run(RestToolConnector.from_mapping(config).check())
    assert not result.ok
    assert "token in the connection's secret 'token' was refused" in result.message
    assert "expired" not in result.message.replace("has not expired", "")


def test_a_server_serving_fewer_than_asked_is_read_to_the_end(tmp_path: Path, url: str) -> None:
    """The API caps pages at 7 while 10 are asked for: a short first page is not the last."""
    feed = OFFSET.replace("/offset", "/capped")
    config = {"mapping": mapping(tmp_path, feed), "base_url": url, "page_size": 10,
              "token": TOKEN}
    assert keys(pull(config)) == [s["id"] for s in SCORES]


@pytest.mark.parametrize("size", [50, 23, 5])
def test_a_server_clamping_to_its_last_page_ends_the_feed(tmp_path: Path, url: str,
                                                          size: int) -> None:
    """Past the end it serves its last page again. When the records fill exactly one page
    that cannot be told from a server ignoring the page parameter, and a partial read could
    withdraw evidence, so it fails loudly, saying so."""
    feed = """\
    endpoint: {path: /clamped}
    pagination: {style: page_number, page_param: page, size_param: n}
    records: scores"""
    config = {"mapping": mapping(tmp_path, feed), "base_url": url, "page_size": size,
              "token": TOKEN}
    if size == len(SCORES):
        with pytest.raises(RunFatalError, match="exactly one page of records"):
            pull(config)
        return
    assert keys(pull(config)) == [s["id"] for s in SCORES]
