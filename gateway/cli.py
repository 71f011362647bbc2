"""The ``harbor`` command: set up the store, configure connections, sync, inspect runs."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from gateway.cli_assessments import assessments_app
from gateway.cli_clients import clients_app
from gateway.cli_keys import keys_app
from gateway.cli_lti import lti_app
from gateway.cli_mastery import mastery_app
from gateway.cli_push import push_app
from gateway.cli_standards import standards_app
from gateway.cli_support import EXIT_FAILED, EXIT_HELD, console, fail, open_store
from gateway.engine.run import RunOptions
from gateway.errors import HarborError
from gateway.model.schema import STREAMS
from gateway.plugins import available_connectors, connector_class
from gateway.push.run import check_connection
from gateway.report import (
    print_counts,
    print_problems,
    print_report,
    print_runs,
    print_schedule,
    sync_with_progress,
)
from gateway.schedule import ScheduleRule
from gateway.settings import get_settings
from gateway.store.store import ConnectionRecord, Store

app = typer.Typer(help="Harbormaster: rosters and outcomes in, one canonical store, "
                  "standards out.", no_args_is_help=True, pretty_exceptions_enable=False)
connections_app = typer.Typer(help="Configure where data comes from.", no_args_is_help=True)
app.add_typer(connections_app, name="connections")
app.add_typer(keys_app, name="keys")
app.add_typer(clients_app, name="clients")
app.add_typer(lti_app, name="lti")
app.add_typer(standards_app, name="standards")
app.add_typer(mastery_app, name="mastery")
app.add_typer(push_app, name="push")
app.add_typer(assessments_app, name="assessments")
schedule_app = typer.Typer(help="When connections sync on their own.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")


@app.command()
def init() -> None:
    """Create the database, or migrate it to the current schema."""
    settings = get_settings()
    try:
        store = open_store()
    except HarborError as exc:
        raise fail(exc) from None
    store.close()
    console.print(f"database ready: {settings.resolved_database_url}")


def _parse_pairs(pairs: list[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {pair!r} must look like key=value")
        value = value.strip()
        if value[:1] in ("{", "["):  # a nested setting, e.g. push={"items": [...]}
            try:
                out[key.strip()] = json.loads(value)
            except ValueError as exc:
                raise typer.BadParameter(f"{what} {key.strip()}: the value starts like JSON "
                                         f"but is not ({exc}); quote it in single quotes "
                                         f"on the command line") from None
            continue
        out[key.strip()] = value
    return out


@connections_app.command("add")
def connections_add(
    name: Annotated[str, typer.Argument(help="A short name, unique in the tenant.")],
    connector: Annotated[str, typer.Option("--connector", "-c", help="Connector name.")],
    tenant: Annotated[str, typer.Option(help="Tenant (district) slug.")] = "default",
    setting: Annotated[list[str] | None, typer.Option(
        "--set", help="Config value key=value (repeatable); a value starting with { or [ is "
                 "JSON, e.g. push='{\"items\": [{\"standard\": \"3.NF.A.1\"}]}'.")] = None,
    secret: Annotated[list[str] | None, typer.Option(
        "--secret", help="Secret key=value, stored encrypted (repeatable).")] = None,
) -> None:
    """Add a connection, e.g. ``harbor connections add sis -c oneroster-csv --set path=/x``."""
    try:
        cls = connector_class(connector)
        config = _parse_pairs(setting or [], "--set")
        secrets = _parse_pairs(secret or [], "--secret")
        cls.from_mapping({**config, **secrets})  # validate before saving anything
        bad = set(secrets) - cls.config_model.secret_fields()
        if bad:
            raise typer.BadParameter(f"{', '.join(sorted(bad))} is not a secret field of "
                                     f"{connector}; pass it with --set")
        exposed = set(config) & cls.config_model.secret_fields()
        if exposed:
            raise typer.BadParameter(f"{', '.join(sorted(exposed))} is a secret of "
                                     f"{connector}; pass it with --secret so it is stored "
                                     f"encrypted")
        with open_store() as store:
            rec = store.add_connection(tenant, name, connector, config, secrets)
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"added connection {rec.label} ({connector})")


@connections_app.command("list")
def connections_list() -> None:
    """List configured connections (secrets are never shown)."""
    with open_store() as store:
        rows = store.list_connections()
    if not rows:
        console.print("no connections yet; add one with `harbor connections add`. "
                      f"Installed connectors: {', '.join(sorted(available_connectors()))}")
        return
    for c in rows:
        secret = " (secrets set)" if c.has_secrets else ""
        console.print(f"{c.label}  [dim]{c.connector}[/dim]  {json.dumps(dict(c.config))}"
                      f"{secret}", highlight=False)


@connections_app.command("check")
def connections_check(name: str) -> None:
    """Test a connection without changing anything."""
    try:
        with open_store() as store:
            rec = store.connection(name)
            result = asyncio.run(check_connection(store, rec))
    except HarborError as exc:
        raise fail(exc) from None
    mark = "[green]ok[/green]" if result.ok else "[red]failed[/red]"
    console.print(f"{rec.label}: {mark}: {result.message}", highlight=False, soft_wrap=True)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command("sync")
def sync_command(
    name: Annotated[str, typer.Argument(help="Connection name (or TENANT/NAME).")],
    dry_run: Annotated[bool, typer.Option(help="Show what would change; write nothing.")] = False,
    approve_deletions: Annotated[bool, typer.Option(
        help="Apply a bulk pull even if it deletes more than the safeguard allows.")] = False,
    max_delete_share: Annotated[float | None, typer.Option(
        help="Safeguard threshold (0-1); default HARBOR_MAX_DELETE_SHARE or 0.2.")] = None,
    reread: Annotated[bool, typer.Option(
        help="Read every file, even those unchanged since they were last applied.")] = False,
) -> None:
    """Pull from a connection and apply the changes (one recorded run)."""
    share = get_settings().max_delete_share if max_delete_share is None else max_delete_share
    options = RunOptions(dry_run=dry_run, approve_deletions=approve_deletions,
                         max_delete_share=share, reread=reread)
    try:
        with open_store() as store:
            report = sync_with_progress(console, store, name, options)
    except HarborError as exc:
        raise fail(exc) from None
    print_report(console, report)
    if report.status == "failed":
        raise typer.Exit(EXIT_FAILED)
    if report.status == "held":
        raise typer.Exit(EXIT_HELD)


@app.command()
def runs(
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    last: Annotated[bool, typer.Option(help="Details of the most recent run.")] = False,
    limit: int = 20,
) -> None:
    """List recent runs, or show the last one in detail."""
    try:
        with open_store() as store:
            rec = store.connection(connection) if connection else None
            records = store.list_runs(connection=rec, limit=1 if last else limit)
            if not last:
                print_runs(console, records)
                return
            if not records:
                console.print("no runs yet")
                return
            r = records[0]
            print_runs(console, records)
            print_counts(console, r.counts)
            if r.message:
                console.print(r.message, highlight=False, soft_wrap=True)
            print_problems(console, store.run_problems(r.id), r.problem_count)
    except HarborError as exc:
        raise fail(exc) from None


@app.command()
def changes(
    stream: Annotated[str, typer.Argument(help="A OneRoster stream, e.g. users, enrollments.")],
    tenant: Annotated[str, typer.Option(help="Tenant (district) slug.")] = "default",
    since: Annotated[int, typer.Option(help="Change version to start after (0: all).")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many records.")] = 50,
) -> None:
    """The change feed: records of STREAM written after change version --since."""
    if stream not in STREAMS:
        console.print(f"[red]error:[/red] no stream {stream!r}; streams: "
                      f"{', '.join(STREAMS)}", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    try:
        with open_store() as store:
            rows = store.changes_since(store.tenant(tenant).id, stream, since, limit=limit)
    except HarborError as exc:
        raise fail(exc) from None
    table = Table(title=f"{tenant} {stream} changed after version {since}",
                  title_justify="left")
    for col in ("version", "sourcedId", "status", "dateLastModified"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["version"]), r["sourcedId"], r["status"], r["dateLastModified"])
    console.print(table)
    if len(rows) == limit:
        console.print(f"(the first {limit:,}; raise --limit for more)")


def _daemon(**parts: Any) -> None:
    from gateway.daemon.serve import Daemon, Parts
    from gateway.logs import configure_logging

    settings = get_settings()
    configure_logging(json_lines=settings.log_json, level=settings.log_level)
    try:
        store = open_store()
        daemon = Daemon(store, settings, Parts(**parts))
    except HarborError as exc:
        raise fail(exc) from None
    try:
        daemon.run()
    finally:
        store.close()


QueueOption = Annotated[str | None, typer.Option(
    help="local (poll the store) or procrastinate (PostgreSQL job queue); "
         "default HARBOR_QUEUE or local.")]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port the API listens on.")] = 8080,
    scheduler_only: Annotated[bool, typer.Option(
        help="Run only the scheduler (scaled out: API and workers run apart).")] = False,
    api_only: Annotated[bool, typer.Option(help="Run only the admin API.")] = False,
    no_worker: Annotated[bool, typer.Option(help="Do not run syncs in this process.")] = False,
    queue: QueueOption = None,
) -> None:
    """Run the daemon: admin API, scheduler and a worker (stop with Ctrl-C or SIGTERM)."""
    if scheduler_only and api_only:
        raise fail(HarborError("--scheduler-only and --api-only exclude each other"))
    _daemon(api=not scheduler_only, scheduler=not api_only,
            worker=not (scheduler_only or api_only or no_worker),
            queue=queue or get_settings().queue, host=host, port=port)


@app.command()
def worker(
    queue: QueueOption = None,
    concurrency: Annotated[int, typer.Option(
        help="Runs at once (procrastinate queue; each on its own connection).")] = 1,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve this worker's Prometheus metrics (runs, records, durations) here.")] = None,
    metrics_addr: Annotated[str, typer.Option(
        help="Address for --metrics-port (0.0.0.0 in a container).")] = "127.0.0.1",
) -> None:
    """Run a worker only: takes queued runs until stopped (Ctrl-C or SIGTERM)."""
    _daemon(api=False, scheduler=False, worker=True, queue=queue or get_settings().queue,
            concurrency=concurrency, metrics_port=metrics_port, metrics_addr=metrics_addr)


def _schedule_of(store: Store, name: str) -> tuple[ConnectionRecord, ScheduleRule]:
    """Connection ``name`` and its schedule (stored, or the default in the local zone)."""
    rec = store.connection(name)
    return rec, store.schedules.get(rec.id,
                                    default_timezone=get_settings().resolved_timezone)


@schedule_app.command("show")
def schedule_show(name: Annotated[str, typer.Argument(help="Connection (or TENANT/NAME).")],
                  ) -> None:
    """When a connection syncs on its own."""
    try:
        with open_store() as store:
            rec, rule = _schedule_of(store, name)
    except HarborError as exc:
        raise fail(exc) from None
    print_schedule(console, rec.label, rule)


@schedule_app.command("set")
def schedule_set(
    name: Annotated[str, typer.Argument(help="Connection (or TENANT/NAME).")],
    cron: Annotated[str | None, typer.Option(
        help='Cron expression, e.g. "0 2 * * *" (nightly at 02:00).')] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA zone, e.g. America/Chicago.")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    pause_from: Annotated[str | None, typer.Option(help="First paused day, YYYY-MM-DD.")] = None,
    pause_until: Annotated[str | None, typer.Option(help="Last paused day, YYYY-MM-DD.")] = None,
    no_pause: Annotated[bool, typer.Option(help="Remove the seasonal pause.")] = False,
) -> None:
    """Change when a connection syncs on its own (a running daemon picks it up)."""
    try:
        with open_store() as store:
            rec, rule = _schedule_of(store, name)
            changes: dict[str, Any] = {k: v for k, v in {
                "cron": cron, "timezone": timezone, "enabled": enabled,
                "pause_from": pause_from, "pause_until": pause_until}.items() if v is not None}
            if no_pause:
                changes.update(pause_from=None, pause_until=None)
            rule = store.schedules.put(dataclasses.replace(rule, **changes))
    except HarborError as exc:
        raise fail(exc) from None
    print_schedule(console, rec.label, rule)


@app.command()
def demo(
    students: Annotated[int, typer.Option(help="Size of the sample district.")] = 600,
    directory: Annotated[Path | None, typer.Option(
        "--dir", help="Where to write the demo (default <data dir>/demo).")] = None,
) -> None:
    """Generate a sample district, sync it, apply a delta and show what changed."""
    from gateway.demo import run_demo

    try:
        run_demo(console, students=students, directory=directory)
    except HarborError as exc:
        raise fail(exc) from None


bench_app = typer.Typer(help="Measure speed and memory.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("ingest")
def bench_ingest(
    students: Annotated[int, typer.Option(help="District size in students.")] = 20_000,
    database_url: Annotated[str | None, typer.Option(
        help="Target database (default: a fresh SQLite file).")] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path(".bench"),
) -> None:
    """Generate a district and time full ingest, no-change re-sync and a 1 % delta."""
    from gateway.bench.ingest import run_ingest_bench

    run_ingest_bench(console, students=students, database_url=database_url, workdir=workdir)


@bench_app.command("provider")
def bench_provider(
    students: Annotated[int, typer.Option(help="District size in students.")] = 20_000,
    database_url: Annotated[str | None, typer.Option(
        help="Target database (default: a fresh SQLite file).")] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path(".bench"),
) -> None:
    """Load a district and time OneRoster provider pages (GET /users, 100 per page)."""
    from gateway.bench.provider import run_provider_bench

    run_provider_bench(console, students=students, database_url=database_url,
                       workdir=workdir)


@bench_app.command("rest")
def bench_rest(
    students: Annotated[int, typer.Option(help="District size in students.")] = 20_000,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path(".bench"),
) -> None:
    """Serve a district from our OneRoster provider and time the REST connector pulling it
    (full, incremental with no change, incremental after a 1 % delta)."""
    from gateway.bench.rest import run_rest_bench

    run_rest_bench(console, students=students, workdir=workdir)


@bench_app.command("mastery")
def bench_mastery(
    learners: Annotated[int, typer.Option(help="Learners with evidence.")] = 400_000,
    evidence: Annotated[int, typer.Option(help="Evidence rows per learner.")] = 20,
    standards: Annotated[int, typer.Option(help="Standards per learner.")] = 4,
    database_url: Annotated[str | None, typer.Option(
        help="PostgreSQL server for a throwaway database (default: a fresh SQLite file).")
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path(".bench"),
) -> None:
    """Generate evidence and time full mastery recomputes per method, an incremental one for
    1 % of the learners, and the database's own GROUP BY as the reference."""
    from gateway.bench.mastery import run_mastery_bench

    run_mastery_bench(console, learners=learners, evidence_rows=evidence, standards=standards,
                      database_url=database_url, workdir=workdir)


@bench_app.command("push")
def bench_push(
    grades: Annotated[int, typer.Option(help="Grades to push (25 learners a class, 2 "
                                             "standards each).")] = 5000,
    rate: Annotated[float, typer.Option(help="The LMS's bucket leak: requests/s.")] = 100.0,
    capacity: Annotated[float, typer.Option(help="The LMS's bucket size: requests.")] = 50.0,
    concurrency: Annotated[int, typer.Option(
        help="Writes in flight, for both clients (4: the canvas destination's default).")] = 4,
    postgres_url: Annotated[str | None, typer.Option(
        help="PostgreSQL server for a throwaway store (default: a fresh SQLite file).")
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Scratch folder.")] = Path(".bench"),
) -> None:
    """Push grades through the canvas destination into a Canvas-shaped LMS (its own process)
    under its leaky bucket, beside the limit itself and an ideal paced client measured in
    the same run; fails on any duplicate write or a grade missing in the LMS."""
    from gateway.bench.push import run_push_bench

    bench = run_push_bench(console, grades=grades, rate=rate, capacity=capacity,
                           concurrency=concurrency, database_url=postgres_url,
                           workdir=workdir)
    ours = bench.harbormaster
    if (ours.status != "succeeded" or ours.duplicates(grades)
            or ours.graded != ours.expected_graded):
        raise typer.Exit(EXIT_FAILED)


@bench_app.command("suite")
def bench_suite(
    students: Annotated[str, typer.Option(
        help="Comma-separated district sizes; the largest is the reference table.")
    ] = "10000,50000,100000,200000,400500",
    postgres_url: Annotated[str | None, typer.Option(
        help="PostgreSQL server for the PostgreSQL rows (a throwaway database each).")
    ] = "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    repeat: Annotated[int, typer.Option(help="Runs per measurement at the reference size.")
                      ] = 3,
    workdir: Annotated[Path, typer.Option(help="Scratch folder (districts are reused).")
                       ] = Path(".bench"),
    plot: Annotated[Path, typer.Option(help="Where to write the scaling plot.")
                    ] = Path("docs/benchmarks-ingest.png"),
) -> None:
    """Harbormaster against DuckDB, plain sqlite3 and dlt, one table with ratios, and a plot
    of ingest time by district size. Needs the `bench` extra (`make bench` installs it)."""
    from gateway.bench.suite import run_suite  # heavy optional imports, only here

    sizes = [int(s.replace("_", "")) for s in students.split(",") if s.strip()]
    run_suite(console, students_list=sizes, postgres_url=postgres_url or None,
              workdir=workdir, repeat=repeat, plot=plot)


def main() -> None:  # pragma: no cover - console script entry
    app()
