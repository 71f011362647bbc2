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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Measurement", "measure", "print_table"]


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


def _child(target: str, params: str) -> None:
    module, _, func = target.partition(":")
    fn = getattr(importlib.import_module(module), func)
    seconds = fn(**json.loads(params))
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
