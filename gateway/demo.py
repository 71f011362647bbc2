"""``harbor demo``: a sample district end to end, on a fresh embedded store.

Generates a realistic district as a OneRoster 1.2 CSV export in an inbox folder, syncs it,
syncs again to show that nothing changes, drops a delta export into the inbox, previews it
with a dry run, applies it, and reads the change feed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from gateway.engine.run import RunOptions, RunReport
from gateway.errors import ConfigError
from gateway.report import print_report, sync_with_progress
from gateway.sample import write_delta, write_district
from gateway.secrets import secret_box
from gateway.settings import get_settings
from gateway.store.store import Store

__all__ = ["run_demo"]

MARKER = ".harbor-demo"


def _fresh(directory: Path) -> None:
    if directory.exists():
        if not (directory / MARKER).exists() and any(directory.iterdir()):
            raise ConfigError(f"{directory} exists and is not a Harbormaster demo folder; "
                              f"choose another with --dir")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("created by `harbor demo`; safe to delete\n")


def run_demo(console: Console, *, students: int = 600, directory: Path | None = None) -> None:
    settings = get_settings()
    directory = (directory or settings.data_dir / "demo").resolve()
    _fresh(directory)
    inbox = directory / "inbox"
    first = inbox / "2026-11-22T0200"
    url = f"sqlite:///{directory / 'harbor.db'}"

    console.print(Rule("1. A district's SIS drops a OneRoster 1.2 export"))
    summary = write_district(first, students)
    console.print(f"wrote {first}: " + ", ".join(f"{n:,} {s}" for s, n in summary.rows.items()))

    with Store.open(url, secret_box(settings)) as store:
        store.add_connection("demo-district", "sis", "oneroster-csv", {"path": str(inbox)}, {})
        console.print(Rule("2. First sync: everything is new"))
        report = sync_with_progress(console, store, "demo-district/sis", RunOptions())
        print_report(console, report)
        _require(report, "first sync")
        first_version = report.version or 0

        console.print(Rule("3. The same export again: nothing to write"))
        # Re-point at the export itself so the connector re-reads it (the inbox remembers
        # that it was applied and would skip it).
        store.add_connection("demo-district", "sis-again", "oneroster-csv",
                             {"path": str(first)}, {})
        report = sync_with_progress(console, store, "demo-district/sis-again", RunOptions())
        print_report(console, report)
        _require(report, "unchanged re-sync")

        console.print(Rule("4. Next night: a delta export (1 % changed, added, removed)"))
        delta = write_delta(first, inbox / "2026-11-23T0200", share=0.01)
        console.print(f"wrote {delta.path}: " + ", ".join(f"{n:,} {s}" for s, n in
                                                           delta.rows.items()))
        console.print("[b]dry run[/b] (what would change, nothing written):")
        preview = sync_with_progress(console, store, "demo-district/sis", RunOptions(dry_run=True))
        print_report(console, preview)
        report = sync_with_progress(console, store, "demo-district/sis", RunOptions())
        print_report(console, report)
        _require(report, "delta sync")

        console.print(Rule("5. The change feed: what changed since the first sync"))
        tenant = store.tenant("demo-district")
        for stream in ("users", "enrollments"):
            changes = store.changes_since(tenant.id, stream, first_version, limit=100_000)
            deleted = sum(1 for c in changes if c["status"] == "tobedeleted")
            console.print(f"{stream}: {len(changes):,} changed since version {first_version} "
                          f"({deleted:,} now tobedeleted)")
        console.print(Rule())
        harbor = sys.argv[0] if sys.argv[0].endswith("harbor") else "harbor"
        console.print(f"The demo store is {directory / 'harbor.db'}. Explore it with:\n"
                      f"  HARBOR_DATABASE_URL={url} {harbor} runs\n"
                      f"  HARBOR_DATABASE_URL={url} {harbor} runs --last", highlight=False)


def _require(report: RunReport, what: str) -> None:
    if report.status not in ("succeeded", "dry_run"):
        raise SystemExit(f"demo stopped: the {what} ended {report.status}")
