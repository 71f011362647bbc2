"""The tools a district would otherwise use, loading the same OneRoster CSV folder.

Each peer is a child-process body for ``gateway.bench.harness.measure``: it makes its
target fresh (untimed), loads every ``*.csv`` except ``manifest.csv`` and returns the
seconds of the load. DuckDB and plain ``sqlite3`` are lower bounds (no validation, no
history); dlt with Arrow tables is the general-purpose ELT tool used its fastest way.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    import pyarrow as pa
    from dlt.common.destination import TDestinationReferenceArg
    from dlt.common.typing import TLoaderFileFormat

__all__ = ["DLT_DATASET", "csv_files", "dlt_arrow", "dlt_postgres_format", "duckdb_read_csv",
           "sqlite_executemany"]

DLT_DATASET = "oneroster"
"""The dataset (PostgreSQL schema, attached SQLite database) dlt loads into."""


def csv_files(path: str | Path) -> list[Path]:
    """The export's data files: every ``*.csv`` in ``path`` except the manifest."""
    return sorted(p for p in Path(path).glob("*.csv") if p.name != "manifest.csv")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unlink_all(*files: Path) -> None:
    for f in files:
        f.unlink(missing_ok=True)


def duckdb_read_csv(path: str, db: str) -> float:
    """DuckDB's own CSV reader into one table per file of a fresh DuckDB file."""
    import duckdb

    _unlink_all(Path(db), Path(f"{db}.wal"))
    started = time.perf_counter()
    con = duckdb.connect(db)
    try:
        for f in csv_files(path):
            con.execute(f"CREATE TABLE {_quote(f.stem)} AS SELECT * FROM "
                        "read_csv(?, header = true, all_varchar = true)", [str(f)])
    finally:
        con.close()  # checkpoints, so the time includes making the file durable
    return time.perf_counter() - started


def sqlite_executemany(path: str, db: str) -> float:
    """Plain ``sqlite3``: keyed TEXT tables filled by ``executemany``, one transaction."""
    _unlink_all(Path(db), Path(f"{db}-wal"), Path(f"{db}-shm"))
    started = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute("BEGIN")
        for f in csv_files(path):
            with f.open(newline="", encoding="utf-8") as fh:
                rows = csv.reader(fh)
                header = next(rows)
                columns = ", ".join(
                    f"{_quote(c)} TEXT" + (" PRIMARY KEY" if c == "sourcedId" else "")
                    for c in header)
                con.execute(f"CREATE TABLE {_quote(f.stem)} ({columns})")
                marks = ", ".join("?" * len(header))
                con.executemany(f"INSERT INTO {_quote(f.stem)} VALUES ({marks})", rows)
        con.execute("COMMIT")
    finally:
        con.close()
    return time.perf_counter() - started


def _arrow_table(file: Path) -> pa.Table:
    """``file`` read by ``pyarrow.csv`` with every column as a string, as a peer would."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    with file.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    options = pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()))
    return pa_csv.read_csv(file, convert_options=options)


def dlt_postgres_format() -> TLoaderFileFormat:
    """The loader file format dlt's fastest documented path into PostgreSQL uses here.

    With the ADBC PostgreSQL driver installed, Arrow tables go as ``parquet`` files through
    ADBC bulk ingest (about twice as fast as ``csv`` at 20,000 students); without it, as
    ``csv`` files loaded with ``COPY``.
    """
    return "parquet" if importlib.util.find_spec("adbc_driver_postgresql") else "csv"


def _dlt_destination(destination_url: str) -> tuple[TDestinationReferenceArg, TLoaderFileFormat]:
    """dlt's destination for a SQLAlchemy URL, and the loader file format to use there.

    SQLite goes through dlt's ``sqlalchemy`` destination, which takes Arrow tables as
    ``parquet`` files (it has no ADBC path for SQLite); PostgreSQL through dlt's
    ``postgres`` destination in :func:`dlt_postgres_format`.
    """
    from dlt.destinations import postgres
    from dlt.destinations import sqlalchemy as dlt_sqlalchemy

    url = sa.engine.make_url(destination_url)
    if url.get_backend_name() == "sqlite":
        return dlt_sqlalchemy(credentials=url.render_as_string(hide_password=False)), "parquet"
    if url.get_backend_name() == "postgresql":
        # dlt's postgres destination wants a plain libpq URL and insists on a password, so a
        # trust-auth server gets an empty one
        plain = url.set(drivername="postgresql", password=url.password or "")
        return (postgres(credentials=plain.render_as_string(hide_password=False)),
                dlt_postgres_format())
    raise ValueError(f"no dlt peer for {url.get_backend_name()!r}")


def _reset_dlt_target(destination_url: str) -> None:
    """Remove what an earlier run left, so each run is a first full load."""
    url = sa.engine.make_url(destination_url)
    if url.get_backend_name() == "sqlite":
        db = Path(url.database or "")
        # dlt attaches each dataset as its own file next to the main one
        _unlink_all(db, *db.parent.glob(f"{db.stem}__*"))
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_quote(DLT_DATASET)} CASCADE")
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_quote(DLT_DATASET + '_staging')} "
                              "CASCADE")
    finally:
        engine.dispose()


def _offline_dlt(data_dir: Path) -> None:
    """Keep dlt local: no telemetry, and its data dir inside the bench workdir."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["DLT_DATA_DIR"] = str(data_dir)


def _serial_sqlite_loads(destination_url: str) -> None:
    """SQLite takes one writer at a time: dlt's parallel load jobs fail with "database is
    locked" on a large district, so they run one after another (dlt's advice for SQLite)."""
    if destination_url.startswith("sqlite"):
        os.environ["LOAD__WORKERS"] = "1"


def dlt_arrow(path: str, destination_url: str, workdir: str | None = None) -> float:
    """dlt: each file read by ``pyarrow.csv`` and handed to a ``dlt.resource`` as an Arrow
    table, one ``pipeline.run`` (timed whole) with ``write_disposition="replace"``.

    ``destination_url`` is a SQLAlchemy URL (``sqlite:///...`` or ``postgresql...``); dlt's
    own files go to a temporary folder under ``workdir`` (default: beside ``path``).
    """
    scratch = Path(tempfile.mkdtemp(prefix="dlt-", dir=workdir or Path(path).parent))
    _offline_dlt(scratch / "home")
    _serial_sqlite_loads(destination_url)
    import dlt

    try:
        _reset_dlt_target(destination_url)
        destination, file_format = _dlt_destination(destination_url)

        def read(file: Path) -> Iterator[Any]:
            yield _arrow_table(file)  # lazily, so reading the files is part of the run

        resources = [dlt.resource(read(f), name=f.stem, write_disposition="replace")
                     for f in csv_files(path)]

        pipeline = dlt.pipeline(pipeline_name="harbor_bench_peer", destination=destination,
                                dataset_name=DLT_DATASET,
                                pipelines_dir=str(scratch / "pipelines"))
        started = time.perf_counter()
        pipeline.run(resources, loader_file_format=file_format)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
