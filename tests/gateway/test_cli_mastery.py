"""`harbor mastery`: show the defaults, set a method (recomputing), refuse a bad one."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from gateway.cli_mastery import mastery_app
from gateway.cli_support import open_store
from gateway.clock import utcnow
from gateway.store.learning_tables import evidence, mastery

runner = CliRunner()


def test_show_set_and_recompute(cli_data_dir: Path) -> None:
    with open_store() as store:
        tenant_id = store.ensure_tenant("north").id
        with store.engine.begin() as conn:
            conn.execute(evidence.insert(), [
                {"tenant_id": tenant_id, "system": "tool", "source_key": f"e{n}",
                 "user_sourced_id": "u1", "standard": "s1", "raw_score": str(s),
                 "scale": "fraction", "score": s, "observed_at": f"2026-10-0{n + 1}T00:00:00Z",
                 "created_at": utcnow()} for n, s in enumerate([0.9, 0.3])])
    shown = runner.invoke(mastery_app, ["show", "--tenant", "north"])
    assert shown.exit_code == 0 and "method decaying_average" in shown.output
    assert "meeting" in shown.output and "mastered" in shown.output
    done = runner.invoke(mastery_app, ["set", "--tenant", "north", "--method", "most_recent"])
    assert done.exit_code == 0, done.output
    assert "recomputed mastery: 1 rows" in done.output
    with open_store() as store, store.engine.connect() as conn:
        assert conn.execute(sa.select(mastery.c.score, mastery.c.method)).one() == (
            0.3, "most_recent")
    bad = runner.invoke(mastery_app, ["set", "--tenant", "north", "--method", "median"])
    assert bad.exit_code == 1 and "decaying_average" in bad.output
