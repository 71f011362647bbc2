"""What every ``harbor`` sub-command shares: the console, opening the store, failing."""

from __future__ import annotations

import typer
from rich.console import Console

from gateway.errors import HarborError
from gateway.secrets import secret_box
from gateway.settings import get_settings
from gateway.store.store import Store

__all__ = ["EXIT_FAILED", "EXIT_HELD", "console", "fail", "minute", "open_store"]

EXIT_FAILED, EXIT_HELD = 1, 3
console = Console()


def open_store(database_url: str | None = None) -> Store:
    settings = get_settings()
    return Store.open(database_url or settings.resolved_database_url, secret_box(settings))


def fail(exc: HarborError) -> typer.Exit:
    """Print ``exc`` as the one-line error a person reads, and the exit to raise."""
    console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_FAILED)


def minute(stamp: str | None) -> str:
    """``2026-11-23 15:07`` (UTC) for a stored timestamp; "" for none."""
    return stamp[:16].replace("T", " ") if stamp else ""
