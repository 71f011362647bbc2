"""Recomputing mastery from evidence on both databases: the whole tenant, only the touched
pairs, evidence that does not count, pairs whose evidence went away, and other tenants."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from gateway.mastery.methods import decaying_average, power_law
from gateway.mastery.recompute import recompute
from gateway.mastery.settings import write_settings
from gateway.store.learning_tables import evidence, mastery
from gateway.store.store import Store

# The module, not the function gateway.mastery re-exports under the same name.
module = importlib.import_module("gateway.mastery.recompute")

FRACTIONS = "fractions-guid"
DECIMALS = "decimals-guid"


class Evidence:
    """Adds evidence rows with unique source keys, as intake would store them."""

    def __init__(self, store: Store, tenant_id: int) -> None:
        self.store, self.tenant_id, self.n = store, tenant_id, 0

    def add(self, user: str | None, standard: str | None, day: int, score: float | None,
            *, status: str = "active", hour: int = 10) -> None:
        self.n += 1
        with self.store.engine.begin() as conn:
            conn.execute(evidence.insert().values(
                tenant_id=self.tenant_id, system="tool", source_key=f"e{self.n}",
                user_sourced_id=user, standard=standard, raw_score=str(score),
                scale="fraction", score=score, status=status, created_at="2026-12-01",
                observed_at=f"2026-09-{day:02d}T{hour:02d}:00:00.000Z"))


def rows(store: Store, tenant_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    with store.engine.connect() as conn:
        found = conn.execute(mastery.select().where(mastery.c.tenant_id == tenant_id))
        return {(r.user_sourced_id, r.standard): dict(r._mapping) for r in found}


def run(store: Store, tenant_id: int, pairs: Any = None) -> int:
    with store.engine.begin() as conn:
        return recompute(conn, tenant_id, pairs)


@pytest.fixture
def district(store: Store) -> tuple[int, Evidence]:
    tenant = store.ensure_tenant("district").id
    ev = Evidence(store, tenant)
    # ann on fractions: 0.5, 0.8, 1.0 in time order (added out of order)
    ev.add("ann", FRACTIONS, 3, 1.0)
    ev.add("ann", FRACTIONS, 1, 0.5)
    ev.add("ann", FRACTIONS, 2, 0.8)
    ev.add("ann", DECIMALS, 1, 0.3)
    ev.add("bob", FRACTIONS, 5, 0.95)
    # none of these count: deleted, unresolved learner, no standard, no normalized score
    ev.add("bob", FRACTIONS, 6, 0.0, status="tobedeleted")
    ev.add(None, FRACTIONS, 6, 0.1)
    ev.add("bob", None, 6, 0.1)
    ev.add("bob", DECIMALS, 6, None)
    return tenant, ev


def test_full_recompute_folds_each_pair(store: Store, district: tuple[int, Evidence]) -> None:
    tenant, _ = district
    assert run(store, tenant) == 3
    got = rows(store, tenant)
    assert set(got) == {("ann", FRACTIONS), ("ann", DECIMALS), ("bob", FRACTIONS)}
    ann = got["ann", FRACTIONS]
    assert ann["score"] == pytest.approx(0.89325)  # decaying average, the default
    assert (ann["level"], ann["method"], ann["evidence_count"], ann["last_evidence_at"]) == \
        ("meeting", "decaying_average", 3, "2026-09-03T10:00:00.000Z")
    assert (got["ann", DECIMALS]["score"], got["ann", DECIMALS]["level"]) == (0.3, "beginning")
    assert (got["bob", FRACTIONS]["score"], got["bob", FRACTIONS]["evidence_count"],
            got["bob", FRACTIONS]["level"]) == (0.95, 1, "exceeding")


def test_the_tenants_method_and_bands_apply(store: Store,
                                            district: tuple[int, Evidence]) -> None:
    tenant, ev = district
    ev.add("ann", FRACTIONS, 4, 0.7)
    bands = [{"level": "not yet", "from": 0, "to": 0.75},
             {"level": "secure", "from": 0.75, "to": 1, "mastered": True}]
    with store.engine.begin() as conn:
        write_settings(conn, tenant, method="power_law", bands=bands)
    run(store, tenant)
    ann = rows(store, tenant)["ann", FRACTIONS]
    scores = [("1", 0.5), ("2", 0.8), ("3", 1.0), ("4", 0.7)]
    assert ann["score"] == pytest.approx(power_law(scores))
    assert (ann["method"], ann["level"]) == ("power_law", "secure" if ann["score"] >= 0.75
                                             else "not yet")
    with store.engine.begin() as conn:
        write_settings(conn, tenant, method="most_recent", bands=bands)
    run(store, tenant)
    assert (rows(store, tenant)["ann", FRACTIONS]["score"],
            rows(store, tenant)["ann", FRACTIONS]["level"]) == (0.7, "not yet")


def test_a_tie_in_time_goes_to_the_later_row(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    ev = Evidence(store, tenant)
    ev.add("ann", FRACTIONS, 1, 0.2)
    ev.add("ann", FRACTIONS, 1, 0.9)
    with store.engine.begin() as conn:
        write_settings(conn, tenant, method="most_recent")
    run(store, tenant)
    assert rows(store, tenant)["ann", FRACTIONS]["score"] == 0.9


def test_incremental_recompute_touches_only_the_given_pairs(
        store: Store, district: tuple[int, Evidence]) -> None:
    tenant, ev = district
    run(store, tenant)
    before = rows(store, tenant)
    ev.add("ann", FRACTIONS, 4, 0.2)  # a new score
    with store.engine.begin() as conn:  # bob's only counted score is withdrawn
        conn.execute(evidence.update().where(evidence.c.user_sourced_id == "bob")
                     .values(status="tobedeleted"))
    ev.add("ann", DECIMALS, 9, 1.0)  # arrives, but its pair is not recomputed below
    pairs = [("ann", FRACTIONS), ("bob", FRACTIONS), ("ann", FRACTIONS),
             ("cat", FRACTIONS), (None, FRACTIONS)]  # repeats, no evidence, unresolved
    assert run(store, tenant, iter(pairs)) == 1
    after = rows(store, tenant)
    assert set(after) == {("ann", FRACTIONS), ("ann", DECIMALS)}  # bob's row removed
    assert after["ann", DECIMALS] == before["ann", DECIMALS]  # untouched
    expected = decaying_average([("1", 0.5), ("2", 0.8), ("3", 1.0), ("4", 0.2)])
    assert after["ann", FRACTIONS]["score"] == pytest.approx(expected)
    assert after["ann", FRACTIONS]["evidence_count"] == 4
    assert run(store, tenant, []) == 0
    assert rows(store, tenant) == after


def test_full_recompute_removes_pairs_without_evidence(
        store: Store, district: tuple[int, Evidence]) -> None:
    tenant, _ = district
    run(store, tenant)
    with store.engine.begin() as conn:
        conn.execute(evidence.delete().where(evidence.c.standard == DECIMALS))
    assert run(store, tenant) == 2
    assert ("ann", DECIMALS) not in rows(store, tenant)


def test_other_tenants_are_left_alone(store: Store, district: tuple[int, Evidence]) -> None:
    tenant, _ = district
    other = store.ensure_tenant("other").id
    theirs = Evidence(store, other)
    theirs.n = 100  # source keys are unique per tenant anyway; keep them apart to read
    theirs.add("ann", FRACTIONS, 1, 0.1)
    run(store, other)
    mine = run(store, tenant)
    assert mine == 3
    assert rows(store, other)["ann", FRACTIONS]["score"] == 0.1
    run(store, tenant, [("ann", FRACTIONS)])
    assert rows(store, other)["ann", FRACTIONS]["score"] == 0.1
    assert rows(store, tenant)["ann", FRACTIONS]["evidence_count"] == 3


def test_batches_and_chunks_give_the_same_rows(store: Store, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    tenant = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        conn.execute(evidence.insert(), [
            {"tenant_id": tenant, "system": "tool", "source_key": f"{u}-{s}-{d}",
             "user_sourced_id": f"u{u:02d}", "standard": f"s{s}", "score": (u + s + d) % 10 / 9,
             "observed_at": f"2026-09-{d + 1:02d}T10:00:00.000Z", "created_at": "2026-12-01"}
            for u in range(12) for s in range(3) for d in range(4)])
    run(store, tenant)
    whole = rows(store, tenant)
    assert len(whole) == 36
    monkeypatch.setattr(module, "FETCH_CHUNK", 5)  # several write batches
    monkeypatch.setattr(module, "PAIR_CHUNK", 7)  # several pair queries
    with store.engine.begin() as conn:
        conn.execute(mastery.delete())
    assert run(store, tenant) == 36
    assert _without_time(rows(store, tenant)) == _without_time(whole)
    with store.engine.begin() as conn:
        conn.execute(mastery.delete())
    assert run(store, tenant, list(whole)) == 36
    assert _without_time(rows(store, tenant)) == _without_time(whole)


def _without_time(found: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {k: {c: v for c, v in r.items() if c != "computed_at"} for k, r in found.items()}


def test_a_failed_transaction_leaves_mastery_as_it_was(
        store: Store, district: tuple[int, Evidence]) -> None:
    tenant, _ = district
    run(store, tenant)
    before = rows(store, tenant)

    def failing_run() -> None:
        with store.engine.begin() as conn:
            conn.execute(mastery.delete())  # and everything else the run did
            recompute(conn, tenant, [("ann", FRACTIONS)])
            raise RuntimeError("the run failed after recomputing")

    with pytest.raises(RuntimeError, match="failed after"):
        failing_run()
    assert rows(store, tenant) == before


def test_sqlite_reads_pairs_by_the_learner_index(sqlite_store: Store) -> None:
    sql = module._PAIRS_SQLITE
    with sqlite_store.engine.connect() as conn:
        plan = [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("[]", 1))]
        whole = [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {module._TENANT}",
                                                     (1,))]
    assert any("USING INDEX ix_evidence_learner (tenant_id=? AND user_sourced_id=? AND "
               "standard=?)" in step for step in plan), plan
    # the whole tenant walks the index in its order: no sort of millions of rows
    assert any("ix_evidence_learner" in step for step in whole), whole
    assert not any("TEMP B-TREE" in step for step in whole), whole


def test_postgres_reads_pairs_by_the_learner_index(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("the PostgreSQL plan")
    sql = module._PAIRS_PG
    with store.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(f"EXPLAIN {sql}", (["ann"], [FRACTIONS], 1))
            plan = "\n".join(r[0] for r in cur.fetchall())
    assert "ix_evidence_learner" in plan, plan


def test_a_full_recompute_within_the_same_millisecond_still_removes_stale_rows(
        store: Store, district: tuple[int, Evidence], monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, _ = district
    stamps = iter(["2026-12-03T10:00:00.000Z", "2026-12-03T10:00:00.000Z",
                   "2026-12-03T10:00:00.001Z"])
    monkeypatch.setattr(module, "utcnow", lambda: next(stamps))
    run(store, tenant)
    with store.engine.begin() as conn:
        conn.execute(evidence.delete().where(evidence.c.standard == DECIMALS))
    run(store, tenant)  # its first stamp is the last run's
    assert set(rows(store, tenant)) == {("ann", FRACTIONS), ("bob", FRACTIONS)}
    if store.dialect == "sqlite":  # which marks stale rows by their stamp: it took the next
        assert {r["computed_at"] for r in rows(store, tenant).values()} == \
            {"2026-12-03T10:00:00.001Z"}
