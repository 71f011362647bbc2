"""Launching a vendor tool: the third-party initiated login Harbormaster sends the tool,
and the authorization endpoint that answers the tool's authentication request with a
signed id_token (LTI 1.3 §5.1, OIDC implicit flow with ``form_post``).

lti1p3platform builds the login URL (``OIDCLoginAbstract``) and the launch message
(``MessageLaunchAbstract``: base claims, user, context, resource link, extra claims, the
signature); what it leaves to us is which tool, user and class the launch is, and every
check of the tool's request.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import MessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LtiRequest
from lti1p3platform.request import TRequest
from starlette.responses import Response

from gateway.lti import pages
from gateway.lti.keys import ToolKey
from gateway.lti.platform_side.roster import ClassContext, Member
from gateway.lti.platform_side.tickets import LaunchHint, LaunchRefused
from gateway.lti.platform_side.tools import VendorTool

__all__ = ["AGS_SCOPES", "LINEITEMS_PATH", "check_authorization", "id_token_form",
           "login_url", "resource_link_id"]

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
_AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
AGS_SCOPES = (_AGS + "lineitem", _AGS + "lineitem.readonly", _AGS + "result.readonly",
              _AGS + "score")
"""What a tool may do in its contexts; no NRPS: tools get rosters over OneRoster."""
LINEITEMS_PATH = "/lti/platform/contexts/{context}/lineitems"
ID_TOKEN_LIFETIME = 300


class _Registration(Registration):  # type: ignore[misc]
    """lti1p3platform's registration of one tool, signing with our active key; the library
    would take the kid from the PEM, which carries none, so it is given here."""

    def __init__(self, kid: str) -> None:
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


class _Conf(LTI1P3PlatformConfAbstract):  # type: ignore[misc]
    def __init__(self, tool: VendorTool, issuer: str, key: ToolKey) -> None:
        self.tool, self.issuer, self.key = tool, issuer, key
        super().__init__()
        self.get_registration()

    def init_platform_config(self, **kwargs: Any) -> None:
        pass

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        private = serialization.load_pem_private_key(self.key.private_pem, password=None)
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        reg = _Registration(self.key.kid)
        reg.set_iss(self.issuer)
        reg.set_client_id(self.tool.client_id)
        reg.set_deployment_id(self.tool.deployment_id)
        reg.set_oidc_login_url(self.tool.login_url)
        reg.set_launch_url(self.tool.launch_url)
        reg.set_deeplink_launch_url(self.tool.deep_link_url or self.tool.launch_url)
        reg.set_tool_key_set_url(self.tool.jwks_url)
        reg.set_platform_private_key(self.key.private_pem.decode())
        reg.set_platform_public_key(public.decode())
        return reg


class _Params(LtiRequest):  # type: ignore[misc]
    def build_metadata(self, request: Any) -> TRequest:
        return {"method": "GET", "get_data": dict(request), "form_data": {}}


class _Login(OIDCLoginAbstract):  # type: ignore[misc]
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Message(MessageLaunchAbstract):  # type: ignore[misc]
    def __init__(self, request: LtiRequest, conf: _Conf) -> None:
        super().__init__(request, conf)
        self._registration = conf.get_registration()

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        return pages.auto_post(str(launch_data["launch_url"]),
                               {"id_token": launch_data["id_token"],
                                "state": launch_data["state"]},
                               f"Opening {kwargs.get('tool_name', 'the tool')}")


def resource_link_id(tool: VendorTool, class_id: str) -> str:
    """The resource link of the tool in a class: stable, opaque, one per (tool, class)."""
    return "hm-link-" + hashlib.sha256(f"{tool.client_id}\n{class_id}".encode()) \
        .hexdigest()[:24]


def login_url(tool: VendorTool, issuer: str, key: ToolKey, hint: LaunchHint,
              sub: str) -> str:
    """The tool's login initiation URL with ``iss``, ``login_hint`` (the user's sub),
    ``target_link_uri``, ``lti_message_hint``, ``client_id`` and ``lti_deployment_id``."""
    login = _Login(None, _Conf(tool, issuer, key))
    login.set_lti_message_hint(hint=hint.token)
    login.set_launch_url(tool.launch_url)
    url: str = login.initiate_login(sub)
    return url


def check_authorization(tool: VendorTool, params: dict[str, str], sub: str) -> None:
    """LaunchRefused unless ``params`` is an authentication request this tool may make
    for the user whose sub is ``sub`` (LTI 1.3 §5.1.1.2; the hint is checked before)."""
    expected = {"response_type": "id_token", "response_mode": "form_post",
                "prompt": "none"}
    fix = "The tool's LTI 1.3 login is not standard; report this to the tool's vendor."
    if "openid" not in params.get("scope", "").split():
        raise LaunchRefused("the authentication request's scope must include openid", fix)
    for name, value in expected.items():
        if params.get(name) != value:
            raise LaunchRefused(f"{name} must be {value!r}, not {params.get(name)!r}", fix)
    if params.get("client_id") != tool.client_id:
        raise LaunchRefused(f"client_id {params.get('client_id')!r} is not the client id of "
                            f"the tool {tool.name!r} this launch is for",
                            "Give the tool the client id Harbormaster assigned it.", 403)
    if params.get("redirect_uri") not in tool.redirect_uris:
        raise LaunchRefused(f"redirect_uri {params.get('redirect_uri')!r} is not one of the "
                            f"tool's registered launch URLs",
                            "Set the tool's launch URL in Harbormaster (admin API) to where "
                            "the tool takes its launches.", 403)
    for name in ("nonce", "state"):
        if not params.get(name):
            raise LaunchRefused(f"the authentication request has no {name}", fix)
    if params.get("login_hint") != sub:
        raise LaunchRefused("login_hint is not the user of this launch",
                            "Start the launch again from Harbormaster.", 403)


def id_token_form(tool: VendorTool, issuer: str, key: ToolKey, params: dict[str, str],
                  user: Member, sub: str, context: ClassContext) -> Response:
    """The auto-posting form carrying the signed id_token to the tool's redirect_uri."""
    message = _Message(_Params(params), _Conf(tool, issuer, key))
    message.set_launch_url(tool.launch_url)
    message.set_id_token_expiration(ID_TOKEN_LIFETIME)
    message.set_user_data(sub, user.roles, full_name=user.name)
    message.set_launch_context_claim(
        context.sourced_id, ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"],
        context.title, context.class_code or context.sourced_id)
    message.set_resource_link_claim(resource_link_id(tool, context.sourced_id),
                                    title=tool.name)
    message.set_launch_presentation_claim("window")
    names = {k: v for k, v in (("given_name", user.given_name),
                               ("family_name", user.family_name)) if v}
    message.set_extra_claims({
        **names,
        LTI + "tool_platform": {"guid": issuer, "name": "Harbormaster",
                                "product_family_code": "harbormaster", "version": "1"},
        AGS_CLAIM: {"scope": list(AGS_SCOPES),
                    "lineitems": issuer + LINEITEMS_PATH.format(
                        context=quote(context.sourced_id, safe=""))},
    })
    response: Response = message.lti_launch(tool_name=tool.name)
    return response
