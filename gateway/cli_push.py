"""``harbor push``: grades and assignments to an LMS. ``plan`` shows what a push would write
(nothing is sent), ``run`` pushes now, ``status`` reads the ledger per grade, and
``conversion`` sets how mastery becomes a grade (per tenant, or per course)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from gateway.cli_support import EXIT_FAILED, console, fail, open_store
from gateway.errors import ConfigError, HarborError
from gateway.mastery.settings import read_settings
from gateway.push.conversion import (
    delete_conversion,
    parse_conversion,
    read_conversions,
    write_conversion,
)
from gateway.push.ledger import grade_statuses
from gateway.report import print_push_report, push_with_progress

__all__ = ["push_app"]

push_app = typer.Typer(help="Assignments and grades to the LMS.", no_args_is_help=True)
conversion_app = typer.Typer(help="How a mastery or activity score becomes an LMS grade.",
                             no_args_is_help=True)
push_app.add_typer(conversion_app, name="conversion")
TenantOption = Annotated[str, typer.Option(help="Tenant (district) slug.")]
Name = Annotated[str, typer.Argument(help="The destination connection, TENANT/NAME.")]


@push_app.command("plan")
def plan(name: Name) -> None:
    """What a push would create and write now, from the store and the ledger (the LMS is
    not contacted; nothing is written). The same as `run --dry-run`."""
    _push(name, dry_run=True)


@push_app.command("run")
def run(name: Name, dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan only.")] = False) -> None:
    """Push now: make missing assignments, write changed grades, once each."""
    _push(name, dry_run=dry_run)


def _push(name: str, *, dry_run: bool) -> None:
    try:
        with open_store() as store:
            report = push_with_progress(console, store, name, dry_run=dry_run)
    except HarborError as exc:
        raise fail(exc) from None
    print_push_report(console, report)
    if report.status == "failed":
        raise typer.Exit(EXIT_FAILED)


@push_app.command("status")
def status(
    name: Name,
    class_id: Annotated[str | None, typer.Option("--class", help="A class sourcedId.")] = None,
    learner: Annotated[str | None, typer.Option(help="A learner's sourcedId.")] = None,
    state: Annotated[str | None, typer.Option(
        "--status", help="pending, sent, kept, held, skipped or superseded.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Each grade's latest state in the ledger: what was sent, when, and why not."""
    try:
        with open_store() as store:
            connection = store.connection(name)
            with store.engine.connect() as conn:
                rows, total = grade_statuses(conn, connection.id, class_sourced_id=class_id,
                                             user_sourced_id=learner, status=state,
                                             limit=limit)
    except HarborError as exc:
        raise fail(exc) from None
    table = Table()
    for col in ("class", "assignment", "learner", "grade", "status", "tries", "when", "note"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.class_sourced_id, r.assignment, r.user_sourced_id,
                      f"{r.score:g}/{r.points_possible:g}", r.status, str(r.attempts),
                      r.sent_at or r.updated_at, r.message or "")
    console.print(table)
    console.print(f"{len(rows):,} of {total:,} grade(s)")


@conversion_app.command("show")
def conversion_show(tenant: TenantOption) -> None:
    """The tenant's conversion and its course overrides, as JSON."""
    try:
        with open_store() as store, store.engine.connect() as conn:
            console.print_json(json.dumps(read_conversions(conn, store.tenant(tenant).id)
                                          .as_public()))
    except HarborError as exc:
        raise fail(exc) from None


@conversion_app.command("set")
def conversion_set(
    tenant: TenantOption,
    spec: Annotated[str, typer.Argument(help='JSON, e.g. \'{"kind": "levels", "maximum": '
                                             '100, "levels": {"3": 85, "4": 100, ...}}\'.')],
    course: Annotated[str | None, typer.Option(
        help="A course sourcedId: set its override instead of the tenant's default.")] = None,
) -> None:
    """Set the tenant's (or a course's) conversion; levels must cover every mastery band."""
    try:
        try:
            raw = json.loads(spec)
        except ValueError as exc:
            raise ConfigError(f"the conversion is not JSON ({exc}); quote it in single "
                              f"quotes on the command line") from None
        if not isinstance(raw, dict):
            raise ConfigError("the conversion must be a JSON object")
        conversion = parse_conversion(raw)
        with open_store() as store:
            tenant_id = store.tenant(tenant).id
            with store.engine.begin() as conn:
                conversion.check_levels(read_settings(conn, tenant_id))
                write_conversion(conn, tenant_id, course, conversion, by="cli")
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"conversion for {course or 'the tenant'} set; the next push writes grades "
                  f"by it", highlight=False)


@conversion_app.command("unset")
def conversion_unset(tenant: TenantOption, course: Annotated[str | None, typer.Option(
        help="A course sourcedId (default: the tenant's own, back to percent of 100).")] = None,
                     ) -> None:
    """Remove a course's override (or reset the tenant's default)."""
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id
            with store.engine.begin() as conn:
                removed = delete_conversion(conn, tenant_id, course)
    except HarborError as exc:
        raise fail(exc) from None
    console.print("removed" if removed else "there was none", highlight=False)
