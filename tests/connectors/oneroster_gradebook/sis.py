"""The SIS a gradebook push writes into: our own OneRoster provider over a small synced
district, served on loopback, with vendor clients holding the gradebook write scopes; and
the assignments and grades a push would hand the destination."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from connectors.oneroster_gradebook import OneRosterGradebookConnector
from gateway.api import create_app
from gateway.engine.run import RunOptions, sync
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.gradebook import GRADEBOOK
from gateway.push.destination import (
    Assignment,
    ClassRef,
    Grade,
    GradingPeriod,
    Learner,
    PushRuntime,
)
from gateway.settings import Settings
from gateway.store.clients import ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import stream_tables, tenants
from tests.helpers import csv_connection, serve_app

__all__ = ["GB", "SIS", "Flaky", "assignment", "grade", "serve_sis"]

GB = GRADEBOOK.base
WRITER = ["gradebook.createput", "gradebook.createpost", "gradebook.delete",
          "gradebook.readonly", "roster.readonly"]
READER = ["gradebook.readonly"]

ASGI = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]],
                 Callable[[MutableMapping[str, Any]], Awaitable[None]]], Awaitable[None]]


class Flaky:
    """ASGI middleware answering the first requests with the given statuses (and
    ``Retry-After: 0``), as an overloaded SIS does; the rest reach the provider."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.failures: list[int] = []
        self.failed: list[tuple[int, str]] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.failures:
            status = self.failures.pop(0)
            self.failed.append((status, f"{scope['method']} {scope['path']}"))
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"retry-after", b"0"), (b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"slow down"})
            return
        await self.app(scope, receive, send)


@dataclass
class SIS:
    """The served provider, the district's ids a push needs, and the store behind it."""

    url: str
    store: Store
    tenant_id: int
    clients: ProviderClients
    secrets: dict[str, tuple[str, str]]
    section: ClassRef
    period: GradingPeriod
    learners: list[Learner]
    flaky: Flaky
    _n: list[int] = field(default_factory=lambda: [0])

    def connector(self, who: str = "writer", *, secret: str | None = None, **config: Any,
                  ) -> tuple[OneRosterGradebookConnector, PushRuntime]:
        """A destination connection made as a district would (through the store), and
        what the engine would lend it for a push."""
        client_id, right = self.secrets[who]
        secret = secret or right
        self._n[0] += 1
        record = self.store.add_connection(
            "district", f"gradebook-{self._n[0]}", "oneroster-gradebook",
            {"base_url": self.url, "client_id": client_id, **config},
            {"client_secret": secret})
        dest = OneRosterGradebookConnector.from_mapping(
            {**record.config, "client_secret": secret})
        assert isinstance(dest, OneRosterGradebookConnector)
        return dest, PushRuntime(self.store, record)

    @asynccontextmanager
    async def pushing(self, who: str = "writer", **config: Any,
                      ) -> AsyncIterator[OneRosterGradebookConnector]:
        """A destination opened for one push, closed afterwards."""
        dest, runtime = self.connector(who, **config)
        await dest.open(runtime)
        try:
            yield dest
        finally:
            await dest.aclose()

    def version(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(sa.select(tenants.c.last_version).where(
                tenants.c.id == self.tenant_id)).scalar_one())

    def rows(self, stream: str, **where: str) -> list[dict[str, Any]]:
        t = stream_tables[stream]
        conds = [t.c[k] == v for k, v in where.items()]
        with self.store.engine.connect() as conn:
            found = conn.execute(t.select().where(t.c.tenant_id == self.tenant_id, *conds)
                                 .order_by(t.c.sourced_id))
            return [dict(r._mapping) for r in found]

    def row(self, stream: str, sid: str) -> dict[str, Any]:
        [found] = self.rows(stream, sourced_id=sid)
        return found

    def call(self, method: str, path: str, body: Any = None, who: str = "writer") -> Any:
        client_id, secret = self.secrets[who]
        with httpx.Client(base_url=self.url) as http:
            token = http.post(TOKEN_PATH, data={"grant_type": "client_credentials"},
                              auth=(client_id, secret)).json()["access_token"]
            return http.request(method, GB + path, json=body,
                                headers={"Authorization": f"Bearer {token}"})

    def requests(self, who: str = "writer") -> list[tuple[str, str, int]]:
        """The provider's access log of ``who``, oldest first."""
        log = self.clients.access_log(self.secrets[who][0], limit=10_000)
        return [(e.method, e.path, e.status) for e in reversed(log)]


def assignment(sis: SIS, key: str = "hm-0a1b2c3d4e5f", **changes: Any) -> Assignment:
    values: dict[str, Any] = {
        "key": key, "section": sis.section, "item": "standard:abc",
        "title": "Fractions: unit fractions", "description": "Mastery of 3.NF.A.1",
        "points_possible": 4.0, "period": sis.period, "standard": "abc",
        "standard_uri": "https://case.example.org/uri/abc"}
    return Assignment(**{**values, **changes})


def grade(work: Assignment, learner: Learner, score: float = 3.0,
          comment: str | None = "Proficient", **changes: Any) -> Grade:
    values: dict[str, Any] = {
        "key": f"{work.key}/{learner.sourced_id}", "assignment": work, "learner": learner,
        "score": score, "comment": comment, "timestamp": "2026-10-09T12:00:00.000Z",
        "level": comment}
    return Grade(**{**values, **changes})


def _district_ids(store: Store, tenant_id: int) -> tuple[ClassRef, GradingPeriod,
                                                         list[Learner]]:
    """The class with the most students, the first term it runs in, and its students."""
    c, e, s, u = (stream_tables[n] for n in ("classes", "enrollments", "academicSessions",
                                              "users"))
    with store.engine.connect() as conn:
        biggest = (sa.select(e.c.class_sourced_id).where(e.c.tenant_id == tenant_id,
                                                         e.c.role == "student")
                   .group_by(e.c.class_sourced_id)
                   .order_by(sa.func.count().desc(), e.c.class_sourced_id).limit(1))
        cls = conn.execute(c.select().where(c.c.tenant_id == tenant_id,
                                            c.c.sourced_id == biggest.scalar_subquery())
                           ).first()
        assert cls is not None
        students = conn.execute(
            sa.select(u).join(e, sa.and_(e.c.user_sourced_id == u.c.sourced_id,
                                         e.c.tenant_id == u.c.tenant_id))
            .where(e.c.tenant_id == tenant_id, e.c.class_sourced_id == cls.sourced_id,
                   e.c.role == "student").order_by(u.c.sourced_id)).all()
        term = conn.execute(s.select().where(
            s.c.tenant_id == tenant_id,
            s.c.sourced_id == cls.term_sourced_ids.split(",")[0])).one()
    section = ClassRef(cls.sourced_id, cls.title, cls.course_sourced_id,
                       cls.school_sourced_id, cls.class_code)
    period = GradingPeriod(term.sourced_id, term.title, term.start_date, term.end_date)
    learners = [Learner(r.sourced_id, r.identifier, r.username, r.email, r.given_name,
                        r.family_name) for r in students]
    assert len(learners) >= 3, "the class needs a few students"
    return section, period, learners


@contextmanager
def serve_sis(store: Store, district: Path) -> Iterator[SIS]:
    """``district`` synced into ``store`` as tenant ``district``, served as an SIS."""
    csv_connection(store, district)
    report = asyncio.run(sync(store, store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    tenant_id = store.tenant("district").id
    clients = ProviderClients(store.engine, store.secrets)
    secrets = {}
    for who, scopes in (("writer", WRITER), ("reader", READER)):
        _, client_id, secret = clients.create(tenant_id, who, scopes, Sharing())
        secrets[who] = (client_id, secret)
    app = create_app(store, Settings(), extra_routers=[provider_router(store)])
    flaky = Flaky(app)
    section, period, learners = _district_ids(store, tenant_id)
    with serve_app(flaky) as url:
        yield SIS(url, store, tenant_id, clients, secrets, section, period, learners, flaky)
