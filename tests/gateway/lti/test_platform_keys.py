"""The platform key cache: one fetch per key set, again on an unknown kid (a rotation), but
not faster than ``min_refetch``; a key set that cannot be read is a clear refusal."""

from __future__ import annotations

import httpx
import pytest

from gateway.lti.config import LaunchRefused, PlatformKeys

URL = "https://lms.example/jwks"


def _serving(sets: list[list[dict[str, str]]]) -> tuple[httpx.MockTransport, list[int]]:
    calls = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        keys = sets[min(calls[0], len(sets) - 1)]
        calls[0] += 1
        return httpx.Response(200, json={"keys": keys})
    return httpx.MockTransport(handler), calls


def test_cached_then_refetched_for_a_new_kid() -> None:
    transport, calls = _serving([[{"kid": "k1", "kty": "RSA"}],
                                 [{"kid": "k1", "kty": "RSA"}, {"kid": "k2", "kty": "RSA"}]])
    keys = PlatformKeys(min_refetch=0.0, transport=transport)
    assert keys.key(URL, "k1")["kid"] == "k1"
    assert keys.key(URL, "k1")["kid"] == "k1"
    assert calls[0] == 1
    assert keys.key(URL, "k2")["kid"] == "k2"
    assert calls[0] == 2


def test_unknown_kids_do_not_hammer_the_platform() -> None:
    transport, calls = _serving([[{"kid": "k1", "kty": "RSA"}]])
    keys = PlatformKeys(min_refetch=3600.0, transport=transport)
    keys.key(URL, "k1")
    for _ in range(5):
        with pytest.raises(LaunchRefused, match="no key with kid 'forged'"):
            keys.key(URL, "forged")
    assert calls[0] == 1


@pytest.mark.parametrize(("response", "words"), [
    (httpx.Response(200, text="<html>login</html>"), "is not a JWKS"),
    (httpx.Response(200, json={"keys": "nope"}), "is not a JWKS"),
    (httpx.Response(503), "could not read the platform's key set"),
])
def test_a_key_set_that_cannot_be_read(response: httpx.Response, words: str) -> None:
    keys = PlatformKeys(transport=httpx.MockTransport(lambda _: response))
    with pytest.raises(LaunchRefused, match=words) as refused:
        keys.key(URL, "k1")
    assert refused.value.status == 502
