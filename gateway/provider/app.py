"""The OneRoster 1.2 provider API: the district's canonical store, served to vendor clients.

Every rostering path of the official OpenAPI file is served (see :mod:`.rostering`), with
the standard's query parameters (``limit``/``offset``, ``sort``/``orderBy``, ``filter``,
``fields``), ``X-Total-Count`` and ``Link`` headers, and ``imsx_StatusInfo`` errors. Each
request is authorised by an OAuth 2 bearer token carrying the operation's scope, confined
to the client's tenant and sharing rule, and written to the access log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.api.auth import basic_credentials
from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import TOKEN_PATH, Caller, ProviderTokens
from gateway.provider.errors import ProviderError, unknown_object
from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.query import (
    QueryWarning,
    filter_clause,
    link_header,
    page,
    select_fields,
    sort_clause,
)
from gateway.provider.reader import Reader, to_json
from gateway.provider.resources import RESOURCES
from gateway.provider.respond import answer
from gateway.provider.rostering import ROSTERING
from gateway.provider.service import Endpoint, Service
from gateway.provider.writes import add_write_routes
from gateway.store.clients import ProviderClients
from gateway.store.store import Store
from gateway.store.tables import stream_tables

__all__ = ["MAX_LIMIT", "provider_router"]

MAX_LIMIT = 1000
"""The largest page a consumer may ask for; larger ``limit`` values are clipped to it."""


SERVICES: tuple[Service, ...] = (ROSTERING, GRADEBOOK, RESOURCES)


def provider_router(store: Store, *, max_limit: int = MAX_LIMIT,
                    services: tuple[Service, ...] = SERVICES) -> APIRouter:
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
            router.add_api_route(endpoint.route, _handler(endpoint, store, access, tokens,
                                                         max_limit),
                                 methods=["GET"], name=f"oneroster {endpoint.route}",
                                 response_class=JSONResponse)
    if GRADEBOOK in services:  # PUT, DELETE and POST of the gradebook (see .writes)
        add_write_routes(router, store, access, tokens)
    return router


def _discovery(service: Service) -> Callable[[], Response]:
    def discovery() -> Response:
        return Response(service.spec_file.read_bytes(), media_type="application/json")
    discovery.__doc__ = f"The official OpenAPI description of the {service.name} service."
    return discovery


def _handler(endpoint: Endpoint, store: Store, access: AccessLog,
             tokens: ProviderTokens, max_limit: int
             ) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        async def serve(caller: Caller) -> tuple[Response, int]:
            return await run_in_threadpool(_serve, endpoint, store, caller, request, max_limit)

        return await answer(request, tokens, access, endpoint.scopes, endpoint.path, serve)
    handle.__doc__ = f"OneRoster 1.2: GET {endpoint.path}"
    return handle


def _serve(endpoint: Endpoint, store: Store, caller: Caller, request: Request,
           max_limit: int) -> tuple[Response, int]:
    client = caller.client
    reader = Reader(store.engine, client.tenant_id, client.sharing)
    params = {k: str(v) for k, v in request.path_params.items()}
    if any("\x00" in value for value in params.values()):
        # No stored id holds a NUL (PostgreSQL text cannot); it names nothing, in any service.
        raise unknown_object(f"{next(iter(params))} with a NUL character")
    for parent in endpoint.parents:
        table = stream_tables[parent.stream]
        if not reader.exists(parent.stream, parent.where(table, client.tenant_id, params)):
            raise unknown_object(f"{parent.param} {params[parent.param]!r}")
    stream, table = endpoint.stream, stream_tables[endpoint.stream]
    where = endpoint.where(table, client.tenant_id, params)
    query = request.query_params
    warnings: list[QueryWarning] = []  # the spec: unknown fields/sort keys warn, not fail
    fields = select_fields(stream, query.getlist("fields") or None, warnings=warnings)
    base = str(request.base_url).rstrip("/") + endpoint.base
    if endpoint.single:
        row = reader.one(stream, where)
        if row is None:
            raise unknown_object(f"{endpoint.wrapper} {next(iter(params.values()), '')!r}")
        nested = reader.nested(stream, [row]).get(row["sourcedId"])
        return JSONResponse({endpoint.wrapper: to_json(stream, row, base, nested, fields)}), 1
    condition = filter_clause(stream, table, query.get("filter"))
    order = sort_clause(stream, table, query.get("sort"), query.get("orderBy"),
                        warnings=warnings)
    slice_ = page(query.get("limit"), query.get("offset"), max_limit)
    found = reader.page(stream, [*where, *([condition] if condition is not None else [])],
                        order, slice_.limit, slice_.offset)
    nested_rows = reader.nested(stream, found.rows)
    body: dict[str, Any] = {endpoint.wrapper: [
        to_json(stream, row, base, nested_rows.get(row["sourcedId"]), fields)
        for row in found.rows]}
    url = str(request.url.replace(query=""))
    headers = {"X-Total-Count": str(found.total),
               "Link": link_header(url, query.multi_items(), found.total, slice_.limit,
                                   slice_.offset)}
    return JSONResponse(body, headers=headers), len(found.rows)


def _oauth_error(status: int, error: str, description: str,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})
