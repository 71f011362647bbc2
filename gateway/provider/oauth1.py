"""OAuth 1.0a request signatures (RFC 5849), as OneRoster 1.1 consumers send them.

OneRoster 1.1 lets a consumer sign every request "one-legged": no token, only the consumer
key and secret. The request carries ``oauth_consumer_key``, ``oauth_signature_method``
(``HMAC-SHA1`` or ``HMAC-SHA256``), ``oauth_timestamp``, ``oauth_nonce``, optionally
``oauth_version="1.0"``, and ``oauth_signature``: in the ``Authorization: OAuth ...`` header,
or (accepted too) in the query string or an ``application/x-www-form-urlencoded`` body.
The signing key is ``percent_encode(consumer_secret) + "&"`` (the token secret is empty).

:func:`verify` rebuilds the signature base string exactly as RFC 5849 §3.4.1 defines it and
compares signatures in constant time. Checks run cheapest and least revealing first: the
parameters are present and well formed, the method is supported, the timestamp is within
``max_skew`` of the server clock, the consumer is known, the signature matches; only then is
the nonce recorded, so that unsigned requests can neither fill the nonce store nor burn a
genuine client's nonce. Messages say what to fix, never a secret or the expected signature.

Behind a reverse proxy the URL the client signed (``https://sis.example.org/ims/...``) is not
the one the application sees (``http://app:8000/ims/...``); pass the public address as
``public_base_url`` and the request's path and query are read against it instead.
"""

from __future__ import annotations

import base64
import heapq
import hmac
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from gateway.errors import HarborError

__all__ = [
    "SIGNATURE_METHODS",
    "MemoryNonceStore",
    "NonceStore",
    "OAuth1Error",
    "base_string_uri",
    "normalize_parameters",
    "parse_authorization_header",
    "percent_encode",
    "request_parameters",
    "sign",
    "signature_base_string",
    "verify",
]

SIGNATURE_METHODS: dict[str, str] = {"HMAC-SHA1": "sha1", "HMAC-SHA256": "sha256"}
"""The signature methods OneRoster 1.1 allows: ``oauth_signature_method`` -> hashlib name."""

REQUIRED = ("oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_nonce",
            "oauth_signature")
MAX_NONCE_LENGTH = 255
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = "-._~"  # with ALPHA and DIGIT, which quote() never encodes
_HEADER_PARAM = re.compile(r'\s*([^\s=,]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class OAuth1Error(HarborError):
    """The request is not correctly signed; ``str(error)`` tells the client what to fix.

    ``code_minor`` is the OneRoster status ``codeMinor`` to answer with (HTTP 401).
    """

    def __init__(self, message: str, code_minor: str = "unauthorisedrequest") -> None:
        super().__init__(message)
        self.code_minor = code_minor


class NonceStore(Protocol):
    """Remembers the nonces of accepted requests for at least the timestamp window."""

    def use(self, consumer_key: str, nonce: str, timestamp: int) -> bool:
        """Record ``nonce``; False if it was already used with this key and timestamp."""
        ...


class MemoryNonceStore:
    """A :class:`NonceStore` in process memory, safe to share between threads.

    A nonce is unique per consumer key and timestamp (RFC 5849 §3.3). Entries are forgotten
    once their timestamp is more than ``window`` seconds older than the newest timestamp seen;
    ``window`` must be at least twice :func:`verify`'s ``max_skew`` (a request stays
    acceptable from ``max_skew`` before its timestamp to ``max_skew`` after), which the
    default 600 is for the default skew of 300. A timestamp already older than what is kept
    is refused, since the store can no longer tell whether it was used. For a single
    process only: several workers need a shared (database) store.
    """

    def __init__(self, window: int = 600) -> None:
        if window <= 0:
            raise ValueError("window must be a positive number of seconds")
        self.window = window
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str, int]] = set()
        self._expiry: list[tuple[int, str, str]] = []  # heap by timestamp
        self._newest = 0

    def use(self, consumer_key: str, nonce: str, timestamp: int) -> bool:
        key = (consumer_key, nonce, timestamp)
        with self._lock:
            self._newest = max(self._newest, timestamp)
            horizon = self._newest - self.window
            while self._expiry and self._expiry[0][0] < horizon:
                ts, ck, n = heapq.heappop(self._expiry)
                self._seen.discard((ck, n, ts))
            if timestamp < horizon or key in self._seen:
                return False
            self._seen.add(key)
            heapq.heappush(self._expiry, (timestamp, consumer_key, nonce))
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


# Building the signature base string (RFC 5849 §3.4.1) ---------------------------------------

def percent_encode(value: str) -> str:
    """RFC 5849 §3.6: UTF-8, then every octet but ``A-Za-z0-9-._~`` as ``%XX`` (upper case)."""
    return quote(value.encode("utf-8"), safe=_UNRESERVED)


def base_string_uri(url: str, public_base_url: str | None = None) -> str:
    """RFC 5849 §3.4.1.2: scheme and host in lower case, a default port left out, the path
    as sent (``/`` when empty), no query or fragment.

    With ``public_base_url`` (``https://sis.example.org`` or ``https://sis.example.org/harbor``)
    its scheme, host and port replace the request's, and its path is put before the
    request's path: the URL as the client saw it in front of a reverse proxy.
    """
    parts = urlsplit(url)
    path = parts.path
    if public_base_url is not None:
        base = urlsplit(public_base_url)
        if not base.scheme or not base.netloc:
            raise ValueError(f"public_base_url must be an absolute URL, got {public_base_url!r}")
        path = base.path.rstrip("/") + (path if path.startswith("/") else "/" + path)
        parts = base
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"the request URL must be http or https, got {url!r}")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"the request URL has no host: {url!r}")
    if ":" in host:  # an IPv6 literal; hostname drops its brackets
        host = f"[{host}]"
    port = parts.port  # ValueError for a port out of range
    authority = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    # The path as the client sent it (percent-encoded); a path a framework has already decoded
    # gets its spaces and non-ASCII characters encoded back, existing escapes kept.
    path = quote(path or "/", safe="/%:@!$&'()*+,;=" + _UNRESERVED)
    return f"{scheme}://{authority}{path}"


def normalize_parameters(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.3.2: each name and value percent-encoded, sorted by name then value,
    joined as ``name=value`` pairs with ``&``."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    return "&".join(f"{k}={v}" for k, v in encoded)


def signature_base_string(method: str, base_uri: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.1: ``METHOD&encoded(base URI)&encoded(normalized parameters)``.

    ``params`` are the decoded request parameters without ``oauth_signature`` and the
    header's ``realm`` (see :func:`request_parameters`).
    """
    return "&".join((percent_encode(method.upper()), percent_encode(base_uri),
                     percent_encode(normalize_parameters(params))))


def parse_authorization_header(value: str) -> list[tuple[str, str]] | None:
    """The decoded parameters of an ``OAuth`` Authorization header (RFC 5849 §3.5.1), realm
    included; None when the header is of another scheme (Bearer, Basic)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "oauth":
        return None
    params: list[tuple[str, str]] = []
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _HEADER_PARAM.match(rest, pos)
        if m is None:
            raise OAuth1Error(
                'the Authorization header is malformed: write it as OAuth name="value", '
                'name="value", ... with every value quoted and percent-encoded')
        params.append((unquote(m.group(1)), unquote(m.group(2))))
        pos = m.end()
    return params


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def _form_pairs(body: str | bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise OAuth1Error("the form body is not valid UTF-8") from None


def request_parameters(
    url: str, headers: Mapping[str, str],
    body_params: str | bytes | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(signed, protocol)``: the parameters that go into the base string (RFC 5849
    §3.4.1.3.1: query, form body, Authorization header less ``realm``, all without
    ``oauth_signature``), and every ``oauth_*`` parameter found, signature included.

    ``body_params`` is the raw form body or its decoded pairs; it counts only when the
    request's Content-Type is ``application/x-www-form-urlencoded``.
    """
    try:
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True, encoding="utf-8",
                          errors="strict")
    except UnicodeDecodeError:
        raise OAuth1Error("the query string is not valid UTF-8") from None
    body: list[tuple[str, str]] = []
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if body_params is not None and content_type == "application/x-www-form-urlencoded":
        if isinstance(body_params, str | bytes):
            body = _form_pairs(body_params)
        elif isinstance(body_params, Mapping):
            body = [(str(k), str(v)) for k, v in body_params.items()]
        else:
            body = [(str(k), str(v)) for k, v in body_params]
    header: list[tuple[str, str]] = []
    authorization = _header(headers, "Authorization")
    if authorization is not None:
        header = [(k, v) for k, v in parse_authorization_header(authorization) or ()
                  if k != "realm"]
    everything = query + body + header
    signed = [(k, v) for k, v in everything if k != "oauth_signature"]
    protocol = [(k, v) for k, v in everything if k.startswith("oauth_")]
    return signed, protocol


def sign(method: str, base_string: str, consumer_secret: str, token_secret: str = "") -> str:
    """The base64 ``oauth_signature`` of ``base_string`` (RFC 5849 §3.4.2)."""
    digest = SIGNATURE_METHODS[method]
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}".encode()
    mac = hmac.new(key, base_string.encode("utf-8"), digest).digest()
    return base64.b64encode(mac).decode("ascii")


# Verification ----------------------------------------------------------------------------------

def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body_params: str | bytes | Mapping[str, str] | Iterable[tuple[str, str]] | None,
    lookup_secret: Callable[[str], str | None],
    nonce_store: NonceStore,
    now: float | None = None,
    max_skew: int = 300,
    *,
    public_base_url: str | None = None,
) -> str:
    """Check a one-legged OAuth 1.0a signature; returns the ``oauth_consumer_key``.

    - ``method``, ``url``: the request line as the client sent it (full URL with its query;
      the path percent-encoded as on the wire).
    - ``headers``: the request headers (any case); ``Authorization`` and ``Content-Type`` are
      read.
    - ``body_params``: the raw form body (str or bytes) or its decoded pairs; ignored unless
      the Content-Type is ``application/x-www-form-urlencoded``.
    - ``lookup_secret``: consumer key -> its secret, None when unknown or revoked.
    - ``nonce_store``: remembers nonces for at least ``2 * max_skew`` seconds.
    - ``now``: the server's clock (epoch seconds), for tests; ``max_skew``: how far the
      timestamp may be from it, either way.
    - ``public_base_url``: the public scheme, host, port and path prefix the client used,
      when a reverse proxy changes them (see :func:`base_string_uri`).

    Raises :class:`OAuth1Error` (``code_minor="unauthorisedrequest"``) on any failure.
    """
    signed, protocol = request_parameters(url, headers, body_params)
    if not protocol:
        raise OAuth1Error(
            "the request is not signed: send OAuth 1.0a parameters (oauth_consumer_key, "
            "oauth_signature_method, oauth_timestamp, oauth_nonce, oauth_signature) in an "
            "'Authorization: OAuth ...' header")
    values: dict[str, str] = {}
    for name, value in protocol:
        if name in values:
            raise OAuth1Error(f"{name} is given more than once; send each OAuth parameter once")
        values[name] = value
    missing = [name for name in REQUIRED if not values.get(name)]
    if missing:
        raise OAuth1Error(f"missing OAuth parameter(s): {', '.join(missing)}")

    signature_method = values["oauth_signature_method"]
    if signature_method not in SIGNATURE_METHODS:
        raise OAuth1Error(
            f"oauth_signature_method {signature_method[:40]!r} is not supported; sign with "
            f"{' or '.join(SIGNATURE_METHODS)}")
    version = values.get("oauth_version")
    if version is not None and version != "1.0":
        raise OAuth1Error(f"oauth_version must be 1.0 (or left out), not {version[:20]!r}")
    if values.get("oauth_token"):
        raise OAuth1Error("oauth_token is not used here: sign two-legged, with the consumer "
                          "key and secret only")
    nonce = values["oauth_nonce"]
    if len(nonce) > MAX_NONCE_LENGTH:
        raise OAuth1Error(f"oauth_nonce is longer than {MAX_NONCE_LENGTH} characters")

    stamp = values["oauth_timestamp"]
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise OAuth1Error("oauth_timestamp must be whole seconds since 1970-01-01 UTC")
    timestamp = int(stamp)
    clock = time.time() if now is None else now
    skew = timestamp - clock
    if abs(skew) > max_skew:
        direction = "ahead of" if skew > 0 else "behind"
        raise OAuth1Error(
            f"oauth_timestamp is {abs(int(skew))} seconds {direction} the server clock (at "
            f"most {max_skew} allowed); sign with the current time and check the client's "
            f"clock")

    consumer_key = values["oauth_consumer_key"]
    secret = lookup_secret(consumer_key)
    if secret is None:
        raise OAuth1Error("oauth_consumer_key is not a known, active client; check the key "
                          "the district issued")

    try:
        base_uri = base_string_uri(url, public_base_url)
    except ValueError as e:
        raise OAuth1Error(f"the request URL cannot be signed: {e}") from None
    base = signature_base_string(method, base_uri, signed)
    expected = sign(signature_method, base, secret)
    if not hmac.compare_digest(expected.encode("ascii"),
                               values["oauth_signature"].encode("utf-8")):
        raise OAuth1Error(
            "oauth_signature does not match: sign the method, the full URL as sent (scheme, "
            "host, path) and every query, form and OAuth parameter (RFC 5849 section 3.4) "
            "with the client secret")

    if not nonce_store.use(consumer_key, nonce, timestamp):
        raise OAuth1Error("oauth_nonce was already used; send a fresh nonce with every request")
    return consumer_key
