"""What a real platform rarely answers, under httpx.MockTransport: a 409 for a score the LMS
holds a later grade for, bodies that are not AGS, timeouts, and a 404 for a whole course."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from connectors.lti_ags import LtiAgsConnector
from gateway.errors import RetriableError, RunFatalError, SkippableRecordError
from gateway.push.destination import GradeAck, Remote
from tests.connectors.lti_ags.lms import LEARNERS, World, assignment, grade

QUIZ = assignment()
ITEM = Remote("https://lms.invalid/contexts/course-1/lineitems/7")


def platform(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return answer(request)
    return httpx.MockTransport(handler)


def always(answer: httpx.Response) -> httpx.MockTransport:
    return platform(lambda request: answer)


def test_score_answers_a_409_keeps_theirs_a_422_skips(world: World) -> None:
    transport = always(httpx.Response(409, text="a newer score exists"))

    async def twice(lms: LtiAgsConnector) -> list[GradeAck]:
        one = grade(QUIZ, LEARNERS[0], 3)
        return [await lms.put_grade(ITEM, one), await lms.put_grade(ITEM, one)]

    first, again = world.push(twice, transport=transport)
    assert first.kept_theirs and first.response_status == 409
    assert "holds a later score" in (first.detail or "")
    assert again.kept_theirs  # not sent again either
    # Refused for this learner only (Canvas: not a student of the course).
    transport = always(httpx.Response(
        422, json={"errors": [{"message": "User not found in course or is not a student"}]}))
    with pytest.raises(SkippableRecordError, match=r"grade of learner stu-1 \(LMS user lms-1\) "
                                                   r"on assignment .*HTTP 422.*User not found"):
        world.push(lambda lms: lms.put_grade(ITEM, grade(QUIZ, LEARNERS[0], 1)),
                   transport=transport)


def test_a_line_item_that_landed_before_a_502_is_not_made_twice(world: World) -> None:
    made: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":  # the LMS makes it, then its proxy times out
            made.append({**json.loads(request.content), "id": f"{ITEM.id}{len(made)}"})
            return httpx.Response(502)
        return httpx.Response(200, json=made)

    remote = world.push(lambda lms: lms.create_assignment(QUIZ), transport=platform(answer))
    assert len(made) == 1 and remote.id == made[0]["id"]


def test_line_item_answers_that_are_not_ags(world: World) -> None:
    cases: list[tuple[httpx.Response, type[Exception], str]] = [
        (httpx.Response(200, text="<html>sign in</html>"), RunFatalError, "not JSON"),
        (httpx.Response(200, json={"id": "x"}), RunFatalError, "not a list of line items"),
        (httpx.Response(404), SkippableRecordError,
         r"assignment 'Fractions: unit fractions' of class class-1: .*no such line items "
         r"container .*launch the tool from the course again"),
    ]
    for answer, error, match in cases:
        with pytest.raises(error, match=match):
            world.push(lambda lms: lms.find_assignment(QUIZ), transport=always(answer))


def test_a_platform_that_times_out_leaves_the_grade_for_later(world: World) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(RetriableError, match="timed out"):
        world.push(lambda lms: lms.put_grade(ITEM, grade(QUIZ, LEARNERS[1], 2)),
                   transport=platform(answer), retries=2)
    assert len(world.sleeps) == 1


def test_calls_before_open_are_a_bug_not_a_config_error() -> None:
    lms = LtiAgsConnector.from_mapping({"registration": "test-lms"})
    assert isinstance(lms, LtiAgsConnector)
    with pytest.raises(RuntimeError, match="open"):
        asyncio.run(lms.find_assignment(QUIZ))
