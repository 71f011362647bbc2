"""People of other systems in review: the identity links of tool connections that no rule
could decide (or any, by status and system), and the admin's decisions: confirm who the
person is (their evidence, interventions and placements follow, mastery is recomputed), or
ignore them (not in this roster)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.schemas_learning import IdentityConfirm, IdentityLinkPublic
from gateway.errors import ConfigError
from gateway.identity import WAITING, IdentityLink, confirm, get_link, ignore, list_links
from gateway.mastery import normalize, recompute
from gateway.store.store import TenantRecord

__all__ = ["router"]

TENANT = "/tenants/{tenant}"

router = APIRouter(tags=["identities"])

Status = Literal["waiting", "all", "matched", "confirmed", "unmatched", "conflict", "ignored"]


def _public(link: IdentityLink) -> IdentityLinkPublic:
    return IdentityLinkPublic(**link.as_public())


def _not_found(tenant: TenantRecord, link_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND,
                         f"no identity link {link_id} in tenant {tenant.slug!r}; GET "
                         f"/admin/tenants/{tenant.slug}/identities lists the ones to review")


@router.get(f"{TENANT}/identities", response_model=list[IdentityLinkPublic])
def identities(tenant: TenantDep, store: StoreDep,
               state: Annotated[Status, Query(alias="status")] = "waiting",
               system: str | None = None,
               limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> list[IdentityLinkPublic]:
    """People of tool connections, oldest change first: by default those waiting for a
    decision (``unmatched``: no roster user matched; ``conflict``: the rules pointed at
    several, named in ``detail``)."""
    wanted = WAITING if state == "waiting" else None if state == "all" else (state,)
    with store.engine.connect() as conn:
        return [_public(link) for link in list_links(conn, tenant.id, status=wanted,
                                                      system=system, limit=limit)]


@router.post(f"{TENANT}/identities/{{link_id}}/confirm", response_model=IdentityLinkPublic)
def confirm_identity(link_id: int, body: IdentityConfirm, tenant: TenantDep,
                     store: StoreDep) -> IdentityLinkPublic:
    """Decide who the person is: the records that arrived for them get the user, their
    mastery is recomputed, and later runs use the link."""
    with store.engine.begin() as conn:
        try:
            get_link(conn, tenant.id, link_id)
        except ConfigError:
            raise _not_found(tenant, link_id) from None
        return _public(confirm(conn, tenant.id, link_id, body.user_sourced_id,
                               recompute=recompute, normalize=normalize))


@router.post(f"{TENANT}/identities/{{link_id}}/ignore", response_model=IdentityLinkPublic)
def ignore_identity(link_id: int, tenant: TenantDep, store: StoreDep) -> IdentityLinkPublic:
    """Say the person is no one in this roster (a test or shared account): the link stops
    waiting, its records stay without a user, and runs do not decide it again."""
    with store.engine.begin() as conn:
        try:
            get_link(conn, tenant.id, link_id)
        except ConfigError:
            raise _not_found(tenant, link_id) from None
        return _public(ignore(conn, tenant.id, link_id, recompute=recompute))
