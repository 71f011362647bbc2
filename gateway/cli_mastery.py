"""``harbor mastery``: a tenant's mastery method and bands, and recomputing its stored
mastery (after a settings change, or to check a district's numbers)."""

from __future__ import annotations

import time
from typing import Annotated

import sqlalchemy as sa
import typer

from gateway.cli_support import console, fail, open_store
from gateway.errors import HarborError
from gateway.mastery import recompute
from gateway.mastery.methods import METHODS
from gateway.mastery.settings import MasterySettings, read_settings, write_settings

__all__ = ["mastery_app"]

mastery_app = typer.Typer(help="How evidence becomes mastery, per tenant.", no_args_is_help=True)
TenantOption = Annotated[str, typer.Option(help="Tenant (district) slug.")]


def _print(settings: MasterySettings) -> None:
    params = ", ".join(f"{k}={v}" for k, v in settings.params.items())
    console.print(f"method {settings.method}" + (f" ({params})" if params else ""),
                  highlight=False)
    for band in settings.bands:
        mastered = "  mastered" if band.mastered else ""
        console.print(f"  {band.level:<12} {band.low:.2f}-{band.high:.2f}{mastered}",
                      highlight=False)


@mastery_app.command("show")
def show(tenant: TenantOption) -> None:
    """The tenant's method and level bands (the defaults until set)."""
    try:
        with open_store() as store, store.engine.connect() as conn:
            _print(read_settings(conn, store.tenant(tenant).id))
    except HarborError as exc:
        raise fail(exc) from None


@mastery_app.command("set")
def set_method(
    tenant: TenantOption,
    method: Annotated[str, typer.Option(help=f"One of {', '.join(METHODS)}.")],
    weight: Annotated[float | None, typer.Option(
        help="decaying_average: the newest score's weight, in (0, 1).")] = None,
    no_recompute: Annotated[bool, typer.Option(
        "--no-recompute", help="Save only; recompute later with `harbor mastery "
                               "recompute`.")] = False,
) -> None:
    """Choose the method (bands stay the defaults), then recompute the tenant's mastery."""
    params = {"weight": weight} if weight is not None else None
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id
            with store.engine.begin() as conn:
                current = read_settings(conn, tenant_id)
                settings = write_settings(conn, tenant_id, method=method, params=params,
                                          bands=[b.as_dict() for b in current.bands])
            _print(settings)
            if not no_recompute:
                _recompute(store.engine, tenant_id)
    except HarborError as exc:
        raise fail(exc) from None


@mastery_app.command("recompute")
def recompute_tenant(tenant: TenantOption) -> None:
    """Recompute every learner's mastery from their evidence with the tenant's settings."""
    try:
        with open_store() as store:
            _recompute(store.engine, store.tenant(tenant).id)
    except HarborError as exc:
        raise fail(exc) from None


def _recompute(engine: sa.Engine, tenant_id: int) -> None:
    started = time.perf_counter()
    with engine.begin() as conn:
        written = recompute(conn, tenant_id)
    console.print(f"recomputed mastery: {written} rows in {time.perf_counter() - started:.1f} s",
                  highlight=False)
