"""The platform's side of a launch and of AGS calls, apart from HTTP: starting a launch
from a ticket, answering the tool's authentication request, and finding the context, line
item and learner an AGS call names, each scoped to the calling tool's tenant."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from gateway.lti.config import PlatformKeys
from gateway.lti.keys import ToolKeys
from gateway.lti.platform_side import roster
from gateway.lti.platform_side.launch import (
    LINEITEMS_PATH,
    check_authorization,
    id_token_form,
    login_url,
)
from gateway.lti.platform_side.line_items import LineItem, LineItems
from gateway.lti.platform_side.tickets import (
    HINT_LIFETIME,
    LaunchRefused,
    LaunchTickets,
    Subjects,
)
from gateway.lti.platform_side.tokens import Grant, Tokens
from gateway.lti.platform_side.tools import VendorTool, VendorTools
from gateway.lti.storage import UsedNonces
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["AUTHORIZE_PATH", "PREFIX", "TOKEN_PATH", "Platform", "launch_link",
           "lineitems_url"]

log = logging.getLogger("harbormaster.lti.platform")

PREFIX = "/lti/platform"
TOKEN_PATH = PREFIX + "/token"
AUTHORIZE_PATH = PREFIX + "/authorize"
_USED_TICKETS = "urn:harbormaster:lti-platform-launch-ticket"


class Platform:
    """What every platform route needs, made once per router."""

    def __init__(self, store: Store, settings: Settings, tool_keys: PlatformKeys) -> None:
        self.store, self.settings = store, settings
        self.tools = VendorTools(store.engine)
        self.keys = ToolKeys(store.engine, store.secrets)
        self.nonces = UsedNonces(store.engine)
        self.tickets = LaunchTickets(store)
        self.subjects = Subjects(store)
        self.line_items = LineItems(store.engine)
        self.tokens = Tokens(self.tools, self.keys, self.nonces, tool_keys)

    def issuer(self, request: Request) -> str:
        """Our issuer: HARBOR_PUBLIC_URL when set, else the address the request came in on
        (tools must see one address for launches and service calls alike)."""
        return (self.settings.public_url or str(request.base_url)).rstrip("/")

    # -- launching ------------------------------------------------------------------------

    def start(self, tool_name: str, class_id: str, ticket_token: str, issuer: str,
              secure: bool) -> Response:
        ticket = self.tickets.verify(ticket_token)
        tool = self.tools.get(ticket.tool_id)
        if tool is None or tool.name != tool_name or ticket.class_sourced_id != class_id:
            raise LaunchRefused("this launch ticket is for another tool or class",
                                "Use the launch link as Harbormaster made it.", 403)
        if not self.nonces.use(_USED_TICKETS, ticket.ticket_id, ticket.expires_at + 60):
            raise LaunchRefused("this launch ticket was used already (each one launches "
                                "once)", "Start the launch again from Harbormaster.", 401)
        self._member(tool, class_id, ticket.user_sourced_id)
        hint = self.tickets.hint(ticket)
        url = login_url(tool, issuer, self.keys.signing_key(), hint,
                        self.subjects.sub(tool.client_id, ticket.user_sourced_id))
        log.info("LTI platform launch: tenant=%s tool=%s class=%s", tool.tenant_id,
                 tool.name, class_id)
        response = RedirectResponse(url, status_code=302)
        # Binds the launch to this browser: the authorization needs the cookie back. Lax
        # suffices over http (the tool's redirect to us is a top-level GET); over https
        # None lets a tool that posts its authentication request work too.
        response.set_cookie(hint.cookie, hint.browser, max_age=HINT_LIFETIME,
                            path=PREFIX, httponly=True, secure=secure,
                            samesite="none" if secure else "lax")
        return response

    def _member(self, tool: VendorTool, class_id: str,
                user: str) -> tuple[roster.ClassContext, roster.Member]:
        with self.store.engine.connect() as conn:
            context = roster.class_context(conn, tool.tenant_id, class_id)
            person = roster.member(conn, tool.tenant_id, class_id, user) if context else None
        if context is None or person is None:
            raise LaunchRefused(f"user {user!r} is not enrolled in class {class_id!r} (or the "
                                f"class is gone)",
                                "A tool is launched for a member of the class only.", 403)
        return context, person

    def authorize(self, params: dict[str, str], cookies: dict[str, str],
                  issuer: str) -> Response:
        token = params.get("lti_message_hint")
        if not token:
            raise LaunchRefused("the authentication request has no lti_message_hint",
                                "The tool must send back the lti_message_hint of the "
                                "login initiation.")
        hint = self.tickets.open_hint(token, cookies)
        tool = self.tools.get(hint.tool_id)
        if tool is None:
            raise LaunchRefused("this tool is no longer registered", "", 403)
        sub = self.subjects.sub(tool.client_id, hint.user_sourced_id)
        check_authorization(tool, params, sub)
        context, person = self._member(tool, hint.class_sourced_id, hint.user_sourced_id)
        response = id_token_form(tool, issuer, self.keys.signing_key(), params, person, sub,
                                 context)
        response.delete_cookie(hint.cookie, path=PREFIX)
        return response

    # -- AGS --------------------------------------------------------------------------------

    def context(self, grant: Grant, class_id: str) -> str:
        with self.store.engine.connect() as conn:
            found = roster.class_context(conn, grant.tool.tenant_id, class_id)
        if found is None:
            raise LaunchRefused(f"no context {class_id!r} for this tool", "", 404)
        return found.sourced_id

    def item(self, grant: Grant, class_id: str, item_id: int) -> LineItem:
        found = self.line_items.get(grant.tool, self.context(grant, class_id), item_id)
        if found is None:
            raise LaunchRefused(f"no line item {item_id} of this tool in context "
                                f"{class_id!r}", "", 404)
        return found

    def learner(self, grant: Grant, class_id: str, sub: str) -> str:
        with self.store.engine.connect() as conn:
            candidates = roster.members(conn, grant.tool.tenant_id, class_id)
        user = self.subjects.user(grant.tool.client_id, sub, candidates)
        if user is None:
            raise LaunchRefused(f"userId {sub!r} is not a member of context {class_id!r} "
                                f"(use the sub of the learner's launch)", "", 400)
        return user


def lineitems_url(issuer: str, class_id: str) -> str:
    """The AGS line items container of a class (the URL the launch's AGS claim names)."""
    return issuer + LINEITEMS_PATH.format(context=quote(class_id, safe=""))


def launch_link(issuer: str, tool: VendorTool, class_id: str, ticket: str) -> str:
    """The URL that launches ``tool`` in ``class_id`` for the ticket's user."""
    return (f"{issuer}{PREFIX}/launch/{quote(tool.name, safe='')}?"
            f"{urlencode({'class': class_id, 'ticket': ticket})}")
