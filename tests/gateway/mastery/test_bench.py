"""The mastery benchmark at a tiny size: its evidence, its phases on both databases, the
reference giving the same rows as the ``mean`` recompute, and the table it prints."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from gateway.bench.ingest import KEY
from gateway.bench.mastery import (
    full_recompute,
    generate_evidence,
    incremental_recompute,
    run_mastery_bench,
    sql_group_by,
)
from gateway.store.learning_tables import evidence, mastery
from gateway.store.store import Store

LEARNERS = 200


def _mastery(store: Store) -> dict[tuple[str, str], tuple[float, str, int, str]]:
    with store.engine.connect() as conn:
        return {(r.user_sourced_id, r.standard): (r.score, r.level, r.evidence_count,
                                                  r.last_evidence_at)
                for r in conn.execute(mastery.select())}


def test_phases_and_the_reference_agree(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    assert generate_evidence(url, KEY, LEARNERS, 20, 4) >= 0
    with store.engine.connect() as conn:
        per_learner = conn.execute(
            sa.select(evidence.c.user_sourced_id, sa.func.count())
            .group_by(evidence.c.user_sourced_id)).all()
        pairs = conn.execute(sa.select(sa.func.count()).select_from(
            sa.select(evidence.c.user_sourced_id, evidence.c.standard).distinct().subquery())
        ).scalar_one()
    assert len(per_learner) == LEARNERS and {n for _, n in per_learner} == {20}
    assert pairs == LEARNERS * 4

    full_recompute(url, KEY, "mean")
    ours = _mastery(store)
    sql_group_by(url, KEY, write=True)
    reference = _mastery(store)
    assert ours.keys() == reference.keys() and len(ours) == LEARNERS * 4
    for pair, (score, level, count, last) in ours.items():
        assert (score, level, count, last) == (pytest.approx(reference[pair][0]),
                                               *reference[pair][1:])
    assert sql_group_by(url, KEY, write=False) >= 0

    full_recompute(url, KEY, "decaying_average")
    before = _mastery(store)
    incremental_recompute(url, KEY, LEARNERS, 4)
    after = _mastery(store)
    changed = {pair for pair in after if after[pair] != before[pair]}
    assert {user for user, _ in changed} == {"stu-0000000", "stu-0000100"}  # 1 %
    assert len(changed) == 8 and all(after[p][2] == 6 for p in changed)


def test_the_bench_prints_its_table(tmp_path: Path) -> None:
    out = io.StringIO()
    rows = run_mastery_bench(Console(file=out, width=250), learners=LEARNERS,
                             evidence_rows=20, standards=4, database_url=None,
                             workdir=tmp_path, methods=("mean",))
    assert [r.name for r in rows] == [
        "load evidence (SQLite, not part of a recompute)", "full recompute, mean (SQLite)",
        "incremental recompute, 1 % of learners (SQLite)",
        "reference: INSERT … SELECT … GROUP BY, mean (SQLite)",
        "reference: GROUP BY read, mean (SQLite)"]
    assert all(r.seconds >= 0 and r.peak_mib > 0 for r in rows)
    assert "mastery recompute, 200 learners x 20 evidence rows" in out.getvalue()
    assert not list(tmp_path.glob("bench-*"))  # the throwaway database is gone
