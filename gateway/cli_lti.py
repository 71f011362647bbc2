"""``harbor lti``: the LMSs that may launch Harbormaster (LTI 1.3 registrations), the link
that registers one by itself (Dynamic Registration), and the tool's signing keys."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer

from gateway.cli_support import console, fail, minute, open_store
from gateway.errors import ConfigError, HarborError
from gateway.lti.configuration import CLAIMS, SCOPES, ToolUrls, canvas_configuration
from gateway.lti.identity import IdentityLinks
from gateway.lti.keys import ToolKeys
from gateway.lti.links import RegistrationLinks
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.settings import get_settings
from gateway.store.store import Store

__all__ = ["lti_app"]

lti_app = typer.Typer(help="LTI 1.3: LMS registrations and the tool's keys.",
                      no_args_is_help=True)
registrations_app = typer.Typer(help="The LMSs (platforms) that may launch Harbormaster.",
                                no_args_is_help=True)
keys_app = typer.Typer(help="The tool's signing keys (published at /.well-known/jwks.json).",
                       no_args_is_help=True)
identities_app = typer.Typer(help="LMS users the identity rules could not link to the "
                                  "roster, and their resolution.", no_args_is_help=True)
lti_app.add_typer(registrations_app, name="registrations")
lti_app.add_typer(keys_app, name="keys")
lti_app.add_typer(identities_app, name="identities")

TenantOption = Annotated[str, typer.Option(help="Tenant (district) slug.")]
BaseUrlOption = Annotated[str | None, typer.Option(
    help="The address LMSs reach Harbormaster at; default HARBOR_PUBLIC_URL.")]


def _urls(base_url: str | None) -> ToolUrls:
    base = base_url or get_settings().public_url
    if not base:
        raise ConfigError("the address LMSs reach Harbormaster at is not known here: set "
                          "HARBOR_PUBLIC_URL (e.g. https://harbor.district.example) or pass "
                          "--base-url")
    return ToolUrls.at(base)


def _find(store: Store, tenant: str, registration: str) -> Registration:
    """A registration of ``tenant`` by id or name."""
    tenant_id = store.tenant(tenant).id
    registrations = Registrations(store.engine)
    found = (registrations.get(int(registration)) if registration.isdigit()
             else registrations.by_name(tenant_id, registration))
    if found is None or found.tenant_id != tenant_id:
        raise ConfigError(f"no LTI registration {registration!r} in tenant {tenant!r}; see "
                          f"`harbor lti registrations list --tenant {tenant}`")
    return found


def _print(r: Registration) -> None:
    deployments = ", ".join(r.deployment_ids) or "no deployments"
    product = (r.platform or {}).get("product_family_code")
    via = f"{r.source}, {product}" if product else r.source
    console.print(f"{r.id}  {r.tenant}/{r.name}  {r.issuer}  client {r.client_id}  "
                  f"[dim]{deployments}; {via}; added {minute(r.created_at)}[/dim]",
                  highlight=False, soft_wrap=True)


@registrations_app.command("list")
def registrations_list(tenant: Annotated[str | None, typer.Option(
        help="Only this tenant.")] = None) -> None:
    """List registrations: issuer, client id, deployments."""
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id if tenant else None
            found = Registrations(store.engine).list(tenant_id)
    except HarborError as exc:
        raise fail(exc) from None
    if not found:
        console.print("no LTI registrations yet; make a Dynamic Registration link with "
                      "`harbor lti register-url --tenant TENANT`, or add one by hand with "
                      "`harbor lti registrations add`", highlight=False, soft_wrap=True)
    for registration in found:
        _print(registration)


@registrations_app.command("add")
def registrations_add(
    name: Annotated[str, typer.Argument(help="A short name, e.g. canvas-production.")],
    tenant: TenantOption,
    issuer: Annotated[str, typer.Option(help="The platform's issuer (iss).")],
    client_id: Annotated[str, typer.Option(help="The client id the LMS gave the tool.")],
    login_url: Annotated[str, typer.Option(help="The platform's OIDC authorization URL.")],
    token_url: Annotated[str, typer.Option(help="The platform's OAuth 2 token URL.")],
    keyset_url: Annotated[str, typer.Option(help="The platform's public keyset (JWKS) URL.")],
    audience: Annotated[str | None, typer.Option(
        help="The aud of token requests, if not the token URL (D2L).")] = None,
    deployment: Annotated[list[str] | None, typer.Option(
        help="A deployment id (repeatable).")] = None,
) -> None:
    """Register an LMS by hand, from the values its tool page shows."""
    data = RegistrationInput(name=name, issuer=issuer, client_id=client_id,
                             auth_login_url=login_url, auth_token_url=token_url,
                             key_set_url=keyset_url, auth_audience=audience,
                             deployment_ids=tuple(deployment or ()))
    try:
        with open_store() as store:
            registration = Registrations(store.engine).add(store.tenant(tenant).id, data)
    except HarborError as exc:
        raise fail(exc) from None
    console.print("registered:", highlight=False)
    _print(registration)


@registrations_app.command("add-deployment")
def registrations_add_deployment(
    registration: Annotated[str, typer.Argument(help="Registration id or name.")],
    deployment_id: Annotated[str, typer.Argument(help="The deployment id the LMS shows.")],
    tenant: TenantOption,
) -> None:
    """Accept launches from another deployment of the tool in that LMS."""
    try:
        with open_store() as store:
            found = _find(store, tenant, registration)
            updated = Registrations(store.engine).add_deployment(found, deployment_id.strip())
    except HarborError as exc:
        raise fail(exc) from None
    _print(updated)


@registrations_app.command("remove")
def registrations_remove(
    registration: Annotated[str, typer.Argument(help="Registration id or name.")],
    tenant: TenantOption,
) -> None:
    """Forget a registration: that LMS's launches are refused from now on."""
    try:
        with open_store() as store:
            found = _find(store, tenant, registration)
            Registrations(store.engine).remove(found)
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"removed {found.tenant}/{found.name} ({found.issuer}, client "
                  f"{found.client_id})", highlight=False)


@lti_app.command("register-url")
def register_url(
    tenant: TenantOption,
    name: Annotated[str | None, typer.Option(
        help="Name for the registration; default <product>-<LMS host>.")] = None,
    hours: Annotated[int, typer.Option(help="How long the link works (at most 168).")] = 24,
    base_url: BaseUrlOption = None,
) -> None:
    """Print a Dynamic Registration link: paste it into the LMS to register it for TENANT."""
    try:
        urls = _urls(base_url)
        with open_store() as store:
            link = RegistrationLinks(store).issue(store.tenant(tenant), name=name,
                                                  lifetime=timedelta(hours=hours))
    except HarborError as exc:
        raise fail(exc) from None
    print(urls.registration_link(link.token))  # alone, unwrapped: for copying
    console.print(f"[dim]registers one LMS for tenant {tenant}, once, until "
                  f"{link.expires_at:%Y-%m-%d %H:%M} UTC; anyone holding it can, so send it "
                  f"only to the LMS administrator[/dim]", highlight=False, soft_wrap=True)


@lti_app.command("tool-config")
def tool_config(
    base_url: BaseUrlOption = None,
    canvas_json: Annotated[bool, typer.Option(
        "--canvas-json", help="Print only the Canvas developer-key JSON.")] = False,
) -> None:
    """The values to paste into an LMS to register Harbormaster by hand."""
    try:
        urls = _urls(base_url)
    except HarborError as exc:
        raise fail(exc) from None
    if canvas_json:
        print(json.dumps(canvas_configuration(urls), indent=2))
        return
    for label, value in (("Login (OIDC initiation) URL", urls.login),
                         ("Launch / redirect URL", urls.launch),
                         ("Deep linking URL", urls.launch),
                         ("Public keyset (JWKS) URL", urls.jwks),
                         ("Domain", urls.domain),
                         ("Canvas JSON URL", urls.canvas_config)):
        console.print(f"{label + ':':30} {value}", highlight=False, soft_wrap=True)
    console.print(f"{'Claims:':30} {' '.join(CLAIMS)}", highlight=False)
    console.print("Scopes:", highlight=False)
    for scope in SCOPES:
        console.print(f"  {scope}", highlight=False, soft_wrap=True)


@keys_app.command("list")
def keys_list() -> None:
    """The signing keys and their states (never private material)."""
    with open_store() as store:
        tool_keys = ToolKeys(store.engine, store.secrets)
        published = {key.kid for key in tool_keys.published()}
        found = tool_keys.list()
    for key in found:
        when = {"active": key.activated_at, "retired": key.retired_at}.get(key.state,
                                                                          key.created_at)
        shown = "published" if key.kid in published else "no longer published"
        console.print(f"{key.kid}  {key.state:8} {shown}  [dim]since {minute(when)}[/dim]",
                      highlight=False)


@keys_app.command("prepare")
def keys_prepare() -> None:
    """Publish the next key; rotate a day later, when every LMS has fetched it."""
    with open_store() as store:
        key = ToolKeys(store.engine, store.secrets).prepare()
    console.print(f"next key {key.kid} is published; run `harbor lti keys rotate` once LMSs "
                  f"have refreshed their copy of the key set (wait a day)", highlight=False)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Sign with the next key (made now if none was prepared) and retire the active one."""
    with open_store() as store:
        tool_keys = ToolKeys(store.engine, store.secrets)
        prepared = any(key.state == "next" for key in tool_keys.list())
        key = tool_keys.rotate()
    console.print(f"key {key.kid} signs now; the previous key stays published for two days",
                  highlight=False)
    if not prepared:
        console.print("[yellow]no key had been prepared: an LMS that cached the old key set "
                      "may refuse the first deep-linking responses and grade calls until it "
                      "fetches the new one[/yellow]", highlight=False)


@identities_app.command("list")
def identities_list(tenant: TenantOption) -> None:
    """LMS users waiting for review: unmatched, or in conflict (with the candidates)."""
    try:
        with open_store() as store:
            found = IdentityLinks(store.engine).for_review(store.tenant(tenant).id)
    except HarborError as exc:
        raise fail(exc) from None
    if not found:
        console.print("nothing to review: every LMS user seen so far is linked",
                      highlight=False)
    for link in found:
        who = ", ".join(v for v in (link.name, link.email, link.person_sourcedid) if v)
        console.print(f"{link.id}  {link.status}  LMS user {link.sub}  [dim]{who}; "
                      f"{link.detail or ''}[/dim]", highlight=False, soft_wrap=True)


@identities_app.command("confirm")
def identities_confirm(
    link_id: Annotated[int, typer.Argument(help="The id `harbor lti identities list` shows.")],
    user: Annotated[str, typer.Argument(help="The roster user's sourcedId.")],
    tenant: TenantOption,
) -> None:
    """Decide which roster user an LMS user is."""
    try:
        with open_store() as store:
            links = IdentityLinks(store.engine)
            ours = {r.id for r in Registrations(store.engine).list(store.tenant(tenant).id)}
            link = links.by_id(link_id)
            if link is None or link.registration_id not in ours:
                raise ConfigError(f"no identity link {link_id} in tenant {tenant!r}; see "
                                  f"`harbor lti identities list --tenant {tenant}`")
            link = links.confirm(link_id, user)
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"LMS user {link.sub} is {link.user_sourced_id} (confirmed)", highlight=False)
