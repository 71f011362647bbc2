"""Launches: the id_token claims of a launch, the OIDC authorization endpoint that finishes
one, and the deep linking return that turns content items into links and columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from lti1p3platform.ags import LtiAgs
from lti1p3platform.deep_linking import LtiDeepLinking
from lti1p3platform.exceptions import LtiDeepLinkingResponseException, LtiException
from lti1p3platform.nrps import LtiNrps

from ._http import FormData, Refused, read_form
from ._library import Config, Launcher, Params
from ._model import AGS_CLAIM, DEEP_LINKING, DL, LTI, PRODUCT, SCOPE_LINEITEM_READONLY, User
from ._services import check_line_item

if TYPE_CHECKING:
    from ._platform import Platform


@dataclass
class Launch:
    """A launch the platform started; the authorization endpoint finishes it."""

    id: str
    user: User
    message_type: str
    context_id: str
    resource_link_id: str
    target_link_uri: str
    custom: dict[str, str]
    deep_linking: dict[str, Any]
    data: str


def launch_message(p: Platform, launch: Launch, preflight: dict[str, str]) -> Launcher:
    """The library's launch message for ``launch``, with every claim the platform sends."""
    context, user = p.contexts[launch.context_id], launch.user
    message = Launcher(Params(preflight), Config(p))
    message.set_launch_url(launch.target_link_uri)
    message.set_user_data(user.sub, user.roles, full_name=user.name,
                          email_address=user.email)
    message.set_launch_context_claim(
        context.id, ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        context.title, context.label or context.id)
    message.set_launch_presentation_claim("iframe", p.return_url)
    if launch.custom:
        message.set_custom_parameters_claim(launch.custom)
    contexts_url = f"{p.url}/contexts/{context.id}"
    ags = LtiAgs(f"{contexts_url}/lineitems", _link_line_item(p, launch),
                 allow_creating_lineitems=True).get_lti_ags_launch_claim()
    ags[AGS_CLAIM]["scope"].insert(1, SCOPE_LINEITEM_READONLY)
    extra: dict[str, Any] = {
        **{k: v for k, v in (("given_name", user.given_name),
                             ("family_name", user.family_name)) if v},
        LTI + "tool_platform": {"guid": p.issuer, "name": "Harbormaster test LMS",
                                "product_family_code": PRODUCT, "version": "1.0"},
        **LtiNrps(f"{contexts_url}/memberships").get_lti_nrps_launch_claim(),
        **ags,
    }
    lis = {k: v for k, v in (("person_sourcedid", user.lis_person_sourcedid),
                             ("course_section_sourcedid", context.sourcedid)) if v}
    if lis:
        extra[LTI + "lis"] = lis
    if launch.message_type == DEEP_LINKING:
        extra[LTI + "message_type"] = DEEP_LINKING
        extra[DL + "deep_linking_settings"] = deep_linking_settings(p, launch)
    else:
        link = p.resource_links.get(launch.resource_link_id, {})
        message.set_resource_link_claim(launch.resource_link_id, title=link.get("title"))
    message.set_extra_claims(extra)
    return message


def _link_line_item(p: Platform, launch: Launch) -> str | None:
    if launch.message_type == DEEP_LINKING:
        return None
    items = p.contexts[launch.context_id].line_items.values()
    return next((i["id"] for i in items
                 if i.get("resourceLinkId") == launch.resource_link_id), None)


def deep_linking_settings(p: Platform, launch: Launch) -> dict[str, Any]:
    claim = LtiDeepLinking(f"{p.url}/deep_links/{launch.id}") \
        .get_lti_deep_linking_launch_claim(
            "Add an activity", "Choose what to add to the course",
            accept_types={"ltiResourceLink"}, extra_data=launch.data)
    settings: dict[str, Any] = claim[DL + "deep_linking_settings"]
    settings.update(launch.deep_linking)
    return settings


def launch_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["launch"])

    @router.get("/jwks")
    async def jwks() -> Response:
        return JSONResponse({"keys": p.jwks()})

    @router.api_route("/authorize", methods=["GET", "POST"])
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(await read_form(request))
        launch = _authorization(p, params)
        response: Response = launch_message(p, launch, params).lti_launch()
        return response

    @router.get("/return")
    async def launch_return() -> Response:
        return PlainTextResponse("back at the platform")

    @router.post("/deep_links/{launch_id}")
    def deep_link_return(launch_id: str, form: FormData) -> Response:  # sync: fetches JWKS
        items = _deep_link_response(p, launch_id, form)
        return HTMLResponse(f"<!DOCTYPE html><html><body><p>received {len(items)} items</p>"
                            "</body></html>")

    return router


def _authorization(p: Platform, params: dict[str, str]) -> Launch:
    """The pending launch an OIDC authentication request finishes, if the request is good."""
    tool = p._tool()
    expected = {"response_type": "id_token", "response_mode": "form_post", "prompt": "none"}
    if "openid" not in params.get("scope", "").split():
        raise Refused(400, "scope must be openid")
    for name, value in expected.items():
        if params.get(name) != value:
            raise Refused(400, f"{name} must be {value}, not {params.get(name)!r}")
    if params.get("client_id") != tool.client_id:
        raise Refused(400, f"client_id {params.get('client_id')!r} is not the tool's")
    if params.get("redirect_uri") not in tool.redirect_uris:
        raise Refused(400, f"redirect_uri {params.get('redirect_uri')!r} is not registered")
    for name in ("nonce", "state"):
        if not params.get(name):
            raise Refused(400, f"{name} is missing")
    login_hint = params.get("login_hint", "")
    if login_hint not in p.users:
        raise Refused(400, f"login_hint {login_hint!r} is not a known user")
    launch = p._launches.get(params.get("lti_message_hint", ""))
    if launch is None:
        raise Refused(400, "lti_message_hint does not name a launch")
    if launch.user.sub != login_hint:
        raise Refused(400, "login_hint is not the user of this launch")
    return launch


def _deep_link_response(p: Platform, launch_id: str, form: dict[str, str],
                        ) -> list[dict[str, Any]]:
    """Accept a deep linking response: its content items, and a resource link (and line
    item, when it asks for one) for each ltiResourceLink."""
    tool = p._tool()
    launch = p._launches.get(launch_id)
    if launch is None or launch.message_type != DEEP_LINKING:
        raise Refused(400, "no deep linking request has this return URL")
    if "JWT" not in form:
        raise Refused(400, "the JWT form field is missing")
    settings = deep_linking_settings(p, launch)
    config = Config(p)
    config.set_accepted_deeplinking_types(settings["accept_types"])
    try:
        items = config.validate_deeplinking_resp(form)
    except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError,
            KeyError, TypeError, ValueError) as exc:
        raise Refused(400, f"deep linking response refused: {exc}") from None
    claims = jwt.decode(form["JWT"], options={"verify_signature": False})
    aud = claims.get("aud")
    checks = [
        (claims.get("iss") == tool.client_id, "iss must be the tool's client_id"),
        (p.issuer in (aud if isinstance(aud, list) else [aud]), "aud must be the issuer"),
        (claims.get(LTI + "deployment_id") == tool.deployment_id, "wrong deployment_id"),
        (claims.get(LTI + "version") == "1.3.0", "version must be 1.3.0"),
        (bool(claims.get("nonce")), "nonce is missing"),
        (claims.get(DL + "data") == settings.get("data"), "data is not the data sent"),
        (isinstance(items, list), "content_items must be a list"),
    ]
    for ok, reason in checks:
        if not ok:
            raise Refused(400, reason)
    if not settings.get("accept_multiple", True) and len(items) > 1:
        raise Refused(400, "more than one content item, and accept_multiple is false")
    context = p.contexts[launch.context_id]
    links = [item for item in items if item.get("type") == "ltiResourceLink"]
    for item in links:  # every column is checked before any is made
        if item.get("lineItem") is not None:
            check_line_item(_column(item))
    for item in links:
        link_id = f"dl-link-{len(p.resource_links) + 1}"
        p.resource_links[link_id] = {"context_id": context.id, "url": item.get("url"),
                                     "title": item.get("title"),
                                     "custom": item.get("custom") or {}}
        if item.get("lineItem") is not None:
            p._create_line_item(context, {**_column(item), "resourceLinkId": link_id})
    p.deep_link_items.extend(items)
    return items


def _column(item: dict[str, Any]) -> dict[str, Any]:
    """The line item a deep linking content item asks for."""
    line = item["lineItem"]
    if not isinstance(line, dict):
        raise Refused(400, "lineItem must be an object")
    return {"label": item.get("title"), **line}
