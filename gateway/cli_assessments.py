"""``harbor assessments``: years of growth per year (shown, or recomputed from the stored
assessment results) and a tenant's readiness benchmarks (shown, or set from a CSV or JSON
file)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.assessments import growth_of, read_benchmarks, recompute_growth, summarize
from gateway.assessments.benchmarks import FIELDS, write_benchmarks
from gateway.cli_support import console, fail, open_store
from gateway.errors import ConfigError, HarborError

__all__ = ["assessments_app"]

assessments_app = typer.Typer(help="Normed assessments: growth and readiness benchmarks.",
                              no_args_is_help=True)
benchmarks_app = typer.Typer(help="Readiness cut scores, per tenant.", no_args_is_help=True)
assessments_app.add_typer(benchmarks_app, name="benchmarks")
TenantOption = Annotated[str, typer.Option(help="Tenant (district) slug.")]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@assessments_app.command("growth")
def growth(tenant: TenantOption,
           recompute: Annotated[bool, typer.Option(
               "--recompute", help="Recompute every learner's growth from the stored "
                                   "assessment results first.")] = False,
           school_year: Annotated[str | None, typer.Option(
               help="Only this school year (the year it ends: 2027).")] = None) -> None:
    """Median years of growth per year and the shares at or above 1.0 and 1.5, per school
    year, subject and assessment."""
    try:
        with open_store() as store:
            tenant_id = store.tenant(tenant).id
            if recompute:
                started = time.perf_counter()
                with store.engine.begin() as conn:
                    written = recompute_growth(conn, tenant_id)
                console.print(f"recomputed growth: {written} rows in "
                              f"{time.perf_counter() - started:.1f} s", highlight=False)
            with store.engine.connect() as conn:
                found = growth_of(conn, tenant_id, school_year=school_year)
    except HarborError as exc:
        raise fail(exc) from None
    summaries = summarize((g.subject, g.assessment, g.school_year, g.years) for g in found)
    if not summaries:
        console.print("no growth stored (load assessment results, then run with "
                      "--recompute)", highlight=False)
        return
    console.print(f"{'year':<6} {'subject':<10} {'assessment':<11} {'learners':>8} "
                  f"{'median':>7} {'>=1.0':>6} {'>=1.5':>6} {'no number':>9}", highlight=False)
    for s in summaries:
        median = "-" if s.median is None else f"{s.median:.2f}"
        console.print(f"{s.school_year:<6} {s.subject:<10} {s.assessment:<11} {s.count:>8} "
                      f"{median:>7} {_pct(s.share_at_1_0):>6} {_pct(s.share_at_1_5):>6} "
                      f"{s.without_growth:>9}", highlight=False)


@benchmarks_app.command("show")
def show(tenant: TenantOption) -> None:
    """The tenant's cut scores."""
    try:
        with open_store() as store, store.engine.connect() as conn:
            found = read_benchmarks(conn, store.tenant(tenant).id)
    except HarborError as exc:
        raise fail(exc) from None
    if not found:
        console.print("no benchmarks set", highlight=False)
    for b in found:
        label = f"  {b.label}" if b.label else ""
        console.print(f"{b.assessment:<11} {b.subject:<9} grade {b.grade:<3} {b.window:<7} "
                      f"{b.measure} >= {b.cut_score:g}{label}", highlight=False)


def _read(path: Path) -> tuple[list[dict[str, Any]], Callable[[int, str], str]]:
    """The file's entries, and how to name entry i's field in an error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
        items = data.get("benchmarks") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ConfigError(f"{path}: expected a list of benchmarks (or "
                              f'{{"benchmarks": [...]}}), each an object with '
                              f"{', '.join(FIELDS)}")
        return items, lambda i, name: f"{path}, entry {i + 1}, field {name}"
    reader = csv.DictReader(text.splitlines())
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [f for f in ("assessment", "subject", "grade", "window", "cut_score")
               if f not in headers]
    if missing:
        raise ConfigError(f"{path}: no column {', '.join(missing)} in the header row; the "
                          f"columns are {', '.join(FIELDS)} (measure and label optional)")
    rows = [{k.strip().lower(): (v.strip() if v else None) for k, v in row.items() if k}
            for row in reader]
    items = [{k: v for k, v in row.items() if v is not None} for row in rows]
    # Row 1 is the header, so entry i is on row i + 2.
    return items, lambda i, name: f"{path}, row {i + 2}, column {name}"


@benchmarks_app.command("set")
def set_benchmarks(
    tenant: TenantOption,
    file: Annotated[Path, typer.Option(
        "--file", help="CSV with columns assessment, subject, grade, window, cut_score "
                       "[, measure, label], or a JSON list of the same.")],
) -> None:
    """Replace the tenant's cut scores with the file's (nothing is saved if a row is
    wrong; the error names the row and column)."""
    try:
        items, place = _read(file)
        with open_store() as store, store.engine.begin() as conn:
            saved = write_benchmarks(conn, store.tenant(tenant).id, items, place)
    except HarborError as exc:
        raise fail(exc) from None
    console.print(f"saved {len(saved)} benchmarks", highlight=False)
