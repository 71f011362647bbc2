"""Recomputing mastery from evidence: for a whole tenant, or only the (learner, standard)
pairs a run touched.

The evidence of each pair is read in time order (``ix_evidence_learner`` serves both the
order of a whole-tenant scan and the lookups of given pairs), folded by the tenant's method
(:mod:`gateway.mastery.methods`), banded (:mod:`gateway.mastery.settings`) and written to
``mastery`` in bulk: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, as the sync path
does (:mod:`gateway.store.sync`), because row-at-a-time statements would cost more than
the whole computation. Reads go through a server-side cursor on PostgreSQL and
``fetchmany`` chunks on SQLite, so memory stays flat however large the tenant.

Only active evidence with a resolved learner, a standard and a normalized score counts.
A recomputed pair's old row is replaced, and a pair left without evidence loses its row.
It all happens in the caller's transaction: a failed run leaves mastery as it was.
"""

from __future__ import annotations

import json
import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.mastery.settings import MasterySettings, read_settings
from gateway.store.learning_tables import mastery

__all__ = ["recompute"]

FETCH_CHUNK = 50_000
PAIR_CHUNK = 10_000
"""Pairs looked up per query in an incremental recompute."""

_COLUMNS = tuple(c.name for c in mastery.columns)
_PG_TYPES = ["int4", "text", "text", "float8", "text", "text", "int4", "text", "text"]
_COUNTED = ("e.status = 'active' AND e.user_sourced_id IS NOT NULL "
            "AND e.standard IS NOT NULL AND e.score IS NOT NULL")
_ORDER = "ORDER BY e.user_sourced_id, e.standard, e.observed_at, e.id"
_FIELDS = "SELECT e.user_sourced_id, e.standard, e.observed_at, e.score"
# A whole tenant, in the order of ix_evidence_learner (SQLite keeps the rowid, our ``id``,
# as the index's last key, so the walk needs no sort).
_TENANT = f"{_FIELDS} FROM evidence AS e WHERE e.tenant_id = ? AND {_COUNTED} {_ORDER}"
# Given pairs, each looked up by ix_evidence_learner: CROSS JOIN makes SQLite drive the
# loop from the pairs; PostgreSQL gets them as two arrays.
_PAIRS_SQLITE = (f"{_FIELDS} FROM json_each(?) AS p CROSS JOIN evidence AS e "
                 f"WHERE e.tenant_id = ? AND e.user_sourced_id = json_extract(p.value, '$[0]')"
                 f" AND e.standard = json_extract(p.value, '$[1]') AND {_COUNTED} {_ORDER}")
_PAIRS_PG = (f"{_FIELDS} FROM unnest(%s::text[], %s::text[]) AS p(u, s) "
             f"JOIN evidence AS e ON e.tenant_id = %s AND e.user_sourced_id = p.u "
             f"AND e.standard = p.s WHERE {_COUNTED} {_ORDER}")

_UPSERT_SQLITE = (f"INSERT INTO mastery ({', '.join(_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(_COLUMNS))}) "
                  f"ON CONFLICT (tenant_id, user_sourced_id, standard) DO UPDATE SET "
                  + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[3:]))


def recompute(conn: sa.Connection, tenant_id: int,
              pairs: Iterable[tuple[str, str]] | None = None) -> int:
    """Recompute mastery of ``pairs`` of (user sourcedId, standard identifier), or of every
    pair of the tenant when ``pairs`` is None, with the tenant's settings. Returns the
    number of mastery rows written (pairs without evidence are removed, not counted)."""
    settings = read_settings(conn, tenant_id)  # also opens the caller's transaction
    job = _Job(conn, tenant_id, settings)
    if pairs is None:
        job.start_tenant()
        written = job.fold(job.stream(_TENANT, (tenant_id,)))
        job.finish_tenant()
        return written
    wanted = sorted({(u, s) for u, s in pairs if u and s})
    written = 0
    for start in range(0, len(wanted), PAIR_CHUNK):
        chunk = wanted[start:start + PAIR_CHUNK]
        job.delete_pairs(chunk)
        params: tuple[Any, ...]
        if job.dialect == "postgresql":
            sql, params = _PAIRS_PG, ([u for u, _ in chunk], [s for _, s in chunk], tenant_id)
        else:
            sql, params = _PAIRS_SQLITE, (json.dumps(chunk), tenant_id)
        # A chunk's rows fit in memory, and a server-side cursor would make PostgreSQL plan
        # for the first rows: a merge join walking the tenant's whole index (8 s at 400,000
        # learners) instead of one index lookup per pair (0.1 s).
        written += job.fold(job.stream(sql, params, server_side=False))
    return written


class _Job:
    """One recompute: the raw driver connection, the tenant's scorer and bands."""

    def __init__(self, conn: sa.Connection, tenant_id: int, settings: MasterySettings) -> None:
        self.dialect = conn.dialect.name
        self.raw: Any = conn.connection.driver_connection
        self.tenant_id = tenant_id
        self.settings = settings
        self.now = utcnow()

    def stream(self, sql: str, params: Sequence[Any], *, server_side: bool = True
               ) -> Iterator[list[tuple[Any, ...]]]:
        with self._cursor(sql, params, server_side) as cur:
            while chunk := cur.fetchmany(FETCH_CHUNK):
                yield chunk

    @contextmanager
    def _cursor(self, sql: str, params: Sequence[Any], server_side: bool) -> Iterator[Any]:
        if self.dialect == "postgresql" and server_side:
            cur = self.raw.cursor(name="harbor_mastery_evidence")
            cur.itersize = FETCH_CHUNK
            cur.execute(sql.replace("?", "%s"), params)
        else:
            cur = self.raw.cursor()
            cur.execute(sql, params)
        try:
            yield cur
        finally:
            cur.close()

    def fold(self, chunks: Iterable[list[tuple[Any, ...]]]) -> int:
        """Evidence rows ordered by (user, standard, time) → mastery rows, written in
        batches while the rows stream in."""
        score = self.settings.scorer()
        lows = [b.low for b in self.settings.bands]
        levels = [b.level for b in self.settings.bands]
        tenant, method, now = self.tenant_id, self.settings.method, self.now
        out: list[tuple[Any, ...]] = []
        written = 0
        user: str | None = None
        standard: str | None = None
        scores: list[float] = []
        last_at = ""

        # The loop body runs once per evidence row (millions): locals only, no calls but
        # the scorer's once per pair.
        for chunk in chunks:
            for u, s, at, value in chunk:
                if s != standard or u != user:
                    if scores:
                        m = score(scores)
                        m = 0.0 if m < 0.0 else 1.0 if m > 1.0 else m
                        out.append((tenant, user, standard, m,
                                    levels[bisect_right(lows, m) - 1], method, len(scores),
                                    last_at, now))
                    user, standard, scores = u, s, [value]
                else:
                    scores.append(value)
                last_at = at
            if len(out) >= FETCH_CHUNK:
                self.insert(out)
                written += len(out)
                out = []
        if scores:
            m = score(scores)
            m = 0.0 if m < 0.0 else 1.0 if m > 1.0 else m
            out.append((tenant, user, standard, m, levels[bisect_right(lows, m) - 1], method,
                        len(scores), last_at, now))
        self.insert(out)
        return written + len(out)

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(_COLUMNS)
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f"COPY mastery ({cols}) FROM STDIN") as copy:
                copy.set_types(_PG_TYPES)
                for row in rows:
                    copy.write_row(row)
        else:
            self.raw.executemany(_UPSERT_SQLITE, rows)

    def start_tenant(self) -> None:
        """Before a whole-tenant fold. PostgreSQL: the old rows go, COPY brings the new.
        SQLite: rows are updated in place (:meth:`insert` upserts) and those the fold did
        not reach are removed afterwards by their older ``computed_at``; that leaves both
        indexes untouched and took a third of the time of deleting and reinserting 1.6
        million rows. So this run's stamp must be one no stored row has yet."""
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur:
                cur.execute("DELETE FROM mastery WHERE tenant_id = %s", (self.tenant_id,))
            return
        while self._one("SELECT 1 FROM mastery WHERE tenant_id = ? AND computed_at = ? "
                        "LIMIT 1", (self.tenant_id, self.now)):
            time.sleep(0.001)  # the last recompute ended within this millisecond
            self.now = utcnow()

    def finish_tenant(self) -> None:
        # Fresh planner statistics: a table that went from empty to millions of rows
        # otherwise gets hash joins over the whole tenant for the next run's few pairs
        # (PostgreSQL: 0.4 s instead of milliseconds at 100,000 learners).
        if self.dialect == "sqlite":
            self.raw.execute("DELETE FROM mastery WHERE tenant_id = ? AND computed_at <> ?",
                             (self.tenant_id, self.now))
            self.raw.execute("PRAGMA analysis_limit=1000")
            self.raw.execute("ANALYZE mastery")
        else:
            with self.raw.cursor() as cur:
                cur.execute("ANALYZE mastery")

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        cur = self.raw.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchone()
        finally:
            cur.close()

    def delete_pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur:
                cur.execute("DELETE FROM mastery AS m USING unnest(%s::text[], %s::text[]) "
                            "AS p(u, s) WHERE m.tenant_id = %s AND m.user_sourced_id = p.u "
                            "AND m.standard = p.s",
                            ([u for u, _ in pairs], [s for _, s in pairs], self.tenant_id))
        else:
            self.raw.executemany("DELETE FROM mastery WHERE tenant_id = ? AND "
                                 "user_sourced_id = ? AND standard = ?",
                                 [(self.tenant_id, u, s) for u, s in pairs])
