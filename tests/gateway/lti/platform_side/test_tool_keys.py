"""The tool's JWKS: fetched once and cached, fetched again when an assertion names a kid
the cached set lacks (the tool rotated its key), and never trusted for a kid it lacks."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from gateway.lti.config import PlatformKeys
from gateway.lti.keys import ToolKeys
from gateway.lti.platform_side import platform_router
from gateway.settings import Settings
from tests.gateway.lti.platform_side.conftest import VendorSetup
from tests.gateway.lti.platform_side.test_refusals import AGS, assertion
from tests.helpers import serve_app


def test_a_rotated_tool_key_is_fetched_on_its_first_use(vendor_shared: VendorSetup) -> None:
    v = vendor_shared
    cache = PlatformKeys(min_refetch=0.0)
    app = FastAPI()
    app.include_router(platform_router(v.store, Settings(), tool_keys=cache))
    with serve_app(app) as url:
        def token(client_assertion: str) -> httpx.Response:
            return httpx.post(f"{url}/lti/platform/token", trust_env=False, data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:"
                                         "jwt-bearer",
                "client_assertion": client_assertion, "scope": AGS + "score"})
        aud = f"{url}/lti/platform/token"
        assert token(assertion(v, aud=aud)).status_code == 200
        assert token(assertion(v, aud=aud)).status_code == 200
        assert cache.fetches == 1  # cached
        ToolKeys(v.vendor_store.engine, v.vendor_store.secrets).rotate()
        assert token(assertion(v, aud=aud)).status_code == 200
        assert cache.fetches == 2  # the new kid was not in the cached set: fetched again
