"""End to end: the push engine over a seeded world into the Classroom-shaped server (its
courses aliased ``d:{class}``, the world's students in them): every grade once, a second
push writes nothing, and a courseWork a teacher deleted is made again with its grades, also
while Google throws random 429s and 500s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.push.run import PushOptions, PushReport, push
from gateway.store.store import Store
from gateway.testing.lms.classroom import ClassroomServer, service_account_key
from tests.helpers import serve_app
from tests.push.world import TODAY, World, add_destination, build_world, set_mastery

TEACHER = "t1@example.org"


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    return build_world(store, tmp_path)


@pytest.fixture
def google(world: World) -> Iterator[tuple[ClassroomServer, dict[str, str]]]:
    server = ClassroomServer(retry_after="0")
    key = service_account_key("district-project")
    server.add_service_account(key)
    for class_id, students in world.classes.items():
        course = server.add_course(f"Math 5 {class_id}", alias=f"d:{class_id}",
                                   teacher=TEACHER)
        for student in students:
            server.add_student(course, f"{student}@example.org")
    with serve_app(server.app) as url:
        key["token_uri"] = f"{url}/token"
        add_destination(world, "classroom", "google-classroom",
                        {"subject": TEACHER, "base_url": url, "retries": 10},
                        secrets={"service_account": json.dumps(key)})
        yield server, key


def do_push(world: World) -> PushReport:
    connection = world.store.connection("district/classroom")
    return asyncio.run(push(world.store, connection, PushOptions(today=TODAY)))


def graded(server: ClassroomServer) -> int:
    return sum(1 for course in server._courses for work in server.course_work(course)
               for sub in server._works[course][work["id"]].submissions.values()
               if "assignedGrade" in sub)


def test_push_into_google_classroom(world: World,
                                    google: tuple[ClassroomServer, dict[str, str]]) -> None:
    server, _ = google
    report = do_push(world)
    assert report.status == "succeeded", (report.message, report.problems)
    assert report.counts["assignments"] == {"created": 4}
    assert report.counts["grades"] == {"written": 12}
    assert len(server.created) == 4 and set(server.created.values()) == {1}
    assert graded(server) == 12 and set(server.grade_writes.values()) == {1}

    again = do_push(world)
    assert again.counts["grades"] == {"unchanged": 12}
    assert set(server.grade_writes.values()) == {1}, "a second push writes nothing"

    # A teacher deletes one courseWork; a changed score reveals it; it is made again, with
    # every grade of it, while Google fails about a third of the requests.
    course = next(c for c, co in server._courses.items() if "d:k1" in co.aliases)
    victim = next(w for w in server.course_work(course) if w["title"].startswith("3.NF.A.1"))
    server.delete_course_work(course, victim["id"])
    set_mastery(world, "k1-s2", "m-3nfa1", 0.44)
    server.fault_rate = 0.3
    asked = server.requests.total()
    third = do_push(world)
    assert third.status == "succeeded", (third.message, third.problems)
    assert third.counts["assignments"].get("recreated") == 1
    assert server.faults_injected > 0, server.requests.total() - asked
    assert sum(server.created.values()) == 5 and max(server.created.values()) == 2
    made = next(w for w in server.course_work(course) if w["title"].startswith("3.NF.A.1"))
    subs = server._works[course][made["id"]].submissions.values()
    assert all("assignedGrade" in s for s in subs) and len(subs) == 3
