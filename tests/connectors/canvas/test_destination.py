"""The Canvas destination against the Canvas server on loopback: check, exactly-once
assignments, idempotent grades and comments, and each refusal mapped to what the engine does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from connectors.canvas import CanvasConnector
from gateway.abc import Capability, ConnectorKind
from gateway.errors import ConfigError, SkippableRecordError
from gateway.plugins import connector_class
from gateway.push.destination import AssignmentGone, PeriodClosed, Remote
from gateway.testing.lms.canvas import Fault

from .factories import Canvas, assignment, grade

T = TypeVar("T")


def run(connector: CanvasConnector, scenario: Callable[[CanvasConnector], Awaitable[T]]) -> T:
    """One push's worth of calls on ``connector``, closed afterwards."""
    async def go() -> T:
        try:
            return await scenario(connector)
        finally:
            await connector.aclose()
    return asyncio.run(go())


def made(canvas: Canvas, key: str) -> dict[str, Any]:
    (one,) = canvas.server.by_integration_id(key)
    return one


# -- the connector ---------------------------------------------------------------------------

def test_registered_as_a_push_only_lms_destination(canvas: Canvas) -> None:
    cls = connector_class("canvas")
    assert cls is CanvasConnector
    assert cls.kind is ConnectorKind.LMS
    assert cls.capabilities == {Capability.CHECK, Capability.PUSH}
    connector = canvas.connector()
    assert connector.streams() == ()
    with pytest.raises(ConfigError, match="push-only"):
        connector.pull(None)


def test_check_signs_in_with_a_good_token(canvas: Canvas) -> None:
    canvas.server.capacity = 700
    result = asyncio.run(canvas.connector().check())
    assert result.ok, result.message
    assert "signed in as Harbormaster Integration" in result.message
    assert "of the API quota left" in result.message


def test_check_says_to_replace_a_bad_token(canvas: Canvas) -> None:
    result = asyncio.run(canvas.connector(access_token="expired").check())
    assert not result.ok
    assert "rejected the access token (Invalid access token.)" in result.message
    assert "access_token" in result.message


def test_check_reports_an_unreachable_canvas() -> None:
    connector = CanvasConnector.from_mapping({"base_url": "http://127.0.0.1:9",
                                              "access_token": "t"})
    result = asyncio.run(connector.check())
    assert not result.ok
    assert "127.0.0.1:9" in result.message


@pytest.mark.parametrize(("field", "value", "phrase"), [
    ("course_id", "{class}", "must start with one of sis_course_id:"),
    ("course_id", "sis_course_id:{section}", "found {section}"),
    ("user_id", "sis_login_id:{email}", "{email} is not an id Canvas accepts"),
    ("base_url", "district.instructure.com", "must start with https://"),
])
def test_config_names_the_bad_field(field: str, value: str, phrase: str) -> None:
    config = {"base_url": "https://d.instructure.com", "access_token": "t", field: value}
    with pytest.raises(ConfigError, match=field) as caught:
        CanvasConnector.from_mapping(config)
    assert phrase in str(caught.value)


def test_base_url_may_be_pasted_with_the_api_path() -> None:
    connector = CanvasConnector.from_mapping({"base_url": "https://d.instructure.com/api/v1/",
                                              "access_token": "t"})
    assert connector.config.base_url == "https://d.instructure.com"


# -- assignments, exactly once ----------------------------------------------------------------

def test_create_carries_the_key_and_find_finds_it(canvas: Canvas) -> None:
    a = assignment(due_at="2026-12-15T23:59:00Z")

    async def scenario(c: CanvasConnector) -> tuple[Remote | None, Remote, Remote | None]:
        return await c.find_assignment(a), await c.create_assignment(a), \
            await c.find_assignment(a)

    before, remote, after = run(canvas.connector(), scenario)
    assert before is None
    assert after == remote
    row = made(canvas, a.key)
    assert remote.id == str(row["id"])
    assert remote.url and remote.url.endswith(f"/assignments/{row['id']}")
    assert row["name"] == "Fractions" and row["points_possible"] == 4.0
    assert row["grading_type"] == "points" and row["submission_types"] == ["none"]
    assert row["published"] is True and row["due_at"] == "2026-12-15T23:59:00Z"
    assert row["integration_data"]["class"] == "C1"
    # A later push (a new connector) finds it by integration_id instead of making another.
    again = run(canvas.connector(), lambda c: c.find_assignment(a))
    assert again == remote
    assert canvas.server.created[a.key] == 1


def test_a_create_that_failed_after_canvas_made_it_is_found_not_repeated(
        canvas: Canvas) -> None:
    a = assignment()
    canvas.server.faults.append(Fault(500, method="POST", after_apply=True))
    remote = run(canvas.connector(), lambda c: c.create_assignment(a))
    assert remote.id == str(made(canvas, a.key)["id"])
    assert canvas.server.created[a.key] == 1


def test_a_create_refused_before_canvas_made_it_is_tried_again(canvas: Canvas) -> None:
    a = assignment()
    canvas.server.faults.append(Fault(503, method="POST"))
    remote = run(canvas.connector(), lambda c: c.create_assignment(a))
    assert remote.id == str(made(canvas, a.key)["id"])
    assert canvas.server.created[a.key] == 1


def test_find_lists_each_course_once_per_push_and_follows_pages(canvas: Canvas) -> None:
    keys = [f"hm-{n:03d}" for n in range(230)]
    ids = {key: canvas.server.add_assignment("C1", key, integration_id=key) for key in keys}
    canvas.server.add_assignment("C1", "Teacher's quiz")  # not ours: no integration_id
    before = canvas.server.requests

    async def scenario(c: CanvasConnector) -> list[Remote | None]:
        return list(await asyncio.gather(*(c.find_assignment(assignment(k))
                                           for k in reversed(keys))))

    found = run(canvas.connector(), scenario)
    assert canvas.server.requests - before == 3  # pages of 100, 100 and 31
    assert [r.id if r else None for r in found] == [str(ids[k]) for k in reversed(keys)]


def test_a_class_missing_in_canvas_is_skipped_naming_class_and_setting(canvas: Canvas) -> None:
    with pytest.raises(SkippableRecordError, match="no course sis_course_id:C9 for class C9") \
            as caught:
        run(canvas.connector(), lambda c: c.find_assignment(assignment(cls="C9")))
    assert "course_id" in str(caught.value)


def test_course_template_maps_classes_to_their_course(canvas: Canvas) -> None:
    canvas.server.add_course("course-C1", "Math 5 (all sections)")
    connector = canvas.connector(course_id="sis_course_id:{course}")
    remote = run(connector, lambda c: c.create_assignment(assignment()))
    assert remote.extra["course"] == "sis_course_id:course-C1"


# -- grades, idempotently ----------------------------------------------------------------------

async def _made(c: CanvasConnector, key: str = "hm-3nf-a1", **kw: Any) -> Remote:
    return await c.create_assignment(assignment(key, **kw))


def test_grade_and_comment_land_once_however_often_they_are_sent(canvas: Canvas) -> None:
    a = assignment()

    async def scenario(c: CanvasConnector) -> Remote:
        remote = await c.create_assignment(a)
        await c.put_grade(remote, grade(a, score=3.0))
        await c.put_grade(remote, grade(a, score=3.0))  # a retry
        return remote

    remote = run(canvas.connector(), scenario)
    # A resend after a crash, from the next push.
    run(canvas.connector(), lambda c: c.put_grade(remote, grade(a, score=3.0)))
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None
    assert sub.score == 3.0 and sub.grade == "3"
    assert [c["comment"] for c in sub.comments] == ["Proficient"]
    assert canvas.server.comment_writes == 1


def test_a_changed_grade_overwrites_and_a_new_level_adds_its_comment(canvas: Canvas) -> None:
    a = assignment()

    async def scenario(c: CanvasConnector) -> Remote:
        remote = await c.create_assignment(a)
        await c.put_grade(remote, grade(a, score=2.0, comment="Developing"))
        await c.put_grade(remote, grade(a, score=2.5, comment="Developing"))
        await c.put_grade(remote, grade(a, score=3.5, comment="Proficient"))
        await c.put_grade(remote, grade(a, score=3.25, comment=None))
        return remote

    remote = run(canvas.connector(), scenario)
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None
    assert sub.score == 3.25
    assert [h["score"] for h in sub.history] == [2.0, 2.5, 3.5, 3.25]
    assert [c["comment"] for c in sub.comments] == ["Developing", "Proficient"]


def test_writes_that_fail_after_canvas_applied_them_do_not_duplicate(canvas: Canvas) -> None:
    a = assignment()
    canvas.server.faults.extend([
        Fault(500, method="PUT", path="/submissions/", after_apply=True),   # the grade
        Fault(500, method="PUT", path="/submissions/", after_apply=True),   # the comment
    ])

    async def scenario(c: CanvasConnector) -> Remote:
        remote = await c.create_assignment(a)
        await c.put_grade(remote, grade(a))
        return remote

    remote = run(canvas.connector(), scenario)
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None
    assert sub.score == 3.0
    assert [c["comment"] for c in sub.comments] == ["Proficient"]
    assert canvas.server.injected == 2


def test_a_teachers_comment_after_ours_does_not_make_us_repeat(canvas: Canvas) -> None:
    a = assignment()
    remote = run(canvas.connector(), lambda c: _grade_once(c, a))
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None
    sub.comments.append({"id": 1, "author_id": 77, "comment": "Nice work!"})
    run(canvas.connector(), lambda c: c.put_grade(remote, grade(a)))
    assert [c["comment"] for c in sub.comments] == ["Proficient", "Nice work!"]


async def _grade_once(c: CanvasConnector, a: Any) -> Remote:
    remote = await c.create_assignment(a)
    await c.put_grade(remote, grade(a))
    return remote


def test_learners_can_be_addressed_by_login(canvas: Canvas) -> None:
    a = assignment()
    connector = canvas.connector(user_id="sis_login_id:{username}")

    async def scenario(c: CanvasConnector) -> Remote:
        remote = await c.create_assignment(a)
        await c.put_grade(remote, grade(a, learner="S2", username="s2@d.org"))
        return remote

    remote = run(connector, scenario)
    sub = canvas.server.submission(int(remote.id), "S2")
    assert sub is not None and sub.score == 3.0


def test_a_learner_without_the_id_field_is_skipped_by_name(canvas: Canvas) -> None:
    a = assignment()
    connector = canvas.connector(user_id="sis_login_id:{username}")

    async def scenario(c: CanvasConnector) -> None:
        await c.put_grade(await c.create_assignment(a), grade(a, learner="S2"))

    with pytest.raises(SkippableRecordError, match="learner S2 has no username"):
        run(connector, scenario)


# -- refusals ----------------------------------------------------------------------------------

def test_a_deleted_assignment_is_gone_and_no_longer_found(canvas: Canvas) -> None:
    a = assignment()
    remote = run(canvas.connector(), lambda c: c.create_assignment(a))
    canvas.server.delete_assignment(int(remote.id))
    with pytest.raises(AssignmentGone, match=r"assignment 'Fractions' \(id \d+\) is gone"):
        run(canvas.connector(), lambda c: c.put_grade(remote, grade(a)))
    assert run(canvas.connector(), lambda c: c.find_assignment(a)) is None


def test_a_learner_not_in_the_course_is_skipped_naming_learner_and_course(
        canvas: Canvas) -> None:
    a = assignment()

    async def scenario(c: CanvasConnector) -> None:
        await c.put_grade(await c.create_assignment(a), grade(a, learner="S3"))

    with pytest.raises(SkippableRecordError) as caught:
        run(canvas.connector(), scenario)
    message = str(caught.value)
    assert "learner S3 (sis_user_id:S3) is not a student of Canvas course" in message
    assert "'Fractions'" in message


def test_an_impossible_grade_is_skipped_with_canvas_words(canvas: Canvas) -> None:
    a = assignment()

    async def scenario(c: CanvasConnector) -> None:
        await c.put_grade(await c.create_assignment(a), grade(a, score=-1))

    with pytest.raises(SkippableRecordError, match="out of range"):
        run(canvas.connector(), scenario)


@pytest.mark.parametrize("status", [401, 403])
def test_a_closed_grading_period_is_period_closed(canvas: Canvas, status: int) -> None:
    canvas.server.unauthorized_status = status
    canvas.server.add_period("C1", "Q1", "2026-08-15T00:00:00Z", "2026-10-31T23:59:59Z")
    canvas.server.add_period("C1", "Q2", "2026-10-31T23:59:59Z", "2027-01-20T23:59:59Z")
    q1 = assignment("hm-q1", due_at="2026-10-31T23:00:00Z")
    q2 = assignment("hm-q2", due_at="2026-12-15T23:00:00Z")

    async def scenario(c: CanvasConnector) -> tuple[Remote, Remote]:
        r1, r2 = await c.create_assignment(q1), await c.create_assignment(q2)
        await c.put_grade(r1, grade(q1))
        canvas.server.close_period("C1", "Q1")
        with pytest.raises(PeriodClosed, match="'Fractions' is in a closed grading period"):
            await c.put_grade(r1, grade(q1, score=4.0))
        await c.put_grade(r2, grade(q2, score=4.0))  # Q2 is open
        return r1, r2

    r1, r2 = run(canvas.connector(), scenario)
    first = canvas.server.submission(int(r1.id), "S1")
    second = canvas.server.submission(int(r2.id), "S1")
    assert first is not None and first.score == 3.0
    assert second is not None and second.score == 4.0


def test_an_admin_token_may_grade_a_closed_period(canvas: Canvas) -> None:
    canvas.server.tokens["admin-token"] = "admin"
    canvas.server.add_period("C1", "Q1", "2026-08-15T00:00:00Z", "2026-10-31T23:59:59Z",
                             closed=True)
    a = assignment(due_at="2026-10-01T12:00:00Z")

    async def scenario(c: CanvasConnector) -> Remote:
        remote = await c.create_assignment(a)
        await c.put_grade(remote, grade(a))
        return remote

    remote = run(canvas.connector(access_token="admin-token"), scenario)
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None and sub.score == 3.0


def test_a_token_revoked_mid_push_stops_it(canvas: Canvas) -> None:
    a = assignment()

    async def scenario(c: CanvasConnector) -> None:
        remote = await c.create_assignment(a)
        del canvas.server.tokens["canvas-test-token"]
        await c.put_grade(remote, grade(a))

    with pytest.raises(ConfigError, match="rejected the access token"):
        run(canvas.connector(), scenario)
