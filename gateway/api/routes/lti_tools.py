"""Vendor LTI tools a tenant launches from Harbormaster (Harbormaster as the platform): the
registration (we assign the client id and deployment id; the answer has every value to
paste into the tool), launch tickets that start a launch for a learner, and the line items
the tool made, with the standard their scores are evidence of."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.deps import SettingsDep, StoreDep, TenantDep
from gateway.lti.configuration import JWKS_PATH
from gateway.lti.platform_side import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    LaunchTickets,
    ToolExists,
    ToolInput,
    VendorTool,
    VendorTools,
    launch_link,
)
from gateway.lti.platform_side.launch import AGS_SCOPES
from gateway.lti.platform_side.line_items import LineItem, LineItems
from gateway.lti.platform_side.roster import class_context, member
from gateway.lti.platform_side.scores import realign
from gateway.lti.platform_side.tickets import MAX_TICKET_LIFETIME, TICKET_LIFETIME

__all__ = ["router"]

TOOLS = "/tenants/{tenant}/lti/tools"
router = APIRouter(tags=["lti tools"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LtiToolCreate(_In):
    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                      description="Unique in the tenant; its scores are evidence of "
                                  "`lti-tool:<name>`.")
    login_url: str = Field(description="The tool's OIDC login initiation URL.")
    launch_url: str = Field(description="Where the tool takes launches (its redirect URI).")
    jwks_url: str = Field(description="The tool's public keyset (JWKS) URL.")
    deep_link_url: str | None = Field(None, description="The tool's deep-linking launch URL, "
                                                        "if it has one.")


class LtiToolUpdate(_In):
    login_url: str | None = None
    launch_url: str | None = None
    jwks_url: str | None = None
    deep_link_url: str | None = None


class LtiToolPublic(BaseModel):
    id: int
    name: str
    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str | None
    created_at: str
    platform: dict[str, object] = Field(
        description="What to enter in the tool: our issuer, authorization, token and JWKS "
                    "URLs, and the AGS scopes it may ask for.")

    @classmethod
    def of(cls, tool: VendorTool, issuer: str) -> LtiToolPublic:
        return cls(id=tool.id, name=tool.name, client_id=tool.client_id,
                   deployment_id=tool.deployment_id, login_url=tool.login_url,
                   launch_url=tool.launch_url, jwks_url=tool.jwks_url,
                   deep_link_url=tool.deep_link_url, created_at=tool.created_at,
                   platform={"issuer": issuer, "client_id": tool.client_id,
                             "deployment_id": tool.deployment_id,
                             "authorization_url": issuer + AUTHORIZE_PATH,
                             "token_url": issuer + TOKEN_PATH,
                             "jwks_url": issuer + JWKS_PATH, "scopes": list(AGS_SCOPES)})


class LaunchTicketCreate(_In):
    user_sourced_id: str = Field(min_length=1, description="The learner (or teacher).")
    class_sourced_id: str = Field(min_length=1, description="The class, the LTI context.")
    expires_in_seconds: int = Field(TICKET_LIFETIME, ge=10, le=MAX_TICKET_LIFETIME)


class LaunchTicketPublic(BaseModel):
    url: str = Field(description="Open it in the user's browser; it launches once.")
    expires_at: int = Field(description="Unix time after which the link is refused.")


class LtiToolLineItemPublic(BaseModel):
    id: int
    context_id: str
    label: str
    score_maximum: float
    resource_id: str | None
    resource_link_id: str | None
    tag: str | None
    standard: str | None

    @classmethod
    def of(cls, item: LineItem) -> LtiToolLineItemPublic:
        return cls(id=item.id, context_id=item.context_id, label=item.label,
                   score_maximum=item.score_maximum, resource_id=item.resource_id,
                   resource_link_id=item.resource_link_id, tag=item.tag,
                   standard=item.standard)


class LtiToolLineItemUpdate(_In):
    standard: str | None = Field(description="The CASE identifier the line item's scores "
                                             "are evidence of; null: its tag or resourceId "
                                             "through the crosswalk.")


def _issuer(settings: SettingsDep, request: Request) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


IssuerDep = Annotated[str, Depends(_issuer)]


def _tools(store: StoreDep) -> VendorTools:
    return VendorTools(store.engine)


ToolsDep = Annotated[VendorTools, Depends(_tools)]


def _tool(tool_id: int, tenant: TenantDep, tools: ToolsDep) -> VendorTool:
    found = tools.get(tool_id)
    if found is None or found.tenant_id != tenant.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no LTI tool {tool_id} in tenant {tenant.slug!r}; GET "
                            f"/admin{TOOLS.format(tenant=tenant.slug)} lists them")
    return found


ToolDep = Annotated[VendorTool, Depends(_tool)]


@router.get(TOOLS, response_model=list[LtiToolPublic])
def list_tools(tenant: TenantDep, tools: ToolsDep, issuer: IssuerDep) -> list[LtiToolPublic]:
    return [LtiToolPublic.of(t, issuer) for t in tools.list(tenant.id)]


@router.post(TOOLS, response_model=LtiToolPublic, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the tenant has a tool of that name"}})
def add_tool(body: LtiToolCreate, tenant: TenantDep, tools: ToolsDep,
             issuer: IssuerDep) -> LtiToolPublic:
    """Register a vendor tool; we assign its client id and deployment id."""
    try:
        return LtiToolPublic.of(tools.add(tenant.id, ToolInput(**body.model_dump())), issuer)
    except ToolExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.get(f"{TOOLS}/{{tool_id}}", response_model=LtiToolPublic)
def get_tool(tool: ToolDep, issuer: IssuerDep) -> LtiToolPublic:
    return LtiToolPublic.of(tool, issuer)


@router.patch(f"{TOOLS}/{{tool_id}}", response_model=LtiToolPublic)
def update_tool(body: LtiToolUpdate, tool: ToolDep, tools: ToolsDep,
                issuer: IssuerDep) -> LtiToolPublic:
    """New URLs for the tool (its name and ids stay)."""
    changes = body.model_dump(exclude_unset=True)
    cleared = sorted(k for k, v in changes.items() if v is None and k != "deep_link_url")
    if cleared:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{', '.join(cleared)} cannot be null; leave it out to keep it")
    return LtiToolPublic.of(tools.update(tool, **changes), issuer)


@router.delete(f"{TOOLS}/{{tool_id}}", status_code=status.HTTP_204_NO_CONTENT)
def remove_tool(tool: ToolDep, tools: ToolsDep) -> Response:
    """Forget the tool: its launches and tokens are refused; its evidence stays."""
    tools.remove(tool)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(f"{TOOLS}/{{tool_id}}/launch-tickets", response_model=LaunchTicketPublic,
             status_code=status.HTTP_201_CREATED)
def create_launch_ticket(body: LaunchTicketCreate, tool: ToolDep, store: StoreDep,
                         issuer: IssuerDep) -> LaunchTicketPublic:
    """A link that launches the tool for a member of a class, once, within its lifetime
    (until end users sign in to Harbormaster, this is how a launch starts)."""
    with store.engine.connect() as conn:
        enrolled = class_context(conn, tool.tenant_id, body.class_sourced_id) is not None \
            and member(conn, tool.tenant_id, body.class_sourced_id,
                       body.user_sourced_id) is not None
    if not enrolled:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"user {body.user_sourced_id!r} is not actively enrolled in class "
                            f"{body.class_sourced_id!r}; a tool is launched for a member of "
                            f"the class")
    ticket = LaunchTickets(store).issue(tool.tenant_id, tool.id, body.user_sourced_id,
                                        body.class_sourced_id, body.expires_in_seconds)
    return LaunchTicketPublic(url=launch_link(issuer, tool, body.class_sourced_id,
                                              ticket.token), expires_at=ticket.expires_at)


@router.get(f"{TOOLS}/{{tool_id}}/line-items", response_model=list[LtiToolLineItemPublic])
def list_line_items(tool: ToolDep, store: StoreDep,
                    context_id: str | None = None) -> list[LtiToolLineItemPublic]:
    """The line items the tool made (in one class, if ``context_id`` is given)."""
    return [LtiToolLineItemPublic.of(i)
            for i in LineItems(store.engine).list(tool, context_id)]


@router.patch(f"{TOOLS}/{{tool_id}}/line-items/{{line_item_id}}",
              response_model=LtiToolLineItemPublic)
def align_line_item(line_item_id: int, body: LtiToolLineItemUpdate, tool: ToolDep,
                    store: StoreDep) -> LtiToolLineItemPublic:
    """Say which standard the line item's scores are evidence of; its evidence so far is
    realigned and mastery recomputed."""
    items = LineItems(store.engine)
    item = items.of_tool(tool, line_item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no line item {line_item_id} of LTI tool {tool.name!r}")
    item = items.align(item, body.standard)
    with store.engine.begin() as conn:
        realign(conn, tool, item)
    return LtiToolLineItemPublic.of(item)
