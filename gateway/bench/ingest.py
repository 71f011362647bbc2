"""Ingest benchmark: full load, no-change re-sync and a 1 % delta of a generated district.

Each phase runs in its own process against the same database, in order, so the re-sync
and delta measure real work on a loaded store. ``harbor bench ingest`` drives it.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from cryptography.fernet import Fernet
from rich.console import Console

from gateway.bench.harness import Measurement, Target, measure, print_table, throwaway_database
from gateway.engine.run import RunOptions, sync
from gateway.errors import ConfigError
from gateway.sample import write_delta, write_district
from gateway.secrets import SecretBox
from gateway.store.store import Store

__all__ = ["harbor_sync", "prepare_district", "run_ingest_bench"]

KEY = Fernet.generate_key().decode()


def prepare_district(workdir: Path, students: int) -> tuple[Path, Path]:
    """The bulk export and its 1 % delta for ``students``, generated once and reused."""
    base = workdir / f"district-{students}"
    delta = workdir / f"district-{students}-delta"
    if not (base / "manifest.csv").exists():
        shutil.rmtree(base, ignore_errors=True)
        write_district(base, students, gradebook=False)
    if not (delta / "manifest.csv").exists():
        shutil.rmtree(delta, ignore_errors=True)
        write_delta(base, delta, share=0.01, mode="delta")
    return base, delta


def harbor_sync(database_url: str, path: str, key: str, name: str = "sis",
                reread: bool = False) -> float:
    """Child-process body: sync ``path`` through connection ``name``; returns seconds."""
    store = Store.open(database_url, SecretBox(key.encode()))
    try:
        try:
            conn = store.connection(f"bench/{name}")
        except ConfigError:  # first phase: the connection does not exist yet
            conn = store.add_connection("bench", name, "oneroster-csv", {"path": path}, {})
        started = time.perf_counter()
        options = RunOptions(approve_deletions=True, reread=reread)
        report = asyncio.run(sync(store, conn, options))
        seconds = time.perf_counter() - started
        if report.status != "succeeded":
            raise SystemExit(f"bench sync failed: {report.message} {report.problems[:3]}")
        return seconds
    finally:
        store.close()


def harbor_phases(database_url: str | None, workdir: Path, students: int,
                  label: str) -> list[Measurement]:
    base, delta = prepare_district(workdir, students)
    into: Target = ("postgresql-url" if database_url and database_url.startswith("postgres")
                    else "sqlite-url")
    target = "gateway.bench.ingest:harbor_sync"
    with throwaway_database(into, workdir, database_url) as url:
        full = measure(f"Harbormaster full ingest ({label})", target,
                       {"database_url": url, "path": str(base), "key": KEY})
        again = measure(f"Harbormaster no-change re-sync ({label})", target,
                        {"database_url": url, "path": str(base), "key": KEY},
                        note="identical files: skipped by digest")
        reread = measure(f"Harbormaster no-change re-sync, files re-read ({label})", target,
                         {"database_url": url, "path": str(base), "key": KEY,
                          "reread": True}, note="every row hashed and compared")
        changed = measure(f"Harbormaster 1 % delta ({label})", target,
                          {"database_url": url, "path": str(delta), "key": KEY,
                           "name": "delta"})
    return [full, again, reread, changed]


def run_ingest_bench(console: Console, *, students: int, database_url: str | None,
                     workdir: Path) -> list[Measurement]:
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(f"generating (or reusing) a {students:,}-student district in {workdir} ...")
    prepare_district(workdir, students)
    label = "PostgreSQL" if database_url and database_url.startswith("postgres") else "SQLite"
    rows = harbor_phases(database_url, workdir, students, label)
    print_table(console, f"ingest, {students:,} students", rows,
                baseline=f"Harbormaster full ingest ({label})")
    return rows
