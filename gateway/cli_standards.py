"""``harbor standards``: import CASE frameworks (a package file or a CASE provider URL), list
what a tenant has, and keep the crosswalk from vendor skill codes to standards."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_support import console, fail, minute, open_store
from gateway.errors import HarborError
from gateway.standards import (
    Crosswalk,
    ImportReport,
    frameworks,
    import_file,
    import_from_provider,
)

__all__ = ["standards_app"]

standards_app = typer.Typer(help="Academic standards (CASE 1.1) and the crosswalk from "
                                 "vendor skill codes.", no_args_is_help=True)
crosswalk_app = typer.Typer(help="Which standard a vendor's skill code stands for.",
                            no_args_is_help=True)
standards_app.add_typer(crosswalk_app, name="crosswalk")

TenantOption = Annotated[str, typer.Option(help="Tenant (district) slug.")]
_SHOWN = 10


def _print_report(report: ImportReport) -> None:
    items, links = report.items, report.associations
    console.print(f"imported {report.title} ({report.framework}) from {report.source}",
                  highlight=False, soft_wrap=True)
    console.print(f"  items: {items['added']} added, {items['updated']} updated, "
                  f"{items['unchanged']} unchanged"
                  + (f", {items['kept']} kept that the package no longer has"
                     if items["kept"] else ""), highlight=False)
    console.print(f"  associations: {links['added']} added, {links['updated']} updated, "
                  f"{links['unchanged']} unchanged, {links['removed']} removed",
                  highlight=False)
    if report.notices:
        console.print(f"  [dim]{len(report.notices)} notices (read leniently, not errors):"
                      f"[/dim]", highlight=False)
        for notice in report.notices[:_SHOWN]:
            console.print(f"  [dim]- {notice.column or ''}: {notice.message}[/dim]",
                          highlight=False, soft_wrap=True)
        if len(report.notices) > _SHOWN:
            console.print(f"  [dim]... and {len(report.notices) - _SHOWN} more[/dim]",
                          highlight=False)


@standards_app.command("import")
def import_command(
    path_or_url: Annotated[str, typer.Argument(
        help="A CASE JSON package file, or a CASE provider URL (its base, or a "
             "CFPackages/{id} address).")],
    tenant: TenantOption,
    document: Annotated[str | None, typer.Option(
        help="The CFDocument identifier to fetch, when the provider offers several.")] = None,
) -> None:
    """Import (or update) a CASE framework from a package file or a provider URL.

    Items and associations are matched by identifier, so importing a newer export updates
    in place; a bad package changes nothing."""
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id
            if path_or_url.startswith(("http://", "https://")):
                report = asyncio.run(import_from_provider(store.engine, tenant_id,
                                                          path_or_url, document))
            else:
                report = import_file(store.engine, tenant_id, Path(path_or_url))
    except HarborError as exc:  # a SourceDataError lists each bad item and field
        raise fail(exc) from None
    _print_report(report)


@standards_app.command("list")
def list_command(tenant: TenantOption) -> None:
    """The tenant's frameworks: title, identifier, item count, when and where from."""
    try:
        with open_store() as store, store.engine.connect() as conn:
            found = frameworks(conn, store.tenant(tenant).id)
    except HarborError as exc:
        raise fail(exc) from None
    if not found:
        console.print(f"no frameworks in {tenant} yet; import one with `harbor standards "
                      f"import PACKAGE.json --tenant {tenant}`", highlight=False,
                      soft_wrap=True)
    for f in found:
        console.print(f"{f.title}  {f.identifier}  {f.item_count} items  [dim]"
                      f"{f.adoption_status or ''} imported {minute(f.imported_at)} from "
                      f"{f.source}[/dim]", highlight=False, soft_wrap=True)


@crosswalk_app.command("set")
def crosswalk_set(
    system: Annotated[str, typer.Argument(help="The connection or mapping the code is from.")],
    code: Annotated[str, typer.Argument(help="The vendor's skill code.")],
    standard: Annotated[str, typer.Argument(
        help="The standard: its CASE identifier, or a code naming exactly one.")],
    tenant: TenantOption,
    strength: Annotated[float, typer.Option(
        help="How closely the skill matches the standard, in (0, 1]; 1 is the same.")] = 1.0,
) -> None:
    """Align a vendor skill code to a standard (or change the strength of an alignment)."""
    try:
        with open_store() as store, store.engine.begin() as conn:
            entry = Crosswalk.set(conn, store.tenant(tenant).id, system, code, standard,
                                  strength, "admin")
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"{entry.system} {entry.code} -> {entry.standard} (strength "
                  f"{entry.strength:g})", highlight=False, soft_wrap=True)


@crosswalk_app.command("list")
def crosswalk_list(
    tenant: TenantOption,
    system: Annotated[str | None, typer.Option(help="Only this system's codes.")] = None,
) -> None:
    """The crosswalk: system, code, standard, strength and who set it."""
    try:
        with open_store() as store, store.engine.connect() as conn:
            entries = Crosswalk.entries(conn, store.tenant(tenant).id, system)
    except HarborError as exc:
        raise fail(exc) from None
    if not entries:
        console.print("no crosswalk entries; add one with `harbor standards crosswalk set "
                      f"SYSTEM CODE STANDARD --tenant {tenant}`", highlight=False,
                      soft_wrap=True)
    for e in entries:
        console.print(f"{e.system}  {e.code}  ->  {e.standard}  {e.strength:g}  "
                      f"[dim]{e.source}, {minute(e.updated_at)}[/dim]", highlight=False,
                      soft_wrap=True)
