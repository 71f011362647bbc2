"""`harbor assessments`: growth recomputed and summarized, benchmarks set from CSV or JSON
(a bad row named by file, row and column; nothing saved) and shown."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli_support import open_store
from tests.gateway.assessments.factories import add_result

runner = CliRunner()


def test_growth_and_benchmarks(cli_data_dir: Path, tmp_path: Path) -> None:
    with open_store() as store:
        tenant_id = store.ensure_tenant("north").id
        with store.engine.begin() as conn:
            for learner, growth in (("u1", 150), ("u2", 80)):
                add_result(conn, tenant_id, learner, "ixl", "spring", "2027-05-20",
                           vendor_growth={"Diagnostic growth - Math": growth})
    shown = runner.invoke(app, ["assessments", "growth", "--tenant", "north"])
    assert shown.exit_code == 0 and "--recompute" in shown.output
    done = runner.invoke(app, ["assessments", "growth", "--tenant", "north", "--recompute"])
    assert done.exit_code == 0, done.output
    assert "recomputed growth: 2 rows" in done.output
    assert "2027   math       ixl                2    1.15    50%    50%" in done.output

    bad = tmp_path / "cuts.csv"
    bad.write_text("Assessment,Subject,Grade,Window,Cut_Score\n"
                   "map-growth,math,5,spring,221\nmap-growth,math,6,spring,high\n")
    r = runner.invoke(app, ["assessments", "benchmarks", "set", "--tenant", "north",
                            "--file", str(bad)])
    assert r.exit_code == 1 and "row 3, column cut_score" in r.output.replace("\n", "")
    r = runner.invoke(app, ["assessments", "benchmarks", "show", "--tenant", "north"])
    assert "no benchmarks set" in r.output
    no_column = tmp_path / "cols.csv"
    no_column.write_text("assessment,subject,grade,cut_score\nmap-growth,math,5,221\n")
    r = runner.invoke(app, ["assessments", "benchmarks", "set", "--tenant", "north",
                            "--file", str(no_column)])
    assert r.exit_code == 1 and "no column window" in r.output
    good = tmp_path / "cuts.json"
    good.write_text(json.dumps([{"assessment": "star", "subject": "reading", "grade": "KG",
                                 "window": "fall", "cut_score": 40, "measure": "percentile",
                                 "label": "on track"}]))
    r = runner.invoke(app, ["assessments", "benchmarks", "set", "--tenant", "north",
                            "--file", str(good)])
    assert r.exit_code == 0 and "saved 1 benchmarks" in r.output
    r = runner.invoke(app, ["assessments", "benchmarks", "show", "--tenant", "north"])
    assert "star        reading   grade KG  fall    percentile >= 40  on track" in r.output
