"""Reader.page over real tables (SQLite and PostgreSQL): pages hold exactly the matching
records in order however they are cut, and the plans the databases choose for the paths
that were slow (a delta's page on SQLite, a role path and a school's users on
PostgreSQL)."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.provider import reader
from gateway.provider.query import collection_filter, sort_clause
from gateway.store.clients import Sharing
from gateway.store.tables import stream_tables, tenants
from tests.gateway.provider.test_query import T1, created_engine, engine, ids

__all__ = ["created_engine", "engine"]  # the fixtures, shared with test_query


PAGED: list[tuple[str | None, str | None, str | None]] = [
    ("dateLastModified>'2026-01-01'", None, None),
    ("dateLastModified>='2026-01-01'", "familyName", "desc"),
    ("dateLastModified<'2027-01-01'", "middleName", None),  # missing values last
    ("dateLastModified<'2027-01-01'", "middleName", "desc"),  # and first
    ("dateLastModified<='2026-01-01T00:00:00.001Z'", None, "desc"),
    ("familyName='smith'", None, None),  # the family's index walks in page order
    ("familyName='Zed'", "givenName", "desc"),
    ("familyName='Zed' OR dateLastModified<'2026-01-01'", None, None),
    ("roles.org.sourcedId='o2'", "dateLastModified", "desc"),
    ("givenName~'e'", None, None),  # no index: the walk either way
    ("sourcedId>'u1'", None, None),  # the key index walks in page order already
    ("sourcedId>'u1'", "familyName", None),
    (None, "givenName", None),
]


@pytest.mark.parametrize("factor", [math.inf, reader.SORTED_KEYS_FACTOR, 0],
                         ids=["keys-sorted", "chosen", "walked"])
def test_reader_pages_hold_exactly_the_matching_records_in_order(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    """Reader.page cuts sparse matches an index finds from their keys, sorted, and others
    from a walk in page order: both give exactly the records and order of the plain query,
    page after page."""
    monkeypatch.setattr(reader, "SORTED_KEYS_FACTOR", factor)
    monkeypatch.setattr(reader, "_COUNTS", OrderedDict())
    with engine.begin() as conn:
        conn.execute(tenants.insert().values(id=T1, slug="t1", name="T1",
                                             created_at="2026-01-01T00:00:00.000Z"))
    r = reader.Reader(engine, T1, Sharing())
    t = stream_tables["users"]
    for text, sort, order_by in PAGED:
        # As a collection serves them: active users, or all for a filter on
        # dateLastModified (or status).
        clause, deleted = collection_filter("users", t, text)
        where = [] if clause is None else [clause]
        order = sort_clause("users", t, sort, order_by)
        live = [] if deleted else [t.c.status == "active"]
        expected = ids(engine, "users", sa.and_(sa.true(), *where, *live), order)
        got: list[str] = []
        for offset in range(0, 6, 2):
            found = r.page("users", where, order, 2, offset, deleted=deleted)
            assert found.total == len(expected), text
            got += [row["sourcedId"] for row in found.rows]
        assert got == expected, (text, sort, order_by)


@pytest.mark.parametrize(("text", "expected"), [
    (None, ["u1", "u2", "u4"]),
    ("familyName~'smith'", ["u2"]),  # u3, deleted, is a smith too
    ("dateLastModified>'2026-01-01'", ["u3", "u4"]),
    ("status='tobedeleted'", ["u3"]),
    ("status!='active'", ["u3"]),
    ("familyName~'smith' AND dateLastModified>'2025-01-01'", ["u2", "u3"]),
    # per OR branch: one without dateLastModified or status matches active users only
    ("familyName~'smith' OR dateLastModified>'2026-02-01'", ["u2", "u4"]),
    ("familyName~'smith' OR status='tobedeleted'", ["u2", "u3"]),
])
def test_a_collection_serves_deleted_records_to_a_filter_on_their_change(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, text: str | None,
        expected: list[str]) -> None:
    monkeypatch.setattr(reader, "_COUNTS", OrderedDict())  # other tests' tenant 1
    with engine.begin() as conn:
        conn.execute(tenants.insert().values(id=T1, slug="t1", name="T1",
                                             created_at="2026-01-01T00:00:00.000Z"))
    t = stream_tables["users"]
    clause, deleted = collection_filter("users", t, text)
    found = reader.Reader(engine, T1, Sharing()).page(
        "users", [] if clause is None else [clause], sort_clause("users", t, None, None),
        10, 0, deleted=deleted)
    assert [r["sourcedId"] for r in found.rows] == expected
    assert deleted == any(name in (text or "") for name in ("dateLastModified", "status"))


def test_sqlite_reads_a_delta_page_from_the_date_index(created_engine: sa.Engine) -> None:
    """The page of ``dateLastModified>'…'`` comes from the (tenant, dateLastModified,
    sourcedId) index, sorted, not from a walk of every user in sourcedId order, which
    SQLite's planner prefers when left to itself on a tenant of 100,000 users (given here by
    the statistics ANALYZE leaves after such a load)."""
    with created_engine.begin() as conn:
        conn.execute(tenants.insert().values(id=T1, slug="t1", name="T1",
                                             created_at="2026-01-01T00:00:00.000Z"))
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'or_users'")
        for index, stat in (("ux_or_users_key", "100000 100000 1"),
                            ("ix_or_users_version", "100000 100000 50000"),
                            ("ix_or_users_family_name", "100000 100000 500 1"),
                            ("ix_or_users_date_last_modified", "100000 100000 50000 1")):
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES ('or_users', ?, ?)",
                                 (index, stat))
    created_engine.dispose()  # new connections read the statistics
    plan = _page_plan(created_engine, "dateLastModified>'2026-01-01'")
    assert "COVERING INDEX ix_or_users_date_last_modified" in plan, plan
    assert "ux_or_users_key (tenant_id=?)" not in plan, plan
    # Keyset paging (sourcedId>'…') walks the key index, a family its index: both in page
    # order already, no sort.
    plan = _page_plan(created_engine, "sourcedId>'u1'")
    assert "ux_or_users_key (tenant_id=? AND sourced_id>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    plan = _page_plan(created_engine, "familyName='smith'")
    assert "ix_or_users_family_name (tenant_id=? AND family_name=?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def _page_plan(engine: sa.Engine, text: str) -> str:
    """SQLite's plan of the last statement Reader.page runs for a page of ``text``."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        statements.append((statement, parameters))

    t = stream_tables["users"]
    r = reader.Reader(engine, T1, Sharing())
    sa.event.listen(engine, "before_cursor_execute", seen)
    clause, deleted = collection_filter("users", t, text)
    try:
        r.page("users", [] if clause is None else [clause],
               sort_clause("users", t, None, None), 100, 0, deleted=deleted)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    statement, parameters = statements[-1]
    with engine.connect() as conn:
        return " / ".join(row[3] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))


def _statements(engine: sa.Engine, text: str | None, grant: Sharing
                ) -> list[tuple[str, Any]]:
    """The statements Reader.page runs for the first page of users matching ``text``."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        statements.append((statement, parameters))

    t = stream_tables["users"]
    r = reader.Reader(engine, T1, grant)
    clause, deleted = collection_filter("users", t, text)
    where = [] if clause is None else [clause]
    sa.event.listen(engine, "before_cursor_execute", seen)
    saved, reader._COUNTS = reader._COUNTS, OrderedDict()  # count anew: the count is planned too
    try:
        r.page("users", where, sort_clause("users", t, None, None), 100, 0, deleted=deleted)
    finally:
        reader._COUNTS = saved
        sa.event.remove(engine, "before_cursor_execute", seen)
    return [s for s in statements if "or_users" in s[0]]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@pytest.fixture
def tenant_row(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(tenants.insert().values(id=T1, slug="t1", name="T1",
                                             created_at="2026-01-01T00:00:00.000Z"))
    return engine


@pytest.mark.parametrize(("text", "grant"), [
    ("roles.org.sourcedId='o1'", Sharing()),
    ("roles.role='student' AND givenName~'b'", Sharing()),
    (None, Sharing(schools=frozenset({"o1"}))),
    ("roles.org.sourcedId='o2'", Sharing(schools=frozenset({"o2"}))),
], ids=["role-path", "role-path-and", "school-client", "both"])
def test_role_paths_and_school_rules_read_only_the_tenants_rows(
        tenant_row: sa.Engine, text: str | None, grant: Sharing) -> None:
    """A role path (``roles.org.sourcedId='…'``) and a client granted some schools find
    their users through the tenant's own role and enrollment rows, by key. On PostgreSQL
    the role path's "or the user has no active role" test, written as an OR inside one
    subquery, became a hashed subplan reading every active role of every tenant (about
    50 ms per page at 100,000 students), and a school client's two sets, OR-ed, two hashed
    subplans tested against every user. On SQLite the role path's ids drive the users' key
    index."""
    statements = _statements(tenant_row, text, grant)
    assert len(statements) == 2, statements  # the count and the page
    for statement, parameters in statements:
        if tenant_row.dialect.name == "sqlite":
            with tenant_row.connect() as conn:
                plan = " / ".join(row[3] for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters))
            assert "ux_or_users_key (tenant_id=? AND sourced_id=?)" in plan, plan
            continue
        with tenant_row.connect() as conn:
            [[doc]] = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                           parameters).all()
        nodes = list(_nodes((json.loads(doc) if isinstance(doc, str) else doc)[0]["Plan"]))
        conditions = [" ".join(str(n.get(k, "")) for k in ("Filter", "Index Cond",
                                                            "Recheck Cond", "Join Filter"))
                      for n in nodes]
        assert not any("hashed SubPlan" in c for c in conditions), nodes
        for node, condition in zip(nodes, conditions, strict=True):
            if node.get("Relation Name") in ("or_roles", "or_enrollments"):
                assert f"tenant_id = {T1}" in condition, node
