"""The HTTP policy under injected faults (httpx.MockTransport): what is retried, how long it
waits, when it gives up, how errors are named, and the token cache under concurrency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from gateway.errors import ConfigError, RetriableError, RunFatalError
from gateway.net.auth import ClientCredentials, OAuth1Signer
from gateway.net.policy import HttpClient, HttpPolicy, RateLimiter, error_detail, retry_after

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, sleeps: list[float] | None = None, *,
           credentials: ClientCredentials | None = None, **policy: float) -> HttpClient:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return HttpClient("https://sis.example.org", policy=HttpPolicy(**policy),  # type: ignore[arg-type]
                      credentials=credentials, transport=httpx.MockTransport(handler),
                      sleep=sleep, name="SIS")


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def sequence(*responses: httpx.Response | Exception) -> Handler:
    items = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item
    return handler


async def get(http: HttpClient, path: str = "users") -> httpx.Response:
    async with http:
        return await http.get(path)


def test_429_with_retry_after_seconds_waits_that_long() -> None:
    sleeps: list[float] = []
    http = client(sequence(httpx.Response(429, headers={"Retry-After": "7"}),
                           httpx.Response(200, json={"users": []})), sleeps)
    assert run(get(http)).status_code == 200
    assert sleeps == [7.0]


def test_429_with_retry_after_http_date_waits_until_then() -> None:
    sleeps: list[float] = []
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    http = client(sequence(httpx.Response(429, headers={"Retry-After": when}),
                           httpx.Response(200, json={})), sleeps)
    assert run(get(http)).status_code == 200
    assert 25 <= sleeps[0] <= 30


def test_retry_after_longer_than_the_cap_gives_up_at_once_as_retriable() -> None:
    sleeps: list[float] = []
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with pytest.raises(RetriableError) as err:
        run(get(client(handler, sleeps, retry_after_cap=120)))
    assert len(calls) == 1 and sleeps == []
    assert err.value.retry_after == 3600
    assert "HTTP 429" in str(err.value)


def test_500_then_success_backs_off_with_jitter() -> None:
    sleeps: list[float] = []
    http = client(sequence(httpx.Response(500), httpx.Response(503),
                           httpx.Response(200, json={})), sleeps, backoff_initial=1,
                  backoff_max=10)
    assert run(get(http)).status_code == 200
    assert len(sleeps) == 2 and 1 <= sleeps[0] <= 2 and 2 <= sleeps[1] <= 3


def test_canvas_403_rate_limit_is_retried_but_a_plain_403_is_not() -> None:
    sleeps: list[float] = []
    http = client(sequence(httpx.Response(403, text="403 Forbidden (Rate Limit Exceeded)"),
                           httpx.Response(200, json={})), sleeps)
    assert run(get(http)).status_code == 200
    with pytest.raises(ConfigError, match=r"HTTP 403.*scope"):
        run(get(client(sequence(httpx.Response(403, json={"imsx_codeMajor": "failure"})))))


def test_timeouts_are_retried_then_reported_as_retriable() -> None:
    sleeps: list[float] = []
    http = client(sequence(httpx.ReadTimeout("slow"), httpx.Response(200, json={})), sleeps)
    assert run(get(http)).status_code == 200
    with pytest.raises(RetriableError, match=r"timed out.*gave up after 3 tries"):
        run(get(client(sequence(httpx.ConnectTimeout("down")), [], attempts=3)))
    with pytest.raises(RetriableError, match="could not reach"):
        run(get(client(sequence(httpx.ConnectError("refused")), [], attempts=2)))


def test_persistent_5xx_names_the_request_and_what_the_server_said() -> None:
    body = {"imsx_codeMajor": "failure", "imsx_description": "database offline"}
    with pytest.raises(RetriableError) as err:
        run(get(client(sequence(httpx.Response(502, json=body)), [], attempts=2)))
    message = str(err.value)
    assert "SIS GET https://sis.example.org/users" in message
    assert "HTTP 502" in message and "database offline" in message


def test_4xx_errors_map_to_config_or_fatal() -> None:
    with pytest.raises(ConfigError, match="rejected our credentials"):
        run(get(client(sequence(httpx.Response(401)))))
    with pytest.raises(ConfigError, match="base URL"):
        run(get(client(sequence(httpx.Response(404)))))
    with pytest.raises(RunFatalError, match=r"HTTP 400.*bad filter"):
        run(get(client(sequence(httpx.Response(400, json={
            "imsx_codeMajor": "failure", "imsx_description": "bad filter"})))))


@pytest.mark.parametrize(("body", "expected"), [
    ({"imsx_codeMajor": "failure", "imsx_description": "no such field",
      "imsx_CodeMinor": {"imsx_codeMinorField": [{"imsx_codeMinorFieldName": "TargetEndSystem",
                                                  "imsx_codeMinorFieldValue":
                                                      "invalid_filter_field"}]}},
     "no such field (invalid_filter_field)"),
    ({"imsx_codeMajor": "failure", "imsx_description": "nope",
      "imsx_codeMinor": "unknownobject"}, "nope (unknownobject)"),
    ({"imsx_statusInfo": {"imsx_description": "1.1 wrapper", "imsx_codeMinor": {
        "imsx_codeMinorField": {"imsx_codeMinorFieldValue": "forbidden"}}}},
     "1.1 wrapper (forbidden)"),
    ({"error": "invalid_client", "error_description": "unknown client"},
     "invalid_client: unknown client"),
])
def test_error_bodies_as_real_servers_send_them(body: object, expected: str) -> None:
    assert error_detail(httpx.Response(400, json=body)) == expected
    assert error_detail(httpx.Response(500, text="<html>\n Oops </html>")) == "<html> Oops </html>"


def test_retry_after_parsing() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "12"})) == 12
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after(httpx.Response(429, headers={"Retry-After": past})) == 0


class TokenServer:
    """A token endpoint and a resource that rejects tokens it has revoked."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.issued = 0
        self.revoked: set[str] = set()
        self.lifetime = lifetime
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            assert form["grant_type"] == "client_credentials"
            assert request.headers["authorization"].startswith("Basic ")
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"t{self.issued}",
                                             "token_type": "bearer",
                                             "expires_in": self.lifetime})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.seen.append(token)
        if token in self.revoked or not token:
            return httpx.Response(401, json={"imsx_codeMajor": "failure"})
        return httpx.Response(200, json={"ok": token})


def test_one_token_fetch_for_many_concurrent_requests() -> None:
    server = TokenServer()
    creds = ClientCredentials("https://sis.example.org/token", "id", "secret")

    async def many() -> list[httpx.Response]:
        async with client(server, credentials=creds) as http:
            return await asyncio.gather(*(http.get("users") for _ in range(20)))

    answers = run(many())
    assert {a.json()["ok"] for a in answers} == {"t1"}
    assert server.issued == 1 == creds.fetches


def test_a_token_revoked_mid_run_is_replaced_once() -> None:
    server = TokenServer()
    creds = ClientCredentials("https://sis.example.org/token", "id", "secret")

    async def scenario() -> list[str]:
        async with client(server, credentials=creds) as http:
            first = (await http.get("users")).json()["ok"]
            server.revoked.add("t1")  # expired at the server mid-run
            rest = await asyncio.gather(*(http.get("users") for _ in range(10)))
            return [first, *(r.json()["ok"] for r in rest)]

    got = run(scenario())
    assert got[0] == "t1" and set(got[1:]) == {"t2"}
    assert server.issued == 2


def test_a_token_about_to_expire_is_refreshed_before_use() -> None:
    server = TokenServer(lifetime=100)
    now = [0.0]
    creds = ClientCredentials("https://sis.example.org/token", "id", "secret",
                              refresh_margin=60, clock=lambda: now[0])

    async def scenario() -> list[str]:
        async with client(server, credentials=creds) as http:
            a = (await http.get("users")).json()["ok"]
            now[0] = 49.0
            b = (await http.get("users")).json()["ok"]
            # 60 s before the end of a 100 s token would be at 40 s; a margin never takes
            # more than half a token's life, so it is renewed from 50 s on.
            now[0] = 51.0
            c = (await http.get("users")).json()["ok"]
            return [a, b, c]

    assert run(scenario()) == ["t1", "t1", "t2"]
    assert "401" not in json.dumps(server.seen)


def test_rejected_client_credentials_are_a_config_error_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    creds = ClientCredentials("https://sis.example.org/token", "id", "s3cr3t-value")
    with pytest.raises(ConfigError) as err:
        run(get(client(handler, credentials=creds)))
    assert "invalid_client" in str(err.value) and "s3cr3t-value" not in str(err.value)
    assert "s3cr3t-value" not in repr(creds)


def test_rate_limit_spaces_request_starts() -> None:
    now = [0.0]
    limiter = RateLimiter(4, clock=lambda: now[0])
    slept: list[float] = []

    async def scenario() -> None:
        original = asyncio.sleep

        async def fake(seconds: float) -> None:
            slept.append(seconds)
            await original(0)
        asyncio.sleep = fake  # type: ignore[assignment]
        try:
            for _ in range(3):
                await limiter.wait()
        finally:
            asyncio.sleep = original

    run(scenario())
    assert slept == [0.25, 0.5]


def test_oauth1_signature_covers_the_query_and_is_fresh_each_time() -> None:
    from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

    class Validator(RequestValidator):  # type: ignore[misc]
        enforce_ssl = False
        safe_characters = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

        def check_client_key(self, key: str) -> bool:
            return True

        def check_nonce(self, nonce: str) -> bool:
            return True

        def validate_client_key(self, key: str, request: object) -> bool:
            return key == "key1"

        def get_client_secret(self, key: str, request: object) -> str:
            return "secret1"

        def validate_timestamp_and_nonce(self, *args: object, **kw: object) -> bool:
            return True

        @property
        def dummy_client(self) -> str:
            return "dummy"

    signer = OAuth1Signer("key1", "secret1", "HMAC-SHA1")
    url = "https://sis.example.org/ims/oneroster/v1p1/users?limit=100&offset=0&filter=" \
          "familyName%3D%27O%27%27Brien%27"
    header = signer.header("GET", url)
    endpoint = SignatureOnlyEndpoint(Validator())
    ok, _ = endpoint.validate_request(url, "GET", headers={"Authorization": header})
    assert ok
    tampered = url.replace("limit=100", "limit=101")
    assert not endpoint.validate_request(tampered, "GET", headers={"Authorization": header})[0]
    assert signer.header("GET", url) != header  # new nonce and timestamp
    assert "HMAC-SHA256" in OAuth1Signer("k", "s").header("GET", url)
