"""Build the admin API around a store: ``create_app(store, settings)`` (no globals).

Everything a route needs is put on ``app.state`` (``store``, ``settings``, ``dispatcher``,
``keys``, ``tokens``, ``on_schedule_change``) and read back through :mod:`gateway.api.deps`.
Every route under ``/admin`` requires a key: the dependency is on the ``/admin`` router
itself, so a route added there cannot forget it. The learner views under ``/api/v1`` are
mounted the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from gateway.api.deps import current_key
from gateway.api.errors import install_error_handlers
from gateway.api.routes import (
    classes,
    connections,
    growth,
    identities,
    learners,
    lti,
    lti_review,
    lti_tools,
    mastery,
    oauth,
    push,
    runs,
    schedules,
    standards,
    tenants,
)
from gateway.api.tokens import AccessTokens
from gateway.daemon.dispatch import Dispatcher, NullDispatcher
from gateway.settings import Settings
from gateway.store.keys import ApiKeys
from gateway.store.store import Store

__all__ = ["create_app"]

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, unknown, revoked or expired credentials"}}


def create_app(store: Store, settings: Settings, *, dispatcher: Dispatcher | None = None,
               on_schedule_change: Callable[[], object] | None = None,
               extra_routers: Iterable[APIRouter] = ()) -> FastAPI:
    """The admin API. ``dispatcher`` wakes workers when a run is queued (default: none, they
    poll); ``on_schedule_change`` is called after a schedule is saved (the scheduler
    reloads); ``extra_routers`` are mounted as given, outside ``/admin`` and its key check
    (health, readiness, metrics)."""
    app = FastAPI(title="Harbormaster admin API", version="1",
                  description="Tenants, connections, schedules, runs and LTI registrations "
                              "of a Harbormaster gateway. See docs/api.md.")
    app.state.store = store
    app.state.settings = settings
    app.state.dispatcher = dispatcher or NullDispatcher()
    app.state.keys = ApiKeys(store.engine)
    app.state.tokens = AccessTokens(store.secrets)
    app.state.on_schedule_change = on_schedule_change
    install_error_handlers(app)

    admin = APIRouter(prefix="/admin", dependencies=[Depends(current_key)],
                      responses=UNAUTHORIZED)
    for module in (tenants, connections, schedules, runs, lti, lti_review, lti_tools,
                   standards, identities, mastery, push):
        admin.include_router(module.router)
    admin.include_router(growth.admin_router)
    app.include_router(oauth.router)
    app.include_router(admin)
    # The learner views: same keys and tenancy as /admin, for teachers' and coaches' tools.
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(current_key)],
                    responses=UNAUTHORIZED)
    for module in (learners, classes):
        api.include_router(module.router)
    api.include_router(growth.router)
    api.include_router(push.class_router)
    app.include_router(api)
    for router in extra_routers:
        app.include_router(router)
    return app
