"""Tenants (districts): an operator key sees and creates them all, a tenant key its own."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from gateway.api.deps import CurrentKey, OperatorKey, StoreDep, TenantDep
from gateway.api.schemas import TenantCreate, TenantPublic
from gateway.errors import ConfigError

__all__ = ["router"]

router = APIRouter(prefix="/tenants", tags=["tenants"])


@router.get("", response_model=list[TenantPublic])
def list_tenants(key: CurrentKey, store: StoreDep) -> list[TenantPublic]:
    return [TenantPublic.of(t) for t in store.list_tenants()
            if key.operator or t.id == key.tenant_id]


@router.post("", response_model=TenantPublic, status_code=status.HTTP_201_CREATED)
def create_tenant(body: TenantCreate, _key: OperatorKey, store: StoreDep) -> TenantPublic:
    """Add a tenant (operator keys only)."""
    try:
        store.tenant(body.slug)
    except ConfigError:
        return TenantPublic.of(store.ensure_tenant(body.slug, body.name))
    raise HTTPException(status.HTTP_409_CONFLICT, f"tenant {body.slug!r} already exists")


@router.get("/{tenant}", response_model=TenantPublic)
def get_tenant(tenant: TenantDep) -> TenantPublic:
    return TenantPublic.of(tenant)
