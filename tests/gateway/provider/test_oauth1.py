"""OAuth 1.0a verification, checked against an independent signer (oauthlib) and RFC 5849,
and the database nonce store the 1.1 provider keeps accepted nonces in."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_PLAINTEXT,
    SIGNATURE_TYPE_AUTH_HEADER,
    SIGNATURE_TYPE_BODY,
    SIGNATURE_TYPE_QUERY,
    Client,
)
from oauthlib.oauth1.rfc5849 import signature as oauthlib_signature

from gateway.provider.oauth1 import (
    MemoryNonceStore,
    OAuth1Error,
    base_string_uri,
    normalize_parameters,
    percent_encode,
    request_parameters,
    signature_base_string,
    verify,
)
from gateway.store.nonces import Nonces, NonceStoreBusy
from gateway.store.store import Store

NOW = 1_700_000_000
KEY = "vendor-key-1"
SECRET = "s3cr&t+/=ü~"  # characters that must be percent-encoded in the signing key
USERS = "https://api.example.org/ims/oneroster/v1p1/users"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
METHODS = [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256]


def lookup(key: str) -> str | None:
    return SECRET if key == KEY else None


def signed(method: str, uri: str, *, body: str | None = None,
           headers: dict[str, str] | None = None, signature_method: str = SIGNATURE_HMAC_SHA1,
           signature_type: str = SIGNATURE_TYPE_AUTH_HEADER, key: str = KEY,
           secret: str = SECRET, timestamp: int = NOW, nonce: str = "nonce-1",
           realm: str | None = None) -> tuple[str, dict[str, str], str | None]:
    client = Client(key, client_secret=secret, signature_method=signature_method,
                    signature_type=signature_type, timestamp=str(timestamp), nonce=nonce,
                    realm=realm)
    uri, out_headers, out_body = client.sign(uri, http_method=method, body=body,
                                             headers=dict(headers or {}))
    return uri, dict(out_headers), out_body


def check(method: str, uri: str, headers: dict[str, str], body: Any = None, *,
          nonces: MemoryNonceStore | None = None, now: float = NOW, **kw: Any) -> str:
    store = nonces if nonces is not None else MemoryNonceStore()
    return verify(method, uri, headers, body, lookup, store, now=now, **kw)


def refused(method: str, uri: str, headers: dict[str, str], body: Any = None,
            **kw: Any) -> str:
    with pytest.raises(OAuth1Error) as info:
        check(method, uri, headers, body, **kw)
    assert info.value.code_minor == "unauthorisedrequest"
    message = str(info.value)
    assert SECRET not in message and percent_encode(SECRET) not in message
    return message


def set_header_param(headers: dict[str, str], name: str, value: str | None) -> dict[str, str]:
    """The headers with one Authorization parameter changed (or removed, for None)."""
    auth = headers["Authorization"]
    pattern = re.compile(rf'{name}="[^"]*"(, )?')
    assert pattern.search(auth), auth
    new = pattern.sub("" if value is None else f'{name}="{value}"\\1', auth).rstrip(", ")
    return {**headers, "Authorization": new}


# Good requests, signed by oauthlib ----------------------------------------------------------------

@pytest.mark.parametrize("signature_method", METHODS)
def test_header_signature(signature_method: str) -> None:
    uri, headers, _ = signed("GET", USERS + "?limit=10&offset=20",
                             signature_method=signature_method, realm="district")
    assert headers["Authorization"].startswith("OAuth ")
    assert check("GET", uri, headers) == KEY


@pytest.mark.parametrize("signature_method", METHODS)
def test_query_signature(signature_method: str) -> None:
    uri, headers, _ = signed("GET", USERS + "?limit=10", signature_method=signature_method,
                             signature_type=SIGNATURE_TYPE_QUERY)
    assert "Authorization" not in headers and "oauth_signature=" in uri
    assert check("GET", uri, headers) == KEY


@pytest.mark.parametrize("signature_method", METHODS)
def test_form_body_params_in_header_signature(signature_method: str) -> None:
    body = "score=0.95&comment=well+done%21&tag=a&tag=b"
    uri, headers, out = signed("POST", USERS + "?x=1", body=body, headers=FORM,
                               signature_method=signature_method)
    assert out == body
    assert check("POST", uri, headers, out) == KEY  # the raw body
    assert check("POST", uri, headers, out.encode()) == KEY  # bytes
    decoded = [("score", "0.95"), ("comment", "well done!"), ("tag", "a"), ("tag", "b")]
    assert check("POST", uri, headers, decoded) == KEY  # decoded pairs
    # the body is signed: another value fails
    assert "oauth_signature does not match" in refused("POST", uri, headers,
                                                       body.replace("0.95", "0.15"))


@pytest.mark.parametrize("signature_method", METHODS)
def test_oauth_params_in_form_body(signature_method: str) -> None:
    uri, headers, body = signed("POST", USERS, body="a=1", headers=FORM,
                                signature_method=signature_method,
                                signature_type=SIGNATURE_TYPE_BODY)
    assert body is not None and "oauth_signature=" in body
    assert check("POST", uri, headers, body) == KEY
    # The body counts only for form requests: the same parameters under another type are
    # not read, so the request is unsigned.
    message = refused("POST", uri, {"Content-Type": "application/json"}, body)
    assert "not signed" in message


def test_body_of_another_content_type_is_not_signed() -> None:
    body = '{"a": 1}'
    headers = {"Content-Type": "application/json"}
    uri, headers, _ = signed("PUT", USERS + "/u1", body=body, headers=headers)
    assert check("PUT", uri, headers, body) == KEY
    assert check("PUT", uri, headers, '{"a": 2}') == KEY


def test_form_content_type_with_charset() -> None:
    uri, headers, body = signed("POST", USERS, body="a=1", headers=FORM)
    # oauthlib signs only the bare type; the header itself is not signed
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
    assert check("POST", uri, headers, body) == KEY
    assert "does not match" in refused("POST", uri, headers, "a=2")


@pytest.mark.parametrize("signature_method", METHODS)
@pytest.mark.parametrize("signature_type", [SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_QUERY])
def test_awkward_query_values(signature_method: str, signature_type: str) -> None:
    # Repeated names, UTF-8, spaces both as + and %20, a literal +, ~ and reserved characters,
    # an empty value and a name that needs encoding.
    query = ("filter=familyName%3D%27J%C3%BCrgen%27&tag=b&tag=a&tag=a+b&tag=a%2Bb&q=x%20y"
             "&tilde=~x~&empty=&na%20me=v&sort=givenName,familyName&fields=sourcedId")
    uri, headers, _ = signed("GET", f"{USERS}?{query}", signature_method=signature_method,
                             signature_type=signature_type)
    assert check("GET", uri, headers) == KEY
    assert "does not match" in refused("GET", uri.replace("tag=b", "tag=c"), headers,
                                       nonces=MemoryNonceStore())


def test_lowercase_method_and_header_names() -> None:
    uri, headers, _ = signed("GET", USERS)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert check("get", uri, lowered) == KEY


def test_base_string_matches_oauthlib() -> None:
    uri = USERS + "?b=2&a=%C3%BC&a=1&c=+"
    _, headers, _ = signed("GET", uri, realm="r")
    params, _ = request_parameters(uri, headers)
    ours = signature_base_string("GET", base_string_uri(uri), params)
    theirs = oauthlib_signature.signature_base_string(
        "GET", oauthlib_signature.base_string_uri(uri),
        oauthlib_signature.normalize_parameters(params))
    assert ours == theirs


# Refusals -----------------------------------------------------------------------------------------

def test_tampered_parameter() -> None:
    uri, headers, _ = signed("GET", USERS + "?limit=10")
    assert "oauth_signature does not match" in refused("GET", uri.replace("10", "1000"),
                                                       headers)


def test_tampered_oauth_parameter() -> None:
    uri, headers, _ = signed("GET", USERS)
    assert "does not match" in refused("GET", uri, set_header_param(headers, "oauth_nonce",
                                                                     "other"))


def test_tampered_method_and_path() -> None:
    uri, headers, _ = signed("GET", USERS)
    assert "does not match" in refused("DELETE", uri, headers)
    assert "does not match" in refused("GET", uri.replace("users", "orgs"), headers)


def test_tampered_signature() -> None:
    uri, headers, _ = signed("GET", USERS)
    sig = re.search(r'oauth_signature="([^"]+)"', headers["Authorization"])
    assert sig is not None
    flipped = ("B" if sig.group(1)[0] != "B" else "C") + sig.group(1)[1:]
    message = refused("GET", uri, set_header_param(headers, "oauth_signature", flipped))
    assert "does not match" in message and sig.group(1) not in message
    assert "does not match" in refused("GET", uri, set_header_param(headers, "oauth_signature",
                                                                     "%C3%BC"))


def test_wrong_secret() -> None:
    uri, headers, _ = signed("GET", USERS, secret="not-the-secret")
    message = refused("GET", uri, headers)
    assert "does not match" in message


def test_unknown_consumer_key() -> None:
    uri, headers, _ = signed("GET", USERS, key="someone-else")
    assert "oauth_consumer_key is not a known" in refused("GET", uri, headers)


@pytest.mark.parametrize(("offset", "words"), [(301, "behind"), (-301, "ahead of"),
                                               (86400, "behind")])
def test_timestamp_outside_window(offset: int, words: str) -> None:
    uri, headers, _ = signed("GET", USERS)
    message = refused("GET", uri, headers, now=NOW + offset)
    assert f"{abs(offset)} seconds {words} the server clock" in message
    assert "at most 300" in message


def test_timestamp_at_the_edge_of_the_window() -> None:
    uri, headers, _ = signed("GET", USERS)
    assert check("GET", uri, headers, now=NOW + 300) == KEY
    assert check("GET", uri, headers, now=NOW - 300) == KEY
    assert check("GET", uri, headers, now=NOW + 30, max_skew=30) == KEY
    refused("GET", uri, headers, now=NOW + 31, max_skew=30)


@pytest.mark.parametrize("stamp", ["abc", "-5", "1.5", "\u0661\u0667" + "\u0660" * 8, "9" * 20])
def test_malformed_timestamp(stamp: str) -> None:
    uri, headers, _ = signed("GET", USERS)
    message = refused("GET", uri, set_header_param(headers, "oauth_timestamp",
                                                   percent_encode(stamp)))
    assert "oauth_timestamp must be whole seconds" in message


def test_nonce_replay() -> None:
    nonces = MemoryNonceStore()
    uri, headers, _ = signed("GET", USERS)
    assert check("GET", uri, headers, nonces=nonces) == KEY
    assert "oauth_nonce was already used" in refused("GET", uri, headers, nonces=nonces)
    # a fresh nonce passes; the same nonce with another timestamp is another request
    uri2, headers2, _ = signed("GET", USERS, nonce="nonce-2")
    assert check("GET", uri2, headers2, nonces=nonces) == KEY
    uri3, headers3, _ = signed("GET", USERS, timestamp=NOW + 1)
    assert check("GET", uri3, headers3, nonces=nonces) == KEY


def test_bad_requests_do_not_use_up_the_nonce() -> None:
    nonces = MemoryNonceStore()
    uri, headers, _ = signed("GET", USERS)
    refused("GET", uri.replace("users", "orgs"), headers, nonces=nonces)
    assert len(nonces) == 0
    assert check("GET", uri, headers, nonces=nonces) == KEY


@pytest.mark.parametrize("name", ["oauth_consumer_key", "oauth_signature_method",
                                  "oauth_timestamp", "oauth_nonce", "oauth_signature"])
def test_missing_parameter(name: str) -> None:
    uri, headers, _ = signed("GET", USERS)
    message = refused("GET", uri, set_header_param(headers, name, None))
    assert message == f"missing OAuth parameter(s): {name}"


def test_missing_parameters_all_named() -> None:
    headers = {"Authorization": 'OAuth oauth_consumer_key="k", oauth_signature_method='
                                '"HMAC-SHA1"'}
    message = refused("GET", USERS, headers)
    assert message == ("missing OAuth parameter(s): oauth_timestamp, oauth_nonce, "
                       "oauth_signature")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer abc"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_unsigned_request(headers: dict[str, str]) -> None:
    assert "the request is not signed" in refused("GET", USERS, headers)


def test_plaintext_is_refused() -> None:
    uri, headers, _ = signed("GET", USERS, signature_method=SIGNATURE_PLAINTEXT)
    message = refused("GET", uri, headers)
    assert message == ("oauth_signature_method 'PLAINTEXT' is not supported; sign with "
                       "HMAC-SHA1 or HMAC-SHA256")


def test_rsa_is_refused() -> None:
    uri, headers, _ = signed("GET", USERS)
    headers = set_header_param(headers, "oauth_signature_method", "RSA-SHA1")
    assert "'RSA-SHA1' is not supported" in refused("GET", uri, headers)


def test_version_and_token() -> None:
    uri, headers, _ = signed("GET", USERS)
    assert 'oauth_version="1.0"' in headers["Authorization"]
    assert "oauth_version must be 1.0" in refused(
        "GET", uri, set_header_param(headers, "oauth_version", "2.0"))
    token = {**headers, "Authorization": headers["Authorization"] + ', oauth_token="t"'}
    assert "oauth_token is not used here" in refused("GET", uri, token)


def test_version_is_optional() -> None:
    # oauthlib's Client always sends oauth_version; sign without it using oauthlib's functions.
    params = [("oauth_consumer_key", KEY), ("oauth_signature_method", "HMAC-SHA256"),
              ("oauth_timestamp", str(NOW)), ("oauth_nonce", "n"), ("limit", "1")]
    base = oauthlib_signature.signature_base_string(
        "GET", oauthlib_signature.base_string_uri(USERS),
        oauthlib_signature.normalize_parameters(params))
    sig = oauthlib_signature.sign_hmac_sha256_with_client(base, Client(KEY, SECRET))
    auth = ", ".join(f'{k}="{percent_encode(v)}"' for k, v in params[:4])
    headers = {"Authorization": f'OAuth {auth}, oauth_signature="{percent_encode(sig)}"'}
    assert check("GET", USERS + "?limit=1", headers) == KEY


def test_parameter_given_twice() -> None:
    uri, headers, _ = signed("GET", USERS)
    message = refused("GET", uri + "?oauth_nonce=x", headers)
    assert message.startswith("oauth_nonce is given more than once")


def test_malformed_header() -> None:
    message = refused("GET", USERS, {"Authorization": "OAuth oauth_consumer_key=unquoted"})
    assert "Authorization header is malformed" in message


def test_bad_utf8_in_query() -> None:
    uri, headers, _ = signed("GET", USERS)
    assert "not valid UTF-8" in refused("GET", uri + "?a=%FF", headers)


# The base string URI: ports, proxies --------------------------------------------------------------

@pytest.mark.parametrize(("signed_uri", "seen_uri"), [
    ("https://api.example.org:443/ims/x", "https://api.example.org/ims/x"),
    ("https://api.example.org/ims/x", "https://api.example.org:443/ims/x"),
    ("http://API.Example.ORG:80/ims/x", "http://api.example.org/ims/x"),
    ("HTTPS://api.example.org/ims/x", "https://API.EXAMPLE.org:443/ims/x"),
])
def test_default_ports_and_case(signed_uri: str, seen_uri: str) -> None:
    _, headers, _ = signed("GET", signed_uri)
    assert check("GET", seen_uri, headers) == KEY


def test_other_ports_are_kept() -> None:
    _, headers, _ = signed("GET", "https://api.example.org:8443/ims/x")
    assert check("GET", "https://api.example.org:8443/ims/x", headers) == KEY
    refused("GET", "https://api.example.org/ims/x", headers)
    refused("GET", "http://api.example.org:8443/ims/x", headers)


def test_public_base_url_behind_a_proxy() -> None:
    public = "https://sis.example.org/harbor/ims/oneroster/v1p1/users?limit=5"
    internal = "http://app:8000/ims/oneroster/v1p1/users?limit=5"
    _, headers, _ = signed("GET", public)
    assert "does not match" in refused("GET", internal, headers)
    assert check("GET", internal, headers, public_base_url="https://sis.example.org/harbor") \
        == KEY
    assert check("GET", internal, headers,
                 public_base_url="https://SIS.example.org:443/harbor/") == KEY
    refused("GET", internal, headers, public_base_url="https://sis.example.org")


def test_public_base_url_must_be_absolute() -> None:
    _, headers, _ = signed("GET", USERS)
    assert "cannot be signed" in refused("GET", USERS, headers, public_base_url="/harbor")


@pytest.mark.parametrize(("url", "expected"), [
    # RFC 5849 section 3.4.1.2
    ("http://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X"),
    ("https://www.example.net:8080/?q=1", "https://www.example.net:8080/"),
    ("https://www.example.net", "https://www.example.net/"),
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("https://example.com/a#frag", "https://example.com/a"),
    # a path a framework has decoded is encoded back; escapes are kept
    ("https://example.com/r v/ü", "https://example.com/r%20v/%C3%BC"),
])
def test_base_string_uri(url: str, expected: str) -> None:
    assert base_string_uri(url) == expected


def test_base_string_uri_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="http or https"):
        base_string_uri("ftp://example.com/x")


# RFC 5849 worked examples -------------------------------------------------------------------------

RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
    "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
    "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
    "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
    "9d7dh3k39sjv7"
)


def test_rfc5849_section_3_4_1_1_example() -> None:
    # The request of RFC 5849 section 3.4.1.1, and its base string as printed there.
    url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    headers = {
        "Host": "example.com",
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": ('OAuth realm="Example",\r\n'
                          '               oauth_consumer_key="9djdj82h48djs9d2",\r\n'
                          '               oauth_token="kkk9d7dh3k39sjv7",\r\n'
                          '               oauth_signature_method="HMAC-SHA1",\r\n'
                          '               oauth_timestamp="137131201",\r\n'
                          '               oauth_nonce="7d8f3e4a",\r\n'
                          '               oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'),
    }
    params, protocol = request_parameters(url, headers, "c2&a3=2+q")
    assert ("realm", "Example") not in params
    assert ("oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw=") in protocol
    assert signature_base_string("POST", base_string_uri(url), params) == RFC_BASE_STRING


def test_rfc5849_section_3_4_1_3_2_normalized_parameters() -> None:
    params = [("b5", "=%3D"), ("a3", "a"), ("c@", ""), ("a2", "r b"),
              ("oauth_consumer_key", "9djdj82h48djs9d2"), ("oauth_token", "kkk9d7dh3k39sjv7"),
              ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "137131201"),
              ("oauth_nonce", "7d8f3e4a"), ("c2", ""), ("a3", "2 q")]
    assert normalize_parameters(params) == (
        "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9dj"
        "dj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1"
        "&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7")


@pytest.mark.parametrize(("raw", "encoded"), [
    ("abcABC123-._~", "abcABC123-._~"), (" ", "%20"), ("+", "%2B"), ("*", "%2A"),
    ("/", "%2F"), ("ü", "%C3%BC"), ("%", "%25"), ("&=", "%26%3D"),
])
def test_percent_encode(raw: str, encoded: str) -> None:
    assert percent_encode(raw) == encoded


# The in-memory nonce store ------------------------------------------------------------------------

def test_memory_nonce_store_keys_on_consumer_nonce_and_timestamp() -> None:
    store = MemoryNonceStore()
    assert store.use("a", "n", NOW)
    assert not store.use("a", "n", NOW)
    assert store.use("b", "n", NOW)
    assert store.use("a", "n", NOW + 1)
    assert store.use("a", "m", NOW)


def test_memory_nonce_store_prunes_old_entries() -> None:
    store = MemoryNonceStore(window=600)
    assert store.use("a", "n1", NOW)
    assert store.use("a", "n2", NOW + 600)
    assert len(store) == 2
    assert store.use("a", "n3", NOW + 601)  # NOW is now out of the window: forgotten
    assert len(store) == 2
    # and a timestamp that old is refused, since the store can no longer tell
    assert not store.use("a", "n1", NOW)
    assert not store.use("a", "fresh", NOW)


def test_memory_nonce_store_is_thread_safe() -> None:
    store = MemoryNonceStore()
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        results.extend(store.use("a", f"n{i % 50}", NOW) for i in range(500))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 50
    assert len(store) == 50


def test_memory_nonce_store_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        MemoryNonceStore(window=0)


# The database nonce store (what the 1.1 provider uses), on SQLite and PostgreSQL --------------

def test_database_nonces_are_used_once_by_any_process(store: Store) -> None:
    now = int(time.time())
    first, second = Nonces(store.engine), Nonces(store.engine)  # two API processes
    assert first.use(KEY, "n-1", now)
    assert not second.use(KEY, "n-1", now)
    assert not first.use(KEY, "n-1", now)
    assert second.use(KEY, "n-1", now + 1)
    assert first.use("another-key", "n-1", now)
    assert len(first) == 3


def test_database_nonces_are_kept_for_the_window_then_swept(store: Store) -> None:
    nonces = Nonces(store.engine, window=900)
    now = int(time.time())
    assert not nonces.use(KEY, "ancient", now - 901)  # older than kept: cannot tell, refused
    assert nonces.use(KEY, "recent", now - 100)
    assert nonces.sweep(now) == 0
    assert nonces.sweep(now + 801) == 1 and len(nonces) == 0


def test_verify_refuses_a_replay_through_the_database(store: Store) -> None:
    now = int(time.time())
    uri, headers, _ = signed("GET", USERS + "?limit=5", timestamp=now, nonce="db-nonce",
                             signature_method=SIGNATURE_HMAC_SHA256)
    assert verify("GET", uri, headers, None, lookup, Nonces(store.engine)) == KEY
    with pytest.raises(OAuth1Error, match="oauth_nonce was already used"):
        verify("GET", uri, headers, None, lookup, Nonces(store.engine))


def test_database_nonces_do_not_wait_long_behind_a_sync(sqlite_store: Store) -> None:
    nonces = Nonces(sqlite_store.engine, wait_ms=50)
    with sqlite_store.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
        conn.begin()  # a sync's write transaction holds SQLite's only write lock
        with pytest.raises(NonceStoreBusy, match="busy"):
            nonces.use(KEY, "n", int(time.time()))
    assert nonces.use(KEY, "n", int(time.time()))
