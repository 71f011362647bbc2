"""When a connection syncs on its own: a cron rule in a time zone, with a seasonal pause."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request

from gateway.api.deps import ConnectionDep, SettingsDep, StoreDep
from gateway.api.schemas import SchedulePublic, ScheduleUpdate
from gateway.schedule import ScheduleRule

__all__ = ["router"]

router = APIRouter(prefix="/tenants/{tenant}/connections/{name}/schedule", tags=["schedules"])


@router.get("", response_model=SchedulePublic)
def get_schedule(connection: ConnectionDep, store: StoreDep,
                 settings: SettingsDep) -> SchedulePublic:
    """The connection's rule; nightly at 02:00 in the server's zone until one is set."""
    return SchedulePublic.of(store.schedules.get(
        connection.id, default_timezone=settings.resolved_timezone))


@router.put("", response_model=SchedulePublic)
def put_schedule(body: ScheduleUpdate, connection: ConnectionDep, store: StoreDep,
                 settings: SettingsDep, request: Request) -> SchedulePublic:
    """Replace the connection's rule (fields left out take their defaults)."""
    rule = store.schedules.put(ScheduleRule(
        connection.id, body.cron, body.timezone or settings.resolved_timezone, body.enabled,
        body.pause_from, body.pause_until))
    reload: Callable[[], object] | None = request.app.state.on_schedule_change
    if reload is not None:
        reload()
    return SchedulePublic.of(rule)
