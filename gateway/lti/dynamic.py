"""LTI Dynamic Registration 1.0, the tool's side: ``GET /lti/register``.

An admin pastes our registration link (``/lti/register?hm=<link token>``) into the LMS; the
LMS opens it in a dialog with ``openid_configuration`` and ``registration_token`` added. We
check the link, read the platform's OpenID configuration, POST our client registration to
its ``registration_endpoint``, store what came back as a tenant's registration, and answer a
page that tells the LMS to close the dialog. Every failure answers a page saying what to do.

Written on httpx rather than pylti1p3's ``DynamicRegistration``: that class is synchronous
``requests`` (it would block the event loop), takes no injected transport, fails with bare
``assert``s, and does not check the issuer against the configuration's address.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.errors import ConfigError, HarborError
from gateway.lti.configuration import (
    CANVAS_CONFIG_PATH,
    REGISTER_PATH,
    ToolUrls,
    canvas_configuration,
    client_registration,
)
from gateway.lti.links import LinkError, RegistrationLink, RegistrationLinks
from gateway.lti.registration_pages import failure_page, success_page
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.net.policy import USER_AGENT, HttpPolicy, error_detail
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["DynamicRegistration", "RegistrationFailed", "registration_router"]

log = logging.getLogger("harbormaster.lti.registration")

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
ENDPOINTS = ("registration_endpoint", "authorization_endpoint", "token_endpoint", "jwks_uri")
# An admin waits in front of the dialog: fail within half a minute rather than a minute.
POLICY = HttpPolicy(read_timeout=30.0)
MANUAL = "register Harbormaster manually instead (docs/lti.md, 'Manual registration')"


class RegistrationFailed(HarborError):
    """Dynamic registration stopped; the message says why and what the admin can do."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(value: Any, what: str) -> str:
    """``value`` as an https URL (plain http only on this machine, for tests)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if (parts is None or not parts.hostname
            or not (parts.scheme == "https"
                    or (parts.scheme == "http" and _is_loopback(parts.hostname)))):
        raise RegistrationFailed(f"{what} ({value!r}) is not an https address. LTI 1.3 needs "
                                 f"the LMS to be reached over https; check the LMS's site "
                                 f"address setting, or {MANUAL}.", 400)
    return str(value)


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        start = " ".join(response.text.split())[:120]
        raise RegistrationFailed(f"{what} is not a JSON object (it starts {start!r}). The "
                                 f"address may point at a login or error page; start the "
                                 f"registration again from the LMS, or {MANUAL}.")
    return body


class DynamicRegistration:
    """The flow, apart from HTTP routing (``transport`` lets tests inject a platform)."""

    def __init__(self, store: Store, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.links = RegistrationLinks(store)
        self.registrations = Registrations(store.engine)
        self.transport = transport

    def _client(self) -> httpx.AsyncClient:
        # No redirects: the issuer check holds for the address we were given, not another.
        return httpx.AsyncClient(
            timeout=httpx.Timeout(POLICY.read_timeout, connect=POLICY.connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=self.transport, follow_redirects=False)

    async def run(self, urls: ToolUrls, link: RegistrationLink, openid_configuration: str,
                  registration_token: str | None) -> tuple[Registration, dict[str, Any]]:
        """Register with the platform and store it, for the verified ``link``; the
        registration and the platform's configuration. RegistrationFailed or LinkError
        (nothing stored) otherwise."""
        config_url = _url(openid_configuration, "The LMS's configuration address")
        async with self._client() as client:
            config = await self.configuration(client, config_url)
            await run_in_threadpool(self.links.claim, link)
            try:
                answer = await self.post_registration(client, config, urls,
                                                      registration_token)
                data = await run_in_threadpool(self._input, link, config, answer)
                registration = await run_in_threadpool(self._add, link, data)
            except BaseException:
                await run_in_threadpool(self.links.release, link)
                raise
        return registration, config

    async def configuration(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        """The platform's OpenID configuration, checked: an issuer on the host the
        configuration came from (as LTI Dynamic Registration requires), https endpoints,
        and an LTI platform configuration."""
        what = f"The LMS's OpenID configuration at {url}"
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            raise RegistrationFailed(f"{what} could not be read ({exc or type(exc).__name__})."
                                     f" Check that this server can reach the LMS (firewall, "
                                     f"proxy), then start again from the LMS.") from None
        if response.status_code != 200:
            raise RegistrationFailed(f"{what} answered HTTP {response.status_code}. Start the "
                                     f"registration again from the LMS (its links expire "
                                     f"quickly), or {MANUAL}.")
        config = _json_object(response, what)
        issuer = config.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise RegistrationFailed(f"{what} names no issuer; {MANUAL}.")
        issuer_parts, url_parts = urlsplit(issuer), urlsplit(url)
        if ((issuer_parts.scheme, issuer_parts.hostname)
                != (url_parts.scheme, url_parts.hostname)):
            raise RegistrationFailed(
                f"{what} says the LMS's issuer is {issuer}, which is not on the host the "
                f"configuration came from ({url_parts.hostname}). LTI Dynamic Registration "
                f"requires them to match, so nothing was registered. Check the LMS's site "
                f"address setting, or {MANUAL}.", 400)
        for field in ENDPOINTS:
            config[field] = _url(config.get(field), f"{what}: {field}")
        if not isinstance(config.get(PLATFORM_CONFIGURATION), Mapping):
            raise RegistrationFailed(f"{what} has no LTI platform configuration ("
                                     f"{PLATFORM_CONFIGURATION}); the LMS may not support "
                                     f"LTI Dynamic Registration; {MANUAL}.", 400)
        return config

    async def post_registration(self, client: httpx.AsyncClient, config: Mapping[str, Any],
                                urls: ToolUrls, registration_token: str | None,
                                ) -> dict[str, Any]:
        """POST our client registration once (a registration token is single use, so a
        failure is not retried here: the admin starts again from the LMS)."""
        endpoint = config["registration_endpoint"]
        headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
        what = f"The LMS's registration endpoint {endpoint}"
        try:
            response = await client.post(endpoint, json=client_registration(urls),
                                         headers=headers)
        except httpx.HTTPError as exc:
            raise RegistrationFailed(f"{what} could not be reached ({exc or type(exc).__name__})"
                                     f". Start the registration again from the LMS.") from None
        if response.status_code in (401, 403):
            raise RegistrationFailed(f"{what} refused the registration token (HTTP "
                                     f"{response.status_code}: {error_detail(response)}). It "
                                     f"may have expired or been used: start the registration "
                                     f"again from the LMS.")
        if not 200 <= response.status_code < 300:
            raise RegistrationFailed(f"{what} refused the registration (HTTP "
                                     f"{response.status_code}: {error_detail(response)}). "
                                     f"Start again from the LMS; if it fails again, {MANUAL}.")
        answer = _json_object(response, f"{what}'s answer")
        if not isinstance(answer.get("client_id"), str) or not answer["client_id"]:
            raise RegistrationFailed(f"{what} answered without a client_id; the LMS did not "
                                     f"complete the registration. {MANUAL[0].upper()}"
                                     f"{MANUAL[1:]}.")
        return answer

    def _input(self, link: RegistrationLink, config: Mapping[str, Any],
               answer: Mapping[str, Any]) -> RegistrationInput:
        platform = config[PLATFORM_CONFIGURATION]
        tool = answer.get(TOOL_CONFIGURATION)
        deployment = tool.get("deployment_id") if isinstance(tool, Mapping) else None
        audience = config.get("authorization_server")
        messages = [m.get("type") for m in platform.get("messages_supported") or ()
                    if isinstance(m, Mapping)]
        return RegistrationInput(
            name=link.name or self._free_name(link.tenant_id, platform, config["issuer"]),
            issuer=config["issuer"], client_id=answer["client_id"],
            auth_login_url=config["authorization_endpoint"],
            auth_token_url=config["token_endpoint"], key_set_url=config["jwks_uri"],
            auth_audience=audience if isinstance(audience, str) and audience else None,
            deployment_ids=(str(deployment),) if deployment else (), source="dynamic",
            platform={"product_family_code": platform.get("product_family_code"),
                      "version": platform.get("version"),
                      "messages_supported": [m for m in messages if isinstance(m, str)]})

    def _free_name(self, tenant_id: int, platform: Mapping[str, Any], issuer: str) -> str:
        """``<product>-<issuer host>``, numbered if this tenant has that name already."""
        family = str(platform.get("product_family_code") or "lms")
        stem = "-".join(filter(None, (family, urlsplit(issuer).hostname)))
        stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)[:90]
        name, n = stem, 1
        while self.registrations.by_name(tenant_id, name) is not None:
            n += 1
            name = f"{stem}-{n}"
        return name

    def _add(self, link: RegistrationLink, data: RegistrationInput) -> Registration:
        try:
            return self.registrations.add(link.tenant_id, data)
        except ConfigError as exc:
            raise RegistrationFailed(
                f"The LMS registered Harbormaster (client id {data.client_id}), but it could "
                f"not be saved: {exc}. Delete the new tool in the LMS, then register again.",
                409) from None


def _query(request: Request) -> dict[str, str]:
    """The query, mended where an LMS appended its parameters with a second ``?``."""
    params = dict(request.query_params.items())
    hm, sep, rest = params.get("hm", "").partition("?")
    if sep:
        params["hm"] = hm
        for key, values in parse_qs(rest).items():
            params.setdefault(key, values[0])
    return params


def registration_router(store: Store, settings: Settings, *,
                        transport: httpx.AsyncBaseTransport | None = None) -> APIRouter:
    """``GET /lti/register`` (Dynamic Registration) and ``GET /lti/canvas.json`` (the
    Canvas developer-key configuration, for its "Enter URL" method); no admin key: the
    link token is the authority, and the Canvas JSON holds only public URLs."""
    flow = DynamicRegistration(store, transport=transport)
    router = APIRouter(tags=["LTI registration"])

    @router.get(REGISTER_PATH, response_class=HTMLResponse, include_in_schema=False)
    async def register(request: Request) -> HTMLResponse:
        params = _query(request)
        urls = ToolUrls.of(settings, str(request.base_url))
        tenant = None
        try:
            if not params.get("hm"):
                raise LinkError("invalid", "This address has no registration link token. "
                                "Paste the whole link Harbormaster gave you (it ends with "
                                "?hm=...) into the LMS.")
            link = await run_in_threadpool(flow.links.verify, params["hm"])
            tenant = link.tenant
            if not params.get("openid_configuration"):
                raise RegistrationFailed(
                    "This page is for your LMS, not for a browser: paste the link into the "
                    "LMS's 'register a tool by URL' field (Dynamic Registration), and the LMS "
                    "opens it with its own configuration address.", 400)
            registration, config = await flow.run(
                urls, link, params["openid_configuration"],
                params.get("registration_token") or None)
        except LinkError as exc:
            log.warning("LTI dynamic registration refused (tenant %s): link %s: %s",
                        tenant, exc.reason, exc)
            return HTMLResponse(failure_page(str(exc)), 400, headers=_NO_STORE)
        except RegistrationFailed as exc:
            log.warning("LTI dynamic registration failed (tenant %s): %s", tenant, exc)
            return HTMLResponse(failure_page(str(exc)), exc.status, headers=_NO_STORE)
        log.info("LTI dynamic registration: tenant %s registered %s (issuer %s, client id %s)",
                 registration.tenant, registration.name, registration.issuer,
                 registration.client_id)
        return HTMLResponse(success_page(registration, config[PLATFORM_CONFIGURATION]),
                            headers=_NO_STORE)

    @router.get(CANVAS_CONFIG_PATH, include_in_schema=False)
    def canvas_json(request: Request) -> JSONResponse:
        return JSONResponse(canvas_configuration(ToolUrls.of(settings, str(request.base_url))))

    return router


_NO_STORE = {"Cache-Control": "no-store"}
