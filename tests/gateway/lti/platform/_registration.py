"""Dynamic registration: the platform's OpenID configuration and the registration endpoint
that checks a tool's request and makes it the platform's tool."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ._http import Refused
from ._model import DEEP_LINKING, RESOURCE_LINK, TOOL_CONFIGURATION, Tool

if TYPE_CHECKING:
    from ._platform import Platform


def registration_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["registration"])

    @router.get("/.well-known/openid-configuration")
    async def openid_configuration() -> Response:
        return JSONResponse(p.openid_configuration())

    @router.post("/register")
    async def register(request: Request) -> Response:
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        if kind.lower() != "bearer" or token not in p._registration_tokens:
            raise Refused(401, "a registration token the platform issued is required",
                          "invalid_token")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Refused(400, "the body is not JSON", "invalid_client_metadata") from None
        tool = _registered_tool(body)
        with p.lock:
            p._registration_tokens.discard(token)
            p.registrations.append(body)
            number = len(p.registrations)
            tool.client_id = f"registered-{number}-{secrets.token_hex(4)}"
            tool.deployment_id = f"deploy-registered-{number}"
            p.tool = tool
        answer = {**body, "client_id": tool.client_id,
                  TOOL_CONFIGURATION: {**body[TOOL_CONFIGURATION],
                                       "deployment_id": tool.deployment_id}}
        return JSONResponse(answer)

    return router


def _registered_tool(body: Any) -> Tool:
    """The tool a dynamic registration request describes; 400 naming the first bad field."""
    def need(ok: bool, name: str, why: str) -> None:
        if not ok:
            raise Refused(400, f"{name} {why}", "invalid_client_metadata")

    need(isinstance(body, dict), "the body", "must be a JSON object")
    need(body.get("application_type") == "web", "application_type", "must be web")
    need("id_token" in (body.get("response_types") or []), "response_types",
         "must include id_token")
    grants = body.get("grant_types") or []
    need("implicit" in grants and "client_credentials" in grants, "grant_types",
         "must include implicit and client_credentials")
    for name in ("initiate_login_uri", "client_name", "jwks_uri"):
        need(isinstance(body.get(name), str) and bool(body[name]), name, "is required")
    uris = body.get("redirect_uris")
    need(isinstance(uris, list) and bool(uris) and all(isinstance(u, str) for u in uris),
         "redirect_uris", "must be a non-empty list of URIs")
    need(body.get("token_endpoint_auth_method") == "private_key_jwt",
         "token_endpoint_auth_method", "must be private_key_jwt")
    need(isinstance(body.get("scope", ""), str), "scope", "must be a space-separated string")
    config = body.get(TOOL_CONFIGURATION)
    need(isinstance(config, dict), TOOL_CONFIGURATION, "is required")
    for name in ("domain", "target_link_uri"):
        need(isinstance(config.get(name), str) and bool(config[name]),
             f"{TOOL_CONFIGURATION} {name}", "is required")
    target = urlsplit(config["target_link_uri"])
    need(config["domain"] in (target.netloc, target.hostname),
         f"{TOOL_CONFIGURATION} domain", "must be the domain of target_link_uri")
    claims = config.get("claims", [])
    need(isinstance(claims, list) and all(isinstance(c, str) for c in claims),
         f"{TOOL_CONFIGURATION} claims", "must be a list of claim names")
    messages = config.get("messages", [])
    need(isinstance(messages, list)
         and all(isinstance(m, dict) and m.get("type") in (RESOURCE_LINK, DEEP_LINKING)
                 for m in messages),
         f"{TOOL_CONFIGURATION} messages", f"must be {RESOURCE_LINK} or {DEEP_LINKING} messages")
    deep_link_url = next((m.get("target_link_uri") for m in messages
                          if m["type"] == DEEP_LINKING), None)
    return Tool(login_url=body["initiate_login_uri"], launch_url=config["target_link_uri"],
                jwks_url=body["jwks_uri"], deep_link_url=deep_link_url,
                redirect_uris=list(uris), scopes=body.get("scope", "").split())
