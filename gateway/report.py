"""Rendering runs for people: counts tables, problems with locations, dry-run diffs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.engine.run import RunOptions, RunReport, StreamChange
from gateway.errors import ConfigError, Problem
from gateway.push.run import PushReport
from gateway.schedule import ScheduleRule
from gateway.store.leases import holder_id
from gateway.store.store import ConnectionRecord, RunBusy, RunRecord, Store

__all__ = ["print_changes", "print_counts", "print_problems", "print_push_report",
           "print_report", "print_runs", "push_with_progress", "sync_with_progress"]

STATUS_STYLE = {"succeeded": "green", "dry_run": "cyan", "held": "yellow", "failed": "red",
                "running": "blue"}


def print_counts(console: Console, counts: Mapping[str, Mapping[str, int]],
                 title: str = "") -> None:
    table = Table(title=title or None, title_justify="left")
    table.add_column("stream")
    for col in ("added", "updated", "unchanged", "deleted", "skipped"):
        table.add_column(col, justify="right")
    totals = dict.fromkeys(("added", "updated", "unchanged", "deleted", "skipped"), 0)
    for stream, c in counts.items():
        table.add_row(stream, *(f"{c.get(k, 0):,}" for k in totals))
        for k in totals:
            totals[k] += c.get(k, 0)
    if len(counts) > 1:
        table.add_row("[b]total[/b]", *(f"[b]{v:,}[/b]" for v in totals.values()))
    console.print(table)


def print_problems(console: Console, problems: Sequence[Problem], total: int) -> None:
    for p in problems[:50]:
        console.print(f"  [red]✗[/red] {p}", highlight=False, soft_wrap=True)
    if total > min(len(problems), 50):
        console.print(f"  ... and {total - min(len(problems), 50):,} more "
                      f"(`harbor runs --last` lists up to 1,000)")


def print_changes(console: Console, changes: Sequence[StreamChange]) -> None:
    if not changes:
        return
    console.print("[b]examples of what would change[/b]")
    for ch in changes:
        sign = {"added": "[green]+[/green]", "updated": "[yellow]~[/yellow]",
                "deleted": "[red]-[/red]"}[ch.kind]
        detail = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in ch.changed.items())
        console.print(f"  {sign} {ch.stream} {ch.sourced_id}" + (f"  ({detail})" if detail
                                                                   else ""), highlight=False)


def print_push_report(console: Console, report: PushReport) -> None:
    """A push: its plan (dry run) or what it wrote, held and skipped, and the problems."""
    style = STATUS_STYLE.get(report.status, "white")
    if report.status == "dry_run":
        for line in report.plan:
            console.print(line, highlight=False, soft_wrap=True)
    else:
        table = Table()
        table.add_column("kind")
        table.add_column("outcomes")
        for kind, counts in report.counts.items():
            table.add_row(kind, ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items()))
                          or "none")
        console.print(table)
    written = report.counts["grades"].get("written", 0) if "grades" in report.counts else 0
    outcome = ("dry run: nothing was written" if report.status == "dry_run"
               else f"{written:,} grade(s) written")
    console.print(f"push {report.run_id} of {report.connection}: [{style}]{report.status}"
                  f"[/{style}] in {report.seconds:.1f} s; {outcome}")
    if report.message:
        console.print(report.message, highlight=False, soft_wrap=True)
    print_problems(console, report.problems, report.problem_total)


def print_report(console: Console, report: RunReport | PushReport) -> None:
    if isinstance(report, PushReport):
        print_push_report(console, report)
        return
    style = STATUS_STYLE.get(report.status, "white")
    counts = {k: v.as_dict() for k, v in report.counts.items()}
    if counts:
        print_counts(console, counts)
    if report.status == "succeeded":
        outcome = f"{report.writes:,} record write(s)" + (
            f", change version {report.version}" if report.version else "")
    elif report.status == "dry_run":
        outcome = f"dry run: would write {report.writes:,} record(s); nothing was written"
    else:
        outcome = "nothing was applied; the store is as it was"
    console.print(f"run {report.run_id} of {report.connection}: [{style}]{report.status}"
                  f"[/{style}] in {report.seconds:.1f} s; {outcome}")
    if report.skipped:
        console.print(f"unchanged since last applied, not read: {', '.join(report.skipped)} "
                      f"(--reread reads them anyway)", highlight=False)
    if report.message:
        console.print(report.message, highlight=False, soft_wrap=True)
    print_problems(console, report.problems, report.problem_total)
    print_changes(console, report.samples)


def print_runs(console: Console, runs: Sequence[RunRecord]) -> None:
    table = Table()
    for col in ("run", "connection", "status", "started", "finished", "written", "problems"):
        table.add_column(col)
    for r in runs:
        style = STATUS_STYLE.get(r.status, "white")
        written = sum(c.get("added", 0) + c.get("updated", 0) + c.get("deleted", 0)
                      for c in r.counts.values())
        status = r.status + (" (dry)" if r.dry_run and r.status != "dry_run" else "")
        table.add_row(str(r.id), r.connection, f"[{style}]{status}[/{style}]", r.started_at,
                      r.finished_at or "", f"{written:,}", str(r.problem_count or ""))
    console.print(table)


def print_schedule(console: Console, label: str, rule: ScheduleRule) -> None:
    state = "enabled" if rule.enabled else "disabled"
    pause = (f"; paused {rule.pause_from} to {rule.pause_until}" if rule.pause_from else "")
    default = " (default)" if rule.updated_at is None else ""
    console.print(f"{label}: {rule.cron!r} in {rule.timezone}, {state}{pause}{default}",
                  highlight=False, soft_wrap=True)


def sync_with_progress(console: Console, store: Store, name: str,
                       options: RunOptions) -> RunReport:
    """Run a sync of connection ``name`` now, with a progress bar (bytes of the export read).

    The run goes through the same queue and lease as the daemon's, so it never overlaps a
    scheduled or API-triggered run of the same connection, on any machine.
    """
    rec = store.connection(name)
    if _is_destination(rec):
        raise ConfigError(f"{rec.label} is a push destination ({rec.connector}): it writes "
                          f"grades instead of pulling; run `harbor push run {rec.label}` "
                          f"(or `harbor push plan {rec.label}` to see what it would do)")
    report = _queue_and_execute(console, store, rec, {
        "dry_run": options.dry_run, "approve_deletions": options.approve_deletions,
        "max_delete_share": options.max_delete_share, "reread": options.reread})
    assert isinstance(report, RunReport)
    return report


def push_with_progress(console: Console, store: Store, name: str, *,
                       dry_run: bool = False) -> PushReport:
    """Run a push of destination ``name`` now, through the same queue and lease as the
    daemon's (so it never overlaps a scheduled push of the same connection)."""
    rec = store.connection(name)
    if not _is_destination(rec):
        raise ConfigError(f"{rec.label} ({rec.connector}) is not a push destination; push "
                          f"to a canvas, google-classroom, lti-ags or oneroster-gradebook "
                          f"connection")
    report = _queue_and_execute(console, store, rec, {"dry_run": dry_run})
    assert isinstance(report, PushReport)
    return report


def _is_destination(rec: ConnectionRecord) -> bool:
    from gateway.plugins import connector_class
    from gateway.push.destination import Destination

    return issubclass(connector_class(rec.connector), Destination)


def _queue_and_execute(console: Console, store: Store, rec: ConnectionRecord,
                       options: dict[str, object]) -> RunReport | PushReport:
    run_id, coalesced = store.request_run(rec, trigger="cli", options=options)
    if coalesced:
        active = store.run(run_id)
        lease = store.leases.get(f"connection:{rec.id}")
        if active is not None and active.status == "running" and (lease is None
                                                                   or lease.expired):
            # Its process died (Ctrl-C is recorded; SIGKILL or a lost machine is not):
            # take the run over and resume it after its last checkpoint.
            where = (f"after checkpoint {active.checkpoint!r}" if active.checkpoint
                     else "from the start")
            console.print(f"resuming run {run_id} of {rec.label}, left running by a process "
                          f"that stopped; it continues {where}", highlight=False)
            return _execute(console, store, rec, run_id)
        raise RunBusy(f"{rec.label} already has a {active.status if active else 'active'} run "
                      f"({run_id}); wait for it (`harbor runs --connection {rec.label} "
                      f"--last`) instead of starting another", run_id)
    return _execute(console, store, rec, run_id)


def _execute(console: Console, store: Store, rec: ConnectionRecord,
             run_id: int) -> RunReport | PushReport:
    from gateway.daemon.worker import Executor
    from gateway.settings import get_settings

    executor = Executor(store, get_settings(), holder=holder_id("cli"))
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rows]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"sync {rec.label}", total=None, rows="")

        def progress(stream: str, rows: int, units: tuple[int, int] | None) -> None:
            done, total = units or (None, None)
            unit = "grades" if stream == "grades" else "rows"
            bar.update(task, completed=done, total=total, rows=f"{stream}: {rows:,} {unit}")

        report = asyncio.run(executor.execute(run_id, progress=progress))
    if report is None:
        lease = store.leases.get(f"connection:{rec.id}")
        store.cancel_run(run_id, "not started: another process holds the connection")
        holder = f" ({lease.holder})" if lease else ""
        raise RunBusy(f"{rec.label} is being synced by another process{holder}; try again "
                      f"when it finishes", run_id)
    return report
