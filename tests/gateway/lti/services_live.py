"""What the LTI service tests share: a live platform (lti1p3platform on loopback) that
trusts the JWKS we serve, a registration of it, students, a mocked service client for
fault injection, and canonical roster rows written straight into the store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.lti.keys import ToolKeys
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.lti.services import ServiceClient
from gateway.net.policy import HttpPolicy
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.gateway.lti.platform import LEARNER, Platform, Tool, User, running_platform
from tests.helpers import serve_app


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@contextmanager
def jwks_server(store: Store) -> Iterator[str]:
    """Our JWKS served on loopback, as the platform's token endpoint fetches it."""
    keys = ToolKeys(store.engine, store.secrets)
    app = FastAPI()

    @app.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        return keys.jwks()

    with serve_app(app) as url:
        yield f"{url}/.well-known/jwks.json"


def add_registration(store: Store, *, issuer: str, token_url: str, client_id: str,
                     name: str = "test-lms", audience: str | None = None) -> Registration:
    tenant = store.ensure_tenant("district")
    return Registrations(store.engine).add(tenant.id, RegistrationInput(
        name=name, issuer=issuer, client_id=client_id, auth_login_url=f"{issuer}/authorize",
        auth_token_url=token_url, key_set_url=f"{issuer}/jwks", auth_audience=audience))


@dataclass
class Live:
    store: Store
    platform: Platform
    registration: Registration
    keys: ToolKeys
    sleeps: list[float] = field(default_factory=list)

    def services(self, **policy: Any) -> ServiceClient:
        """A client whose backoff and Retry-After waits are recorded, not slept."""
        async def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
        return ServiceClient(self.keys, policy=HttpPolicy(**policy), sleep=sleep)

    def memberships_url(self, context_id: str = "course-1") -> str:
        return f"{self.platform.url}/contexts/{context_id}/memberships"

    def lineitems_url(self, context_id: str = "course-1") -> str:
        return f"{self.platform.url}/contexts/{context_id}/lineitems"


STUDENTS = [User(f"lms-{n}", name=f"Student {n}", given_name="Student", family_name=str(n),
                 email=f"s{n}@example.org", roles=[LEARNER]) for n in range(1, 6)]


@contextmanager
def live_platform(store: Store) -> Iterator[Live]:
    """A platform on loopback that trusts our JWKS, a course of five students, and its
    registration in the store."""
    with running_platform() as platform, jwks_server(store) as jwks_url:
        base = jwks_url.removesuffix("/.well-known/jwks.json")
        platform.tool = Tool(login_url=f"{base}/lti/login", launch_url=f"{base}/lti/launch",
                             jwks_url=jwks_url)
        platform.add_context("course-1", "Algebra 1", list(STUDENTS))
        registration = add_registration(store, issuer=platform.issuer,
                                        token_url=platform.token_url,
                                        client_id=platform.tool.client_id)
        yield Live(store, platform, registration, ToolKeys(store.engine, store.secrets))


def mock_services(store: Store, handler: Callable[[httpx.Request], httpx.Response],
                  sleeps: list[float] | None = None) -> ServiceClient:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
    return ServiceClient(ToolKeys(store.engine, store.secrets),
                         transport=httpx.MockTransport(handler), sleep=sleep)


def row(tenant_id: int, sourced_id: str, status: str = "active",
        **columns: Any) -> dict[str, Any]:
    """A canonical roster row of any stream, its bookkeeping columns filled in."""
    return {"tenant_id": tenant_id, "sourced_id": sourced_id, "status": status,
            "date_last_modified": "2026-01-01T00:00:00.000Z", "version": 1,
            "content_hash": 0, "connection_id": 0, **columns}


def add_rows(store: Store, stream: str, *rows: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        for record in rows:
            conn.execute(stream_tables[stream].insert().values(**record))
