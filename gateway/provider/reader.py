"""Reading OneRoster records for the provider: one query per page, one per nested stream.

A page is a count and a keyset-friendly ordered slice of one stream's table, constrained by
the path (``/schools/{id}/classes``), the client's sharing rule and the consumer's filter.
Users carry their active roles and profiles, fetched for the whole page at once. A page
holds active records, or also ``tobedeleted`` ones when a delta consumer's filter asks
(``dateLastModified>'…'``); a single record, or a path's parent, is found whatever its
status, so ``GET /users/{id}`` of a deleted user answers it with ``status: tobedeleted``.

The count decides how the slice is cut. Usually the page comes from a walk of the table in
page order (the key index), stopping at the page's last row. But when an index finds the
matching records and they are sparse, the walk visits ``(offset + limit) * tenant rows /
matches`` rows, far more than there are matches: the page's keys are then read from that
index and sorted, and only the page's rows fetched (see :data:`SORTED_KEYS_FACTOR`).
SQLite's planner cannot make this choice itself (it keeps no histograms) and walks even for
the few percent of users a delta consumer asks for with ``dateLastModified>'…'``. A filter
no index serves keeps the walk, which at least stops at the page's last match where sorting
would read every row of the tenant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList, UnaryExpression
from sqlalchemy.sql.functions import FunctionElement

from gateway.model._refs import REF_TYPES, href
from gateway.model.oneroster import NESTED_STREAMS, fast_json, to_model
from gateway.model.schema import STREAMS
from gateway.provider.coursework import visible_coursework
from gateway.provider.query.fields import SqliteOnly
from gateway.provider.sharing import Grant, visible, within
from gateway.store.tables import record_select, stream_tables, tenants

__all__ = ["COUNT_CACHE_SIZE", "SORTED_KEYS_FACTOR", "Page", "Reader", "to_json"]

COUNT_CACHE_SIZE = 4096
SORTED_KEYS_FACTOR = 1.0
"""A page whose matches an index finds is cut from their sorted keys when the keys to sort
(the matching records) number fewer than this factor times the rows a walk would visit,
``(offset + limit) * the tenant's rows / the matching records``. Sorting a key read from an
index and visiting a row on the walk cost about the same: 0.15 to 0.35 µs against about
0.2 µs on SQLite at 400,000 users. 0 always walks; ``math.inf`` always sorts when it can."""
_COUNTS: OrderedDict[tuple[Any, ...], int] = OrderedDict()
_COUNTS_LOCK = threading.Lock()

Condition = sa.ColumnElement[bool]

# Never served to vendors, whatever the source carried: credentials are the district's.
_WITHHELD = {"users": ("password",), "userProfiles": ("password",)}
_NESTED_FOR_PROVIDER = {"users": ("roles", "userProfiles"),
                        "lineItems": ("lineItemLearningObjectiveIds", "lineItemScoreScales"),
                        "results": ("resultLearningObjectiveIds", "resultScoreScales")}

SERVICE_BASES = {"rostering": "/ims/oneroster/rostering/v1p2",
                 "gradebook": "/ims/oneroster/gradebook/v1p2",
                 "resources": "/ims/oneroster/resources/v1p2"}
"""The base path of each OneRoster 1.2 service; a reference points into the service that
serves the referenced collection (a line item's class is a rostering class)."""
_REF_COLLECTIONS = {kind: collection for collection, kind in REF_TYPES.items()}


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


class Reader:
    def __init__(self, engine: sa.Engine, tenant_id: int, grant: Grant) -> None:
        self.engine = engine
        self.tenant_id = tenant_id
        self.grant = grant

    def scope(self, stream: str, table: sa.FromClause, *,
              deleted: bool = True) -> list[Condition]:
        """The tenant's records of ``stream`` within the client's grant: of every status
        (``tobedeleted`` ones judged by what they stored, see :func:`sharing.within`), or
        unless ``deleted``, the active ones only."""
        if deleted:
            rule = within(stream, table, self.tenant_id, self.grant)
        else:
            rule = [table.c.status == "active",
                    *visible(stream, table, self.tenant_id, self.grant)]
        return [table.c.tenant_id == self.tenant_id, *rule,
                *visible_coursework(stream, table, self.tenant_id, self.grant)]

    def exists(self, stream: str, where: Sequence[Condition]) -> bool:
        t = stream_tables[stream]
        q = sa.select(sa.literal(1)).where(*self.scope(stream, t), *where).limit(1)
        with self.engine.connect() as conn:
            return conn.execute(q).first() is not None

    def page(self, stream: str, where: Sequence[Condition], order: Sequence[Any],
             limit: int, offset: int, *, deleted: bool = False) -> Page:
        """A page of the records matching ``where``: active ones, or with ``deleted`` (a
        delta consumer's filter, see :func:`query.collection_filter`) of every status."""
        t = stream_tables[stream]
        conditions = [*self.scope(stream, t, deleted=deleted), *where]
        count = sa.select(sa.func.count()).select_from(t).where(*conditions)
        with self.engine.connect() as conn:
            total = self._count(conn, count)
            if total <= offset:
                return Page([], total)
            if _index_served(t, conditions, order) and self._sparse(conn, t, total,
                                                                     offset + limit):
                # The page's keys from the matching keys, sorted (not from a walk of the
                # whole tenant in page order), then just its rows by key. Uncorrelated: the
                # subquery reads the stream's table on its own.
                keys = (sa.select(t.c.sourced_id).where(*conditions)
                        .order_by(*(_sorted_not_walked(term) for term in order))
                        .limit(limit).offset(offset).correlate(None))
                rows_q = record_select(stream).where(t.c.tenant_id == self.tenant_id,
                                                     t.c.sourced_id.in_(keys))
            else:
                rows_q = record_select(stream).where(*conditions).limit(limit).offset(offset)
            rows = [dict(r._mapping) for r in conn.execute(rows_q.order_by(*order))]
        return Page(rows, total)

    def _sparse(self, conn: sa.Connection, t: sa.Table, total: int, end: int) -> bool:
        """Whether sorting the ``total`` matching keys beats walking the tenant's rows in
        page order up to the ``end``-th match (see :data:`SORTED_KEYS_FACTOR`)."""
        if SORTED_KEYS_FACTOR <= 0:
            return False
        rows = self._count(conn, sa.select(sa.func.count()).select_from(t).where(
            t.c.tenant_id == self.tenant_id))
        return total * total < SORTED_KEYS_FACTOR * end * rows

    def _count(self, conn: sa.Connection, count: sa.Select[Any]) -> int:
        """``X-Total-Count``, remembered per query until the tenant's data changes.

        A consumer paging through a result asks the same count on every page; counting
        anew costs a pass over every matching row. Any write to the tenant (a sync, a vendor
        write) moves its change version, which is part of the key, so a count is never
        stale. The page itself is always read fresh.
        """
        version = conn.execute(sa.select(tenants.c.last_version).where(
            tenants.c.id == self.tenant_id)).scalar_one()
        compiled = count.compile(conn)
        key = (str(self.engine.url), self.tenant_id, version, compiled.string,
               repr(sorted(compiled.params.items())))
        with _COUNTS_LOCK:
            if key in _COUNTS:
                _COUNTS.move_to_end(key)
                return _COUNTS[key]
        total = int(conn.execute(count).scalar_one())
        with _COUNTS_LOCK:
            _COUNTS[key] = total
            while len(_COUNTS) > COUNT_CACHE_SIZE:
                _COUNTS.popitem(last=False)
        return total

    def one(self, stream: str, where: Sequence[Condition]) -> dict[str, Any] | None:
        t = stream_tables[stream]
        q = record_select(stream).where(*self.scope(stream, t), *where).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return dict(row._mapping) if row else None

    def nested(self, stream: str, rows: Sequence[Mapping[str, Any]]
               ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Per parent sourcedId, its child rows of each nested stream: the active ones, or
        for a record without any (a deleted user), the rows it had."""
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        ids = [r["sourcedId"] for r in rows]
        if not ids:
            return out
        for child in _NESTED_FOR_PROVIDER.get(stream, ()):
            t = stream_tables[child]
            link_name = _link(child, stream)
            link = t.c[STREAMS[child].column(link_name).db_name]
            # No ORDER BY: it would tempt the planner to walk the whole tenant in key order
            # (56 ms at 400k students) instead of looking up these ids; sorted below.
            q = record_select(child).where(t.c.tenant_id == self.tenant_id, link.in_(ids))
            found: dict[str, list[dict[str, Any]]] = {}
            with self.engine.connect() as conn:
                for r in conn.execute(q):
                    row = dict(r._mapping)
                    found.setdefault(row[link_name], []).append(row)
            for parent, children in found.items():
                children.sort(key=lambda c: str(c["sourcedId"]))
                live = [c for c in children if c["status"] == "active"]
                out.setdefault(parent, {})[child] = live or children
        return out


_INDEXABLE = frozenset({operators.eq, operators.lt, operators.le, operators.gt, operators.ge,
                        operators.in_op})


def _index_served(table: sa.Table, conditions: Sequence[Condition],
                  order: Sequence[Any]) -> bool:
    """Whether an index finds the matches of ``conditions`` without reading the tenant's
    other rows, and only out of page order: some AND-ed term compares a column one of
    ``table``'s indexes holds right after the tenant (``dateLastModified>'…'``), and no term
    lets the walk run along an index in page order already, stopping at the page's last
    match. That is a term on the first sort column (``sourcedId>'…'``, or ``sourced_id IN
    (…)`` as role paths and sharing rules are), or an equality on a column whose index
    holds the first sort column next (``familyName='…'`` in ``sourcedId`` order)."""
    first = order[0] if order else None
    while isinstance(first, UnaryExpression):  # ASC/DESC, NULLS FIRST/LAST
        first = first.element
    sort = first.name if isinstance(first, sa.Column) and first.table is table else None
    indexed: set[str] = set()
    in_order: set[str] = set()  # equal to one of these, its index walks in page order
    for cols in ([c.name for c in ix.columns] for ix in table.indexes):
        if len(cols) > 1 and cols[0] == "tenant_id":
            indexed.add(cols[1])
            if len(cols) > 2 and cols[2] == sort:
                in_order.add(cols[1])

    def terms(condition: sa.ColumnElement[Any]) -> list[sa.ColumnElement[Any]]:
        if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
            return [t for c in condition.clauses for t in terms(c)]
        if isinstance(condition, SqliteOnly):  # a role path's ids, on SQLite only
            return terms(condition.condition)
        return [condition]

    served = False
    for condition in conditions:
        for term in terms(condition):
            if not (isinstance(term, BinaryExpression) and term.operator in _INDEXABLE
                    and isinstance(term.left, sa.Column) and term.left.table is table
                    and term.left.name in indexed):
                continue
            if term.left.name == sort or (term.operator is operators.eq
                                          and term.left.name in in_order):
                return False
            served = True
    return served


class _NotWalked(FunctionElement[Any]):
    """A sort key no index may deliver in order: ``+column`` on SQLite (the unary plus
    leaves the value and its collation alone but keeps SQLite's planner from walking an
    index for the ORDER BY), the column itself elsewhere."""

    name = "not_walked"
    inherit_cache = True


@compiles(_NotWalked)
def _not_walked(element: _NotWalked, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_NotWalked, "sqlite")
def _not_walked_sqlite(element: _NotWalked, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


def _sorted_not_walked(term: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """An ORDER BY term with each of its columns wrapped in :class:`_NotWalked`."""

    def wrap(element: Any, **kw: Any) -> Any:
        return _NotWalked(element) if isinstance(element, sa.Column) else None

    out: sa.ColumnElement[Any] = visitors.replacement_traverse(term, {}, wrap)
    return out


def to_json(stream: str, row: Mapping[str, Any], base_url: str,
            nested: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
            fields: set[str] | None = None) -> dict[str, Any]:
    """One record in the REST binding's JSON, credentials withheld, ``fields`` kept."""
    clean = _withheld(stream, row)
    children = {child: [_withheld(child, r) for r in rows]
                for child, rows in (nested or {}).items() if child in NESTED_STREAMS[stream]}
    data = fast_json(stream, clean, base_url=base_url, nested=children or None)
    if data is None:
        model = to_model(stream, clean, base_url=base_url, nested=children or None)
        data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if fields is not None:
        data = {k: v for k, v in data.items() if k in fields}
    if not _may_cross(stream, frozenset(children), base_url):
        return data  # every reference already points into the requested service
    return _rebase(data, base_url)


def _withheld(stream: str, row: Mapping[str, Any]) -> Mapping[str, Any]:
    hidden = _WITHHELD.get(stream)
    return {k: v for k, v in row.items() if k not in hidden} if hidden else row


@cache
def _may_cross(stream: str, children: frozenset[str], base_url: str) -> bool:
    """Whether a ``stream`` record (with ``children`` nested) may reference a collection of
    another service than ``base_url``'s, so that :func:`_rebase` has work to do."""
    _, service = _split_base(base_url)
    if service is None:
        return False
    if stream not in STREAMS or not children <= set(STREAMS):
        return True  # not described by the schema: let _rebase look
    targets = {c.ref for s in (stream, *children) for c in STREAMS[s].columns if c.ref}
    return any(t not in STREAMS or STREAMS[t].service != service for t in targets)


def _link(child: str, parent: str) -> str:
    """The column of a nested ``child`` row naming its ``parent`` record."""
    return next(c.name for c in STREAMS[child].columns if c.kind == "ref" and c.ref == parent)


def _rebase(data: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Point each reference at the service serving its collection: ``base_url`` is the
    requested service's; a gradebook line item's class lives in the rostering service."""
    root, service = _split_base(base_url)
    if service is None:
        return data

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"href", "sourcedId", "type"}:
            collection = _REF_COLLECTIONS.get(value["type"])
            owner = STREAMS[collection].service if collection in STREAMS else None
            if collection and owner and owner != service:
                return {**value, "href": href(root + SERVICE_BASES[owner], collection,
                                              value["sourcedId"])}
            return value
        return {k: walk(v) for k, v in value.items()}

    return {k: v if k == "metadata" else walk(v) for k, v in data.items()}


def _split_base(base_url: str) -> tuple[str, str | None]:
    for service, path in SERVICE_BASES.items():
        if base_url.rstrip("/").endswith(path):
            return base_url.rstrip("/").removesuffix(path), service
    return base_url, None

