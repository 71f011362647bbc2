"""``harbor clients``: the vendors that read a district's data through the OneRoster API."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli_support import console, fail, minute, open_store
from gateway.errors import HarborError
from gateway.provider.auth import TOKEN_PATH
from gateway.store.clients import SHORT_NAMES, ProviderClients, Sharing

__all__ = ["clients_app"]

clients_app = typer.Typer(help="OneRoster API clients (vendors) and what each may read.",
                          no_args_is_help=True)


def _ids(text: str | None) -> frozenset[str] | None:
    return frozenset(v.strip() for v in text.split(",") if v.strip()) if text else None


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Argument(help="The vendor, e.g. 'reading-tool'.")],
    tenant: Annotated[str, typer.Option(help="The district (tenant slug) it reads.")],
    scope: Annotated[list[str], typer.Option(
        help=f"A OneRoster scope (repeatable): {', '.join(sorted(SHORT_NAMES))}.")],
    schools: Annotated[str | None, typer.Option(
        help="Only these schools (comma-separated sourcedIds); default: the whole district.")
    ] = None,
    classes: Annotated[str | None, typer.Option(help="Only these classes (sourcedIds).")
                       ] = None,
    grades: Annotated[str | None, typer.Option(help="Only these grades, e.g. 03,04,05.")
                      ] = None,
    demographics: Annotated[bool, typer.Option(
        help="Share demographics too (also needs the roster-demographics.readonly scope).")
    ] = False,
) -> None:
    """Register a vendor; its client id and secret are printed once."""
    try:
        sharing = Sharing(schools=_ids(schools), classes=_ids(classes), grades=_ids(grades),
                          demographics=demographics)
        with open_store() as store:
            clients = ProviderClients(store.engine, store.secrets)
            _, client_id, secret = clients.create(store.tenant(tenant).id, name, scope,
                                                       sharing)
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"created OneRoster client {name} for {tenant}", highlight=False)
    console.print(f"client_id:     {client_id}\nclient_secret: {secret}", highlight=False)
    console.print(f"token URL:     {TOKEN_PATH} (OAuth 2 client credentials)",
                  highlight=False)
    console.print("[yellow]Give the secret to the vendor over a secure channel now: it "
                  "cannot be shown again.[/yellow]", highlight=False)


@clients_app.command("list")
def clients_list(tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
                 ) -> None:
    """List clients, their scopes and what they may read (never secrets)."""
    with open_store() as store:
        tenant_id = store.tenant(tenant).id if tenant else None
        records = ProviderClients(store.engine, store.secrets).list(tenant_id)
    if not records:
        console.print("no OneRoster clients yet; add one with `harbor clients create`")
    for c in records:
        scopes = " ".join(sorted(s.rsplit("/", 1)[-1] for s in c.scopes))
        revoked = f"  [red]revoked {minute(c.revoked_at)}[/red]" if c.revoked else ""
        console.print(f"{c.client_id}  {c.name}  [dim]{c.tenant}; {scopes}; "
                      f"{_describe(c.sharing)}; last used "
                      f"{minute(c.last_used_at) or 'never'}[/dim]{revoked}",
                      highlight=False, soft_wrap=True)


def _describe(sharing: Sharing) -> str:
    parts = [f"{name} {', '.join(sorted(ids))}" for name, ids in
             (("schools", sharing.schools), ("classes", sharing.classes),
              ("grades", sharing.grades)) if ids is not None]
    scope = "; ".join(parts) if parts else "whole district"
    return scope + (", with demographics" if sharing.demographics else "")


@clients_app.command("revoke")
def clients_revoke(client_id: str) -> None:
    """Revoke a client at once; its tokens stop working."""
    with open_store() as store:
        if not ProviderClients(store.engine, store.secrets).revoke(client_id):
            console.print(f"[red]error:[/red] no active client {client_id!r}; see "
                          f"`harbor clients list`", highlight=False)
            raise typer.Exit(1)
    console.print(f"revoked {client_id}", highlight=False)


@clients_app.command("log")
def clients_log(client_id: str, limit: int = 50) -> None:
    """What a client read or wrote, newest first (for privacy audits)."""
    with open_store() as store:
        entries = ProviderClients(store.engine, store.secrets).access_log(client_id, limit)
    for e in entries:
        query = f"?{e.query}" if e.query else ""
        console.print(f"{e.at}  {e.method} {e.path}{query}  {e.status}  {e.records} "
                      f"record(s)", highlight=False, soft_wrap=True)
