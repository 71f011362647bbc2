"""A district whose LMS is the real test platform: five students linked by NRPS, one class
launched from its course (so the course and its AGS endpoint are known), and an lti-ags
connection; plus running the destination against it as the push engine would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from connectors.lti_ags import LtiAgsConnector
from gateway.lti.contexts import ContextRecord, Contexts
from gateway.lti.identity import IdentityLinks
from gateway.lti.nrps import memberships, reconcile
from gateway.plugins import parse_config
from gateway.push.destination import Assignment, ClassRef, Grade, Learner, PushRuntime
from gateway.store.store import ConnectionRecord, Store
from tests.gateway.lti.platform import INSTRUCTOR, User
from tests.gateway.lti.services_live import Live, add_rows, live_platform, row

T = TypeVar("T")

ALGEBRA = ClassRef(sourced_id="class-1", title="Algebra 1", class_code="ALG-1")
LEARNERS = [Learner(f"stu-{n}", given_name="Student", family_name=str(n),
                    email=f"s{n}@example.org") for n in range(1, 6)]
"""The roster's students; ``stu-n`` is the LMS user ``lms-n``."""


def assignment(key: str = "hm-fractions", section: ClassRef = ALGEBRA,
               points: float = 4, title: str = "Fractions: unit fractions") -> Assignment:
    return Assignment(key=key, section=section, item="standard:3.NF.A.1", title=title,
                      description="Mastery of 3.NF.A.1", points_possible=points)


def grade(of: Assignment, learner: Learner, score: float,
          comment: str | None = "Proficient") -> Grade:
    return Grade(key=f"{of.key}/{learner.sourced_id}", assignment=of, learner=learner,
                 score=score, comment=comment, timestamp="2026-12-01T10:00:00.000Z",
                 level=comment)


@dataclass
class World:
    live: Live
    connection: ConnectionRecord
    context: ContextRecord
    sleeps: list[float] = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.live.store

    def connector(self, **config: Any) -> LtiAgsConnector:
        settings = {**self.connection.config, **config}
        connector = LtiAgsConnector(parse_config(LtiAgsConnector, settings))  # type: ignore[arg-type]

        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
        connector.sleep = sleep
        return connector

    def push(self, call: Callable[[LtiAgsConnector], Awaitable[T]], *,
             transport: httpx.AsyncBaseTransport | None = None, **config: Any) -> T:
        """``call`` on a destination opened as the engine opens it, closed afterwards."""
        async def scenario() -> T:
            connector = self.connector(**config)
            await connector.open(PushRuntime(self.store, self.connection, transport))
            try:
                return await call(connector)
            finally:
                await connector.aclose()
        return asyncio.run(scenario())

    def course(self) -> Any:
        return self.live.platform.contexts["course-1"]

    def line_items(self) -> list[dict[str, Any]]:
        return list(self.course().line_items.values())

    def posts(self, segment: str) -> int:
        return sum(1 for method, path in self.live.platform.request_log
                   if method == "POST" and path.endswith(segment))


TEACHER = User("lms-teacher", name="Tess Teacher", email="t1@example.org", roles=[INSTRUCTOR])


def launch_context(live: Live, class_sourced_id: str, context_id: str = "course-1",
                   **ags: Any) -> ContextRecord:
    """A teacher's launch from ``context_id`` recorded as the tool records it, its AGS claim
    changed by ``ags`` (``scope=[...]``, or ``lineitems=None`` to send no AGS claim)."""
    claims = live.platform.launch_claims(TEACHER, nonce="n", context_id=context_id)
    claim = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    claim.update(ags)
    if "lineitems" in ags and ags["lineitems"] is None:
        del claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
    record = Contexts(live.store.engine).record(live.registration, claims, class_sourced_id)
    assert record is not None
    return record


async def link_members(live: Live, context_id: str = "course-1") -> None:
    """What a teacher's launch runs in the background: NRPS members linked to the roster."""
    async with live.services() as services:
        members = await memberships(services, live.registration,
                                    live.memberships_url(context_id))
    reconcile(IdentityLinks(live.store.engine), live.registration, members)


@contextmanager
def lms_world(store: Store) -> Iterator[World]:
    with live_platform(store) as live:
        tenant_id = live.registration.tenant_id
        add_rows(store, "users", *(row(tenant_id, learner.sourced_id, email=learner.email,
                                       given_name=learner.given_name,
                                       family_name=learner.family_name)
                                   for learner in LEARNERS))

        asyncio.run(link_members(live))
        context = launch_context(live, ALGEBRA.sourced_id)
        connection = store.add_connection("district", "lms", "lti-ags",
                                          {"registration": live.registration.name}, {})
        yield World(live, connection, context)
