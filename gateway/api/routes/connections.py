"""A tenant's connections: add, read, change, remove, and check them. Secret settings go
in and are never sent back (only whether each one is set)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from gateway.api.deps import ConnectionDep, StoreDep, TenantDep
from gateway.api.schemas import CheckPublic, ConnectionCreate, ConnectionPublic, ConnectionUpdate
from gateway.connections import merge_settings, secret_fields, split_settings
from gateway.errors import ConfigError
from gateway.plugins import connector_class
from gateway.push.run import check_connection as check_any
from gateway.store.store import ConnectionRecord, Store

__all__ = ["router"]

router = APIRouter(prefix="/tenants/{tenant}/connections", tags=["connections"])


def public(store: Store, connection: ConnectionRecord) -> ConnectionPublic:
    names = secret_fields(connection.connector)
    stored: frozenset[str] = frozenset()
    if connection.has_secrets:
        try:
            stored = frozenset(store.connection_secrets(connection))
        except ConfigError:  # sealed under another secret key: set, but unreadable here
            stored = names
    return ConnectionPublic.of(connection, names, stored)


@router.get("", response_model=list[ConnectionPublic])
def list_connections(tenant: TenantDep, store: StoreDep) -> list[ConnectionPublic]:
    return [public(store, c) for c in store.list_connections(tenant_id=tenant.id)]


@router.post("", response_model=ConnectionPublic, status_code=status.HTTP_201_CREATED)
def add_connection(body: ConnectionCreate, tenant: TenantDep,
                   store: StoreDep) -> ConnectionPublic:
    """Add a connection; ``config`` holds its settings, secrets included (stored encrypted)."""
    try:
        store.connection(body.name, tenant=tenant.slug)
    except ConfigError:
        pass
    else:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"connection {tenant.slug}/{body.name} already exists; pick another "
                            f"name, or PATCH the existing one")
    config, secrets = split_settings(connector_class(body.connector), body.config)
    return public(store, store.add_connection(tenant.slug, body.name, body.connector, config,
                                              secrets))


@router.get("/{name}", response_model=ConnectionPublic)
def get_connection(connection: ConnectionDep, store: StoreDep) -> ConnectionPublic:
    return public(store, connection)


@router.patch("/{name}", response_model=ConnectionPublic)
def update_connection(body: ConnectionUpdate, connection: ConnectionDep,
                      store: StoreDep) -> ConnectionPublic:
    """Change some settings; the rest keep their values (secrets included)."""
    try:
        stored = store.connection_secrets(connection)
    except ConfigError:  # sealed under a lost key: the update must bring every secret anew
        stored = {}
    config, secrets = merge_settings(connector_class(connection.connector), connection.config,
                                     stored, body.config)
    return public(store, store.update_connection(connection, config=config, secrets=secrets))


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT,
               responses={409: {"description": "a run is queued or running"}})
def remove_connection(connection: ConnectionDep, store: StoreDep) -> Response:
    """Forget the connection, its schedule and run history (the records it brought stay)."""
    store.remove_connection(connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{name}/check", response_model=CheckPublic)
async def check_connection(connection: ConnectionDep, store: StoreDep) -> CheckPublic:
    """Test the connection without changing anything."""
    return CheckPublic.of(await check_any(store, connection))
