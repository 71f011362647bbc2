"""``harbor keys``: make, list and revoke the API keys of the admin API."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli_support import console, fail, minute, open_store
from gateway.errors import HarborError
from gateway.store.keys import ApiKeys

__all__ = ["keys_app"]

keys_app = typer.Typer(help="API keys for the admin API.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who or what uses the key, e.g. 'sis-team'.")],
    tenant: Annotated[str | None, typer.Option(
        help="Limit the key to this tenant; without it the key administers every tenant.")
    ] = None,
) -> None:
    """Make a key; its token is printed once and cannot be shown again."""
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id if tenant is not None else None
            record, token = ApiKeys(store.engine).create(name, tenant_id)
    except HarborError as exc:
        raise fail(exc) from None
    scope = f"tenant {tenant}" if tenant is not None else "every tenant (operator key)"
    console.print(f"created key {record.client_id} ({name}) for {scope}", highlight=False)
    console.print(token, highlight=False, soft_wrap=True)
    console.print("[yellow]Store this token now, in a password manager or secret store: it "
                  "is not saved and cannot be shown again.[/yellow] For OAuth2, the client id "
                  "is the part before the dot, the client secret the part after it.",
                  highlight=False)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    with open_store() as store:
        records = ApiKeys(store.engine).list()
    if not records:
        console.print("no API keys yet; make one with `harbor keys create NAME`")
        return
    for k in records:
        scope = f"tenant {k.tenant}" if k.tenant else "every tenant (operator)"
        used = minute(k.last_used_at) or "never"
        revoked = f"  [red]revoked {minute(k.revoked_at)}[/red]" if k.revoked else ""
        console.print(f"{k.client_id}  {k.name}  [dim]{scope}, created "
                      f"{minute(k.created_at)}, last used {used}[/dim]{revoked}",
                      highlight=False, soft_wrap=True)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id, hmk_... as `harbor keys list` "
                                               "shows it.")],
) -> None:
    """Revoke a key at once; access tokens obtained with it stop working too."""
    key_id = key_id.partition(".")[0]  # a whole token pasted: never echo its secret half
    with open_store() as store:
        keys = ApiKeys(store.engine)
        record = keys.get(key_id)
        if record is None:
            console.print(f"[red]error:[/red] no key {key_id!r}; see `harbor keys list`",
                          highlight=False)
            raise typer.Exit(1)
        if not keys.revoke(key_id):
            console.print(f"key {record.client_id} was already revoked ({record.revoked_at})",
                          highlight=False)
            return
    console.print(f"revoked key {record.client_id} ({record.name})", highlight=False)
