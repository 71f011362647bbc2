"""The benchmark peers load every row of a small district, each in its own child process.

Each peer runs twice, as ``measure`` runs it, on the same target, so the counts also show that
a run starts from a fresh target rather than adding to the last one.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from gateway.bench.ingest import prepare_district
from gateway.bench.peers import DLT_DATASET, csv_files
from tests.helpers import throwaway_postgres

STUDENTS = 300


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base, _ = prepare_district(tmp_path_factory.mktemp("bench"), STUDENTS)
    return base


@pytest.fixture(scope="module")
def expected(district: Path) -> dict[str, int]:
    """Data rows per file, keyed by file stem."""
    counts = {}
    for f in csv_files(district):
        with f.open(newline="", encoding="utf-8") as fh:
            counts[f.stem] = sum(1 for _ in csv.reader(fh)) - 1
    assert counts["enrollments"] > 1000
    assert "manifest" not in counts
    return counts


@pytest.fixture
def dlt_ready() -> None:
    """Skips a dlt test (before any database is made) without the bench extra."""
    pytest.importorskip("pyarrow")
    pytest.importorskip("dlt")


@pytest.fixture
def pg_bench_url() -> Iterator[str]:
    with throwaway_postgres("harbor_bench_test") as url:
        yield url


def snake(stem: str) -> str:
    """dlt's default naming of a table: ``academicSessions`` -> ``academic_sessions``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", stem).lower()


def sqlite_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_dlt%' "
            "ESCAPE '\\'")]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def run_twice(target: str, **params: str) -> None:
    """Run ``target`` as ``measure`` does, in a new interpreter each time."""
    for _ in range(2):
        child = subprocess.run(
            [sys.executable, "-m", "gateway.bench.harness", f"gateway.bench.peers:{target}",
             json.dumps(params)], capture_output=True, text=True, check=False)
        assert child.returncode == 0, child.stderr[-3000:]
        assert json.loads(child.stdout.splitlines()[-1])["seconds"] > 0


def test_duckdb_loads_every_row(district: Path, expected: dict[str, int],
                                tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    db = tmp_path / "peer.duckdb"
    run_twice("duckdb_read_csv", path=str(district), db=str(db))
    with duckdb.connect(str(db), read_only=True) as con:
        names = [n for (n,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()]
        counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        types = {t for (t,) in con.execute(
            "SELECT DISTINCT data_type FROM duckdb_columns() WHERE NOT internal").fetchall()}
    assert types == {"VARCHAR"}
    assert counts == expected


def test_sqlite_executemany_loads_every_row_keyed(district: Path, expected: dict[str, int],
                                                  tmp_path: Path) -> None:
    db = tmp_path / "peer.db"
    run_twice("sqlite_executemany", path=str(district), db=str(db))
    assert sqlite_counts(db) == expected
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        key = [row[1] for row in con.execute('PRAGMA table_info("users")') if row[5]]
    assert key == ["sourcedId"]


def test_dlt_arrow_into_sqlite(dlt_ready: None, district: Path, expected: dict[str, int],
                               tmp_path: Path) -> None:
    db = tmp_path / "dlt.db"
    run_twice("dlt_arrow", path=str(district), destination_url=f"sqlite:///{db}",
              workdir=str(tmp_path))
    (dataset,) = tmp_path.glob(f"dlt__{DLT_DATASET}*")  # dlt attaches a file per dataset
    assert sqlite_counts(dataset) == {snake(s): n for s, n in expected.items()}
    assert [p.name for p in tmp_path.glob("dlt-*")] == []  # its working dir is cleaned up


@pytest.mark.postgres
def test_dlt_arrow_into_postgres(dlt_ready: None, district: Path, expected: dict[str, int],
                                 pg_bench_url: str) -> None:
    run_twice("dlt_arrow", path=str(district), destination_url=pg_bench_url)
    dsn = sa.engine.make_url(pg_bench_url).set(drivername="postgresql")
    with psycopg.connect(dsn.render_as_string(hide_password=False)) as con:
        names = [n for (n,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name NOT LIKE '\\_dlt%%'", (DLT_DATASET,))]
        counts = {n: con.execute(f'SELECT count(*) FROM {DLT_DATASET}."{n}"').fetchone()[0]
                  for n in names}
    assert counts == {snake(s): n for s, n in expected.items()}


def test_plot_is_redrawn_from_results(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from gateway.bench.suite import replot

    results = tmp_path / "results.json"
    results.write_text(json.dumps({"scaling": {
        "Harbormaster (SQLite)": [{"students": 1000, "seconds": 0.5},
                                  {"students": 5000, "seconds": 2.0}],
        "DuckDB read_csv (lower bound)": [{"students": 1000, "seconds": 0.1},
                                          {"students": 5000, "seconds": 0.3}]}}))
    png = tmp_path / "docs" / "ingest.png"
    replot(results, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
