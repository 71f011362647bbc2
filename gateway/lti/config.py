"""pylti1p3's tool configuration over our registrations, and the platforms' public keys.

:class:`ToolConf` answers the library's "which registration is this issuer and client id,
and is this deployment one of it" from ``lti_registrations``, and hands it the tool's
active signing key. :class:`PlatformKeys` caches each platform's JWKS per process and
fetches it again when a token names a key it does not hold (the platform rotated), but not
more than once every ``min_refetch`` seconds, so tokens naming made-up keys cannot make us
hammer the platform.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration as LibRegistration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from gateway.errors import HarborError
from gateway.lti.adapters import ToolRequest
from gateway.lti.keys import ToolKeys
from gateway.lti.registrations import Registration, Registrations

__all__ = ["LaunchRefused", "PlatformKeys", "ToolConf"]


class LaunchRefused(HarborError):
    """A launch (or login) that must not go on: ``reason`` says what was wrong, ``hint``
    what the LMS administrator can do about it, ``status`` the HTTP status to answer."""

    def __init__(self, reason: str, hint: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint
        self.status = status


class ToolConf(ToolConfAbstract[ToolRequest]):
    """Every issuer may have several client ids (one per registration)."""

    def __init__(self, registrations: Registrations, keys: ToolKeys) -> None:
        self.registrations = registrations
        self.keys = keys
        self.issuers_relation_types = {}
        self.found: Registration | None = None
        """The registration the last lookup found (the launch's tenant)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _lib_registration(self, registration: Registration) -> LibRegistration:
        key = self.keys.signing_key()
        lib = LibRegistration()
        lib.set_issuer(registration.issuer).set_client_id(registration.client_id)
        lib.set_auth_login_url(registration.auth_login_url)
        lib.set_auth_token_url(registration.auth_token_url)
        lib.set_key_set_url(registration.key_set_url)
        if registration.auth_audience:
            lib.set_auth_audience(registration.auth_audience)
        lib.set_tool_private_key(key.private_pem.decode())
        lib.set_tool_public_key(None)
        return lib

    def lookup(self, iss: str, client_id: str | None) -> Registration:
        registration = self.registrations.find(iss, client_id or None)
        if registration is None:
            if client_id:
                raise LaunchRefused(
                    f"no registration for issuer {iss!r} with client id {client_id!r}",
                    "Register this LMS in Harbormaster (docs/lti.md), or check that the "
                    "client id Harbormaster has is the one the LMS shows for the tool.", 403)
            raise LaunchRefused(
                f"issuer {iss!r} sent no client_id and is not registered exactly once",
                "Register this LMS in Harbormaster, or have it send client_id.", 403)
        self.found = registration
        return registration

    def find_registration_by_issuer(self, iss: str, *args: Any,
                                    **kwargs: Any) -> LibRegistration:
        return self._lib_registration(self.lookup(iss, None))

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any,
                                    **kwargs: Any) -> LibRegistration:
        return self._lib_registration(self.lookup(iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str,
                                  *args: Any, **kwargs: Any) -> Deployment | None:
        registration = self.lookup(iss, client_id or None)
        if deployment_id not in registration.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


class PlatformKeys:
    """Platform JWKS by URL, cached for ``ttl`` seconds, refetched on an unknown ``kid``."""

    def __init__(self, *, ttl: float = 3600.0, min_refetch: float = 30.0,
                 transport: httpx.BaseTransport | None = None, timeout: float = 10.0) -> None:
        self.ttl = ttl
        self.min_refetch = min_refetch
        self._transport = transport
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self.fetches = 0

    def key(self, url: str, kid: str) -> dict[str, Any]:
        """The JWK ``kid`` of the key set at ``url``; LaunchRefused if it has none."""
        cached = self._sets.get(url)
        if cached is None or time.monotonic() - cached[0] > self.ttl:
            cached = self._fetch(url)
        fetched, keys = cached
        found = self._find(keys, kid)
        if found is None and time.monotonic() - fetched >= self.min_refetch:
            # The platform may have rotated its key since we cached its set.
            fetched, keys = self._fetch(url)
            found = self._find(keys, kid)
        if found is None:
            raise LaunchRefused(
                f"the platform's key set {url} has no key with kid {kid!r}",
                "The id_token was signed with a key the platform does not publish. Check "
                "the public keyset URL in the registration; if the LMS just rotated its "
                "keys, try again in a minute.", 401)
        return found

    @staticmethod
    def _find(keys: list[dict[str, Any]], kid: str) -> dict[str, Any] | None:
        return next((k for k in keys if k.get("kid") == kid), None)

    def _fetch(self, url: str) -> tuple[float, list[dict[str, Any]]]:
        with self._lock:
            try:
                with httpx.Client(transport=self._transport, timeout=self._timeout) as client:
                    response = client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keys = response.json()["keys"]
                if not isinstance(keys, list):
                    raise TypeError("keys is not a list")
            except httpx.HTTPError as exc:
                raise LaunchRefused(f"could not read the platform's key set {url}: {exc}",
                                    "Check the public keyset URL in the registration and "
                                    "that the LMS is reachable from Harbormaster.",
                                    502) from None
            except (ValueError, KeyError, TypeError):
                raise LaunchRefused(f"the platform's key set {url} is not a JWKS "
                                    f"(JSON with a 'keys' list)",
                                    "Check the public keyset URL in the registration.",
                                    502) from None
            entry = (time.monotonic(), [k for k in keys if isinstance(k, dict)])
            self._sets[url] = entry
            self.fetches += 1
            return entry
