"""What carries a launch of a vendor tool from Harbormaster to the tool and back: the launch
ticket that starts it, the ``lti_message_hint`` that comes back to the authorization
endpoint, and the per-tool pseudonymous ``sub`` a learner has in the tool.

There is no end-user sign-in yet, so a launch starts from a **launch ticket**: an HS256 JWT
(HMAC-SHA256 under a key derived from the store's secret key with
``derive_key(b"lti-platform-launch")``) naming the tenant, the user's sourcedId, the class,
the tool and an expiry. It is made by the admin API (or by Harbormaster's own tool page for
the learner) and used once. The message hint is signed the same way under another audience
and bound to the browser that started the launch by a cookie.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time
from typing import Any

import jwt

from gateway.errors import ConfigError
from gateway.store.store import Store

__all__ = ["HINT_LIFETIME", "MAX_TICKET_LIFETIME", "TICKET_LIFETIME", "LaunchHint",
           "LaunchRefused", "LaunchTicket", "LaunchTickets", "Subjects"]

PURPOSE = b"lti-platform-launch"
ISSUER = "harbormaster"
TICKET_AUDIENCE = "harbormaster-lti-platform-ticket"
HINT_AUDIENCE = "harbormaster-lti-platform-hint"
TICKET_LIFETIME = 300
"""Seconds a ticket is good for by default: a click, not a bookmark."""
MAX_TICKET_LIFETIME = 3600
HINT_LIFETIME = 600
"""Seconds from the login initiation to the authorization request (the tool's login)."""


class LaunchRefused(ConfigError):
    """A launch step that cannot go on: what was wrong, what to do, and the HTTP status."""

    def __init__(self, reason: str, hint: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason, self.hint, self.status = reason, hint, status


@dataclasses.dataclass(frozen=True, slots=True)
class LaunchTicket:
    token: str = dataclasses.field(repr=False)
    ticket_id: str
    tenant_id: int
    user_sourced_id: str
    class_sourced_id: str
    tool_id: int
    expires_at: int


@dataclasses.dataclass(frozen=True, slots=True)
class LaunchHint:
    """The launch in progress, as the ``lti_message_hint`` carries it."""

    token: str = dataclasses.field(repr=False)
    hint_id: str
    tenant_id: int
    user_sourced_id: str
    class_sourced_id: str
    tool_id: int
    browser: str = dataclasses.field(repr=False)
    """The value of the launch cookie the browser must bring to the authorization."""

    @property
    def cookie(self) -> str:
        return f"hm_lti_launch_{self.hint_id}"


_AGAIN = "Start the launch again from Harbormaster (a new launch link)."


class LaunchTickets:
    """Signs and checks tickets and hints; one per store (the key comes from its secrets)."""

    def __init__(self, store: Store, *, clock: Any = time.time) -> None:
        self._key = store.secrets.derive_key(PURPOSE)
        self._clock = clock

    def _sign(self, audience: str, lifetime: int, **claims: Any) -> tuple[str, dict[str, Any]]:
        now = int(self._clock())
        body = {"iss": ISSUER, "aud": audience, "jti": secrets.token_urlsafe(12), "iat": now,
                "exp": now + lifetime, **claims}
        return jwt.encode(body, self._key, algorithm="HS256"), body

    def _open(self, token: str, audience: str, what: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=["HS256"], issuer=ISSUER, audience=audience,
                options={"require": ["iss", "aud", "jti", "exp", "tid", "user", "class",
                                     "tool"]},
                leeway=0)
        except jwt.ExpiredSignatureError:
            raise LaunchRefused(f"this {what} has expired", _AGAIN, 401) from None
        except jwt.InvalidTokenError:
            raise LaunchRefused(f"this is not a {what} Harbormaster made (or it was cut short "
                                f"when copied)", _AGAIN, 401) from None
        return claims

    def issue(self, tenant_id: int, tool_id: int, user_sourced_id: str,
              class_sourced_id: str, lifetime: int = TICKET_LIFETIME) -> LaunchTicket:
        if not 10 <= lifetime <= MAX_TICKET_LIFETIME:
            raise ConfigError(f"a launch ticket lasts between 10 and {MAX_TICKET_LIFETIME} "
                              f"seconds; {lifetime} asked")
        token, c = self._sign(TICKET_AUDIENCE, lifetime, tid=tenant_id, tool=tool_id,
                              user=user_sourced_id, **{"class": class_sourced_id})
        return LaunchTicket(token, c["jti"], tenant_id, user_sourced_id, class_sourced_id,
                            tool_id, c["exp"])

    def verify(self, token: str) -> LaunchTicket:
        c = self._open(token, TICKET_AUDIENCE, "launch ticket")
        return LaunchTicket(token, str(c["jti"]), int(c["tid"]), str(c["user"]),
                            str(c["class"]), int(c["tool"]), int(c["exp"]))

    def hint(self, ticket: LaunchTicket) -> LaunchHint:
        browser = secrets.token_urlsafe(18)
        token, c = self._sign(HINT_AUDIENCE, HINT_LIFETIME, tid=ticket.tenant_id,
                              tool=ticket.tool_id, user=ticket.user_sourced_id,
                              bid=hashlib.sha256(browser.encode()).hexdigest(),
                              **{"class": ticket.class_sourced_id})
        return LaunchHint(token, c["jti"], ticket.tenant_id, ticket.user_sourced_id,
                          ticket.class_sourced_id, ticket.tool_id, browser)

    def open_hint(self, token: str, cookies: dict[str, str]) -> LaunchHint:
        """The hint, if it is ours, unexpired, and the browser brings its launch cookie."""
        c = self._open(token, HINT_AUDIENCE, "launch (lti_message_hint)")
        hint = LaunchHint(token, str(c["jti"]), int(c["tid"]), str(c["user"]),
                          str(c["class"]), int(c["tool"]), "")
        browser = cookies.get(hint.cookie, "")
        if not hmac.compare_digest(hashlib.sha256(browser.encode()).hexdigest(),
                                   str(c.get("bid", ""))):
            raise LaunchRefused(
                "this browser did not start this launch (its launch cookie is missing)",
                "Start the launch again in this browser; if it repeats, the browser blocks "
                "Harbormaster's cookies: allow them for this site.", 401)
        return dataclasses.replace(hint, browser=browser)


class Subjects:
    """A learner's ``sub`` in a tool: HMAC-SHA256 of the tool's client id and the user's
    sourcedId, so it is stable per tool, differs between tools (they cannot join their
    records on it) and reveals nothing of the sourcedId."""

    def __init__(self, store: Store) -> None:
        self._key = store.secrets.derive_key(b"lti-platform-subject")

    def sub(self, client_id: str, user_sourced_id: str) -> str:
        mac = hmac.new(self._key, f"{client_id}\n{user_sourced_id}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def user(self, client_id: str, sub: str, candidates: list[str]) -> str | None:
        """Which of ``candidates`` (sourcedIds, e.g. a class's members) has ``sub``."""
        return next((u for u in candidates
                     if hmac.compare_digest(self.sub(client_id, u), sub)), None)
