"""The LTI service token against a real platform (lti1p3platform on loopback, checking our
signed assertion against the JWKS we serve), and its failures under injected faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx
import jwt
import pytest

from gateway.errors import ConfigError, RetriableError
from gateway.lti.keys import ToolKeys
from gateway.lti.nrps import CONTEXT_MEMBERSHIP, MEMBERSHIP_TYPE
from gateway.lti.services import ASSERTION_LIFETIME, ServiceClient, ServiceToken
from gateway.store.store import Store
from tests.gateway.lti.services_live import Live, add_registration, mock_services, run


def test_one_token_for_many_concurrent_calls(live: Live) -> None:
    async def scenario() -> set[int]:
        async with live.services() as services:
            http = services.http(live.registration, [CONTEXT_MEMBERSHIP])
            answers = await asyncio.gather(*(
                http.request("GET", live.memberships_url(), headers={"Accept": MEMBERSHIP_TYPE})
                for _ in range(20)))
            assert services.token(live.registration, [CONTEXT_MEMBERSHIP]).fetches == 1
            return {a.status_code for a in answers}

    assert run(scenario()) == {200}
    assert live.platform.tokens_issued == 1


def test_a_token_rejected_mid_run_is_fetched_once_more(live: Live) -> None:
    # An injected 401 rather than revoke_tokens(): the platform's tokens carry no jti, so
    # one re-issued within the same second would equal the revoked one.
    async def scenario() -> set[int]:
        async with live.services() as services:
            http = services.http(live.registration, [CONTEXT_MEMBERSHIP])
            accept = {"Accept": MEMBERSHIP_TYPE}
            await http.request("GET", live.memberships_url(), headers=accept)
            live.platform.fail_next("/memberships", 401)
            answers = await asyncio.gather(*(
                http.request("GET", live.memberships_url(), headers=accept)
                for _ in range(5)))
            assert services.token(live.registration, [CONTEXT_MEMBERSHIP]).fetches == 2
            return {a.status_code for a in answers}

    assert run(scenario()) == {200}
    assert live.platform.tokens_issued == 2


def test_each_scope_set_has_its_own_token(live: Live) -> None:
    async def scenario() -> None:
        async with live.services() as services:
            one = services.token(live.registration, [CONTEXT_MEMBERSHIP])
            assert services.token(live.registration, {CONTEXT_MEMBERSHIP}) is one
            other = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
            assert services.token(live.registration, [other]) is not one
            assert await one.token()

    run(scenario())
    assert live.platform.tokens_issued == 1


def test_the_assertion_is_signed_by_the_active_key(store: Store) -> None:
    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token",
                                    client_id="abc", audience="https://lms.example.org/aud")
    keys = ToolKeys(store.engine, store.secrets)
    token = ServiceToken(registration, keys, ["b", "a", "a"], wall_clock=lambda: 1_000_000)
    first, second = token.assertion(), token.assertion()
    key = keys.signing_key()
    assert jwt.get_unverified_header(first)["kid"] == key.kid
    public = jwt.PyJWK(key.public_jwk()).key
    claims = jwt.decode(first, public, algorithms=["RS256"],
                        audience="https://lms.example.org/aud",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == claims["sub"] == "abc"
    assert claims["exp"] - claims["iat"] == ASSERTION_LIFETIME
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]
    assert token.scopes == ("a", "b")
    assert "eyJ" not in repr(token)


def test_a_refused_token_request_names_what_to_check(live: Live) -> None:
    wrong = add_registration(live.store, name="wrong-client", issuer=live.platform.issuer,
                             token_url=live.platform.token_url, client_id="not-ours")

    async def scenario() -> None:
        async with live.services() as services:
            await services.http(wrong, [CONTEXT_MEMBERSHIP]).get(live.memberships_url())

    with pytest.raises(ConfigError) as err:
        run(scenario())
    message = str(err.value)
    for expected in ("'wrong-client'", live.platform.token_url, "'not-ours'", "JWKS",
                     "invalid_client"):
        assert expected in message
    assert "eyJ" not in message  # neither the assertion nor a token


def test_a_platform_without_our_key_refuses_and_we_say_so(live: Live) -> None:
    assert live.platform.tool is not None
    live.platform.tool.jwks_url = f"{live.platform.url}/jwks"  # the LMS's own keys, not ours

    async def scenario() -> None:
        async with live.services() as services:
            await services.token(live.registration, [CONTEXT_MEMBERSHIP]).token()

    with pytest.raises(ConfigError, match="JWKS URL"):
        run(scenario())


def echoing_token_endpoint(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        assert "authorization" not in request.headers  # the assertion authenticates
        return httpx.Response(status, json={"error": "invalid_grant",
                                            "error_description": json.dumps(form)})
    return handler


def test_an_echoed_assertion_never_reaches_the_message(store: Store) -> None:
    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token", client_id="c")

    async def scenario() -> None:
        async with mock_services(store, echoing_token_endpoint(400)) as services:
            await services.token(registration, ["s"]).token()

    with pytest.raises(ConfigError) as err:
        run(scenario())
    assert "[JWT]" in str(err.value) and "eyJ" not in str(err.value)


def test_token_endpoint_trouble_is_retried_then_retriable(store: Store) -> None:
    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token", client_id="c")
    answers = [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "4"}),
               httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})]
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async def scenario(services: ServiceClient) -> str:
        async with services:
            return await services.token(registration, ["s"]).token()

    assert run(scenario(mock_services(store, handler, sleeps))) == "tok"
    assert len(sleeps) == 2 and sleeps[1] == 4.0
    with pytest.raises(RetriableError, match="LTI registration 'test-lms' token endpoint"):
        run(scenario(mock_services(store, lambda r: httpx.Response(502))))


def test_a_token_answer_without_access_token_is_a_config_error(store: Store) -> None:
    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token", client_id="c")

    async def scenario() -> None:
        async with mock_services(store, lambda r: httpx.Response(200, text="<html>")) as s:
            await s.token(registration, ["s"]).token()

    with pytest.raises(ConfigError, match=r"'test-lms'.*without an access_token"):
        run(scenario())
