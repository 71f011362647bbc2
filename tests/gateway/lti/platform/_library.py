"""lti1p3platform's abstract pieces, filled in for this platform: its registration (keys and
tool), request parameters, the OIDC login initiation and the launch form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import MessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LtiRequest
from lti1p3platform.request import TRequest

from ._http import auto_post_form

if TYPE_CHECKING:
    from ._platform import Platform


class _Registration(Registration):
    def __init__(self, kid: str) -> None:
        self._kid = kid

    def get_kid(self) -> str:  # the library would sign with no kid: jwcrypto PEMs carry none
        return self._kid


class Config(LTI1P3PlatformConfAbstract):
    """The library's view of the platform and its tool. Made afresh for each request: the
    library keeps a tool key set once fetched, and tool key rotation needs a fetch each time."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        super().__init__()
        self.get_registration()

    def init_platform_config(self, **kwargs: Any) -> None:
        pass

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        p = self.platform
        reg = _Registration(p.kid)
        reg.set_iss(p.issuer)
        reg.set_platform_private_key(p.private_pem.decode())
        reg.set_platform_public_key(p.public_pem.decode())
        if p.tool is not None:
            reg.set_client_id(p.tool.client_id)
            reg.set_deployment_id(p.tool.deployment_id)
            reg.set_launch_url(p.tool.launch_url)
            reg.set_deeplink_launch_url(p.tool.deep_link_url or p.tool.launch_url)
            reg.set_oidc_login_url(p.tool.login_url)
            reg.set_tool_key_set_url(p.tool.jwks_url)
        return reg


class Params(LtiRequest):
    def build_metadata(self, request: Any) -> TRequest:
        return {"method": "GET", "get_data": dict(request), "form_data": {}}


class LoginInitiation(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launcher(MessageLaunchAbstract):
    def __init__(self, request: LtiRequest, config: Config) -> None:
        super().__init__(request, config)
        self._registration = config.get_registration()

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> HTMLResponse:
        return HTMLResponse(auto_post_form(launch_data["launch_url"], {
            "id_token": launch_data["id_token"], "state": launch_data["state"]}))
