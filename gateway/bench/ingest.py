"""Ingest benchmark: full load, no-change re-sync and a 1 % delta of a generated district.

Each phase runs in its own process against the same database, in order, so the re-sync
and delta measure real work on a loaded store. ``harbor bench ingest`` drives it.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from rich.console import Console

from gateway.bench.harness import Measurement, measure, print_table
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


def _fresh_database(database_url: str | None, workdir: Path) -> tuple[str, Any]:
    if database_url is None or database_url.startswith("sqlite"):
        db = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"

        def remove() -> None:
            for p in workdir.glob(f"{db.name}*"):
                p.unlink()

        return f"sqlite:///{db}", remove
    url = sa.engine.make_url(database_url)
    name = f"harbor_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def harbor_phases(database_url: str | None, workdir: Path, students: int,
                  label: str) -> list[Measurement]:
    base, delta = prepare_district(workdir, students)
    url, drop = _fresh_database(database_url, workdir)
    target = "gateway.bench.ingest:harbor_sync"
    try:
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
    finally:
        drop()
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
