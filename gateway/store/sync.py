"""The bulk write path: one run's transaction for one tenant, at COPY-class speed.

The engine hands over rows already in table column order (see :func:`insert_columns`);
this module only moves them in and out. SQLite goes through ``executemany`` on the raw
driver connection, PostgreSQL through ``COPY`` (and a staging table for updates), because
row-at-a-time ORM or SQLAlchemy Core inserts would cost several times the whole budget.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from gateway.store.tables import record_select, stream_tables

__all__ = ["StreamIndex", "SyncSession", "insert_columns"]

ACTIVE = "active"
DELETED = "tobedeleted"
FETCH_CHUNK = 50_000


def insert_columns(stream: str) -> tuple[str, ...]:
    """Column order of the rows the engine builds for ``stream``."""
    return tuple(c.name for c in stream_tables[stream].columns)


@cache
def _pg_types(stream: str) -> list[str]:
    """PostgreSQL type names of a stream table's columns, in insert order."""
    names: dict[type[Any], str] = {sa.Integer: "int4", sa.BigInteger: "int8"}
    return [names.get(type(c.type), "text") for c in stream_tables[stream].columns]


def _quoted(cols: Sequence[str]) -> str:
    # Quoted because OneRoster uses SQL words as field names (primary, type, source).
    return ", ".join(f'"{c}"' for c in cols)


@dataclass(slots=True)
class StreamIndex:
    """What the store holds for one stream of one tenant, as the diff needs it."""

    active: dict[str, int] = field(default_factory=dict)
    """sourcedId -> content hash of every active row."""
    deleted: dict[str, int] = field(default_factory=dict)
    """sourcedId -> content hash of every ``tobedeleted`` row."""
    foreign: set[str] = field(default_factory=set)
    """Active rows written by another connection: a bulk pull never deletes those."""


class SyncSession:
    """Reads and writes of one run inside its single transaction.

    Holding one transaction for the whole run is what makes a failed or held run leave the
    store exactly as it was. The tenant row is locked (``last_version`` is bumped first), so
    runs of one tenant apply one after another and change versions commit in order.
    """

    def __init__(self, conn: sa.Connection, tenant_id: int, connection_id: int) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.connection_id = connection_id
        self.dialect = conn.dialect.name
        self._raw: Any = conn.connection.driver_connection
        self._staged: set[str] = set()
        self.tx: sa.RootTransaction | None = None

    # reads -------------------------------------------------------------------------------

    @contextmanager
    def _cursor(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """A cursor over a query's rows in constant memory (server side on PostgreSQL).
        Consumers take ``fetchmany`` chunks into ``dict.update``/``set.update``, so rows
        never pass through Python-level code one by one: that is most of the cost of
        loading millions of hashes."""
        if self.dialect == "postgresql":
            cur = self._raw.cursor(name="harbor_scan")
            cur.itersize = FETCH_CHUNK
            cur.execute(sql.replace("?", "%s"), params)
        else:
            cur = self._raw.cursor()
            cur.execute(sql, params)
        try:
            yield cur
        finally:
            cur.close()

    def _chunks(self, sql: str, params: Sequence[Any]) -> Iterator[list[tuple[Any, ...]]]:
        """A query's rows in ``fetchmany`` chunks, for ``dict.update``/``set.update``."""
        with self._cursor(sql, params) as cur:
            while chunk := cur.fetchmany(FETCH_CHUNK):
                yield chunk

    def _scan(self, stream: str) -> str:
        """The table to read all of a tenant's rows from. SQLite would otherwise walk the
        version index and fetch every row at random; a sequential scan is much faster."""
        table = stream_tables[stream].name
        return f"{table} NOT INDEXED" if self.dialect == "sqlite" else table

    def _in_set(self, column: str, values: Iterable[str]) -> tuple[str, Any]:
        """A ``column IN (values)`` predicate with one parameter, however many values: an
        array on PostgreSQL (hashed), a JSON list read by ``json_each`` on SQLite."""
        if self.dialect == "postgresql":
            return f'"{column}" = ANY(?)', list(values)
        return f'"{column}" IN (SELECT value FROM json_each(?))', json.dumps(list(values))

    def index(self, stream: str) -> StreamIndex:
        """Load the hashes of every row of ``stream`` for this tenant (for bulk pulls)."""
        scan = self._scan(stream)
        base = f"SELECT sourced_id, content_hash FROM {scan} WHERE tenant_id = ? AND status = "
        idx = StreamIndex()
        for chunk in self._chunks(base + "'active'", (self.tenant_id,)):
            idx.active.update(chunk)
        for chunk in self._chunks(base + "'tobedeleted'", (self.tenant_id,)):
            idx.deleted.update(chunk)
        for chunk in self._chunks(f"SELECT sourced_id FROM {scan} WHERE tenant_id = ? AND "
                                  f"status = 'active' AND connection_id <> ?",
                                  (self.tenant_id, self.connection_id)):
            idx.foreign.update(map(itemgetter(0), chunk))
        return idx

    def lookup(self, stream: str, sourced_ids: Sequence[str]) -> StreamIndex:
        """The index entries of just ``sourced_ids`` (for delta pulls, which touch few)."""
        idx = StreamIndex()
        if not sourced_ids:
            return idx
        where, ids = self._in_set("sourced_id", sourced_ids)
        sql = (f"SELECT sourced_id, content_hash, status, connection_id "
               f"FROM {stream_tables[stream].name} WHERE tenant_id = ? AND {where}")
        for chunk in self._chunks(sql, (self.tenant_id, ids)):
            for sid, h, status, conn_id in chunk:
                if status == ACTIVE:
                    idx.active[sid] = h
                    if conn_id != self.connection_id:
                        idx.foreign.add(sid)
                else:
                    idx.deleted[sid] = h
        return idx

    def referencing(self, stream: str, column: str,
                    targets: set[str]) -> list[tuple[str, str]]:
        """Active rows of ``stream`` whose ``column`` holds one of ``targets``: one scan of
        the tenant's rows, however many targets."""
        if not targets:
            return []
        where, values = self._in_set(column, targets)
        sql = (f'SELECT sourced_id, "{column}" FROM {self._scan(stream)} '
               f"WHERE tenant_id = ? AND status = 'active' AND {where}")
        return [row for chunk in self._chunks(sql, (self.tenant_id, values)) for row in chunk]

    def max_version(self, stream: str) -> int:
        """The newest change version among the tenant's rows of ``stream`` (0 if none)."""
        t = stream_tables[stream]
        q = sa.select(sa.func.max(t.c.version)).where(t.c.tenant_id == self.tenant_id)
        return int(self.conn.execute(q).scalar() or 0)

    def count_owned(self, stream: str) -> int:
        """Active rows of ``stream`` this connection wrote last."""
        t = stream_tables[stream]
        q = sa.select(sa.func.count()).select_from(t).where(
            t.c.tenant_id == self.tenant_id, t.c.status == ACTIVE,
            t.c.connection_id == self.connection_id)
        return int(self.conn.execute(q).scalar_one())

    def active_ids(self, stream: str) -> set[str]:
        ids: set[str] = set()
        for chunk in self._chunks(f"SELECT sourced_id FROM {self._scan(stream)} WHERE "
                                  f"tenant_id = ? AND status = 'active'", (self.tenant_id,)):
            ids.update(map(itemgetter(0), chunk))
        return ids

    def fetch(self, stream: str, sourced_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Current rows by sourcedId, keyed by OneRoster column name (for diffs people read)."""
        table = stream_tables[stream]
        ids = list(sourced_ids)
        if not ids:
            return {}
        q = record_select(stream).where(table.c.tenant_id == self.tenant_id,
                                        table.c.sourced_id.in_(ids))
        return {r[0]: dict(r._mapping) for r in self.conn.execute(q)}

    # writes ------------------------------------------------------------------------------

    def insert(self, stream: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert rows that the index showed are new for this tenant."""
        if not rows:
            return
        table = stream_tables[stream].name
        cols = insert_columns(stream)
        if self.dialect == "postgresql":
            with self._raw.cursor() as cur, cur.copy(
                f"COPY {table} ({_quoted(cols)}) FROM STDIN"
            ) as copy:
                copy.set_types(_pg_types(stream))  # fixed dumpers: no per-value lookup
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(cols))
            self._raw.executemany(f"INSERT INTO {table} ({_quoted(cols)}) VALUES ({marks})", rows)

    def update(self, stream: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Overwrite existing rows (same tenant and sourcedId) with new content."""
        if not rows:
            return
        table = stream_tables[stream].name
        cols = insert_columns(stream)
        settable = cols[2:]  # everything but the key (tenant_id, sourced_id)
        if self.dialect == "postgresql":
            stage = self._stage(table, cols)
            with self._raw.cursor() as cur:
                with cur.copy(f"COPY {stage} ({_quoted(cols)}) FROM STDIN") as copy:
                    copy.set_types(_pg_types(stream))
                    for row in rows:
                        copy.write_row(row)
                cur.execute(f"ANALYZE {stage}")  # temp tables are never auto-analyzed
                sets = ", ".join(f'"{c}" = s."{c}"' for c in settable)
                cur.execute(
                    f"UPDATE {table} t SET {sets} FROM {stage} s "
                    f"WHERE t.tenant_id = s.tenant_id AND t.sourced_id = s.sourced_id"
                )
                cur.execute(f"TRUNCATE {stage}")
        else:
            sets = ", ".join(f'"{c}" = ?' for c in settable)
            self._raw.executemany(
                f"UPDATE {table} SET {sets} WHERE tenant_id = ? AND sourced_id = ?",
                [(*row[2:], row[0], row[1]) for row in rows],
            )

    def soft_delete(self, stream: str, sourced_ids: Sequence[str], *, now: str,
                    version: int) -> None:
        """Mark rows ``tobedeleted``: nothing is ever hard-deleted by a sync."""
        if not sourced_ids:
            return
        table = stream_tables[stream].name
        sets = "status = 'tobedeleted', date_last_modified = ?, version = ?, connection_id = ?"
        if self.dialect == "postgresql":
            with self._raw.cursor() as cur:
                for start in range(0, len(sourced_ids), FETCH_CHUNK):
                    cur.execute(
                        f"UPDATE {table} SET {sets.replace('?', '%s')} "
                        f"WHERE tenant_id = %s AND sourced_id = ANY(%s)",
                        (now, version, self.connection_id, self.tenant_id,
                         list(sourced_ids[start:start + FETCH_CHUNK])),
                    )
        else:
            params = [(now, version, self.connection_id, self.tenant_id, sid)
                      for sid in sourced_ids]
            self._raw.executemany(
                f"UPDATE {table} SET {sets} WHERE tenant_id = ? AND sourced_id = ?", params
            )

    def is_empty(self, stream: str) -> bool:
        """True when the stream's table holds no row of any tenant."""
        table = stream_tables[stream].name
        cur = self._raw.cursor()
        try:
            cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
            return cur.fetchone() is None
        finally:
            cur.close()

    def drop_indexes(self, stream: str) -> None:
        """Drop the stream table's indexes for a first load into an empty table; building
        them once afterwards costs far less than maintaining them row by row. The DDL is
        part of the run's transaction, so a failed run gets its indexes back."""
        for ix in stream_tables[stream].indexes:
            self.conn.execute(sa.schema.DropIndex(ix))

    def create_indexes(self, stream: str) -> None:
        for ix in stream_tables[stream].indexes:
            self.conn.execute(sa.schema.CreateIndex(ix))
        # Planner statistics for a table that just went from empty to millions of rows, so
        # that lookups pick the right index (PostgreSQL's autovacuum would get there too, but
        # only after the next run has planned badly; SQLite never would). On SQLite a sample
        # of each index is enough and keeps this to milliseconds.
        if self.dialect == "sqlite":
            self.conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        self.conn.exec_driver_sql(f"ANALYZE {stream_tables[stream].name}")

    def _stage(self, table: str, cols: Sequence[str]) -> str:
        stage = f"stage_{table}"
        if stage not in self._staged:
            with self._raw.cursor() as cur:
                cur.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
                    f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
                )
            self._staged.add(stage)
        return stage
