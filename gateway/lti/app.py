"""The tool's routes: OIDC login, launch, the tool's JWKS, the deep-linking picker, and
Dynamic Registration (:mod:`gateway.lti.dynamic`).

``lti_router(store, settings)`` is mounted by ``harbor serve`` outside ``/admin``: an LMS and
its users reach these without an API key; what authenticates them is the platform-signed
id_token. Every refusal answers an error page that says what was wrong and what to do, and
is logged with a reference the page shows.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jwt
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pylti1p3.exception import LtiException, OIDCException
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response

from gateway.lti import pages
from gateway.lti.adapters import ToolCookies, ToolRequest, ToolSession
from gateway.lti.config import LaunchRefused, PlatformKeys, ToolConf
from gateway.lti.configuration import JWKS_PATH, LAUNCH_PATH, LOGIN_PATH
from gateway.lti.contexts import Contexts
from gateway.lti.deep_linking import content_item, response_jwt
from gateway.lti.dynamic import registration_router
from gateway.lti.identity import IdentityLinks, match_class
from gateway.lti.keys import ToolKeys
from gateway.lti.launch import CLAIM, DL_CLAIM, ToolLaunch, ToolLogin
from gateway.lti.nrps import memberships, reconcile
from gateway.lti.platform_side import platform_router
from gateway.lti.registrations import Registration, Registrations
from gateway.lti.services import ServiceClient
from gateway.lti.storage import LaunchData, UsedNonces
from gateway.lti.views import activities, class_view, learner_view
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["lti_router"]

log = logging.getLogger("harbormaster.lti")

DEEP_LINK_PATH = "/lti/deep-link/{launch_id}"

_STAFF = ("#Instructor", "#Administrator", "#ContentDeveloper", "#TeachingAssistant",
          "#Mentor")
_COOKIES = ("Launch again from the LMS. If this repeats, the browser is blocking "
            "Harbormaster's cookies inside the LMS frame: open the tool in a new window, or "
            "allow third-party cookies for this site.")


def _hint(exc: Exception) -> tuple[str, int]:
    text = str(exc).lower()
    if "state" in text or "cookie" in text:
        return _COOKIES, 401
    if "deployment" in text:
        return ("Add this deployment id to the LMS's registration in Harbormaster "
                "(admin API or `harbor lti registrations`).", 403)
    if "registration" in text or "issuer" in text:
        return ("Register this LMS in Harbormaster (docs/lti.md).", 403)
    return ("Ask the LMS administrator to check the tool's LTI 1.3 registration.", 400)


def _who(req: ToolRequest | None) -> tuple[Any, Any, Any]:
    """Issuer, client id and deployment a refused request claims to come from, for the log
    (from the login's parameters, or the id_token's unverified body; never the token)."""
    if req is None:
        return None, None, None
    params = req.params
    token = params.get("id_token")
    if not token:
        return params.get("iss"), params.get("client_id"), params.get("lti_deployment_id")
    try:
        body = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None, None, None
    aud = body.get("aud")
    return (body.get("iss"), aud[0] if isinstance(aud, list) and aud else aud,
            body.get(CLAIM + "deployment_id"))


def is_staff(roles: list[Any]) -> bool:
    return any(isinstance(r, str) and r.endswith(_STAFF) for r in roles)


class _Tool:
    """The pieces every request needs, made once per router."""

    def __init__(self, store: Store, settings: Settings, platform_keys: PlatformKeys) -> None:
        self.store = store
        self.settings = settings
        self.registrations = Registrations(store.engine)
        self.keys = ToolKeys(store.engine, store.secrets)
        self.nonces = UsedNonces(store.engine)
        self.platform_keys = platform_keys
        self.identities = IdentityLinks(store.engine)
        self.contexts = Contexts(store.engine)

    def base_url(self, request: Request) -> str:
        return (self.settings.public_url or str(request.base_url)).rstrip("/")

    async def tool_request(self, request: Request) -> tuple[ToolRequest, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        base = self.base_url(request)
        return ToolRequest(params, request.cookies, base.startswith("https://")), base

    def parts(self, req: ToolRequest) -> tuple[ToolConf, ToolCookies, ToolSession, LaunchData]:
        return (ToolConf(self.registrations, self.keys), ToolCookies(req), ToolSession(req),
                LaunchData(self.store.engine, req.is_secure()))

    def refused(self, exc: Exception, what: str, req: ToolRequest | None) -> Response:
        if isinstance(exc, LaunchRefused):
            reason, hint, status = exc.reason, exc.hint, exc.status
        else:
            reason = str(exc) or type(exc).__name__
            hint, status = _hint(exc)
        reference = secrets.token_hex(4)
        iss, client_id, deployment = _who(req)
        log.warning("LTI %s refused [%s]: %s (iss=%s client_id=%s deployment=%s)", what,
                    reference, reason, iss, client_id, deployment)
        return pages.error_page(reason, hint, status, reference)

    async def guarded(self, what: str, req: ToolRequest,
                      work: Callable[[], Response]) -> Response:
        try:
            return await run_in_threadpool(work)
        except (LaunchRefused, LtiException, OIDCException) as exc:
            return self.refused(exc, what, req)
        except Exception:
            reference = secrets.token_hex(4)
            log.exception("LTI %s failed [%s]", what, reference)
            return pages.error_page("Harbormaster could not complete this request (an "
                                    "internal error)", "Try again in a moment; if it keeps "
                                    "failing, report the reference below.", 500, reference)

    def class_of(self, claims: dict[str, Any], registration: Registration) -> str | None:
        """The roster class of the launch's LMS course (by its LIS section id, else its
        label), or None when neither decides."""
        lis = claims.get(CLAIM + "lis") or {}
        context = claims.get(CLAIM + "context") or {}
        return match_class(self.store.engine, registration.tenant_id,
                           course_section_sourcedid=lis.get("course_section_sourcedid"),
                           context_label=context.get("label"))

    # -- the steps --------------------------------------------------------------------

    def login(self, req: ToolRequest, base: str) -> Response:
        target = req.get_param("target_link_uri")
        if target and urlsplit(target).netloc != urlsplit(base).netloc:
            raise LaunchRefused(f"target_link_uri {target!r} is not an address of this "
                                f"Harbormaster ({base})",
                                "Set the tool's target link URI in the LMS to "
                                f"{base}{LAUNCH_PATH}.")
        conf, cookies, session, storage = self.parts(req)
        login = ToolLogin(req, conf, session_service=session, cookie_service=cookies,
                          launch_data_storage=storage)
        if req.is_secure():
            login.enable_check_cookies()
        response: Response = login.redirect(base + LAUNCH_PATH)
        return response

    def launch(self, req: ToolRequest, base: str) -> Response:
        conf, cookies, session, storage = self.parts(req)
        launch = ToolLaunch(req, conf, session=session, cookies=cookies,
                            platform_keys=self.platform_keys, nonces=self.nonces)
        launch.set_launch_data_storage(storage)
        launch.validate()
        registration = conf.found
        assert registration is not None
        claims = launch.claims
        log.info("LTI launch: tenant=%s registration=%s deployment=%s message=%s sub=%s",
                 registration.tenant, registration.name, claims.get(CLAIM + "deployment_id"),
                 claims.get(CLAIM + "message_type"), claims.get("sub"))
        if claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest":
            return self.picker(launch, registration, base)
        return self.landing(claims, registration)

    def landing(self, claims: dict[str, Any], registration: Registration) -> Response:
        lis = claims.get(CLAIM + "lis") or {}
        context = claims.get(CLAIM + "context") or {}
        context_title = str(context.get("title") or context.get("label") or "")
        class_id = self.class_of(claims, registration)
        course = self.contexts.record(registration, claims, class_id)
        if is_staff(claims.get(CLAIM + "roles") or []):
            view = class_view(self.store.engine, registration.tenant_id, class_id) \
                if class_id else None
            if view is None:
                response = pages.unlinked_page(
                    context_title or "This course",
                    "This LMS course is not linked to a class in Harbormaster's roster yet.",
                    "The link is made when the LMS sends the class's SIS id (lis "
                    "course_section_sourcedid) or its course code matches one class's "
                    "classCode; ask the district's Harbormaster administrator.")
            else:
                response = pages.instructor_page(view)
            if course is not None and course.memberships_url:
                # An instructor's launch is the moment to check the LMS roster against the
                # district's: after the page is sent, so the launch does not wait for it.
                response.background = BackgroundTask(
                    self.roster_check, registration, course.memberships_url, class_id)
            return response
        link = self.identities.resolve(registration, sub=str(claims["sub"]),
                                       person_sourcedid=lis.get("person_sourcedid"),
                                       email=claims.get("email"), name=claims.get("name"))
        learner = learner_view(self.store.engine, registration.tenant_id,
                               link.user_sourced_id) if link.user_sourced_id else None
        if learner is None:
            return pages.unlinked_page(
                str(claims.get("name") or "Welcome"),
                "Harbormaster does not know you yet: your LMS account is not linked to a "
                "learner in the district's roster.",
                "Your district's administrator reviews unmatched accounts; nothing is "
                "shown until the link is confirmed.")
        return pages.learner_page(learner, context_title)

    async def roster_check(self, registration: Registration, memberships_url: str,
                           class_id: str | None) -> None:
        """Read the course's NRPS memberships and link each member (a best effort: a
        failure is logged, and the next instructor launch tries again)."""
        try:
            async with ServiceClient(self.keys) as services:
                members = await memberships(services, registration, memberships_url)
            result = await run_in_threadpool(reconcile, self.identities, registration,
                                             members, class_sourced_id=class_id)
        except Exception as exc:
            log.warning("LTI roster check of %s (registration %s) failed: %s",
                        memberships_url, registration.name, exc)
            return
        log.info("LTI roster check of %s (registration %s): %s", memberships_url,
                 registration.name, result.counts())

    def picker(self, launch: ToolLaunch, registration: Registration, base: str) -> Response:
        claims = launch.claims
        if not is_staff(claims.get(CLAIM + "roles") or []):
            raise LaunchRefused("only instructors can add Harbormaster activities to a "
                                "course", "Ask the course's instructor to add the activity.",
                                403)
        context = claims.get(CLAIM + "context") or {}
        class_id = self.class_of(claims, registration)
        items = activities(self.store.engine, registration.tenant_id, class_id)
        settings = claims.get(DL_CLAIM + "deep_linking_settings") or {}
        multiple = settings.get("accept_multiple") not in (False, "false")
        action = base + DEEP_LINK_PATH.format(launch_id=launch.get_launch_id())
        return pages.picker_page(action, items, str(context.get("title") or ""), multiple)

    def respond(self, req: ToolRequest, base: str, launch_id: str,
                chosen: list[str]) -> Response:
        _, _, _, storage = self.parts(req)
        if storage.get_session_cookie_name():
            session_id = req.get_cookie(f"lti1p3-{storage.get_session_cookie_name()}")
            if not session_id:
                raise LaunchRefused("the deep-linking session cookie is missing", _COOKIES,
                                    401)
            storage.set_session_id(session_id)
        claims = storage.pop_value(launch_id)
        if not isinstance(claims, dict) or claims.get(CLAIM + "message_type") \
                != "LtiDeepLinkingRequest":
            raise LaunchRefused("this activity picker has expired or was submitted already",
                                "Start again from the LMS's 'add activity' button.", 410)
        if not is_staff(claims.get(CLAIM + "roles") or []):
            raise LaunchRefused("only instructors can add Harbormaster activities", "", 403)
        aud = claims["aud"]
        registration = self.registrations.find(claims["iss"],
                                               aud[0] if isinstance(aud, list) else aud)
        if registration is None:
            raise LaunchRefused("the registration of this LMS was removed", "", 403)
        class_id = self.class_of(claims, registration)
        offered = {a.id: a for a in activities(self.store.engine, registration.tenant_id,
                                               class_id)}
        unknown = [c for c in chosen if c not in offered]
        if unknown or not chosen:
            raise LaunchRefused("choose at least one of the offered activities",
                                "Go back and pick an activity.", 400)
        items = [content_item(offered[c], base + LAUNCH_PATH) for c in chosen]
        token = response_jwt(request_claims=claims, client_id=registration.client_id,
                             items=items, key=self.keys.signing_key())
        settings = claims.get(DL_CLAIM + "deep_linking_settings") or {}
        log.info("LTI deep linking: tenant=%s registration=%s placed %s",
                 registration.tenant, registration.name, ", ".join(chosen))
        return pages.auto_post(str(settings["deep_link_return_url"]), {"JWT": token},
                               "Adding the activity to your course")


def lti_router(store: Store, settings: Settings, *,
               platform_keys: PlatformKeys | None = None) -> APIRouter:
    """The tool's public routes (see the module docstring), Dynamic Registration's
    included."""
    tool = _Tool(store, settings, platform_keys or PlatformKeys())
    router = APIRouter(tags=["LTI 1.3 tool"])
    router.include_router(registration_router(store, settings))
    router.include_router(platform_router(store, settings))  # vendor tools we launch

    @router.get(JWKS_PATH)
    def jwks() -> JSONResponse:
        """The tool's public keys (active, next during a rollover, recently retired)."""
        return JSONResponse(tool.keys.jwks(), headers={"Cache-Control": "max-age=300"})

    @router.api_route(LOGIN_PATH, methods=["GET", "POST"])
    async def login(request: Request) -> Response:
        """OIDC third-party initiated login (LTI 1.3 §5.1.1)."""
        req, base = await tool.tool_request(request)
        return await tool.guarded("login", req, lambda: tool.login(req, base))

    @router.post(LAUNCH_PATH)
    async def launch(request: Request) -> Response:
        """The platform's form post of the id_token: validate, then show the launch page
        (or the deep-linking picker)."""
        req, base = await tool.tool_request(request)
        return await tool.guarded("launch", req, lambda: tool.launch(req, base))

    @router.post(DEEP_LINK_PATH)
    async def deep_link(launch_id: str, request: Request) -> Response:
        """The picker's submission: sign the chosen items and post them to the LMS."""
        form = await request.form()
        chosen = [v for v in form.getlist("activity") if isinstance(v, str)]
        req, base = await tool.tool_request(request)
        return await tool.guarded("deep linking", req,
                                  lambda: tool.respond(req, base, launch_id, chosen))

    return router
