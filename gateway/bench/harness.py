"""Measuring one thing in a fresh child process: wall time and peak memory (RSS).

A measurement is a plain function ``fn(**params) -> float`` (seconds it spent on the timed
part) named as ``module:function``; adding a row to a benchmark table is writing one such
function. Peak RSS comes from ``wait4`` on the child, so it is that process's own.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

__all__ = ["Measurement", "Target", "measure", "print_table", "throwaway_database"]

Target = Literal["sqlite-file", "sqlite-url", "duckdb-file", "postgresql-url"]
"""What a measured function takes its database as: a file, or a SQLAlchemy URL."""


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    seconds: float
    """Median of the runs' timed parts."""
    peak_mib: float
    """Largest peak RSS of the runs, MiB."""
    runs: int
    note: str = ""


def measure(name: str, target: str, params: dict[str, Any], *, repeat: int = 1,
            note: str = "") -> Measurement:
    """Run ``target`` (``module:function``) ``repeat`` times, each in a new interpreter."""
    times: list[float] = []
    peak = 0
    for _ in range(repeat):
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "gateway.bench.harness", target, json.dumps(params)],
            stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        with proc.stdout:
            out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark {name} ({target}) failed with exit code "
                               f"{proc.returncode}")
        times.append(float(json.loads(out.strip().splitlines()[-1])["seconds"]))
        peak = max(peak, usage.ru_maxrss)  # KiB on Linux
    return Measurement(name, statistics.median(times), peak / 1024, repeat, note)


def print_table(console: Console, title: str, rows: Sequence[Measurement],
                baseline: str | None = None) -> None:
    """Print rows with their ratio to the ``baseline`` row's time (same run)."""
    base = next((m.seconds for m in rows if m.name == baseline), None)
    table = Table(title=title, title_justify="left")
    for col in ("what", "time (s)", "x baseline", "peak RSS (MiB)", "runs", "note"):
        table.add_column(col, justify="left" if col in ("what", "note") else "right")
    for m in rows:
        ratio = f"{m.seconds / base:.2f}" if base else ""
        table.add_row(m.name, f"{m.seconds:.2f}", ratio, f"{m.peak_mib:,.0f}", str(m.runs),
                      m.note)
    console.print(table)


@contextmanager
def throwaway_database(into: Target, workdir: Path, postgres_url: str | None,
                       prefix: str = "harbor_bench") -> Iterator[str]:
    """A fresh database for one measurement, removed (or dropped) afterwards."""
    if into == "postgresql-url":
        if not postgres_url:
            raise ValueError("a PostgreSQL contender needs postgres_url")
        url = sa.engine.make_url(postgres_url)
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                c.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                yield url.set(database=name).render_as_string(hide_password=False)
            finally:
                with admin.connect() as c:
                    c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()
        return
    stem = f"bench-{uuid.uuid4().hex[:8]}"
    file = workdir / f"{stem}.{'duckdb' if into == 'duckdb-file' else 'db'}"
    try:
        yield f"sqlite:///{file}" if into == "sqlite-url" else str(file)
    finally:
        # with the journals, and the dataset files dlt attaches next to the main one
        for leftover in workdir.glob(f"{stem}*"):
            leftover.unlink()


def _child(target: str, params: str) -> None:
    module, _, func = target.partition(":")
    fn = getattr(importlib.import_module(module), func)
    seconds = fn(**json.loads(params))
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
