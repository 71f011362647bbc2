"""The platform's HTTP face (its routes, refusals as answers, the request log and injected
faults) and ``running_platform``, which serves it on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tests.helpers import serve_app

from ._http import Refused
from ._launch import launch_routes
from ._model import Tool
from ._platform import Platform
from ._registration import registration_routes
from ._services import service_routes, token_routes


def platform_app(p: Platform) -> FastAPI:
    """The platform's HTTP face."""
    app = FastAPI(title="Harbormaster test LMS", openapi_url=None)
    for router in (launch_routes(p), token_routes(p), service_routes(p),
                   registration_routes(p)):
        app.include_router(router)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if exc.error:
            return JSONResponse({"error": exc.error, "error_description": exc.message},
                                exc.status, exc.headers)
        return PlainTextResponse(exc.message, exc.status, exc.headers)

    @app.middleware("http")
    async def log_and_inject(request: Request, call_next: Any) -> Response:
        p.request_log.append((request.method, request.url.path))
        fault = p._take_fault(request.method, request.url.path)
        if fault is not None:
            return PlainTextResponse(fault.body, fault.status, fault.headers)
        response: Response = await call_next(request)
        return response

    return app


@contextmanager
def running_platform(tool: Tool | None = None) -> Iterator[Platform]:
    """A platform served on a free loopback port (its URLs set), for the block's length."""
    platform = Platform(tool)
    with serve_app(platform_app(platform)) as url:
        platform.bind(url)
        yield platform
