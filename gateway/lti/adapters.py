"""pylti1p3's framework adapters for FastAPI: request, cookies, session and redirect.

pylti1p3 is synchronous and ships adapters for Django and Flask only. A route reads the
form first (async), builds a :class:`ToolRequest` from what it read, and runs the library
in the thread pool; cookies the library sets are collected by :class:`ToolCookies` and
written onto whatever response the route returns.

Cookies are ``SameSite=None; Secure; Partitioned`` when the tool is served over HTTPS, so
they survive the LMS's cross-site form post and work inside its iframe (CHIPS); over plain
HTTP (a developer's machine) browsers refuse ``SameSite=None`` without ``Secure``, so they
are left to the browser's default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pylti1p3.cookie import CookieService
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from starlette.responses import HTMLResponse, RedirectResponse, Response

__all__ = ["ToolCookies", "ToolRedirect", "ToolRequest", "ToolSession"]


class ToolRequest(Request):
    """What the library may ask of a request: its parameters, cookies, and scheme."""

    def __init__(self, params: Mapping[str, str], cookies: Mapping[str, str],
                 secure: bool) -> None:
        self._params = dict(params)
        self._cookies = dict(cookies)
        self._secure = secure

    @property
    def params(self) -> Mapping[str, str]:
        return self._params

    @property
    def session(self) -> dict[str, Any]:
        # Everything the library keeps goes to the database storage (LaunchData), never
        # to a framework session.
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")

    def get_cookie(self, key: str) -> str | None:
        return self._cookies.get(key)


class ToolCookies(CookieService):
    """Reads the request's ``lti1p3-…`` cookies; collects the ones to set."""

    def __init__(self, request: ToolRequest) -> None:
        self._request = request
        self.pending: dict[str, tuple[str, int | None]] = {}

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self._request.get_cookie(self._key(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.pending[self._key(name)] = (str(value), exp)

    def apply(self, response: Response) -> Response:
        secure = self._request.is_secure()
        for key, (value, max_age) in self.pending.items():
            response.set_cookie(key, value, max_age=max_age, path="/", httponly=True,
                                secure=secure, samesite="none" if secure else "lax")
            if secure:
                # Starlette sets Partitioned only on Python 3.14 (http.cookies); add it here.
                name, header = response.raw_headers[-1]
                response.raw_headers[-1] = (name, header + b"; Partitioned")
        return response


class ToolSession(SessionService):
    """pylti1p3's session service; its data storage is set to :class:`LaunchData`."""


class ToolRedirect(Redirect[Response]):
    """A redirect carrying the cookies the login step set."""

    def __init__(self, location: str, cookies: ToolCookies) -> None:
        self._location = location
        self._cookies = cookies

    def do_redirect(self) -> Response:
        return self._cookies.apply(RedirectResponse(self._location, status_code=302))

    def do_js_redirect(self) -> Response:
        # As data in the script, with "<" escaped so no "</script>" can close it.
        target = json.dumps(self._location).replace("<", "\\u003c")
        page = f"<script>window.location = {target};</script>"
        return self._cookies.apply(HTMLResponse(page))

    def set_redirect_url(self, location: str) -> None:
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location
