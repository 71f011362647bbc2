"""The destination calls against the Classroom-shaped server: courseWork made once and
found exactly (also after a crash, a 500 after the write and a lost answer), grades that
converge and are not written twice, and each refusal mapped to what the engine does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from connectors.google_classroom import ClassroomConnector
from connectors.google_classroom.coursework import MARKER
from gateway.errors import ConfigError, RetriableError, SkippableRecordError
from gateway.push.destination import AssignmentGone, Learner, Remote
from gateway.testing.lms import classroom
from tests.connectors.google_classroom.conftest import ADA, BOB, World, assignment, grade

T = TypeVar("T")


def run(connector: ClassroomConnector, work: Callable[[], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await work()
        finally:
            await connector.aclose()

    return asyncio.run(go())


def test_the_marker_is_what_the_server_counts() -> None:
    line = MARKER.format(key="hm-abc")
    assert classroom.MARKER.findall(f"text\n\n{line}") == ["hm-abc"]


def test_create_then_find_exactly_in_this_push_and_after_a_crash(world: World) -> None:
    a = assignment()
    first = world.connector()

    async def make() -> tuple[Remote | None, Remote, Remote | None]:
        before = await first.find_assignment(a)
        made = await first.create_assignment(a)
        return before, made, await first.find_assignment(a)

    before, made, again = run(first, make)
    assert before is None
    assert again == made
    assert made.extra["course"] == world.course
    assert made.url and made.id in made.url
    # A new process (the engine after a crash) finds it rather than making another.
    later = world.connector()
    assert run(later, lambda: later.find_assignment(a)) == made
    assert world.server.created == {"hm-fractions-1": 1}
    (work,) = world.server.course_work(world.course)
    assert work["maxPoints"] == 4 and work["state"] == "PUBLISHED"
    assert work["workType"] == "ASSIGNMENT"
    assert work["dueDate"] == {"year": 2026, "month": 12, "day": 18}
    assert work["dueTime"] == {"hours": 23, "minutes": 59, "seconds": 0}
    assert work["description"].endswith("\n\nHarbormaster key: hm-fractions-1")


def test_find_takes_only_this_projects_courseWork_with_this_exact_key(world: World) -> None:
    server, course = world.server, world.course
    marker = MARKER.format(key="hm-fractions-1")
    server.add_course_work(course, "A teacher's copy", description=marker)
    server.add_course_work(course, "Another app's", project="vendor", description=marker)
    connector = world.connector()
    assert run(connector, lambda: connector.find_assignment(assignment())) is None
    longer = world.connector()
    made = run(longer, lambda: longer.create_assignment(assignment("hm-fractions-10")))
    prefix = world.connector()
    assert run(prefix, lambda: prefix.find_assignment(assignment("hm-fractions-1"))) is None
    exact = world.connector()
    assert run(exact, lambda: exact.find_assignment(assignment("hm-fractions-10"))) == made


def test_find_reads_every_page(world: World) -> None:
    world.server.page_size = 2
    maker = world.connector()

    async def make_five() -> list[Remote]:
        return [await maker.create_assignment(assignment(f"hm-page-{n}")) for n in range(5)]

    made = run(maker, make_five)
    finder = world.connector()

    async def find_all() -> list[Remote | None]:
        return [await finder.find_assignment(assignment(f"hm-page-{n}")) for n in range(5)]

    assert run(finder, find_all) == made
    assert world.server.requests["GET /v1/courses/{course_ref}/courseWork"] == 3  # one listing


def test_a_500_after_the_write_does_not_make_a_second_courseWork(world: World) -> None:
    world.server.fail_after_write = 1
    connector = world.connector()
    made = run(connector, lambda: connector.create_assignment(assignment()))
    assert world.server.created == {"hm-fractions-1": 1}
    assert [w["id"] for w in world.server.course_work(world.course)] == [made.id]


def test_a_lost_answer_to_the_create_is_looked_for_before_trying_again(world: World) -> None:
    """The POST reaches Google, the answer never comes back (a read timeout): the connector
    lists the course, finds it, and does not post again."""
    real = httpx.AsyncHTTPTransport()

    async def lose_create_answers(request: httpx.Request) -> httpx.Response:
        response = await real.handle_async_request(request)
        await response.aread()
        if request.method == "POST" and request.url.path.endswith("/courseWork"):
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    connector = world.connector()
    connector.transport = httpx.MockTransport(lose_create_answers)

    async def create() -> Remote:
        try:
            return await connector.create_assignment(assignment())
        finally:
            await real.aclose()

    made = run(connector, create)
    assert world.server.created == {"hm-fractions-1": 1}
    assert world.server.requests["POST /v1/courses/{course_ref}/courseWork"] == 1
    assert made.id == world.server.course_work(world.course)[0]["id"]


def test_points_classroom_cannot_hold_stop_before_any_request(world: World) -> None:
    connector = world.connector()
    with pytest.raises(ConfigError, match=r"Math 3A.*whole number of points.*2\.5"):
        run(connector, lambda: connector.create_assignment(assignment(points=2.5)))
    assert world.server.requests["POST /v1/courses/{course_ref}/courseWork"] == 0


def test_a_class_without_a_course_is_skipped_naming_the_alias_and_the_fix(
        world: World) -> None:
    """Not every SIS class has a Classroom course: one without is reported, not fatal."""
    connector = world.connector(course_id="d:{course}")
    with pytest.raises(SkippableRecordError, match=r"no Classroom course d:CRS-1 .*Math 3A.*alias"):
        run(connector, lambda: connector.find_assignment(assignment()))


def test_grades_converge_and_a_resend_writes_nothing_twice(world: World) -> None:
    a = assignment()
    connector = world.connector()

    async def push() -> list[Any]:
        remote = await connector.create_assignment(a)
        grades = [grade(a, ADA, 3.456, comment="Proficient"), grade(a, BOB, 2)]
        acks = await asyncio.gather(*(connector.put_grade(remote, g)
                                      for g in itertools.chain(grades, grades)))
        return [remote, acks]

    remote, acks = run(connector, push)
    ada = world.server.submission(world.course, remote.id, "ada@example.org")
    bob = world.server.submission(world.course, remote.id, "bob@example.org")
    assert (ada["assignedGrade"], ada["draftGrade"]) == (3.46, 3.46)
    assert (bob["assignedGrade"], bob["draftGrade"]) == (2, 2)
    assert set(world.server.grade_writes.values()) == {1}
    assert world.server.requests[
        "GET /v1/courses/{course_ref}/courseWork/{work_id}/studentSubmissions"] == 2
    assert world.server.tokens_issued == 1
    assert any("cannot write grade comments" in (ack.detail or "") for ack in acks)
    # The next push resends (the ledger was not updated before a crash): nothing is written.
    later = world.connector()
    ack = run(later, lambda: later.put_grade(remote, grade(a, ADA, 3.456)))
    assert ack.detail == "Classroom already holds this grade"
    assert world.server.grade_writes[(remote.id, ada["userId"])] == 1
    # A changed grade is written, once.
    changed = world.connector()
    run(changed, lambda: changed.put_grade(remote, grade(a, ADA, 4)))
    assert world.server.submission(world.course, remote.id, "ada@example.org")[
        "assignedGrade"] == 4
    assert world.server.grade_writes[(remote.id, ada["userId"])] == 2


def test_draft_grades_leave_the_assigned_grade_alone(world: World) -> None:
    a = assignment()
    connector = world.connector(grades="draft")

    async def push() -> Remote:
        remote = await connector.create_assignment(a)
        await connector.put_grade(remote, grade(a, ADA, 3))
        return remote

    remote = run(connector, push)
    ada = world.server.submission(world.course, remote.id, "ada@example.org")
    assert ada["draftGrade"] == 3 and "assignedGrade" not in ada


def test_a_deleted_courseWork_is_gone_before_and_after_its_submission_is_known(
        world: World) -> None:
    a = assignment()
    connector = world.connector()

    async def push() -> None:
        remote = await connector.create_assignment(a)
        await connector.put_grade(remote, grade(a, ADA, 3))
        world.server.delete_course_work(world.course, remote.id)
        with pytest.raises(AssignmentGone, match=rf"courseWork {remote.id} .*deleted"):
            await connector.put_grade(remote, grade(a, ADA, 4))  # submission id cached
        with pytest.raises(AssignmentGone):
            await connector.put_grade(remote, grade(a, BOB, 4))  # looked up
        assert await connector.find_assignment(a) is None  # so the engine may recreate it

    run(connector, push)


def test_a_learner_not_in_the_course_is_skipped_with_who_and_where(world: World) -> None:
    a = assignment()
    world.server.add_user("carol@example.org")  # in the domain, not in the course
    carol = Learner("STU-3", email="carol@example.org", given_name="Carol")
    stranger = Learner("STU-4", email="dan@elsewhere.org")
    nameless = Learner("STU-5")
    connector = world.connector()

    async def push() -> None:
        remote = await connector.create_assignment(a)
        for learner in (carol, stranger):
            with pytest.raises(SkippableRecordError,
                               match=rf"{learner.sourced_id}.*not a student of Classroom "
                                     rf"course {world.course}.*Math 3A"):
                await connector.put_grade(remote, grade(a, learner, 3))
        with pytest.raises(SkippableRecordError, match=r"STU-5.*no email.*user_id"):
            await connector.put_grade(remote, grade(a, nameless, 3))
        await connector.put_grade(remote, grade(a, ADA, 3))  # the rest go on

    run(connector, push)


def test_grades_on_another_projects_courseWork_stop_with_the_reason(world: World) -> None:
    foreign = world.server.add_course_work(world.course, "Made by hand", project=None)
    remote = Remote(foreign, extra={"course": world.course})
    connector = world.connector()
    with pytest.raises(ConfigError, match=r"only the Cloud project that created.*"
                                          r"district-project.*ProjectPermissionDenied"):
        run(connector, lambda: connector.put_grade(remote, grade(assignment(), ADA, 3)))
    assert not world.server.grade_writes


def test_429_resource_exhausted_is_retried_after_retry_after(world: World) -> None:
    a = assignment()
    connector = world.connector()

    async def push() -> Remote:
        remote = await connector.create_assignment(a)
        world.server.throttle_next = 3
        await connector.put_grade(remote, grade(a, ADA, 3))
        return remote

    remote = run(connector, push)
    assert world.server.throttled == 3
    assert world.sleeps == [0, 0, 0]  # the server's Retry-After: 0, honoured
    assert world.server.submission(world.course, remote.id, ADA.email or "")[
        "assignedGrade"] == 3


def test_the_per_minute_quota_leaves_grades_pending_until_it_refills(world: World) -> None:
    now = [0.0]
    world.server.clock = lambda: now[0]
    world.server.quota_per_minute_user = 4
    a = assignment()
    connector = world.connector(retries=2)

    async def push() -> tuple[Remote, list[str]]:
        remote = await connector.create_assignment(a)  # list + create: 2 of 4
        await connector.put_grade(remote, grade(a, ADA, 3))  # list + patch: 4 of 4
        failures = []
        try:
            await connector.put_grade(remote, grade(a, BOB, 3))
        except RetriableError as exc:
            failures.append(str(exc))
        now[0] += 60  # a new minute
        await connector.put_grade(remote, grade(a, BOB, 3))
        return remote, failures

    remote, failures = run(connector, push)
    assert len(failures) == 1
    assert "429" in failures[0] and "RESOURCE_EXHAUSTED" in failures[0]
    assert world.server.submission(world.course, remote.id, BOB.email or "")[
        "assignedGrade"] == 3


def test_random_429s_and_500s_still_converge_to_one_courseWork_and_one_grade_each(
        world: World) -> None:
    students = [Learner(f"STU-R{n}", email=f"r{n}@example.org") for n in range(12)]
    for s in students:
        world.server.add_student(world.course, s.email or "")
    world.server.fault_rate = 0.3
    a = assignment()
    connector = world.connector(retries=10)

    async def push() -> Remote:
        remote = await connector.create_assignment(a)
        await asyncio.gather(*(connector.put_grade(remote, grade(a, s, n % 5))
                               for n, s in enumerate(students)))
        return remote

    remote = run(connector, push)
    assert world.server.created == {"hm-fractions-1": 1}
    assert world.server.throttled > 0
    for n, s in enumerate(students):
        held = world.server.submission(world.course, remote.id, s.email or "")
        assert held["assignedGrade"] == n % 5
