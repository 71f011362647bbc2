"""Reads and writes of a tenant's CASE frameworks (``standards_frameworks``), items
(``standards``) and associations (``standard_associations``).

An import is one transaction and checks the whole package before it writes, so a bad
package changes nothing. Items and associations are upserted by identifier: importing a
newer export of the same framework updates rows in place and duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.errors import Problem
from gateway.standards.case import AssociationRow, ItemRow, ParsedPackage, parse_package
from gateway.store.learning_tables import standard_associations, standards, standards_frameworks

__all__ = ["FrameworkRecord", "ImportReport", "StandardRecord", "Transactional",
           "frameworks", "import_package", "standard", "standards_by_code", "transaction",
           "upsert_rows"]

Transactional = sa.Engine | sa.Connection
"""An engine (the call opens and commits its own transaction) or a connection (the call
joins the caller's transaction; the caller commits)."""


@contextmanager
def transaction(conn_or_engine: Transactional) -> Iterator[sa.Connection]:
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.begin() as conn:
            yield conn
    else:
        yield conn_or_engine


@dataclass(slots=True)
class ImportReport:
    """What one package import did."""

    framework: str
    """The CFDocument identifier."""
    title: str
    framework_id: int
    source: str
    items: dict[str, int] = field(default_factory=dict)
    """``added``, ``updated``, ``unchanged``, and ``kept``: items an earlier import stored
    that this package no longer has (kept, since evidence and mastery may name them)."""
    associations: dict[str, int] = field(default_factory=dict)
    """``added``, ``updated``, ``unchanged``, ``removed`` (no longer in the package)."""
    notices: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"framework": self.framework, "title": self.title,
                "framework_id": self.framework_id, "source": self.source,
                "items": self.items, "associations": self.associations,
                "notices": [n.as_dict() for n in self.notices]}


@dataclass(frozen=True, slots=True)
class FrameworkRecord:
    id: int
    identifier: str
    uri: str | None
    title: str
    creator: str | None
    version: str | None
    subject: str | None
    adoption_status: str | None
    last_change: str | None
    source: str | None
    imported_at: str
    item_count: int = 0


@dataclass(frozen=True, slots=True)
class StandardRecord:
    identifier: str
    framework: str
    """The CFDocument identifier of its framework."""
    uri: str | None
    code: str | None
    statement: str
    item_type: str | None
    subject: str | None
    grade_levels: tuple[str, ...]
    list_order: int | None


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql.insert(table) if conn.dialect.name == "postgresql"
            else sqlite.insert(table))


def upsert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
            keys: Sequence[str]) -> None:
    if not rows:
        return
    stmt = _insert(conn, table)
    update = {name: stmt.excluded[name] for name in rows[0] if name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update),
                 list(rows))


def import_package(conn_or_engine: Transactional, tenant_id: int, package: Any,
                   source: str) -> ImportReport:
    """Import a CASE CFPackage into ``tenant_id``. Raises
    :class:`~gateway.errors.SourceDataError` naming each bad item and field, before anything
    is written."""
    parsed = parse_package(package, source)
    with transaction(conn_or_engine) as conn:
        return _write(conn, tenant_id, parsed, source)


def _write(conn: sa.Connection, tenant_id: int, parsed: ParsedPackage,
           source: str) -> ImportReport:
    doc = parsed.framework
    values = {"uri": doc.uri, "title": doc.title, "creator": doc.creator,
              "version": doc.version, "subject": doc.subject,
              "adoption_status": doc.adoption_status, "last_change": doc.last_change,
              "source": source, "imported_at": utcnow()}
    upsert_rows(conn, standards_frameworks,
            [{"tenant_id": tenant_id, "identifier": doc.identifier, **values}],
            ("tenant_id", "identifier"))
    framework_id = int(conn.execute(sa.select(standards_frameworks.c.id).where(
        standards_frameworks.c.tenant_id == tenant_id,
        standards_frameworks.c.identifier == doc.identifier)).scalar_one())
    report = ImportReport(doc.identifier, doc.title, framework_id, source,
                          notices=parsed.notices)
    report.items = _write_items(conn, tenant_id, framework_id, parsed.items)
    report.associations = _write_associations(conn, tenant_id, framework_id,
                                              parsed.associations)
    return report


def _item_values(row: ItemRow) -> dict[str, Any]:
    return {"uri": row.uri, "code": row.code, "statement": row.statement,
            "item_type": row.item_type, "subject": row.subject,
            "grade_levels": list(row.grade_levels), "list_order": row.list_order,
            "last_change": row.last_change}


def _write_items(conn: sa.Connection, tenant_id: int, framework_id: int,
                 rows: list[ItemRow]) -> dict[str, int]:
    t = standards
    names = ("uri", "code", "statement", "item_type", "subject", "grade_levels",
             "list_order", "last_change")
    existing: dict[str, tuple[Any, ...]] = {}
    previous: set[str] = set()
    query = sa.select(t.c.identifier, t.c.framework_id, *(t.c[n] for n in names)).where(
        t.c.tenant_id == tenant_id)
    incoming = {row.identifier for row in rows}
    for found in conn.execute(query):
        if found.framework_id == framework_id:
            previous.add(found.identifier)
        if found.identifier in incoming:
            existing[found.identifier] = (found.framework_id, *found[2:])
    changed = []
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for row in rows:
        values = _item_values(row)
        before = existing.get(row.identifier)
        if before is None:
            counts["added"] += 1
        elif before == (framework_id, *(values[n] for n in names)):
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        changed.append({"tenant_id": tenant_id, "identifier": row.identifier,
                        "framework_id": framework_id, **values})
    upsert_rows(conn, t, changed, ("tenant_id", "identifier"))
    counts["kept"] = len(previous - incoming)
    return counts


def _write_associations(conn: sa.Connection, tenant_id: int, framework_id: int,
                        rows: list[AssociationRow]) -> dict[str, int]:
    t = standard_associations
    existing = {r.identifier: (r.framework_id, r.association_type, r.origin, r.destination,
                               r.sequence)
                for r in conn.execute(sa.select(
                    t.c.identifier, t.c.framework_id, t.c.association_type, t.c.origin,
                    t.c.destination, t.c.sequence).where(t.c.tenant_id == tenant_id))}
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    changed = []
    for row in rows:
        values = (framework_id, row.association_type, row.origin, row.destination,
                  row.sequence)
        before = existing.get(row.identifier)
        if before == values:
            counts["unchanged"] += 1
            continue
        counts["added" if before is None else "updated"] += 1
        changed.append({"tenant_id": tenant_id, "identifier": row.identifier,
                        "framework_id": framework_id, "association_type": row.association_type,
                        "origin": row.origin, "destination": row.destination,
                        "sequence": row.sequence})
    upsert_rows(conn, t, changed, ("tenant_id", "identifier"))
    # A link the framework no longer has must leave the graph (a stale precedes edge would
    # send learners to the wrong prerequisite); links of other frameworks stay.
    incoming = [row.identifier for row in rows]
    stale = [i for i, v in existing.items() if v[0] == framework_id and i not in set(incoming)]
    for start in range(0, len(stale), 500):
        conn.execute(sa.delete(t).where(t.c.tenant_id == tenant_id,
                                        t.c.identifier.in_(stale[start:start + 500])))
    counts["removed"] = len(stale)
    return counts


def frameworks(conn: sa.Connection, tenant_id: int) -> list[FrameworkRecord]:
    """The tenant's frameworks, by title, with how many items each has."""
    f, s = standards_frameworks, standards
    count = (sa.select(sa.func.count()).select_from(s).where(s.c.framework_id == f.c.id)
             .scalar_subquery())
    query = (sa.select(f, count.label("item_count")).where(f.c.tenant_id == tenant_id)
             .order_by(f.c.title, f.c.id))
    return [FrameworkRecord(
        id=r.id, identifier=r.identifier, uri=r.uri, title=r.title, creator=r.creator,
        version=r.version, subject=r.subject, adoption_status=r.adoption_status,
        last_change=r.last_change, source=r.source, imported_at=r.imported_at,
        item_count=int(r.item_count)) for r in conn.execute(query)]


def _standards_query(tenant_id: int) -> sa.Select[Any]:
    s, f = standards, standards_frameworks
    return (sa.select(s, f.c.identifier.label("framework_identifier"))
            .join(f, f.c.id == s.c.framework_id).where(s.c.tenant_id == tenant_id))


def _record(r: Any) -> StandardRecord:
    return StandardRecord(
        identifier=r.identifier, framework=r.framework_identifier, uri=r.uri, code=r.code,
        statement=r.statement, item_type=r.item_type, subject=r.subject,
        grade_levels=tuple(r.grade_levels or ()), list_order=r.list_order)


def standard(conn: sa.Connection, tenant_id: int, identifier: str) -> StandardRecord | None:
    """One item by its identifier (GUID), or None."""
    row = conn.execute(_standards_query(tenant_id).where(
        standards.c.identifier == identifier)).first()
    return _record(row) if row is not None else None


def standards_by_code(conn: sa.Connection, tenant_id: int,
                      codes: Sequence[str]) -> dict[str, list[StandardRecord]]:
    """Items by identifier or by ``humanCodingScheme``: for each of ``codes`` that names one
    or more items, those items (a code may repeat across frameworks)."""
    s = standards
    found: dict[str, list[StandardRecord]] = {}
    unique = list(dict.fromkeys(codes))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        # Two queries, each on its own index, rather than one OR that neither index serves.
        for column in (s.c.identifier, s.c.code):
            query = _standards_query(tenant_id).where(column.in_(chunk)).order_by(s.c.id)
            for row in conn.execute(query):
                key = row.identifier if column is s.c.identifier else row.code
                records = found.setdefault(key, [])
                if all(r.identifier != row.identifier for r in records):
                    records.append(_record(row))
    return found
