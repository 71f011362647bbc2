"""End to end: the push engine over a seeded world into the Canvas-shaped server (its courses
with the world's class sourcedIds as SIS ids, the students in them, the world's grading
periods): every grade and comment once, a second push writes nothing, a student missing from
Canvas is skipped, and an assignment a teacher deleted is made again with its grades while
Canvas throws random 429s and 500s (some after applying the write) under a small bucket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.push.run import PushOptions, PushReport, push
from gateway.store.store import Store
from gateway.testing.lms.canvas import CanvasServer
from tests.helpers import serve_app
from tests.push.world import TODAY, World, add_destination, build_world, set_mastery

TOKEN = "district-canvas-token"


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    return build_world(store, tmp_path)


@pytest.fixture
def canvas(world: World) -> Iterator[CanvasServer]:
    server = CanvasServer(tokens={TOKEN: "teacher"}, retry_after=0, capacity=40, leak=200)
    for class_id, students in world.classes.items():
        server.add_course(class_id, f"Math 5 {class_id}")
        for student in students:
            if student != "k2-s3":  # not in Canvas (yet): skipped, reported
                server.add_student(class_id, student)
        server.add_period(class_id, "Q1", "2026-08-20T00:00:00Z", "2026-10-31T06:59:59Z",
                          closed=True)
        server.add_period(class_id, "Q2", "2026-10-31T06:59:59Z", "2027-01-16T07:59:59Z")
    with serve_app(server.app) as url:
        add_destination(world, "canvas", "canvas", {"base_url": url, "retries": 10},
                        secrets={"access_token": TOKEN})
        yield server


def do_push(world: World) -> PushReport:
    connection = world.store.connection("district/canvas")
    return asyncio.run(push(world.store, connection, PushOptions(today=TODAY)))


def test_push_into_canvas(world: World, canvas: CanvasServer) -> None:
    report = do_push(world)
    assert report.status == "succeeded", (report.message, report.problems)
    assert report.counts["assignments"] == {"created": 4}
    assert report.counts["grades"] == {"written": 10, "skipped": 2}
    assert any("learner k2-s3 (sis_user_id:k2-s3) is not a student" in p.message
               for p in report.problems)
    assert set(canvas.created.values()) == {1} and len(canvas.created) == 4
    subs = list(canvas.submissions.values())
    assert len(subs) == 10 and all(len(s.history) == 1 for s in subs)
    assert all(len(s.comments) == 1 for s in subs), "the level, once"

    again = do_push(world)
    assert again.counts["grades"].get("written", 0) == 0, again.counts
    assert all(len(s.history) == 1 for s in canvas.submissions.values())

    # A teacher deletes one assignment; a changed score reveals it; it is made again with
    # every grade of it while Canvas fails about a third of the requests.
    victim = next(a for a in canvas.assignments.values()
                  if a["name"].startswith("3.NF.A.1") and canvas.courses[a["course_id"]]
                  .sis_id == "k1")
    canvas.delete_assignment(victim["id"])
    set_mastery(world, "k1-s2", "m-3nfa1", 0.44)
    canvas.fault_rate, canvas.after_apply_rate = 0.3, 0.5
    third = do_push(world)
    assert third.status == "succeeded", (third.message, third.problems)
    assert third.counts["assignments"].get("recreated") == 1
    assert canvas.injected > 0
    assert canvas.created[victim["integration_id"]] == 2
    (made,) = canvas.by_integration_id(victim["integration_id"])
    remade = [s for (aid, _), s in canvas.submissions.items() if aid == made["id"]]
    assert len(remade) == 3 and all(s.score is not None for s in remade)
    assert all(len(s.comments) == 1 for s in remade), "no comment twice, faults or not"
