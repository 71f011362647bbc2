"""LTI Dynamic Registration against a real platform on loopback: the admin's link opened by
the LMS registers it for the link's tenant and closes the dialog; every failure (a bad
link, a configuration on another host, a refusing or garbled platform) is a page saying
what to do, is logged, and stores nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI

from gateway.lti.app import lti_router
from gateway.lti.config import PlatformKeys
from gateway.lti.configuration import SCOPES, ToolUrls, client_registration
from gateway.lti.links import AUDIENCE, ISSUER, PURPOSE, RegistrationLinks
from gateway.lti.registrations import Registration, Registrations
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.store import Store
from tests.gateway.lti.browser import Browser
from tests.gateway.lti.platform import DEEP_LINKING, LEARNER, PRODUCT, RESOURCE_LINK, Platform, User
from tests.gateway.lti.platform import running_platform as start_platform
from tests.helpers import serve_app

CLOSE = "postMessage({subject: 'org.imsglobal.lti.close'}, '*')"


@dataclass
class Setup:
    store: Store
    platform: Platform
    tool_url: str
    links: RegistrationLinks

    def link(self, **options: object) -> str:
        tenant = self.store.tenant("north")
        token = self.links.issue(tenant, **options).token  # type: ignore[arg-type]
        return ToolUrls.at(self.tool_url).registration_link(token)

    def open(self, link: str, *, token: str | None = None,
             config_url: str | None = None) -> httpx.Response:
        """What the LMS does with a pasted link: open it with its parameters added."""
        url, registration_token = self.platform.registration_start()
        query = {"openid_configuration": config_url or url,
                 "registration_token": token if token is not None else registration_token}
        return httpx.get(f"{link}&{urlencode(query)}", timeout=30)

    def stored(self) -> list[Registration]:
        return Registrations(self.store.engine).list()

    def posts(self) -> int:
        return self.platform.request_log.count(("POST", "/register"))


@pytest.fixture
def dr(store: Store) -> Iterator[Setup]:
    store.ensure_tenant("north", "North District")
    store.ensure_tenant("south", "South District")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = FastAPI()
    app.include_router(lti_router(store, settings, platform_keys=PlatformKeys(min_refetch=0)))
    with start_platform() as platform, serve_app(app) as tool_url:
        yield Setup(store, platform, tool_url, RegistrationLinks(store))


def test_the_link_registers_the_platform_for_its_tenant(dr: Setup,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "harbormaster.lti.registration")
    r = dr.open(dr.link())
    assert r.status_code == 200, r.text
    assert "Harbormaster is registered" in r.text and CLOSE in r.text
    assert "(window.opener || window.parent)" in r.text
    assert r.headers["cache-control"] == "no-store"

    [registration] = dr.stored()
    platform, tool = dr.platform, dr.platform.tool
    assert tool is not None
    assert (registration.tenant, registration.source, registration.name) == (
        "north", "dynamic", f"{PRODUCT}-127.0.0.1")
    assert (registration.issuer, registration.client_id, registration.deployment_ids) == (
        platform.issuer, tool.client_id, (tool.deployment_id,))
    assert (registration.auth_login_url, registration.auth_token_url,
            registration.key_set_url, registration.auth_audience) == (
        platform.auth_url, platform.token_url, platform.jwks_url, None)
    assert registration.platform == {"product_family_code": PRODUCT, "version": "1.0",
                                     "messages_supported": [RESOURCE_LINK, DEEP_LINKING]}
    for shown in (registration.client_id, tool.deployment_id, "north", PRODUCT):
        assert shown in r.text

    # what the platform received, and so knows of the tool
    urls = ToolUrls.at(dr.tool_url)
    assert platform.registrations == [client_registration(urls)]
    assert (tool.login_url, tool.launch_url, tool.jwks_url, tool.redirect_uris) == (
        urls.login, urls.launch, urls.jwks, [urls.launch])
    assert sorted(tool.scopes or ()) == sorted(SCOPES)
    assert f"tenant north registered {registration.name}" in caplog.text


def test_the_registered_platform_can_launch(dr: Setup) -> None:
    assert dr.open(dr.link()).status_code == 200
    with Browser() as browser:
        r = browser.launch(dr.platform, User(sub="lms-9", name="New Student",
                                             roles=[LEARNER]))
    assert r.status_code == 200, r.text
    assert "Harbormaster does not know you yet" in r.text


def test_a_link_registers_once(dr: Setup) -> None:
    link = dr.link(name="moodle-main")
    assert dr.open(link).status_code == 200
    assert [r.name for r in dr.stored()] == ["moodle-main"]
    r = dr.open(link)
    assert r.status_code == 400 and "used already" in r.text and CLOSE not in r.text
    assert "harbor lti register-url" in r.text
    assert len(dr.stored()) == 1 and dr.posts() == 1


def test_a_new_link_adds_a_second_registration(dr: Setup) -> None:
    assert dr.open(dr.link()).status_code == 200
    assert dr.open(dr.link()).status_code == 200
    names = [r.name for r in dr.stored()]
    assert names == [f"{PRODUCT}-127.0.0.1", f"{PRODUCT}-127.0.0.1-2"]


def _expired_token(store: Store) -> str:
    now = int(time.time())
    tenant = store.tenant("north")
    claims = {"iss": ISSUER, "aud": AUDIENCE, "jti": "j1", "tenant": tenant.slug,
              "tid": tenant.id, "iat": now - 7200, "exp": now - 3600}
    return jwt.encode(claims, store.secrets.derive_key(PURPOSE), algorithm="HS256")


def test_expired_forged_or_cut_links_are_refused(dr: Setup,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    urls = ToolUrls.at(dr.tool_url)
    good = dr.link()
    head, _, signature = good.rpartition(".")
    other = RegistrationLinks(Store(dr.store.engine, SecretBox(Fernet.generate_key())))
    cases = {
        "expired at": urls.registration_link(_expired_token(dr.store)),
        "not a registration link Harbormaster made": f"{head}.{signature[::-1]}",
        "cut short": good[:-12],
        "made": urls.registration_link(other.issue(dr.store.tenant("north")).token),
    }
    for says, link in cases.items():
        r = dr.open(link)
        assert r.status_code == 400, (says, r.text)
        assert says in r.text and "Make a new link" in r.text and CLOSE not in r.text
    r = httpx.get(f"{urls.register}?{urlencode({'openid_configuration': 'https://x'})}")
    assert r.status_code == 400 and "ends with ?hm=" in r.text
    assert dr.stored() == [] and dr.posts() == 0
    assert "link expired" in caplog.text and "link invalid" in caplog.text


def test_a_link_whose_tenant_is_gone(dr: Setup) -> None:
    link = dr.link()
    with dr.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE tenants SET slug = 'renamed' WHERE slug = 'north'")
    r = dr.open(link)
    assert r.status_code == 400 and "no longer exists" in r.text
    assert dr.stored() == []


def test_opened_in_a_browser_instead_of_the_lms(dr: Setup) -> None:
    r = httpx.get(dr.link())
    assert r.status_code == 400 and "not for a browser" in r.text
    assert dr.stored() == []


def test_a_configuration_on_another_host_is_refused(dr: Setup,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    link = dr.link()
    issuer = dr.platform.issuer
    dr.platform.issuer = "https://lms.elsewhere.example"
    r = dr.open(link)
    assert r.status_code == 400 and "not on the host" in r.text
    assert "https://lms.elsewhere.example" in r.text and "docs/lti.md" in r.text
    assert dr.stored() == [] and dr.posts() == 0
    assert "tenant north" in caplog.text and "not on the host" in caplog.text
    # nothing was used up: once the LMS is fixed, the same link works
    dr.platform.issuer = issuer
    assert dr.open(link).status_code == 200 and len(dr.stored()) == 1


def test_http_configuration_off_this_machine_is_refused(dr: Setup) -> None:
    r = dr.open(dr.link(), config_url="http://lms.district.example/openid-configuration")
    assert r.status_code == 400 and "not an https address" in r.text
    assert dr.stored() == []


def test_a_refusing_platform(dr: Setup) -> None:
    link = dr.link()
    dr.platform.fail_next("/register", 400, body='{"error": "invalid_client_metadata", '
                          '"error_description": "scope lineitem is not offered"}')
    r = dr.open(link)
    assert r.status_code == 502
    assert ("refused the registration (HTTP 400: invalid_client_metadata: scope lineitem is "
            "not offered)") in r.text
    assert dr.stored() == [] and CLOSE not in r.text
    r = dr.open(link, token="made-up")
    assert r.status_code == 502 and "refused the registration token (HTTP 401" in r.text
    assert "made-up" not in r.text and dr.stored() == []
    # a failed attempt leaves the link usable
    assert dr.open(link).status_code == 200 and len(dr.stored()) == 1


def test_garbage_from_the_platform(dr: Setup, caplog: pytest.LogCaptureFixture) -> None:
    link = dr.link()
    dr.platform.fail_next("/.well-known/openid-configuration", 200,
                          body="<html>Please log in</html>")
    r = dr.open(link)
    assert r.status_code == 502 and "is not a JSON object" in r.text
    assert "Please log in" in r.text and "<html>Please" not in r.text  # escaped
    dr.platform.fail_next("/register", 200, body="[1, 2")
    r = dr.open(link)
    assert r.status_code == 502 and "answer is not a JSON object" in r.text
    dr.platform.fail_next("/register", 201, body='{"client_name": "Harbormaster"}')
    r = dr.open(link)
    assert r.status_code == 502 and "without a client_id" in r.text
    dr.platform.fail_next("/.well-known/openid-configuration", 500)
    r = dr.open(link)
    assert r.status_code == 502 and "answered HTTP 500" in r.text
    assert dr.stored() == []
    assert caplog.text.count("LTI dynamic registration failed (tenant north)") == 4


def test_unreachable_platform(dr: Setup) -> None:
    r = dr.open(dr.link(), config_url="http://127.0.0.1:9/.well-known/openid-configuration")
    assert r.status_code == 502 and "could not be read" in r.text
    assert dr.stored() == []


def test_an_lms_that_appends_with_a_second_question_mark(dr: Setup) -> None:
    url, token = dr.platform.registration_start()
    query = urlencode({"openid_configuration": url, "registration_token": token})
    r = httpx.get(f"{dr.link()}?{query}", timeout=30)
    assert r.status_code == 200, r.text
    assert len(dr.stored()) == 1


def test_links_last_no_longer_than_a_week(dr: Setup) -> None:
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError, match="between one minute and 7 days"):
        dr.links.issue(dr.store.tenant("north"), lifetime=timedelta(days=8))


def test_canvas_json(dr: Setup) -> None:
    r = httpx.get(f"{dr.tool_url}/lti/canvas.json")
    assert r.status_code == 200
    assert r.json()["oidc_initiation_url"] == f"{dr.tool_url}/lti/login"
