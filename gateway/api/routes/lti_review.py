"""LTI records an admin reviews: LMS users the identity rules could not link (and the
resolve action), the LMS courses launches named, and the ledger of AGS scores posted."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.routes.lti import TENANT, RegistrationDep
from gateway.api.schemas_lti import (
    LtiCoursePublic,
    LtiIdentityConfirm,
    LtiIdentityPublic,
    LtiScoreLedgerPublic,
    LtiScorePublic,
)
from gateway.lti.contexts import Contexts
from gateway.lti.identity import IdentityLinks
from gateway.lti.ledger import ScoreLedger
from gateway.lti.registrations import Registrations

__all__ = ["router"]

router = APIRouter(tags=["lti"])


def _links(store: StoreDep) -> IdentityLinks:
    return IdentityLinks(store.engine)


LinksDep = Annotated[IdentityLinks, Depends(_links)]


@router.get(f"{TENANT}/identities", response_model=list[LtiIdentityPublic])
def identities_to_review(tenant: TenantDep, links: LinksDep) -> list[LtiIdentityPublic]:
    """LMS users waiting for a decision: no roster user matched them (``unmatched``), or
    the rules pointed at several (``conflict``, with the candidates in ``detail``)."""
    return [LtiIdentityPublic.of(link) for link in links.for_review(tenant.id)]


@router.post(f"{TENANT}/identities/{{link_id}}/confirm", response_model=LtiIdentityPublic)
def confirm_identity(link_id: int, body: LtiIdentityConfirm, tenant: TenantDep,
                     store: StoreDep, links: LinksDep) -> LtiIdentityPublic:
    """Decide who the LMS user is; launches and pushes use the link from now on."""
    registration_ids = {r.id for r in Registrations(store.engine).list(tenant.id)}
    link = links.by_id(link_id)
    if link is None or link.registration_id not in registration_ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no identity link {link_id} in tenant {tenant.slug!r}; GET "
                            f"/admin{TENANT.format(tenant=tenant.slug)}/identities lists the "
                            f"ones to review")
    return LtiIdentityPublic.of(links.confirm(link_id, body.user_sourced_id))


@router.get(f"{TENANT}/courses", response_model=list[LtiCoursePublic])
def courses(tenant: TenantDep, store: StoreDep) -> list[LtiCoursePublic]:
    """The LMS courses launches came from, with the roster class each is (when known)."""
    return [LtiCoursePublic.of(c) for c in Contexts(store.engine).list(tenant.id)]


@router.get(f"{TENANT}/registrations/{{registration_id}}/scores",
            response_model=LtiScoreLedgerPublic)
def score_ledger(registration: RegistrationDep, store: StoreDep,
                 state: Annotated[Literal["pending", "sent", "superseded"] | None,
                                  Query(alias="status")] = None,
                 user_id: str | None = None, after_id: int = 0,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> LtiScoreLedgerPublic:
    """Every AGS score posted to this LMS (oldest first): a ``pending`` row is one the LMS
    has not acknowledged yet, and the next push resends it with the same timestamp."""
    ledger = ScoreLedger(store.engine)
    rows = ledger.list(registration.id, status=state, user_id=user_id, after_id=after_id,
                       limit=limit)
    return LtiScoreLedgerPublic(
        counts=ledger.counts(registration.id), scores=[LtiScorePublic.of(r) for r in rows],
        next_after_id=rows[-1].id if len(rows) == limit else None)
