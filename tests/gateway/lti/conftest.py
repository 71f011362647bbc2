"""Harbormaster's tool routes served on loopback, a real LTI platform (lti1p3platform) that
launches them, and a small district in the store whose people the platform's users are."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI

from gateway.engine.run import RunOptions, sync
from gateway.lti.app import lti_router
from gateway.lti.config import PlatformKeys
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.sample.district import write_district
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.gateway.lti.browser import Browser
from tests.gateway.lti.platform import Platform, Tool, running_platform
from tests.gateway.lti.services_live import Live, live_platform
from tests.helpers import csv_connection, serve_app


@pytest.fixture(scope="session")
def district_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lti-district")
    write_district(out, 60, gradebook=True, demographics=False)
    return out


@dataclass
class ClassRoster:
    class_id: str
    title: str
    teacher: str
    students: list[str]


@dataclass
class LtiSetup:
    store: Store
    platform: Platform
    tool_url: str
    registration: Registration
    tenant_id: int
    platform_keys: PlatformKeys
    roster: ClassRoster
    browsers: list[Browser] = field(default_factory=list)

    def browser(self) -> Browser:
        """A new browser (its own cookie jar), closed when the test ends."""
        self.browsers.append(Browser())
        return self.browsers[-1]


def first_class(store: Store, tenant_id: int) -> ClassRoster:
    """A class of the loaded district with its teacher and students."""
    enrollments = stream_tables["enrollments"]
    classes = stream_tables["classes"]
    with store.engine.connect() as conn:
        class_id, title = conn.execute(
            sa.select(classes.c.sourced_id, classes.c.title)
            .where(classes.c.tenant_id == tenant_id).order_by(classes.c.sourced_id)).first()
        rows = conn.execute(sa.select(enrollments.c.user_sourced_id, enrollments.c.role)
                            .where(enrollments.c.tenant_id == tenant_id,
                                   enrollments.c.class_sourced_id == class_id)
                            .order_by(enrollments.c.user_sourced_id)).all()
    teacher = next(r.user_sourced_id for r in rows if r.role == "teacher")
    students = [r.user_sourced_id for r in rows if r.role == "student"]
    return ClassRoster(class_id, title, teacher, students)


def load_district(store: Store, export: Path) -> int:
    csv_connection(store, export)
    report = asyncio.run(sync(store, store.connection("district/sis"), RunOptions()))
    assert report.status == "succeeded", report.message
    return store.tenant("district").id


@contextmanager
def serving(store: Store, export: Path) -> Iterator[LtiSetup]:
    """The district loaded, the tool served, the platform trusting it and registered."""
    tenant_id = load_district(store, export)
    keys = PlatformKeys(min_refetch=0.0)
    app = FastAPI()
    app.include_router(lti_router(store, Settings(), platform_keys=keys))
    with running_platform() as platform, serve_app(app) as tool_url:
        platform.tool = Tool(login_url=f"{tool_url}/lti/login",
                             launch_url=f"{tool_url}/lti/launch",
                             jwks_url=f"{tool_url}/.well-known/jwks.json")
        registration = Registrations(store.engine).add(tenant_id, RegistrationInput(
            name="test-lms", issuer=platform.issuer, client_id=platform.tool.client_id,
            auth_login_url=platform.auth_url, auth_token_url=platform.token_url,
            key_set_url=platform.jwks_url, deployment_ids=(platform.tool.deployment_id,)))
        setup = LtiSetup(store=store, platform=platform, tool_url=tool_url,
                         registration=registration, tenant_id=tenant_id, platform_keys=keys,
                         roster=first_class(store, tenant_id))
        try:
            yield setup
        finally:
            for browser in setup.browsers:
                browser.close()


@pytest.fixture
def lti(store: Store, district_export: Path) -> Iterator[LtiSetup]:
    """A fresh setup per test, on SQLite and on PostgreSQL."""
    with serving(store, district_export) as setup:
        yield setup


@pytest.fixture(scope="module")
def lti_shared(tmp_path_factory: pytest.TempPathFactory,
               district_export: Path) -> Iterator[LtiSetup]:
    """One setup on SQLite for a module's tests that only read (refused launches change
    nothing but the used nonces), so dozens of bad payloads do not each build a district."""
    box = SecretBox(Fernet.generate_key())
    path = tmp_path_factory.mktemp("lti-shared") / "harbor.db"
    with Store.open(f"sqlite:///{path}", box) as store, serving(store, district_export) as setup:
        yield setup


@pytest.fixture
def live(store: Store) -> Iterator[Live]:
    """A live platform trusting our JWKS, registered in ``store`` (services tests)."""
    with live_platform(store) as setup:
        yield setup
