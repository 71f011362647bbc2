"""Provider API latency: pages of 100 users from a loaded tenant, through the real app.

Each request goes through FastAPI in-process (ASGI, no network): token check, sharing rule,
filter, count for ``X-Total-Count``, the page, nested roles, JSON. The measured figure is
the median time of one request over many, after a warm-up; the 95th percentile is printed
beside it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from gateway.api import create_app
from gateway.bench.harness import Measurement, Target, measure, print_table, throwaway_database
from gateway.bench.ingest import KEY, prepare_district
from gateway.clock import utcnow
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.rostering import BASE
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables

__all__ = ["QUERIES", "provider_page", "run_provider_bench"]

QUERIES: dict[str, dict[str, str]] = {
    "users at one school": {"filter": "roles.org.sourcedId='{school}'"},
    "all users": {},
    "users changed since the last sync": {"filter": "dateLastModified>'{since}'"},
    "users by family name": {"filter": "familyName='{family}'"},
}
"""Each query is paged through as a consumer would: 100 per page, offsets 0, 100, 200, ...
(at most 50 pages, then from the start again)."""


def provider_page(database_url: str, key: str, query: str, since: str = "",
                  requests: int = 200) -> float:
    """Child-process body: median seconds of ``GET /users`` with ``QUERIES[query]``."""
    store = Store.open(database_url, SecretBox(key.encode()))
    try:
        tenant = store.tenant("bench").id
        orgs, users = stream_tables["orgs"], stream_tables["users"]
        with store.engine.connect() as conn:
            school = conn.execute(orgs.select().with_only_columns(orgs.c.sourced_id).where(
                orgs.c.tenant_id == tenant, orgs.c.type == "school")
                .order_by(orgs.c.sourced_id).limit(1)).scalar_one()
            family = conn.execute(users.select().with_only_columns(users.c.family_name)
                                  .where(users.c.tenant_id == tenant).limit(1)).scalar_one()
        clients = ProviderClients(store.engine, store.secrets)
        _, client_id, secret = clients.create(tenant, f"bench-{time.time_ns()}",
                                              ["roster.readonly"], Sharing())
        params = {k: v.format(school=school, family=family, since=since)
                  for k, v in QUERIES[query].items()}
        app = create_app(store, Settings(), extra_routers=[provider_router(store)])
        times = asyncio.run(_page_through(app, client_id, secret, params, requests, query))
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"  {query}: median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms, {len(times)} requests", flush=True)
        return statistics.median(times)
    finally:
        store.close()


async def _page_through(app: Any, client_id: str, secret: str, params: dict[str, str],
                        requests: int, query: str) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        token = (await client.post(TOKEN_PATH, data={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": secret})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        times: list[float] = []
        pages = 1
        for i in range(requests + 20):
            offset = (i % pages) * 100
            started = time.perf_counter()
            answer = await client.get(BASE + "/users", headers=headers,
                                      params={**params, "limit": "100", "offset": str(offset)})
            elapsed = time.perf_counter() - started
            if answer.status_code != 200 or not answer.json()["users"]:
                raise SystemExit(f"{query}: {answer.status_code} {answer.text[:300]}")
            pages = min(50, -(-int(answer.headers["X-Total-Count"]) // 100))
            if i >= 20:  # warm-up: caches, first compilations
                times.append(elapsed)
    return times


def provider_rows(database_url: str | None, workdir: Path, students: int,
                  label: str) -> list[Measurement]:
    base, delta = prepare_district(workdir, students)
    into: Target = ("postgresql-url" if database_url and database_url.startswith("postgres")
                    else "sqlite-url")
    with throwaway_database(into, workdir, database_url) as url:
        load = measure("load", "gateway.bench.ingest:harbor_sync",
                       {"database_url": url, "path": str(base), "key": KEY})
        print(f"  full ingest before the provider rows: {load.seconds:.1f} s", flush=True)
        since = utcnow()  # a consumer's last sync; then the SIS's 1 % delta arrives
        measure("delta", "gateway.bench.ingest:harbor_sync",
                {"database_url": url, "path": str(delta), "key": KEY, "name": "delta"})
        return [measure(f"provider: {query} ({label}), one request",
                        "gateway.bench.provider:provider_page",
                        {"database_url": url, "key": KEY, "query": query, "since": since},
                        note="median of 200 GET /users, paging 100 at a time")
                for query in QUERIES]


def run_provider_bench(console: Console, *, students: int, database_url: str | None,
                       workdir: Path) -> list[Measurement]:
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(f"generating (or reusing) a {students:,}-student district in {workdir} ...")
    label = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
    rows = provider_rows(database_url, workdir, students, label)
    print_table(console, f"provider API, {students:,} students", rows, baseline=rows[0].name)
    for row in rows:  # the table rounds to 10 ms; these are what matter here
        console.print(f"{row.name}: median {row.seconds * 1000:.1f} ms", highlight=False)
    return rows
