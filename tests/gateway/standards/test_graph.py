"""The standards graph: prerequisites from ``precedes``, the outline from ``isChildOf`` and
equal items from ``exactMatchOf``, read per question and as a whole tenant at once."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.standards import (
    StandardsGraph,
    children,
    equivalents,
    import_package,
    parent,
    prerequisites,
    unlocks,
)
from gateway.store.store import Store
from tests.gateway.standards.factories import (
    CCSS_6_RP_A_1_MATCH,
    RP_6_A,
    RP_6_A_1,
    RP_6_A_2,
    RP_6_A_3,
    RP_7_A_3,
    RP_DOC,
    association,
    ladder,
    rp_package,
)


def test_questions_answered_one_query_at_a_time(store: Store, tenant: int) -> None:
    with store.engine.connect() as conn:
        assert prerequisites(conn, tenant, "f5") == ["f4"]
        assert prerequisites(conn, tenant, "f3") == []
        assert unlocks(conn, tenant, "f3") == ["f4"]
        assert children(conn, tenant, "dom") == ["f3", "f4", "f5"]  # by sequenceNumber
        assert parent(conn, tenant, "f4") == "dom"
        assert parent(conn, tenant, "dom") is None  # a child of its CFDocument only
        assert equivalents(conn, tenant, "f4") == ["x4", "x4b"]  # both ways, transitively
        assert equivalents(conn, tenant, "x4b") == ["f4", "x4"]
        assert equivalents(conn, tenant, "f3") == []


def test_the_whole_graph_answers_the_same(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    with store.engine.connect() as conn:
        graph = StandardsGraph.load(conn, tenant)
    assert graph.prerequisites("f5") == ["f4"]
    assert graph.prerequisites("f5", transitive=True) == ["f4", "f3"]
    assert graph.unlocks("f4") == ["f5"]
    assert graph.children("dom") == ["f3", "f4", "f5"]
    assert graph.children("doc-fractions") == ["dom"]
    assert graph.descendants("doc-fractions") == ["dom", "f3", "f4", "f5"]
    assert graph.parent("f3") == "dom" and graph.parent("dom") is None
    assert graph.ancestors("f5") == ["dom"]
    assert graph.equivalents("f4") == ["x4", "x4b"]
    assert graph.documents == {"doc-fractions", "doc-other"}


def test_the_real_progression(sqlite_store: Store) -> None:
    store = sqlite_store
    tenant = store.ensure_tenant("district").id
    import_package(store.engine, tenant, rp_package(), "rp.json")
    with store.engine.connect() as conn:
        graph = StandardsGraph.load(conn, tenant)
        # 6.RP.A.1 precedes 6.RP.A.2, which precedes an item of another framework.
        assert prerequisites(conn, tenant, RP_6_A_2) == [RP_6_A_1]
        assert graph.prerequisites(RP_6_A_2) == [RP_6_A_1]
        assert graph.prerequisites(RP_7_A_3) == [RP_6_A_3]
        assert graph.children(RP_6_A) == children(conn, tenant, RP_6_A)
        assert graph.children(RP_6_A)[:3] == [RP_6_A_1, RP_6_A_2, RP_6_A_3]
        assert graph.parent(RP_6_A_1) == RP_6_A == parent(conn, tenant, RP_6_A_1)
        assert graph.parent(RP_6_A) is None
        assert graph.equivalents(RP_6_A_1) == [CCSS_6_RP_A_1_MATCH]
        assert RP_6_A in graph.children(RP_DOC)


def test_a_cycle_in_a_framework_does_not_hang_a_walk(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    package = ladder()
    package["CFAssociations"].append(association("p-53", "precedes", "f5", "f3"))
    import_package(store.engine, tenant, package, "ladder.json")
    with store.engine.connect() as conn:
        graph = StandardsGraph.load(conn, tenant)
    assert graph.prerequisites("f5", transitive=True) == ["f4", "f3"]


def test_the_graph_loads_in_few_queries(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.engine.connect() as conn:
            graph = StandardsGraph.load(conn, tenant)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert len(statements) == 3
    for _ in range(1000):  # walked per learner without touching the database again
        graph.prerequisites("f5", transitive=True)
