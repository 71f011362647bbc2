"""Dependencies of the admin routes, as ``Annotated`` aliases: what ``create_app`` put on
``app.state``, the calling key, and the tenant, connection or run a path names.

Tenancy is enforced here, once: a tenant key asking for another tenant gets the same 404 as
for a tenant that does not exist, so keys cannot probe which districts are hosted.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from gateway.api.auth import bearer_scheme, missing_credentials, oauth2_scheme, resolve_bearer
from gateway.api.tokens import AccessTokens
from gateway.daemon.dispatch import Dispatcher
from gateway.errors import ConfigError
from gateway.settings import Settings
from gateway.store.keys import ApiKeyRecord, ApiKeys
from gateway.store.store import ConnectionRecord, RunRecord, Store, TenantRecord

__all__ = ["ConnectionDep", "CurrentKey", "DispatcherDep", "KeysDep", "OperatorKey", "RunDep",
           "SettingsDep", "StoreDep", "TenantDep", "TokensDep", "current_key"]


def _store(request: Request) -> Store:
    return cast(Store, request.app.state.store)


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def _dispatcher(request: Request) -> Dispatcher:
    return cast(Dispatcher, request.app.state.dispatcher)


def _keys(request: Request) -> ApiKeys:
    return cast(ApiKeys, request.app.state.keys)


def _tokens(request: Request) -> AccessTokens:
    return cast(AccessTokens, request.app.state.tokens)


StoreDep = Annotated[Store, Depends(_store)]
SettingsDep = Annotated[Settings, Depends(_settings)]
DispatcherDep = Annotated[Dispatcher, Depends(_dispatcher)]
KeysDep = Annotated[ApiKeys, Depends(_keys)]
TokensDep = Annotated[AccessTokens, Depends(_tokens)]


def current_key(
    keys: KeysDep, tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _oauth2: Annotated[str | None, Depends(oauth2_scheme)],  # declares the scheme in OpenAPI
) -> ApiKeyRecord:
    """The active key making this request (an API key, or the key an access token stands
    for); 401 otherwise."""
    if credentials is None or not credentials.credentials:
        raise missing_credentials()
    return resolve_bearer(credentials.credentials, keys, tokens)


CurrentKey = Annotated[ApiKeyRecord, Depends(current_key)]


def _operator_key(key: CurrentKey) -> ApiKeyRecord:
    if not key.operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"key {key.client_id} belongs to tenant {key.tenant!r}; only an "
                            f"operator key (made without --tenant) can do this")
    return key


OperatorKey = Annotated[ApiKeyRecord, Depends(_operator_key)]


def _tenant(tenant: str, key: CurrentKey, store: StoreDep) -> TenantRecord:
    not_found = HTTPException(status.HTTP_404_NOT_FOUND,
                              f"no tenant {tenant!r} here; GET /admin/tenants lists the "
                              f"tenants this key can see")
    if not key.operator and key.tenant != tenant:
        raise not_found
    try:
        return store.tenant(tenant)
    except ConfigError:
        raise not_found from None


TenantDep = Annotated[TenantRecord, Depends(_tenant)]


def _connection(name: str, tenant: TenantDep, store: StoreDep) -> ConnectionRecord:
    try:
        return store.connection(name, tenant=tenant.slug)
    except ConfigError:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no connection {name!r} in tenant {tenant.slug!r}; GET "
                            f"/admin/tenants/{tenant.slug}/connections lists them") from None


ConnectionDep = Annotated[ConnectionRecord, Depends(_connection)]


def _run(run_id: int, tenant: TenantDep, store: StoreDep) -> RunRecord:
    run = store.run(run_id)
    if run is None or run.tenant_id != tenant.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no run {run_id} in tenant {tenant.slug!r}; GET "
                            f"/admin/tenants/{tenant.slug}/runs lists recent runs")
    return run


RunDep = Annotated[RunRecord, Depends(_run)]
