"""The OneRoster 1.1 provider API, for the many vendors still on 1.1.

One base path, ``/ims/oneroster/v1p1``, serves the 1.1 rostering, gradebook and resources
paths (:mod:`.paths`) in the 1.1 shapes (:mod:`.shape`, :mod:`.fields`) over the same store,
query engine, sharing rules, paging headers, errors and access log as 1.2
(:mod:`gateway.provider.reads`), with the 1.1 gradebook writes (:mod:`.writes`). Callers
authenticate with an OAuth 2 token carrying the 1.1 scopes or with an OAuth 1.0a signature
(:mod:`.auth`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.provider.accesslog import AccessLog
from gateway.provider.errors import V1P1_CODE_MINOR
from gateway.provider.query import FieldMap
from gateway.provider.reads import Nested, read_handler
from gateway.provider.service import Endpoint
from gateway.provider.v1p1.auth import V1p1Auth
from gateway.provider.v1p1.fields import field_map_v1p1
from gateway.provider.v1p1.paths import BASE, ENDPOINTS, listed_role
from gateway.provider.v1p1.shape import record_json
from gateway.provider.v1p1.writes import WRITES_V1P1, add_write_routes_v1p1
from gateway.store.store import Store

__all__ = ["BASE", "ENDPOINTS", "V1P1", "WRITES_V1P1", "V1p1Auth", "add_v1p1_routes"]


class _V1p1:
    label = "OneRoster 1.1"
    vocabulary: Mapping[str, str] = V1P1_CODE_MINOR

    def fields(self, endpoint: Endpoint) -> FieldMap:
        return field_map_v1p1(endpoint.stream, listed_role(endpoint))

    def to_json(self, endpoint: Endpoint, row: Mapping[str, Any], base_url: str,
                nested: Nested | None, fields: set[str] | None) -> dict[str, Any]:
        return record_json(endpoint.stream, row, base_url, nested, fields,
                           listed_role(endpoint))


V1P1 = _V1p1()
"""The OneRoster 1.1 shape of the store's records (a :class:`gateway.provider.reads.Shape`)."""


def add_v1p1_routes(router: APIRouter, store: Store, access: AccessLog, auth: V1p1Auth,
                    max_limit: int) -> None:
    """Every 1.1 read path and gradebook write on ``router``."""
    for endpoint in ENDPOINTS:
        router.add_api_route(endpoint.route, read_handler(endpoint, store, access, auth,
                                                          max_limit, V1P1),
                             methods=["GET"], name=f"oneroster 1.1 {endpoint.route}",
                             response_class=JSONResponse, tags=["OneRoster 1.1"])
    add_write_routes_v1p1(router, store, access, auth)
