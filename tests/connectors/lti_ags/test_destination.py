"""The lti-ags destination against a real LTI platform: line items made once and found again
after a crash, scores that converge and are not sent twice, a deleted column, learners and
classes the LMS does not know yet, and the platform's 429s and 5xx."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.lti_ags import LtiAgsConnector
from gateway.abc import Capability, ConnectorKind
from gateway.errors import ConfigError, RetriableError, SkippableRecordError
from gateway.lti.ags import LINEITEM, SCORE
from gateway.plugins import connector_class
from gateway.push.destination import (
    AssignmentGone,
    ClassRef,
    GradeAck,
    Learner,
    Remote,
)
from gateway.store.tables import lti_score_ledger
from tests.connectors.lti_ags.lms import (
    LEARNERS,
    World,
    assignment,
    grade,
    launch_context,
)

QUIZ = assignment()


def made(world: World) -> Remote:
    async def call(lms: LtiAgsConnector) -> Remote:
        return await lms.find_assignment(QUIZ) or await lms.create_assignment(QUIZ)
    return world.push(call)


def put(world: World, remote: Remote, *grades: Any, **config: Any) -> list[GradeAck]:
    async def call(lms: LtiAgsConnector) -> list[GradeAck]:
        return list(await asyncio.gather(*(lms.put_grade(remote, g) for g in grades)))
    return world.push(call, **config)


def results(world: World) -> dict[str, tuple[Any, ...]]:
    """What the gradebook shows per LMS user: (scoreGiven, scoreMaximum, comment)."""
    latest = {}
    for score in world.live.platform.scores:
        latest[score["userId"]] = (score["scoreGiven"], score["scoreMaximum"],
                                   score.get("comment"))
    return latest


def test_it_is_a_push_destination_of_one_registration(world: World) -> None:
    assert connector_class("lti-ags") is LtiAgsConnector
    lms = world.connector()
    assert lms.kind is ConnectorKind.LMS and lms.streams() == ()
    assert lms.capabilities == {Capability.CHECK, Capability.PUSH}
    with pytest.raises(ConfigError, match="push-only destination"):
        lms.pull(None)
    with pytest.raises(ConfigError, match="name the tenant's LTI registration"):
        LtiAgsConnector.from_mapping({"registration": " "})
    with pytest.raises(ConfigError, match=r"no LTI registration named 'moodle'.*'test-lms'"):
        world.push(lambda lms: lms.find_assignment(QUIZ), registration="moodle")


def test_check_says_which_courses_can_take_grades(world: World) -> None:
    alone = asyncio.run(world.connector().check())
    assert not alone.ok and "through a push" in alone.message
    result = world.push(lambda lms: lms.check())
    assert result.ok, result.message
    assert "1 LMS course(s) matched to classes can take grades" in result.message
    launch_context(world.live, "class-2", "course-2", scope=[SCORE])
    result = world.push(lambda lms: lms.check())
    assert result.ok and "1 more lack AGS" in result.message
    assert result.details["courses_without_ags"] == ["class-2"]
    world.live.platform.tool.scopes = []  # type: ignore[union-attr]  # the LMS took them away
    refused = world.push(lambda lms: lms.check())
    assert not refused.ok and "that the tool is allowed these scopes" in refused.message


def test_the_line_item_is_made_once_and_found_again_after_a_crash(world: World) -> None:
    assert world.push(lambda lms: lms.find_assignment(QUIZ)) is None

    async def twice(lms: LtiAgsConnector) -> list[Remote]:
        return list(await asyncio.gather(lms.create_assignment(QUIZ),
                                         lms.create_assignment(QUIZ)))

    first, second = world.push(twice)
    assert first == second and first.id.startswith(world.live.lineitems_url())
    assert first.extra == {"lineitems_url": world.live.lineitems_url(),
                           "context_id": "course-1", "score_maximum": 4.0}
    [item] = world.line_items()
    assert item == {"id": first.id, "label": "Fractions: unit fractions", "scoreMaximum": 4,
                    "resourceId": "hm-fractions", "tag": "standard:3.NF.A.1"}
    # The engine died before recording the answer: a new push finds it by resourceId.
    assert world.push(lambda lms: lms.find_assignment(QUIZ)) == first
    assert world.push(lambda lms: lms.create_assignment(QUIZ)) == first
    other = assignment("hm-decimals", title="Decimals")
    assert world.push(lambda lms: lms.find_assignment(other)) is None
    assert len(world.line_items()) == 1 and world.posts("/lineitems") == 1


def test_scores_converge_and_a_resend_sends_nothing(any_world: World) -> None:
    world = any_world
    remote = made(world)
    grades = [grade(QUIZ, learner, n % 5) for n, learner in enumerate(LEARNERS)]
    acks = put(world, remote, *grades)
    assert [a.response_status for a in acks] == [204] * 5 and not any(a.kept_theirs
                                                                      for a in acks)
    assert results(world) == {f"lms-{n + 1}": (float(n % 5), 4.0, "Proficient")
                              for n in range(5)}
    # Sent again (a retry, the next push): the ledger knows the LMS holds them.
    again = put(world, remote, *grades)
    assert all(a.detail and a.detail.startswith("already sent") for a in again)
    assert world.posts("/scores") == 5
    changed = grade(QUIZ, LEARNERS[0], 3.5, "Mastered")
    put(world, remote, changed, changed)
    assert results(world)["lms-1"] == (3.5, 4.0, "Mastered")
    assert world.posts("/scores") == 6
    [score] = [s for s in world.live.platform.scores if s["comment"] == "Mastered"]
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"


def test_a_crash_mid_send_resends_the_same_score(any_world: World) -> None:
    world = any_world
    remote = made(world)
    one = grade(QUIZ, LEARNERS[2], 2)
    put(world, remote, one)
    with world.store.engine.begin() as conn:  # died before the answer was recorded
        conn.execute(lti_score_ledger.update().values(status="pending", sent_at=None))
    put(world, remote, one)
    first, resent = world.live.platform.scores
    assert first == resent  # same timestamp: the LMS holds one score
    put(world, remote, one)
    assert len(world.live.platform.scores) == 2


def test_progress_and_the_column_maximum_follow_the_config(world: World) -> None:
    # A column the LMS made out of 20 with the gateway's key (say, copied with the course).
    world.live.platform.add_line_item("course-1", "Fractions", 20, resource_id=QUIZ.key)
    remote = made(world)
    assert remote.extra["score_maximum"] == 20
    put(world, remote, grade(QUIZ, LEARNERS[0], 3), score_maximum_from="line_item",
        grading_progress="PendingManual")
    [score] = world.live.platform.scores
    assert (score["scoreGiven"], score["scoreMaximum"]) == (15.0, 20.0)
    assert score["gradingProgress"] == "PendingManual"
    put(world, remote, grade(QUIZ, LEARNERS[1], 3))
    assert world.live.platform.scores[-1]["scoreMaximum"] == 4.0


def test_a_line_item_deleted_in_the_lms_is_assignment_gone(world: World) -> None:
    remote = made(world)
    put(world, remote, grade(QUIZ, LEARNERS[0], 4))
    world.course().line_items.clear()  # a teacher deleted the column
    with pytest.raises(AssignmentGone, match=r"'Fractions: unit fractions' of class class-1 "
                                             r"is gone from LMS course 'Algebra 1'"):
        put(world, remote, grade(QUIZ, LEARNERS[0], 3))
    assert len(world.line_items()) == 0  # not made again behind the engine's back
    assert world.push(lambda lms: lms.find_assignment(QUIZ)) is None
    again = made(world)  # on_deleted: recreate
    assert again.id != remote.id
    put(world, again, grade(QUIZ, LEARNERS[0], 3))
    assert world.live.platform.scores[-1]["lineitem"] == again.id


def test_learners_the_lms_does_not_have_are_skipped(world: World) -> None:
    remote = made(world)
    seen = len(world.live.platform.request_log)
    newcomer = Learner("stu-9", given_name="Ada", family_name="Byron")
    with pytest.raises(SkippableRecordError, match=r"learner stu-9 \(Ada Byron\) has no "
                                                   r"linked LMS user .*launch Harbormaster "
                                                   r"once"):
        put(world, remote, grade(QUIZ, newcomer, 1))
    assert len(world.live.platform.request_log) == seen
    course = world.course()  # lms-5 dropped the course in the LMS
    course.members = [m for m in course.members if m.sub != "lms-5"]
    with pytest.raises(SkippableRecordError, match=r"learner stu-5 \(LMS user lms-5\).*"
                                                   r"refused the score.*not a member"):
        put(world, remote, grade(QUIZ, LEARNERS[4], 1))
    put(world, remote, grade(QUIZ, LEARNERS[3], 1))  # the others still go
    assert list(results(world)) == ["lms-4"]


def test_classes_without_a_course_that_takes_grades_are_skipped(world: World) -> None:
    biology = assignment(section=ClassRef("class-9", "Biology", class_code="BIO-9"))
    never = (r"class 'Biology' \(class-9\) has no LMS course .*a teacher must launch "
             r"Harbormaster once .*'BIO-9'")
    with pytest.raises(SkippableRecordError, match=never):
        world.push(lambda lms: lms.find_assignment(biology))
    with pytest.raises(SkippableRecordError, match=never):
        world.push(lambda lms: lms.create_assignment(biology))
    with pytest.raises(SkippableRecordError, match="has no LMS course"):
        put(world, Remote("x"), grade(biology, LEARNERS[0], 1))
    launch_context(world.live, "class-2", "course-2", lineitems=None)
    no_ags = assignment(section=ClassRef("class-2", "Geometry"))
    with pytest.raises(SkippableRecordError, match=r"class 'Geometry' \(class-2\): its LMS "
                                                   r"course .* sent no AGS line items URL"):
        world.push(lambda lms: lms.find_assignment(no_ags))
    launch_context(world.live, "class-3", "course-3", scope=[SCORE])
    scores_only = assignment(section=ClassRef("class-3", "Chemistry"))
    with pytest.raises(SkippableRecordError, match=r"did not grant the scope .*lineitem\.read"):
        world.push(lambda lms: lms.find_assignment(scores_only))
    with pytest.raises(SkippableRecordError, match=r"did not grant the scope .*lineitem "):
        world.push(lambda lms: lms.create_assignment(scores_only))
    launch_context(world.live, "class-4", "course-4", scope=[LINEITEM])
    items_only = assignment(section=ClassRef("class-4", "Physics"))
    assert world.push(lambda lms: lms.find_assignment(items_only)) is None
    with pytest.raises(SkippableRecordError, match=r"did not grant the scope .*scope/score"):
        put(world, Remote("x"), grade(items_only, LEARNERS[0], 1))


def test_429_and_5xx_are_waited_out_or_left_for_the_next_push(world: World) -> None:
    # A creating POST is not retried after a 5xx (it may have landed): the engine looks
    # it up, and makes it on the next push when it did not.
    world.live.platform.fail_next("/lineitems", 500, method="POST")
    with pytest.raises(RetriableError, match="HTTP 500"):
        world.push(lambda lms: lms.create_assignment(QUIZ))
    assert world.line_items() == [] and world.sleeps == []
    world.live.platform.fail_next("/lineitems", 429, method="POST")  # surely not processed
    remote = made(world)
    assert len(world.line_items()) == 1
    world.live.platform.fail_next("/scores", 429, headers={"Retry-After": "2"})
    world.live.platform.fail_next("/scores", 503)
    put(world, remote, grade(QUIZ, LEARNERS[0], 2))
    assert 2.0 in world.sleeps and len(world.sleeps) == 3
    assert len(world.live.platform.scores) == 1 and world.posts("/scores") == 3
    # Down for longer than the retries: the grade stays pending, sent as it was later.
    world.live.platform.fail_next("/scores", 503, times=2)
    with pytest.raises(RetriableError, match="HTTP 503"):
        put(world, remote, grade(QUIZ, LEARNERS[1], 2), retries=2)
    with world.store.engine.connect() as conn:
        [row] = conn.execute(sa.select(lti_score_ledger)
                             .where(lti_score_ledger.c.user_id == "lms-2")).all()
    assert row.status == "pending"
    put(world, remote, grade(QUIZ, LEARNERS[1], 2))
    assert [s["timestamp"] for s in world.live.platform.scores
            if s["userId"] == "lms-2"] == [row.timestamp]

