"""Mastery recompute benchmark: generated evidence for a district's learners, then a full
recompute per method, an incremental recompute of 1 % of the learners, and the same
aggregate done by the database itself (``GROUP BY``) as the reference, all in one run.

The evidence is deterministic (seed 2026): each learner works on ``standards`` standards
(from a pool of 240) and has ``evidence`` rows spread evenly over them, one round a week,
inserted in time order (rounds, then learners), as a term's evidence arrives, so a
learner's rows are not next to each other on disk. Each phase runs in its own process
(:func:`gateway.bench.harness.measure`) on the same database. ``harbor bench mastery``
drives it.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console

from gateway.bench.harness import Measurement, Target, measure, print_table, throwaway_database
from gateway.bench.ingest import KEY
from gateway.mastery import recompute, write_settings
from gateway.secrets import SecretBox
from gateway.store.learning_tables import evidence
from gateway.store.store import Store

__all__ = ["full_recompute", "generate_evidence", "incremental_recompute", "run_mastery_bench",
           "sql_group_by", "standards_of"]

TENANT = "bench"
POOL = 240
SEED = 2026
START = datetime(2026, 9, 1, 8, tzinfo=UTC)
_LOADED = [c.name for c in evidence.columns if c.name != "id"]
_PG_TYPES = ["int4", "text", "int4", "text", "int4", "text", "text", "text", "text", "text",
             "text", "float8", "text", "float8", "json", "text", "text"]
_COUNTED = ("tenant_id = ? AND status = 'active' AND user_sourced_id IS NOT NULL "
            "AND standard IS NOT NULL AND score IS NOT NULL")


def _standard_ids() -> list[str]:
    rng = random.Random(SEED)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(POOL)]


def _user(i: int) -> str:
    return f"stu-{i:07d}"


def standards_of(i: int, standards: int) -> list[int]:
    """Which of the pool's standards learner ``i`` works on (53 is prime to 240, so the
    ``standards`` picks are distinct)."""
    return [(i * 31 + k * 53) % POOL for k in range(standards)]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _rows(tenant: int, learners: int, per_learner: int, standards: int
          ) -> Iterator[tuple[Any, ...]]:
    pool = _standard_ids()
    rng = random.Random(SEED)
    start = [rng.uniform(0.2, 0.8) for _ in range(learners)]  # where each learner begins
    rounds = -(-per_learner // standards)
    made = [0] * learners
    created = _stamp(START)
    for r in range(rounds):
        week = START + timedelta(days=7 * r)
        # formatting a time per row would cost more than the rest of the row
        stamps = [_stamp(week + timedelta(seconds=x)) for x in range(36_000)]
        for i in range(learners):
            for k, s in enumerate(standards_of(i, standards)):
                if made[i] == per_learner:
                    break
                made[i] += 1
                score = min(1.0, max(0.0, start[i] + 0.06 * r + rng.gauss(0, 0.1)))
                at = stamps[(i * 7 + k * 60) % 36_000]
                yield (tenant, "bench-tool", None, f"{r:02d}-{i:07d}-{k}", None, _user(i),
                       f"lesson {r + 1}", f"SK.{s}", pool[s], f"{score * 100:.0f}",
                       "percent", round(score, 2), at, 12.0, None, "active", created)


def generate_evidence(database_url: str, key: str, learners: int, evidence_rows: int,
                      standards: int) -> float:
    """Child-process body: a migrated store with the tenant's evidence; returns seconds."""
    store = Store.open(database_url, SecretBox(key.encode()))
    try:
        tenant = store.ensure_tenant(TENANT).id
        started = time.perf_counter()
        with store.engine.begin() as conn:
            for ix in evidence.indexes:  # built once after the load: far cheaper
                conn.execute(sa.schema.DropIndex(ix))
            raw: Any = conn.connection.driver_connection
            rows = _rows(tenant, learners, evidence_rows, standards)
            if conn.dialect.name == "postgresql":
                with raw.cursor() as cur, cur.copy(
                        f"COPY evidence ({', '.join(_LOADED)}) FROM STDIN") as copy:
                    copy.set_types(_PG_TYPES)
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(_LOADED))
                raw.executemany(f"INSERT INTO evidence ({', '.join(_LOADED)}) "
                                f"VALUES ({marks})", rows)
            for ix in evidence.indexes:
                conn.execute(sa.schema.CreateIndex(ix))
            conn.exec_driver_sql("ANALYZE evidence")
        return time.perf_counter() - started
    finally:
        store.close()


def _open(database_url: str, key: str) -> tuple[Store, int]:
    store = Store.open(database_url, SecretBox(key.encode()), migrate=False)
    return store, store.tenant(TENANT).id


def full_recompute(database_url: str, key: str, method: str) -> float:
    """Child-process body: every pair of the tenant with ``method``; seconds incl. commit."""
    store, tenant = _open(database_url, key)
    try:
        with store.engine.begin() as conn:
            write_settings(conn, tenant, method=method)
        started = time.perf_counter()
        with store.engine.begin() as conn:
            written = recompute(conn, tenant)
        seconds = time.perf_counter() - started
        print(f"  {method}: {written:,} mastery rows", flush=True)
        return seconds
    finally:
        store.close()


def incremental_recompute(database_url: str, key: str, learners: int, standards: int,
                          method: str = "decaying_average") -> float:
    """Child-process body: 1 % of the learners (every 100th) get a new score on each of
    their standards (not timed), then only their pairs are recomputed (timed)."""
    store, tenant = _open(database_url, key)
    pool = _standard_ids()
    touched = range(0, learners, 100)
    pairs = [(_user(i), pool[s]) for i in touched for s in standards_of(i, standards)]
    new = [{"tenant_id": tenant, "system": "bench-tool", "source_key": f"new-{u}-{s}",
            "user_sourced_id": u, "standard": s, "raw_score": "90", "scale": "percent",
            "score": 0.9, "observed_at": _stamp(START + timedelta(days=100)),
            "status": "active", "created_at": _stamp(START)} for u, s in pairs]
    try:
        with store.engine.begin() as conn:
            write_settings(conn, tenant, method=method)
            conn.execute(evidence.insert(), new)
        started = time.perf_counter()
        with store.engine.begin() as conn:
            written = recompute(conn, tenant, pairs)
        seconds = time.perf_counter() - started
        print(f"  incremental: {len(pairs):,} pairs, {written:,} rows", flush=True)
        return seconds
    finally:
        store.close()


def sql_group_by(database_url: str, key: str, write: bool) -> float:
    """Child-process body, the reference: ``mean`` done by the database. ``write``: the same
    mastery rows (levels by the default bands) by ``INSERT … SELECT … GROUP BY``; else the
    ``GROUP BY`` read to the client and dropped."""
    store, tenant = _open(database_url, key)
    level = ("CASE WHEN AVG(score) >= 0.9 THEN 'exceeding' WHEN AVG(score) >= 0.8 THEN "
             "'meeting' WHEN AVG(score) >= 0.6 THEN 'approaching' ELSE 'beginning' END")
    select = (f"SELECT tenant_id, user_sourced_id, standard, AVG(score), {level}, 'mean', "
              f"COUNT(*), MAX(observed_at), '{_stamp(START)}' FROM evidence "
              f"WHERE {_COUNTED} GROUP BY tenant_id, user_sourced_id, standard")
    try:
        started = time.perf_counter()
        with store.engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            raw: Any = conn.connection.driver_connection
            sql = select.replace("?", "%s") if pg else select
            if write:
                cur = raw.cursor()
                cur.execute("DELETE FROM mastery WHERE tenant_id = " + ("%s" if pg else "?"),
                            (tenant,))
                cur.execute(f"INSERT INTO mastery {sql}", (tenant,))
                cur.close()
            else:
                cur = raw.cursor(name="bench_group_by") if pg else raw.cursor()
                cur.execute(sql, (tenant,))
                while cur.fetchmany(50_000):
                    pass
                cur.close()
        return time.perf_counter() - started
    finally:
        store.close()


def run_mastery_bench(console: Console, *, learners: int, evidence_rows: int, standards: int,
                      database_url: str | None, workdir: Path,
                      methods: tuple[str, ...] = ("decaying_average", "mean", "power_law")
                      ) -> list[Measurement]:
    workdir.mkdir(parents=True, exist_ok=True)
    pg = bool(database_url and database_url.startswith("postgres"))
    label = "PostgreSQL" if pg else "SQLite"
    into: Target = "postgresql-url" if pg else "sqlite-url"
    here = "gateway.bench.mastery:"
    total = learners * evidence_rows
    with throwaway_database(into, workdir, database_url) as url:
        console.print(f"generating {total:,} evidence rows for {learners:,} learners ...")
        load = measure(f"load evidence ({label}, not part of a recompute)",
                       here + "generate_evidence",
                       {"database_url": url, "key": KEY, "learners": learners,
                        "evidence_rows": evidence_rows, "standards": standards},
                       note=f"{total:,} rows, indexes built after")
        base = {"database_url": url, "key": KEY}
        rows = [load]
        rows += [measure(f"full recompute, {m} ({label})", here + "full_recompute",
                         {**base, "method": m}, note=f"{learners * standards:,} pairs")
                 for m in methods]
        rows.append(measure(f"incremental recompute, 1 % of learners ({label})",
                            here + "incremental_recompute",
                            {**base, "learners": learners, "standards": standards},
                            note=f"{-(-learners // 100) * standards:,} pairs, decaying_average"))
        rows.append(measure(f"reference: INSERT … SELECT … GROUP BY, mean ({label})",
                            here + "sql_group_by", {**base, "write": True},
                            note="same rows as full recompute, mean"))
        rows.append(measure(f"reference: GROUP BY read, mean ({label})",
                            here + "sql_group_by", {**base, "write": False},
                            note="aggregate only, nothing written"))
    print_table(console, f"mastery recompute, {learners:,} learners x {evidence_rows} "
                         f"evidence rows", rows,
                baseline=f"reference: INSERT … SELECT … GROUP BY, mean ({label})")
    return rows
