"""LTI 1.3: a tenant's platform registrations (manual, or by a Dynamic Registration link),
the values to paste into an LMS, and, for operators, the tool's signing keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from gateway.api.deps import OperatorKey, SettingsDep, StoreDep, TenantDep
from gateway.api.schemas_lti import (
    LtiKeyPublic,
    LtiRegistrationCreate,
    LtiRegistrationPublic,
    LtiRegistrationUpdate,
    RegistrationLinkCreate,
    RegistrationLinkPublic,
    ToolConfigurationPublic,
)
from gateway.lti.configuration import CLAIMS, SCOPES, ToolUrls, canvas_configuration
from gateway.lti.keys import ToolKeys
from gateway.lti.links import RegistrationLinks
from gateway.lti.registrations import (
    Registration,
    RegistrationExists,
    RegistrationInput,
    Registrations,
)
from gateway.store.store import Store

__all__ = ["router"]

TENANT = "/tenants/{tenant}/lti"
router = APIRouter(tags=["lti"])


def _registrations(store: StoreDep) -> Registrations:
    return Registrations(store.engine)


RegistrationsDep = Annotated[Registrations, Depends(_registrations)]


def _registration(registration_id: int, tenant: TenantDep,
                  registrations: RegistrationsDep) -> Registration:
    found = registrations.get(registration_id)
    # Another tenant's registration is "not found", like another tenant (see deps).
    if found is None or found.tenant_id != tenant.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no LTI registration {registration_id} in tenant "
                            f"{tenant.slug!r}; GET /admin{TENANT.format(tenant=tenant.slug)}"
                            f"/registrations lists them")
    return found


RegistrationDep = Annotated[Registration, Depends(_registration)]


def _conflict(exc: RegistrationExists) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@router.get(f"{TENANT}/registrations", response_model=list[LtiRegistrationPublic])
def list_registrations(tenant: TenantDep,
                       registrations: RegistrationsDep) -> list[LtiRegistrationPublic]:
    return [LtiRegistrationPublic.of(r) for r in registrations.list(tenant.id)]


@router.post(f"{TENANT}/registrations", response_model=LtiRegistrationPublic,
             status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the name, or the issuer and client id, exist"}})
def add_registration(body: LtiRegistrationCreate, tenant: TenantDep,
                     registrations: RegistrationsDep) -> LtiRegistrationPublic:
    """Register an LMS by hand, from the values its tool or developer-key page shows."""
    fields = body.model_dump()
    fields["deployment_ids"] = tuple(fields["deployment_ids"])
    try:
        return LtiRegistrationPublic.of(registrations.add(tenant.id,
                                                          RegistrationInput(**fields)))
    except RegistrationExists as exc:
        raise _conflict(exc) from None


@router.get(f"{TENANT}/registrations/{{registration_id}}",
            response_model=LtiRegistrationPublic)
def get_registration(registration: RegistrationDep) -> LtiRegistrationPublic:
    return LtiRegistrationPublic.of(registration)


@router.patch(f"{TENANT}/registrations/{{registration_id}}",
              response_model=LtiRegistrationPublic)
def update_registration(body: LtiRegistrationUpdate, registration: RegistrationDep,
                        registrations: RegistrationsDep) -> LtiRegistrationPublic:
    """Change some fields (e.g. add a deployment id); the rest keep their values."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    cleared = sorted(k for k, v in changes.items() if v is None and k != "auth_audience")
    if cleared:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{', '.join(cleared)} cannot be null; leave it out to keep it")
    try:
        return LtiRegistrationPublic.of(registrations.update(registration, **changes))
    except RegistrationExists as exc:
        raise _conflict(exc) from None


@router.delete(f"{TENANT}/registrations/{{registration_id}}",
               status_code=status.HTTP_204_NO_CONTENT)
def remove_registration(registration: RegistrationDep,
                        registrations: RegistrationsDep) -> Response:
    """Forget the registration: the LMS's launches are refused from now on."""
    registrations.remove(registration)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(f"{TENANT}/dynamic-registration-links", response_model=RegistrationLinkPublic,
             status_code=status.HTTP_201_CREATED)
def create_registration_link(body: RegistrationLinkCreate, tenant: TenantDep,
                             store: StoreDep, settings: SettingsDep,
                             request: Request) -> RegistrationLinkPublic:
    """A link to paste into an LMS's Dynamic Registration field: it registers that LMS for
    this tenant, once, before it expires."""
    if body.name and Registrations(store.engine).by_name(tenant.id, body.name):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"this tenant has a registration named {body.name!r} already; "
                            f"choose another name")
    link = RegistrationLinks(store).issue(tenant, name=body.name,
                                          lifetime=timedelta(hours=body.expires_in_hours))
    urls = ToolUrls.of(settings, str(request.base_url))
    return RegistrationLinkPublic(url=urls.registration_link(link.token), tenant=link.tenant,
                                  name=link.name,
                                  expires_at=link.expires_at.isoformat().replace("+00:00", "Z"))


def tool_configuration(urls: ToolUrls, tenant: str) -> ToolConfigurationPublic:
    return ToolConfigurationPublic(
        login_url=urls.login, launch_url=urls.launch, redirect_uris=[urls.launch],
        deep_linking_url=urls.launch, jwks_url=urls.jwks, domain=urls.domain,
        scopes=list(SCOPES), claims=list(CLAIMS),
        dynamic_registration=f"POST /admin{TENANT.format(tenant=tenant)}"
                             f"/dynamic-registration-links makes a link (single use)",
        canvas_json_url=urls.canvas_config, canvas=canvas_configuration(urls))


@router.get(f"{TENANT}/tool-configuration", response_model=ToolConfigurationPublic)
def get_tool_configuration(tenant: TenantDep, settings: SettingsDep,
                           request: Request) -> ToolConfigurationPublic:
    """The URLs and settings to paste into an LMS to register Harbormaster by hand."""
    return tool_configuration(ToolUrls.of(settings, str(request.base_url)), tenant.slug)


def _keys(store: Store) -> list[LtiKeyPublic]:
    tool_keys = ToolKeys(store.engine, store.secrets)
    published = {key.kid for key in tool_keys.published()}
    return [LtiKeyPublic.of(key, key.kid in published) for key in tool_keys.list()]


@router.get("/lti/keys", response_model=list[LtiKeyPublic])
def list_keys(_key: OperatorKey, store: StoreDep) -> list[LtiKeyPublic]:
    """The tool's signing keys and their states (operator keys only)."""
    return _keys(store)


@router.post("/lti/keys/prepare", response_model=list[LtiKeyPublic])
def prepare_key(_key: OperatorKey, store: StoreDep) -> list[LtiKeyPublic]:
    """Publish the next signing key (idempotent). Rotate once platforms have fetched it:
    after their JWKS cache lifetime, a day to be safe."""
    ToolKeys(store.engine, store.secrets).prepare()
    return _keys(store)


@router.post("/lti/keys/rotate", response_model=list[LtiKeyPublic])
def rotate_key(_key: OperatorKey, store: StoreDep) -> list[LtiKeyPublic]:
    """Make the next key sign (preparing one if there is none) and retire the active one;
    the retired key stays published for its grace period."""
    ToolKeys(store.engine, store.secrets).rotate()
    return _keys(store)
