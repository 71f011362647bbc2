"""Writes of the intake: tool rows upserted into ``evidence``, ``interventions``,
``assessment_results`` and ``placements`` by their key, comparing what is stored so a
re-pull of the same record writes nothing, and reporting what changed for the mastery
recompute.

Rows come in batches; each batch costs a few statements (a lookup of its keys, one
``executemany`` of inserts, one of updates), never one per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.store.learning_tables import evidence, placements

__all__ = ["COMPARED", "Upserted", "soft_delete_missing", "upsert_keyed", "upsert_placements"]

_CHUNK = 500

COMPARED: dict[str, tuple[str, ...]] = {
    "evidence": ("identity_link_id", "user_sourced_id", "activity", "skill_code", "standard",
                 "raw_score", "scale", "score", "observed_at", "usage_minutes", "payload",
                 "status"),
    "interventions": ("identity_link_id", "user_sourced_id", "kind", "skill_code",
                      "standard", "given_by", "started_at", "minutes", "notes"),
    "placements": ("user_sourced_id", "grade_level", "struggling", "observed_at"),
    "assessment_results": ("identity_link_id", "user_sourced_id", "assessment", "subject",
                           "school_year", "window", "administered_at", "growth_measure",
                           "grade", "scale_score", "standard_error", "percentile",
                           "performance_level", "grade_placement", "grade_equivalent",
                           "lexile", "quantile", "domains", "vendor_growth", "payload",
                           "status"),
}
"""The columns whose change makes a stored row an update."""


@dataclass(slots=True)
class Upserted:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    before: list[Mapping[str, Any]] = field(default_factory=list)
    """The stored values of rows this batch changed (for the pairs they leave)."""


def _update_many(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    names = [k for k in rows[0] if k != "id"]
    stmt = (table.update().where(table.c.id == sa.bindparam("b_id"))
            .values({k: sa.bindparam(f"b_{k}") for k in names}))
    conn.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])


def upsert_keyed(conn: sa.Connection, table: sa.Table, tenant_id: int, system: str,
                 rows: Sequence[dict[str, Any]], *, now: str) -> Upserted:
    """Evidence, interventions or assessment results by (tenant, system, source_key). A row
    with status ``tobedeleted`` withdraws the stored one (or is skipped if none is stored).
    A table with an ``updated_at`` column gets ``now`` there on every write."""
    compared = COMPARED[table.name]
    stamp = {"updated_at": now} if "updated_at" in table.c else {}
    out = Upserted()
    by_key = {r["source_key"]: r for r in rows}  # a key twice in a batch: the last wins
    keys = list(by_key)
    stored: dict[str, Any] = {}
    for i in range(0, len(keys), _CHUNK):
        found = conn.execute(sa.select(table.c.id, table.c.source_key,
                                       *(table.c[c] for c in compared))
                             .where(table.c.tenant_id == tenant_id, table.c.system == system,
                                    table.c.source_key.in_(keys[i:i + _CHUNK])))
        stored.update((r.source_key, r) for r in found)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for key, row in by_key.items():
        old = stored.get(key)
        withdrawn = row.get("status") == "tobedeleted"
        if old is None:
            if withdrawn:
                out.skipped += 1
                continue
            inserts.append({"tenant_id": tenant_id, "system": system, "created_at": now,
                            **stamp, **row})
            out.added += 1
        elif all(getattr(old, c) == row.get(c) for c in compared):
            out.unchanged += 1
        else:
            updates.append({"id": old.id, **{c: row.get(c) for c in compared}, **stamp})
            out.before.append(old._mapping)
            if withdrawn and old.status != "tobedeleted":
                out.deleted += 1
            else:
                out.updated += 1
    if inserts:
        conn.execute(table.insert(), inserts)
    _update_many(conn, table, updates)
    return out


def soft_delete_missing(conn: sa.Connection, tenant_id: int, system: str,
                        seen: set[str], *, dry: bool = False, table: sa.Table = evidence,
                        now: str | None = None) -> tuple[list[Mapping[str, Any]], int]:
    """Active rows of ``table`` (evidence, or assessment results) of ``system`` whose key a
    bulk pull did not send: withdrawn (unless ``dry``). Returns the rows withdrawn (id,
    source_key, user_sourced_id and, for evidence, standard) and how many were active."""
    e = table
    columns = [e.c[c] for c in ("id", "source_key", "user_sourced_id", "standard") if c in e.c]
    active = conn.execute(sa.select(*columns)
                          .where(e.c.tenant_id == tenant_id, e.c.system == system,
                                 e.c.status == "active")).all()
    gone = [r for r in active if r.source_key not in seen]
    stamp = {"updated_at": now} if now is not None and "updated_at" in e.c else {}
    if gone and not dry:
        ids = [r.id for r in gone]
        for i in range(0, len(ids), _CHUNK):
            conn.execute(e.update().where(e.c.id.in_(ids[i:i + _CHUNK]))
                         .values(status="tobedeleted", **stamp))
    return [dict(r._mapping) for r in gone], len(active)


def upsert_placements(conn: sa.Connection, tenant_id: int, system: str,
                      rows: Sequence[dict[str, Any]]) -> Upserted:
    """Placements by (tenant, system, identity link, subject); an observation older than
    the stored one leaves it as it is."""
    p = placements
    out = Upserted()
    by_key: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["identity_link_id"], row["subject"])
        if key not in by_key or row["observed_at"] >= by_key[key]["observed_at"]:
            by_key[key] = row
    links = sorted({k[0] for k in by_key})
    stored: dict[tuple[int, str], Any] = {}
    for i in range(0, len(links), _CHUNK):
        found = conn.execute(sa.select(p).where(p.c.tenant_id == tenant_id, p.c.system == system,
                                                p.c.identity_link_id.in_(links[i:i + _CHUNK])))
        stored.update(((r.identity_link_id, r.subject), r) for r in found)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    compared = COMPARED["placements"]
    for key, row in by_key.items():
        old = stored.get(key)
        if old is None:
            inserts.append({"tenant_id": tenant_id, "system": system, **row})
            out.added += 1
        elif (row["observed_at"] < old.observed_at
              or all(getattr(old, c) == row.get(c) for c in compared)):
            out.unchanged += 1
        else:
            updates.append({"id": old.id, **{c: row.get(c) for c in compared}})
            out.updated += 1
    if inserts:
        conn.execute(p.insert(), inserts)
    _update_many(conn, p, updates)
    return out

