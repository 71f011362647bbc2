"""GET paths of the provider, in any version of the binding: one request, one page.

A path (an :class:`~gateway.provider.service.Endpoint`) names the records; a
:class:`Shape` says how a version of OneRoster names their fields (for ``filter``, ``sort``
and ``fields``) and writes them as JSON. The 1.2 shape is the canonical model's own; the
1.1 shape (:mod:`gateway.provider.v1p1`) is a layer over the same rows. Paging, the
``X-Total-Count`` and ``Link`` headers, sharing rules, 404s for unknown parents and the
access log are the same for both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import Authenticator, Caller
from gateway.provider.errors import SPEC_CODE_MINOR, unknown_object
from gateway.provider.query import (
    FieldMap,
    QueryWarning,
    collection_filter,
    field_map,
    link_header,
    page,
    select_fields,
    sort_clause,
)
from gateway.provider.reader import Reader, to_json
from gateway.provider.respond import answer
from gateway.provider.service import Endpoint
from gateway.store.store import Store
from gateway.store.tables import stream_tables

__all__ = ["V1P2", "Nested", "Shape", "read_handler"]

Nested = Mapping[str, Sequence[Mapping[str, Any]]]


class Shape(Protocol):
    """How one version of the REST binding names and writes the records of a path."""

    label: str
    """``OneRoster 1.2``: for route descriptions."""
    vocabulary: Mapping[str, str]
    """codeMinor values outside this version's vocabulary, and the value answered instead."""

    def fields(self, endpoint: Endpoint) -> FieldMap:
        """What ``filter``, ``sort`` and ``fields`` may name on ``endpoint``."""
        ...

    def to_json(self, endpoint: Endpoint, row: Mapping[str, Any], base_url: str,
                nested: Nested | None, fields: set[str] | None) -> dict[str, Any]:
        """One stored row (and its nested rows) as this version's JSON, ``fields`` kept."""
        ...


class _V1p2:
    label = "OneRoster 1.2"
    vocabulary: Mapping[str, str] = SPEC_CODE_MINOR

    def fields(self, endpoint: Endpoint) -> FieldMap:
        return field_map(endpoint.stream)

    def to_json(self, endpoint: Endpoint, row: Mapping[str, Any], base_url: str,
                nested: Nested | None, fields: set[str] | None) -> dict[str, Any]:
        return to_json(endpoint.stream, row, base_url, nested, fields)


V1P2: Shape = _V1p2()
"""The OneRoster 1.2 shape: the canonical model's field names and JSON."""


def read_handler(endpoint: Endpoint, store: Store, access: AccessLog, auth: Authenticator,
                 max_limit: int, shape: Shape = V1P2
                 ) -> Callable[[Request], Awaitable[Response]]:
    """The route function serving ``endpoint`` in ``shape``."""
    async def handle(request: Request) -> Response:
        async def serve(caller: Caller) -> tuple[Response, int]:
            return await run_in_threadpool(_serve, endpoint, store, caller, request,
                                           max_limit, shape)

        return await answer(request, auth, access, endpoint.scopes, endpoint.path, serve,
                            vocabulary=shape.vocabulary)
    handle.__doc__ = f"{shape.label}: GET {endpoint.path}"
    return handle


def _serve(endpoint: Endpoint, store: Store, caller: Caller, request: Request,
           max_limit: int, shape: Shape) -> tuple[Response, int]:
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
    fmap = shape.fields(endpoint)
    warnings: list[QueryWarning] = []  # the spec: unknown fields/sort keys warn, not fail
    fields = select_fields(fmap, query.getlist("fields") or None, warnings=warnings)
    base = str(request.base_url).rstrip("/") + endpoint.base
    if endpoint.single:
        row = reader.one(stream, where)
        if row is None:
            raise unknown_object(f"{endpoint.wrapper} {next(iter(params.values()), '')!r}")
        nested = reader.nested(stream, [row]).get(row["sourcedId"])
        return JSONResponse({endpoint.wrapper: shape.to_json(endpoint, row, base, nested,
                                                             fields)}), 1
    # Active records, or of every status for a filter on dateLastModified or status.
    condition, deleted = collection_filter(fmap, table, query.get("filter"))
    order = sort_clause(fmap, table, query.get("sort"), query.get("orderBy"),
                        warnings=warnings)
    slice_ = page(query.get("limit"), query.get("offset"), max_limit)
    found = reader.page(stream, [*where, *([condition] if condition is not None else [])],
                        order, slice_.limit, slice_.offset, deleted=deleted)
    nested_rows = reader.nested(stream, found.rows)
    body: dict[str, Any] = {endpoint.wrapper: [
        shape.to_json(endpoint, row, base, nested_rows.get(row["sourcedId"]), fields)
        for row in found.rows]}
    url = str(request.url.replace(query=""))
    headers = {"X-Total-Count": str(found.total),
               "Link": link_header(url, query.multi_items(), found.total, slice_.limit,
                                   slice_.offset)}
    return JSONResponse(body, headers=headers), len(found.rows)
