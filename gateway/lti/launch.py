"""The OIDC login and the launch, on pylti1p3, with the checks the library leaves out.

pylti1p3 checks state, registration, deployment, signature and the message shape. On top
of it :class:`ToolLaunch`:

- names every missing or wrong claim (version, message type, deployment, ``sub``, roles,
  resource link, deep-linking settings) before anything else, so the error page says which;
- verifies the signature only with RS256 and a ``kid`` the platform publishes, fetching its
  key set again when it rotated (:class:`~gateway.lti.config.PlatformKeys`);
- verifies ``iss``, ``aud`` (and ``azp`` when there are several audiences), ``exp`` and
  ``iat`` with a clock-skew leeway, and refuses a token issued too long ago;
- accepts a nonce only if this tool's login issued it, and only once per issuer
  (:class:`~gateway.lti.storage.UsedNonces`), checked after the signature so that forged
  tokens cannot burn nonces.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from jwcrypto.jwk import JWK
from pylti1p3.cookies_allowed_check import CookiesAllowedCheckPage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from starlette.responses import HTMLResponse, Response

from gateway.lti.adapters import ToolCookies, ToolRedirect, ToolRequest, ToolSession
from gateway.lti.config import LaunchRefused, PlatformKeys, ToolConf
from gateway.lti.storage import UsedNonces

__all__ = ["CLAIM", "DL_CLAIM", "LEEWAY", "MAX_AGE", "ToolLaunch", "ToolLogin"]

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LEEWAY = 60
"""Seconds of clock difference tolerated between the LMS and us (exp, iat)."""
MAX_AGE = 3600
"""A launch's id_token is used within seconds of being issued; older than this is refused."""
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")

_ASK_LMS = "Ask the LMS administrator to check the tool's LTI 1.3 registration."


class ToolLogin(OIDCLogin[ToolRequest, ToolConf, ToolSession, ToolCookies, Response]):
    """Third-party initiated login: answers the LMS with a redirect to its authorization
    endpoint (state in a cookie, nonce in the launch-data storage)."""

    def get_redirect(self, url: str) -> ToolRedirect:
        return ToolRedirect(url, self._cookie_service)

    def get_response(self, html: str) -> Response:
        return self._cookie_service.apply(HTMLResponse(html))

    def get_cookies_allowed_js_check(self) -> Response:
        protocol, params = self.get_cookies_allowed_js_check_params()
        page = CookiesAllowedCheckPage(params, protocol, self._cookies_unavailable_msg_main_text,
                                       self._cookies_unavailable_msg_click_text,
                                       self._cookies_check_loading_text)
        return HTMLResponse(page.get_html())


def _refuse(reason: str, hint: str = _ASK_LMS, status: int = 400) -> LaunchRefused:
    return LaunchRefused(reason, hint, status)


class ToolLaunch(MessageLaunch[ToolRequest, ToolConf, ToolSession, ToolCookies]):
    """One launch: ``validate()`` either passes every check or raises LaunchRefused (or
    one of pylti1p3's exceptions, which the route turns into the same kind of page)."""

    def __init__(self, request: ToolRequest, conf: ToolConf, *, session: ToolSession,
                 cookies: ToolCookies, platform_keys: PlatformKeys, nonces: UsedNonces,
                 leeway: int = LEEWAY, max_age: int = MAX_AGE) -> None:
        super().__init__(request, conf, session_service=session, cookie_service=cookies)
        self.platform_keys = platform_keys
        self.nonces = nonces
        self.leeway = leeway
        self.max_age = max_age

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self._get_jwt_body())

    def validate(self) -> ToolLaunch:
        if self._restored:
            raise _refuse("a restored launch cannot be validated again")
        self._validated = True
        try:
            self.validate_state().validate_jwt_format()
            self.validate_claims()
            (self.validate_registration().validate_jwt_signature().validate_deployment()
             .validate_message().validate_nonce().save_launch_data())
        except Exception:
            self._validated = False
            raise
        return self

    def validate_claims(self) -> ToolLaunch:
        header = self._jwt.get("header") or {}
        body: dict[str, Any] = dict(self._jwt.get("body") or {})
        if header.get("alg") != "RS256":
            raise _refuse(f"the id_token is signed with {header.get('alg')!r}; LTI 1.3 "
                          f"requires RS256")
        if not header.get("kid"):
            raise _refuse("the id_token header has no kid, so the platform key that signed "
                          "it cannot be found")
        for claim in ("iss", "aud", "nonce"):
            if not body.get(claim):
                raise _refuse(f"the id_token has no {claim!r} claim")
        version = body.get(CLAIM + "version")
        if version != "1.3.0":
            raise _refuse(f"the launch says LTI version {version!r}; Harbormaster speaks "
                          f"LTI 1.3.0 (claim {CLAIM}version)")
        message_type = body.get(CLAIM + "message_type")
        if not message_type:
            raise _refuse(f"the launch has no message type (claim {CLAIM}message_type)")
        if message_type not in MESSAGE_TYPES:
            raise _refuse(f"message type {message_type!r} is not one Harbormaster accepts "
                          f"({', '.join(MESSAGE_TYPES)})")
        if not body.get(CLAIM + "deployment_id"):
            raise _refuse(f"the launch has no deployment id (claim {CLAIM}deployment_id)")
        if not body.get("sub"):
            raise _refuse("the launch has no user (claim sub); Harbormaster does not accept "
                          "anonymous launches")
        if not isinstance(body.get(CLAIM + "roles"), list):
            raise _refuse(f"the launch has no roles list (claim {CLAIM}roles)")
        if message_type == "LtiResourceLinkRequest":
            link = body.get(CLAIM + "resource_link")
            if not isinstance(link, dict) or not link.get("id"):
                raise _refuse(f"the launch has no resource link id (claim "
                              f"{CLAIM}resource_link.id)")
        else:
            settings = body.get(DL_CLAIM + "deep_linking_settings")
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise _refuse(f"the deep-linking request has no return URL (claim "
                              f"{DL_CLAIM}deep_linking_settings.deep_link_return_url)")
        return self

    def get_public_key(self) -> tuple[str, str]:
        assert self._registration is not None
        url = self._registration.get_key_set_url()
        assert url is not None
        kid = str((self._jwt.get("header") or {}).get("kid"))
        jwk = self.platform_keys.key(url, kid)
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("kty") != "RSA":
            raise _refuse(f"the platform's key {kid!r} is not an RS256 RSA key")
        try:
            pem = JWK.from_json(json.dumps(jwk)).export_to_pem()
        except (ValueError, TypeError):
            raise _refuse(f"the platform's key {kid!r} at {url} cannot be read") from None
        return pem.decode(), "RS256"

    def validate_jwt_signature(self) -> ToolLaunch:
        assert self._registration is not None
        client_id = self._registration.get_client_id()
        issuer = self._registration.get_issuer()
        public_key, _ = self.get_public_key()
        now = time.time()
        try:
            body = jwt.decode(self._get_id_token(), public_key, algorithms=["RS256"],
                              audience=client_id, issuer=issuer, leeway=self.leeway,
                              options={"require": ["exp", "iat", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise _refuse("the id_token has expired (exp is past, beyond the allowed "
                          f"{self.leeway} s of clock difference)",
                          "Launch again from the LMS; if it keeps failing, check the clocks "
                          "of the LMS and Harbormaster (NTP).", 401) from None
        except jwt.ImmatureSignatureError:
            raise _refuse("the id_token is issued in the future (iat is later than now "
                          f"plus {self.leeway} s)",
                          "Check the clocks of the LMS and Harbormaster (NTP).", 401) from None
        except jwt.InvalidAudienceError:
            raise _refuse(f"the id_token is not addressed to this tool (aud does not hold "
                          f"client id {client_id!r})", status=401) from None
        except jwt.InvalidIssuerError:
            raise _refuse(f"the id_token's issuer is not {issuer!r}", status=401) from None
        except jwt.InvalidSignatureError:
            raise _refuse("the id_token's signature does not verify with the platform's "
                          "published key; it was altered or signed with another key",
                          status=401) from None
        except jwt.MissingRequiredClaimError as exc:
            raise _refuse(f"the id_token has no {exc.claim!r} claim", status=401) from None
        except jwt.InvalidTokenError as exc:
            raise _refuse(f"the id_token is not valid: {exc}", status=401) from None
        if float(body["iat"]) < now - self.max_age - self.leeway:
            raise _refuse(f"the id_token was issued more than {self.max_age} s ago",
                          "Launch again from the LMS; check its clock if this persists.",
                          401)
        audiences = body["aud"] if isinstance(body["aud"], list) else [body["aud"]]
        azp = body.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != client_id:
            raise _refuse(f"the id_token's authorized party (azp) {azp!r} is not this "
                          f"tool's client id {client_id!r}", status=401)
        return self

    def validate_nonce(self) -> ToolLaunch:
        body: dict[str, Any] = dict(self._jwt.get("body") or {})
        nonce = str(body.get("nonce") or "")
        if not self._session_service.check_nonce(nonce):
            raise _refuse("the id_token's nonce was not issued by this tool's login step "
                          "(or the login is more than an hour old)",
                          "Launch again from the LMS. If this repeats, the browser may be "
                          "blocking Harbormaster's cookies inside the LMS frame.", 401)
        expires = float(body.get("exp") or time.time()) + self.leeway
        if not self.nonces.use(str(body["iss"]), nonce, expires):
            raise _refuse("this launch was used already (its nonce was seen before); a "
                          "replayed launch is refused",
                          "Launch again from the LMS: every launch must be new.", 401)
        return self
