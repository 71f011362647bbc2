"""The user's web browser in LTI launches: a cookie-keeping HTTP client that makes the hops
between the LMS and the tool one at a time (no redirect is followed on its own), so a test
can look at, or tamper with, each of them."""

from __future__ import annotations

import html
import http.cookiejar
import re
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from tests.gateway.lti.platform import Platform, User

__all__ = ["Browser", "Form", "LoginStep", "parse_form", "redirect_target"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_JS_REDIRECT = re.compile(r"""window\.location(?:\.href)?\s*=\s*(["'])(?P<url>[^"']+)\1""")


class _LoopbackIsSecure(http.cookiejar.DefaultCookiePolicy):
    """Browsers treat http://127.0.0.1 and localhost as secure contexts and send Secure
    cookies there (the tool's state cookie is Secure, SameSite=None); http.cookiejar not."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie,
                         request: urllib.request.Request) -> bool:
        if urlsplit(request.get_full_url()).hostname in _LOOPBACK:
            return True
        return bool(super().return_ok_secure(cookie, request))


@dataclass
class Form:
    """An HTML form: where it goes, how, and its fields."""

    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
        elif tag == "input" and self.form is not None and not self.done and a.get("name"):
            self.form.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            self.done = True


def parse_form(page: str, base_url: str = "") -> Form:
    """The first form of an HTML page, its action made absolute against ``base_url``."""
    parser = _FormParser()
    parser.feed(page)
    if parser.form is None:
        raise AssertionError(f"no form in the page: {page[:500]}")
    parser.form.action = urljoin(base_url, parser.form.action) or base_url
    return parser.form


def redirect_target(response: httpx.Response) -> str | None:
    """Where a response sends the browser: its Location, or a script's window.location."""
    if response.is_redirect:
        return urljoin(str(response.url), response.headers["location"])
    if "html" in response.headers.get("content-type", ""):
        found = _JS_REDIRECT.search(response.text)
        if found:
            return urljoin(str(response.url), html.unescape(found["url"]))
    return None


@dataclass
class LoginStep:
    """The tool's answer to a login initiation: a redirect to the platform's authorization
    endpoint (``authorize_url`` and its state, nonce, redirect_uri), or a cookie check page
    (``cookie_check``; go on with ``Browser.continue_login``)."""

    response: httpx.Response
    login_url: str
    login_params: dict[str, str]
    authorize_url: str | None = None
    authorize_params: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str | None:
        return self.authorize_params.get("state")

    @property
    def nonce(self) -> str | None:
        return self.authorize_params.get("nonce")

    @property
    def redirect_uri(self) -> str | None:
        return self.authorize_params.get("redirect_uri")

    @property
    def cookie_check(self) -> bool:
        return self.authorize_url is None and "lti1p3_new_window" in self.response.text


def _login_step(response: httpx.Response, url: str, params: dict[str, str]) -> LoginStep:
    target = redirect_target(response)
    if target is None:
        return LoginStep(response, url, params)
    return LoginStep(response, url, params, target, dict(parse_qsl(urlsplit(target).query)))


class Browser:
    """One user's browser: a sync ``httpx.Client`` (``client``) with a cookie jar."""

    def __init__(self, *, timeout: float = 10) -> None:
        self.jar = http.cookiejar.CookieJar(policy=_LoopbackIsSecure())
        self.client = httpx.Client(cookies=self.jar, follow_redirects=False, timeout=timeout,
                                   trust_env=False, event_hooks={"request": [self._cookies]})

    def _cookies(self, request: httpx.Request) -> None:
        # httpx copies the jar into one with the default policy for each request, so the
        # Cookie header is made again here with the jar's own policy.
        compat = urllib.request.Request(str(request.url), method=request.method)
        self.jar.add_cookie_header(compat)
        header = compat.get_header("Cookie")
        if header:
            request.headers["Cookie"] = header

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def login(self, platform: Platform, user: User, **login_kwargs: Any) -> LoginStep:
        """Send the platform's login initiation to the tool (``method="POST"`` for a form
        post) and stop at the tool's answer."""
        url, params = platform.login_initiation(user, **login_kwargs)
        if str(login_kwargs.get("method", "GET")).upper() == "POST":
            response = self.client.post(url, data=params)
        else:
            response = self.client.get(url, params=params)
        return _login_step(response, url, params)

    def continue_login(self, step: LoginStep) -> LoginStep:
        """Get past a cookie check page as its script does when cookies work: load the
        login URL again with the login parameters and lti1p3_new_window=1."""
        response = self.client.get(step.login_url,
                                   params={**step.login_params, "lti1p3_new_window": "1"})
        return _login_step(response, step.login_url, step.login_params)

    def authorize(self, step: LoginStep) -> httpx.Response:
        """Follow the tool's redirect to the platform's authorization endpoint; a good
        answer is the auto-posting form for the tool's redirect_uri."""
        if step.authorize_url is None:
            raise AssertionError(f"the tool's login answer is no redirect: "
                                 f"{step.response.status_code} {step.response.text[:500]}")
        return self.client.get(step.authorize_url)

    def launch(self, platform: Platform, user: User, **login_kwargs: Any) -> httpx.Response:
        """The whole launch: login initiation, the tool's redirect (through a cookie check
        page if it shows one), the platform's authorization, the form post to the tool.
        Returns the tool's answer to the launch."""
        step = self.login(platform, user, **login_kwargs)
        if step.cookie_check:
            step = self.continue_login(step)
        page = self.authorize(step)
        if page.status_code != 200:
            raise AssertionError(f"the platform refused the authorization: "
                                 f"{page.status_code} {page.text}")
        return self.submit_form(page)

    def post_launch(self, url: str, id_token: str, state: str) -> httpx.Response:
        """Post an id_token to the tool, as the platform's auto-posting form would."""
        return self.client.post(url, data={"id_token": id_token, "state": state})

    def submit_form(self, response: httpx.Response) -> httpx.Response:
        """Submit the first form of an HTML answer (the platform's launch form, the tool's
        deep linking response), as its script would."""
        form = parse_form(response.text, str(response.url))
        if form.method == "post":
            return self.client.post(form.action, data=form.fields)
        return self.client.get(form.action, params=form.fields)

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Go where a response redirects the browser (Location or window.location)."""
        target = redirect_target(response)
        if target is None:
            raise AssertionError(f"no redirect in {response.status_code} {response.text[:500]}")
        return self.client.get(target)
