"""The OneRoster provider API: the district's canonical store, served to vendor clients.

Every path of the official 1.2 OpenAPI files is served (see :mod:`.rostering`,
:mod:`.gradebook`, :mod:`.resources`), and every OneRoster 1.1 path (:mod:`.v1p1`), with
the standard's query parameters (``limit``/``offset``, ``sort``/``orderBy``, ``filter``,
``fields``), ``X-Total-Count`` and ``Link`` headers, and ``imsx_StatusInfo`` errors. Each
request is authorised by an OAuth 2 bearer token carrying the operation's scope (on the 1.1
paths, or by an OAuth 1.0a signature), confined to the client's tenant and sharing rule,
and written to the access log.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.api.auth import basic_credentials
from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import TOKEN_PATH, ProviderTokens
from gateway.provider.errors import ProviderError
from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.reads import read_handler
from gateway.provider.resources import RESOURCES
from gateway.provider.rostering import ROSTERING
from gateway.provider.service import Service
from gateway.provider.v1p1 import V1p1Auth, add_v1p1_routes
from gateway.provider.writes import add_write_routes
from gateway.store.clients import ProviderClients
from gateway.store.nonces import Nonces
from gateway.store.store import Store

__all__ = ["MAX_LIMIT", "provider_router"]

MAX_LIMIT = 1000
"""The largest page a consumer may ask for; larger ``limit`` values are clipped to it."""


SERVICES: tuple[Service, ...] = (ROSTERING, GRADEBOOK, RESOURCES)


def provider_router(store: Store, *, max_limit: int = MAX_LIMIT,
                    services: tuple[Service, ...] = SERVICES, v1p1: bool = True,
                    public_base_url: str | None = None) -> APIRouter:
    """The provider's routes: the 1.2 ``services``, and OneRoster 1.1 unless ``v1p1`` is
    false. ``public_base_url`` is the scheme, host and path prefix vendors reach the
    gateway at, when a reverse proxy changes them (OAuth 1.0a signs the URL as sent)."""
    clients = ProviderClients(store.engine, store.secrets)
    tokens = ProviderTokens(store.secrets, clients)
    access = AccessLog(clients)
    router = APIRouter(tags=["OneRoster 1.2 rostering"])

    @router.post(TOKEN_PATH, tags=["OneRoster auth"])
    async def token(request: Request) -> Response:
        """OAuth 2 client credentials (RFC 6749 §4.4) for vendor clients."""
        form = await request.form()
        grant = str(form.get("grant_type") or "")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type",
                                "grant_type must be client_credentials")
        basic = basic_credentials(request.headers.get("authorization"))
        client_id, secret = basic or (str(form.get("client_id") or ""),
                                      str(form.get("client_secret") or ""))
        client = clients.check_secret(client_id, secret) if client_id and secret else None
        if client is None:
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret",
                                {"WWW-Authenticate": 'Basic realm="oneroster"'})
        try:
            access, scope = tokens.issue(client, str(form.get("scope") or "") or None)
        except ProviderError:
            return _oauth_error(400, "invalid_scope", "ask only for scopes this client was "
                                f"granted: {' '.join(sorted(client.scopes))}")
        return JSONResponse({"access_token": access, "token_type": "bearer",
                             "expires_in": 3600, "scope": scope},
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    for service in services:
        router.add_api_route(service.base + "/openapi.json", _discovery(service),
                             methods=["GET"], name=f"oneroster {service.name} discovery",
                             tags=["OneRoster discovery"])
        for endpoint in service.endpoints:
            router.add_api_route(endpoint.route, read_handler(endpoint, store, access, tokens,
                                                             max_limit),
                                 methods=["GET"], name=f"oneroster {endpoint.route}",
                                 response_class=JSONResponse)
    if GRADEBOOK in services:  # PUT, DELETE and POST of the gradebook (see .writes)
        add_write_routes(router, store, access, tokens)
    if v1p1:
        auth = V1p1Auth(tokens, clients, Nonces(store.engine), public_base_url=public_base_url)
        add_v1p1_routes(router, store, access, auth, max_limit)
    return router


def _discovery(service: Service) -> Callable[[], Response]:
    def discovery() -> Response:
        return Response(service.spec_file.read_bytes(), media_type="application/json")
    discovery.__doc__ = f"The official OpenAPI description of the {service.name} service."
    return discovery


def _oauth_error(status: int, error: str, description: str,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})
