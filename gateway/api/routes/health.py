"""Probes and metrics: ``/healthz`` (alive), ``/readyz`` (able to work), ``/metrics``.

These are unauthenticated by design, as orchestrators and Prometheus expect, and say
nothing about any tenant: metrics are totals by status and stream, never by district.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway import metrics

__all__ = ["health_router"]

health_router = APIRouter(tags=["health"])


@health_router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@health_router.get("/readyz")
def readyz(request: Request) -> Response:
    """The database answers and every part this process runs is running."""
    daemon = getattr(request.app.state, "daemon", None)
    checks: dict[str, Any]
    if daemon is not None:
        checks = daemon.ready()
    else:
        from gateway.daemon.serve import database_ok

        checks = {"database": database_ok(request.app.state.store)}
    ok = all(checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                        status_code=200 if ok else 503)


@health_router.get("/metrics")
def prometheus(request: Request) -> Response:
    """Prometheus text format: runs by status, queue depth, records, run durations."""
    return Response(metrics.render(request.app.state.store), media_type=metrics.CONTENT_TYPE)
