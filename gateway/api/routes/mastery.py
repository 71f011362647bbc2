"""A tenant's mastery settings: the method that folds evidence into a score and the level
bands; saving them recomputes the tenant's mastery after the answer is sent."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.schemas import _In
from gateway.mastery import recompute
from gateway.mastery.methods import METHODS
from gateway.mastery.settings import read_settings, write_settings
from gateway.store.store import Store

__all__ = ["router"]

log = logging.getLogger("harbormaster.mastery")
router = APIRouter(tags=["mastery"])


class MasterySettingsPublic(BaseModel):
    method: str
    params: dict[str, Any]
    bands: list[dict[str, Any]]
    """Lowest first: ``{level, from, to, mastered}``."""


class MasterySettingsUpdate(_In):
    method: str = Field(description=f"One of {', '.join(METHODS)}.")
    params: dict[str, Any] | None = Field(
        None, description="For `decaying_average`: `{\"weight\": 0.65}`.")
    bands: list[dict[str, Any]] | None = Field(
        None, description="Contiguous over [0, 1], lowest first; default beginning, "
                          "approaching, meeting, exceeding (mastered from meeting).")


def _recompute(store: Store, tenant_id: int) -> None:
    with store.engine.begin() as conn:
        written = recompute(conn, tenant_id)
    log.info("mastery recomputed for tenant %s after a settings change: %s rows",
             tenant_id, written)


@router.get("/tenants/{tenant}/mastery/settings", response_model=MasterySettingsPublic)
def get_settings(tenant: TenantDep, store: StoreDep) -> MasterySettingsPublic:
    """The tenant's method and bands (the defaults until they are set)."""
    with store.engine.connect() as conn:
        return MasterySettingsPublic(**read_settings(conn, tenant.id).as_dict())


@router.put("/tenants/{tenant}/mastery/settings", response_model=MasterySettingsPublic)
def put_settings(body: MasterySettingsUpdate, tenant: TenantDep, store: StoreDep,
                 background: BackgroundTasks) -> MasterySettingsPublic:
    """Save the settings (422 naming the bad part; nothing saved then), then recompute the
    tenant's stored mastery in the background (a minute for a 400,000-learner district)."""
    with store.engine.begin() as conn:
        settings = write_settings(conn, tenant.id, method=body.method, params=body.params,
                                  bands=body.bands)
    background.add_task(_recompute, store, tenant.id)
    return MasterySettingsPublic(**settings.as_dict())
