"""Harbormaster as the platform, and a real LTI 1.3 vendor tool launched from it: a second
Harbormaster's own tool side (``lti_router``, pylti1p3) with its own store, registered with
us as its LMS, both served over HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI

from gateway.lti.app import lti_router
from gateway.lti.config import PlatformKeys
from gateway.lti.contexts import Contexts
from gateway.lti.platform_side import LaunchTickets, Subjects, ToolInput, VendorTool, VendorTools
from gateway.lti.platform_side import launch_link as make_launch_link
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.learning_tables import standards, standards_frameworks
from gateway.store.store import Store
from tests.gateway.lti.browser import Browser
from tests.gateway.lti.conftest import ClassRoster, first_class, load_district
from tests.helpers import serve_app

STANDARD = "c0ffee00-0000-4000-8000-000000000401"
STANDARD_CODE = "4.NF.A.1"


@dataclass
class VendorSetup:
    store: Store
    """Our store: the district, the tool's registration, the evidence."""
    vendor_store: Store
    """The vendor tool's own store (a second Harbormaster, as a tool)."""
    harbor_url: str
    tool_url: str
    tenant_id: int
    tool: VendorTool
    registration: Registration
    """How the vendor tool knows us (its LMS)."""
    roster: ClassRoster
    browsers: list[Browser] = field(default_factory=list)

    def browser(self) -> Browser:
        self.browsers.append(Browser())
        return self.browsers[-1]

    def sub(self, user: str) -> str:
        return Subjects(self.store).sub(self.tool.client_id, user)

    def launch_link(self, user: str, class_id: str | None = None) -> str:
        class_id = class_id or self.roster.class_id
        ticket = LaunchTickets(self.store).issue(self.tenant_id, self.tool.id, user, class_id)
        return make_launch_link(self.harbor_url, self.tool, class_id, ticket.token)

    def launch(self, browser: Browser, user: str) -> httpx.Response:
        """The whole launch in one browser: our launch link, the tool's login, our
        authorization, the id_token posted to the tool. The tool's answer."""
        start = browser.client.get(self.launch_link(user))
        assert start.status_code == 302, start.text
        login = browser.follow(start)
        assert login.is_redirect, login.text
        assert login.headers["location"].startswith(self.harbor_url + "/lti/platform/authorize")
        form = browser.follow(login)
        assert form.status_code == 200, form.text
        return browser.submit_form(form)

    def lineitems_url(self) -> str:
        found = Contexts(self.vendor_store.engine).get(self.registration.id,
                                                       self.roster.class_id)
        assert found is not None and found.lineitems_url
        return found.lineitems_url


def add_standard(store: Store, tenant_id: int) -> None:
    """One CASE item, so a line item's tag can name it by its code."""
    with store.engine.begin() as conn:
        framework = conn.execute(standards_frameworks.insert().values(
            tenant_id=tenant_id, identifier="c0ffee00-0000-4000-8000-000000000001",
            title="Math 4", imported_at="2026-01-01T00:00:00.000Z")
            .returning(standards_frameworks.c.id)).scalar_one()
        conn.execute(standards.insert().values(
            tenant_id=tenant_id, framework_id=framework, identifier=STANDARD,
            code=STANDARD_CODE, statement="Equivalent fractions", subject="Math"))


@contextmanager
def serving_vendor(store: Store, export: Path, vendor_path: Path) -> Iterator[VendorSetup]:
    tenant_id = load_district(store, export)
    add_standard(store, tenant_id)
    harbor = FastAPI()
    harbor.include_router(lti_router(store, Settings()))
    box = SecretBox(Fernet.generate_key())
    with Store.open(f"sqlite:///{vendor_path}", box) as vendor_store, \
            serve_app(harbor) as harbor_url:
        vendor = FastAPI()
        vendor.include_router(lti_router(vendor_store, Settings(),
                                         platform_keys=PlatformKeys(min_refetch=0.0)))
        with serve_app(vendor) as tool_url:
            tool = VendorTools(store.engine).add(tenant_id, ToolInput(
                name="fraction-lab", login_url=f"{tool_url}/lti/login",
                launch_url=f"{tool_url}/lti/launch",
                jwks_url=f"{tool_url}/.well-known/jwks.json"))
            vendor_tenant = vendor_store.ensure_tenant("vendor")
            registration = Registrations(vendor_store.engine).add(
                vendor_tenant.id, RegistrationInput(
                    name="district-harbor", issuer=harbor_url, client_id=tool.client_id,
                    auth_login_url=f"{harbor_url}/lti/platform/authorize",
                    auth_token_url=f"{harbor_url}/lti/platform/token",
                    key_set_url=f"{harbor_url}/.well-known/jwks.json",
                    deployment_ids=(tool.deployment_id,)))
            setup = VendorSetup(store, vendor_store, harbor_url, tool_url, tenant_id, tool,
                                registration, first_class(store, tenant_id))
            try:
                yield setup
            finally:
                for browser in setup.browsers:
                    browser.close()


@pytest.fixture
def vendor(store: Store, district_export: Path, tmp_path: Path) -> Iterator[VendorSetup]:
    """A fresh setup per test, our store on SQLite and on PostgreSQL."""
    with serving_vendor(store, district_export, tmp_path / "vendor.db") as setup:
        yield setup


@pytest.fixture(scope="module")
def vendor_shared(tmp_path_factory: pytest.TempPathFactory,
                  district_export: Path) -> Iterator[VendorSetup]:
    """One setup on SQLite for a module's refusals (they change little)."""
    box = SecretBox(Fernet.generate_key())
    path = tmp_path_factory.mktemp("platform-shared")
    with Store.open(f"sqlite:///{path / 'harbor.db'}", box) as store, \
            serving_vendor(store, district_export, path / "vendor.db") as setup:
        yield setup


def evidence_rows(store: Store, tenant_id: int) -> list[sa.Row[tuple[object, ...]]]:
    from gateway.store.learning_tables import evidence
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(evidence).where(evidence.c.tenant_id == tenant_id)
                                 .order_by(evidence.c.id)))
