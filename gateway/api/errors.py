"""Errors as HTTP responses, mapped in this one place: ``{"detail": "<what to do>"}``.

Request validation errors are rewritten without the submitted values, which may hold a
connection's secrets.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gateway.errors import ConfigError, HarborError, RetriableError
from gateway.store.store import RunBusy

__all__ = ["install_error_handlers", "status_of"]


def status_of(exc: HarborError) -> int:
    """The HTTP status for one of our errors."""
    if isinstance(exc, RunBusy):
        return status.HTTP_409_CONFLICT
    if isinstance(exc, ConfigError):
        return status.HTTP_422_UNPROCESSABLE_CONTENT
    if isinstance(exc, RetriableError):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def _harbor_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HarborError)
    headers = {}
    if isinstance(exc, RetriableError) and exc.retry_after is not None:
        headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return JSONResponse({"detail": str(exc)}, status_of(exc), headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
              for e in exc.errors()]
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    return JSONResponse({"detail": f"the request is invalid: {where}", "errors": errors},
                        status.HTTP_422_UNPROCESSABLE_CONTENT)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HarborError, _harbor_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
