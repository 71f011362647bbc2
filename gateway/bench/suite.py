"""The ingest benchmark against its peers, in one run: a table at the reference size, and
full-ingest time against district size as a PNG plot and a JSON file for the docs.

The reference size is the largest of ``students_list``. There Harbormaster's three phases
(``harbor_phases``) and every peer are measured ``repeat`` times (medians); the other
sizes measure each contender's full ingest once, for the plot.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gateway.bench.harness import Measurement, Target, measure, print_table, throwaway_database
from gateway.bench.ingest import KEY, harbor_phases, prepare_district
from gateway.bench.peers import dlt_postgres_format

__all__ = ["BASELINE", "Contender", "contenders", "plot_ingest", "replot", "run_suite"]

BASELINE = "Harbormaster full ingest (SQLite)"
DEFAULT_PLOT = Path("docs/benchmarks-ingest.png")

"""Where a contender loads: a file path or a SQLAlchemy URL of a fresh database."""


@dataclass(frozen=True, slots=True)
class Contender:
    """One way to load a district's files into a database: a table row and a plot line."""

    name: str
    """Row name in the table; Harbormaster's matches ``harbor_phases``' full-ingest row."""
    series: str
    target: str
    """The measured ``module:function``."""
    into: Target
    param: str
    """The keyword under which ``target`` takes its database."""
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    repeatable: bool = True
    """False where a second run on the same database would measure something else."""

    @property
    def harbormaster(self) -> bool:
        return self.target.startswith("gateway.bench.ingest:")

    def measure(self, path: Path, workdir: Path, postgres_url: str | None,
                repeat: int) -> Measurement:
        """Full ingest of the export at ``path`` into a throwaway database."""
        with throwaway_database(self.into, workdir, postgres_url) as where:
            params = {"path": str(path), self.param: where, **self.extra}
            try:
                return measure(self.name, self.target, params,
                               repeat=repeat if self.repeatable else 1, note=self.note)
            except RuntimeError as exc:
                # One broken peer must not cost the whole table; the row says what failed.
                return Measurement(self.name, math.nan, math.nan, 0, f"FAILED: {exc}")


def contenders(postgres_url: str | None) -> list[Contender]:
    """Everything whose full ingest is plotted; the PostgreSQL ones need ``postgres_url``."""
    harbor = "gateway.bench.ingest:harbor_sync"
    dlt_pg = ("parquet files through ADBC" if dlt_postgres_format() == "parquet"
              else "csv files through COPY")
    found = [
        Contender(BASELINE, "Harbormaster (SQLite)", harbor, "sqlite-url", "database_url",
                  {"key": KEY}, repeatable=False),
        Contender("Harbormaster full ingest (PostgreSQL)", "Harbormaster (PostgreSQL)",
                  harbor, "postgresql-url", "database_url", {"key": KEY}, repeatable=False),
        Contender("dlt + Arrow → SQLite", "dlt + Arrow → SQLite",
                  "gateway.bench.peers:dlt_arrow", "sqlite-url", "destination_url",
                  note="sqlalchemy destination, parquet files, replace"),
        Contender("dlt + Arrow → PostgreSQL", "dlt + Arrow → PostgreSQL",
                  "gateway.bench.peers:dlt_arrow", "postgresql-url", "destination_url",
                  note=f"postgres destination, {dlt_pg}, replace"),
        Contender("DuckDB read_csv (lower bound)", "DuckDB read_csv (lower bound)",
                  "gateway.bench.peers:duckdb_read_csv", "duckdb-file", "db",
                  note="all VARCHAR, no keys"),
        Contender("sqlite3 executemany (lower bound)", "sqlite3 executemany (lower bound)",
                  "gateway.bench.peers:sqlite_executemany", "sqlite-file", "db",
                  note="TEXT, sourcedId key, WAL, one transaction"),
    ]
    return [c for c in found if postgres_url or c.into != "postgresql-url"]


def _median(runs: Sequence[Measurement]) -> Measurement:
    return Measurement(runs[0].name, statistics.median(m.seconds for m in runs),
                       max(m.peak_mib for m in runs), sum(m.runs for m in runs), runs[0].note)


def _harbormaster_rows(workdir: Path, students: int, postgres_url: str | None,
                       repeat: int) -> list[Measurement]:
    """``harbor_phases`` ``repeat`` times per database, each phase's median."""
    rows: list[Measurement] = []
    for url, label in ((None, "SQLite"), (postgres_url, "PostgreSQL")):
        if label == "PostgreSQL" and not postgres_url:
            continue
        runs = [harbor_phases(url, workdir, students, label) for _ in range(repeat)]
        rows += [_median(same_phase) for same_phase in zip(*runs, strict=True)]
    return rows


def run_suite(console: Console, *, students_list: Sequence[int], postgres_url: str | None,
              workdir: Path, repeat: int = 3, plot: Path = DEFAULT_PLOT,
              baseline: str = BASELINE) -> list[Measurement]:
    """Measure, print the reference table and the sizes table, write ``plot`` and
    ``workdir/results.json``; returns the reference table's rows."""
    if not students_list or repeat < 1:
        raise ValueError("give at least one district size and repeat >= 1")
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = sorted(set(students_list))
    reference = sizes[-1]
    lineup = contenders(postgres_url)

    console.print(f"reference district: {reference:,} students, {repeat} run(s) each ...")
    base, _ = prepare_district(workdir, reference)
    rows = _harbormaster_rows(workdir, reference, postgres_url, repeat)
    rows += [c.measure(base, workdir, postgres_url, repeat) for c in lineup
             if not c.harbormaster]
    print_table(console, f"ingest, {reference:,} students (medians of {repeat})", rows,
                baseline=baseline)

    by_name = {m.name: m for m in rows}
    scaling: dict[str, dict[int, Measurement]] = {c.series: {} for c in lineup}
    for students in sizes:
        if students != reference:
            console.print(f"full ingest at {students:,} students ...")
            base, _ = prepare_district(workdir, students)
        for c in lineup:
            scaling[c.series][students] = (
                by_name[c.name] if students == reference
                else c.measure(base, workdir, postgres_url, 1))
    _print_sizes(console, sizes, scaling)

    results = workdir / "results.json"
    results.write_text(json.dumps(_results(reference, repeat, baseline, rows, scaling),
                                  indent=2) + "\n")
    plot_ingest({s: {n: m.seconds for n, m in points.items()}
                 for s, points in scaling.items()}, plot)
    console.print(f"wrote {results} and {plot}")
    return rows


def _print_sizes(console: Console, sizes: Sequence[int],
                 scaling: Mapping[str, Mapping[int, Measurement]]) -> None:
    table = Table(title="full ingest (s) by district size", title_justify="left")
    table.add_column("what")
    for students in sizes:
        table.add_column(f"{students:,}", justify="right")
    for series, points in scaling.items():
        table.add_row(series, *(f"{points[s].seconds:.2f}" for s in sizes))
    console.print(table)


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in ("harbormaster", "dlt", "duckdb", "pyarrow", "adbc-driver-postgresql",
                 "sqlalchemy", "psycopg"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo")
    kib = next((int(line.split()[1]) for line in meminfo.read_text().splitlines()
                if line.startswith("MemTotal:")), 0) if meminfo.exists() else 0
    return {"platform": platform.platform(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "memory_gib": round(kib / 1024**2, 1) or None,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def _results(reference: int, repeat: int, baseline: str, rows: Sequence[Measurement],
             scaling: Mapping[str, Mapping[int, Measurement]]) -> dict[str, Any]:
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": _versions(),
        "repeat": repeat,
        "baseline": baseline,
        "reference": {"students": reference, "rows": [asdict(m) for m in rows]},
        "scaling": {series: [{"students": s, **asdict(m)} for s, m in sorted(points.items())]
                    for series, points in scaling.items()},
    }


def plot_ingest(scaling: Mapping[str, Mapping[int, float]], path: Path) -> None:
    """A PNG of full-ingest seconds against students, one line per contender."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(8, 5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for series, points in scaling.items():
        sizes = sorted(points)
        ax.plot(sizes, [points[s] for s in sizes], marker="o", label=series,
                linestyle=":" if "lower bound" in series else "-")
    ax.set_xlabel("students in the district")
    ax.set_ylabel("full ingest (s)")
    ax.set_title("Full ingest of a OneRoster 1.2 CSV district")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def replot(results: Path, path: Path = DEFAULT_PLOT) -> None:
    """Redraw the plot from a ``results.json`` written by :func:`run_suite`."""
    data = json.loads(results.read_text())
    plot_ingest({series: {p["students"]: p["seconds"] for p in points}
                 for series, points in data["scaling"].items()}, path)
