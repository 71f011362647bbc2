"""Pushes as runs: a worker runs a destination's queued run as a push, a pull of a
connection a destination names in ``push.after`` queues that push, and the CLI's plan,
status and conversion commands read and write the same ledger and settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli_support import open_store
from gateway.daemon.worker import Executor
from gateway.push.run import PushReport
from gateway.settings import Settings
from gateway.store.store import Store
from tests.helpers import serve_app
from tests.push.gradebook import NAME, Gradebook
from tests.push.world import STANDARDS, World, add_destination, build_world


@pytest.fixture
def world(store: Store, tmp_path: Path, gradebook_plugin: str) -> World:
    return build_world(store, tmp_path)


@pytest.fixture
def lms(world: World) -> Iterator[tuple[Gradebook, str]]:
    gradebook = Gradebook(world.classes)
    with serve_app(gradebook.app) as url:
        yield gradebook, url


def test_a_pull_queues_the_push_of_destinations_that_follow_it(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    add_destination(world, "lms", NAME, {"base_url": url}, secrets={"token": "secret"},
                    push={"items": [{"standard": s} for s in STANDARDS], "after": ["roster"]})
    store = world.store
    executor = Executor(store, Settings(lease_seconds=5))
    run_id, _ = store.request_run(store.connection("district/roster"), trigger="schedule")
    executor.execute_blocking(run_id)
    queued = [r for r in store.pending_runs() if r.connection == "district/lms"]
    assert len(queued) == 1 and queued[0].trigger == "after-pull"
    report = executor.execute_blocking(queued[0].id)
    assert isinstance(report, PushReport) and report.status == "succeeded", report
    assert len(gradebook.grades) == 12
    done = store.run(queued[0].id)
    assert done is not None and done.status == "succeeded"
    assert done.counts["grades"] == {"written": 12}


def test_the_push_commands(cli_data_dir: Path, tmp_path: Path, gradebook_plugin: str) -> None:
    with open_store() as store:
        world = build_world(store, tmp_path)
    gradebook = Gradebook(world.classes)
    with serve_app(gradebook.app) as url:
        with open_store() as store:
            world.store = store
            add_destination(world, "lms", NAME, {"base_url": url}, secrets={"token": "secret"})
        _commands(gradebook)


def _commands(gradebook: Gradebook) -> None:
    cli = CliRunner()
    plan = cli.invoke(app, ["push", "plan", "district/lms"])
    assert plan.exit_code == 0, plan.output
    assert "assignments: 4 create" in plan.output and gradebook.writes == 0
    bad = cli.invoke(app, ["push", "conversion", "set", "--tenant", "district",
                           json.dumps({"kind": "levels", "levels": {"meeting": 85}})])
    assert bad.exit_code == 1 and "no points for level(s) beginning" in bad.output
    good = cli.invoke(app, ["push", "conversion", "set", "--tenant", "district", "--course",
                            "c1", json.dumps({"kind": "percent", "maximum": 10})])
    assert good.exit_code == 0, good.output
    ran = cli.invoke(app, ["push", "run", "district/lms"])
    assert ran.exit_code == 0, ran.output
    assert "12 grade(s) written" in ran.output
    assert all(a["points"] == 10 for a in gradebook.live())
    status = cli.invoke(app, ["push", "status", "district/lms", "--learner", "k1-s1"])
    assert status.exit_code == 0 and "2 of 2 grade(s)" in status.output
    wrong = cli.invoke(app, ["sync", "district/lms"])
    assert wrong.exit_code == 1 and "harbor push run district/lms" in wrong.output
