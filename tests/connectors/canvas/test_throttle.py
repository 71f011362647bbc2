"""Canvas's throttle: 403 (Rate Limit Exceeded) and 429 are waited out within bounds, and
pacing by X-Rate-Limit-Remaining keeps a concurrent push under a small bucket."""

from __future__ import annotations

import asyncio

import pytest

from gateway.errors import RetriableError
from gateway.push.destination import Remote
from gateway.testing.lms.canvas import Fault

from .factories import Canvas, assignment, grade


def test_throttled_and_busy_answers_are_retried_until_the_grade_lands(canvas: Canvas) -> None:
    a = assignment()
    canvas.server.faults.extend([Fault(403, method="PUT", count=2), Fault(429, method="PUT")])
    connector = canvas.connector(retries=5)

    async def scenario() -> Remote:
        try:
            remote = await connector.create_assignment(a)
            await connector.put_grade(remote, grade(a, comment=None))
            return remote
        finally:
            await connector.aclose()

    remote = asyncio.run(scenario())
    sub = canvas.server.submission(int(remote.id), "S1")
    assert sub is not None and sub.score == 3.0
    assert canvas.server.injected == 3
    assert canvas.server.grade_writes == 1


def test_retries_are_bounded_and_wait_what_canvas_asks(canvas: Canvas) -> None:
    a = assignment()
    canvas.server.retry_after = 7
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    connector = canvas.connector(retries=3, pacing=False)
    connector.sleep = record

    async def scenario() -> None:
        try:
            remote = await connector.create_assignment(a)
            canvas.server.faults.append(Fault(403, method="PUT", count=10))
            before = canvas.server.requests
            with pytest.raises(RetriableError, match="HTTP 403 after every retry"):
                await connector.put_grade(remote, grade(a))
            assert canvas.server.requests - before == 3
        finally:
            await connector.aclose()

    asyncio.run(scenario())
    assert waits == [7.0, 7.0]
    assert canvas.server.grade_writes == 0


def test_a_create_throttled_is_retried_without_a_duplicate(canvas: Canvas) -> None:
    a = assignment()
    canvas.server.faults.append(Fault(403, method="POST", count=2))
    connector = canvas.connector()

    async def scenario() -> Remote:
        try:
            return await connector.create_assignment(a)
        finally:
            await connector.aclose()

    remote = asyncio.run(scenario())
    (row,) = canvas.server.by_integration_id(a.key)
    assert remote.id == str(row["id"])
    assert canvas.server.created[a.key] == 1


def test_pacing_keeps_a_concurrent_push_under_a_small_bucket(canvas: Canvas) -> None:
    learners = [f"P{n:03d}" for n in range(300)]
    for sid in learners:
        canvas.server.add_student("C1", sid)
    a = assignment()
    connector = canvas.connector(retries=8)

    async def scenario() -> None:
        try:
            remote = await connector.create_assignment(a)
            canvas.server.capacity, canvas.server.leak = 30.0, 100.0
            slots = asyncio.Semaphore(16)

            async def one(sid: str) -> None:
                async with slots:
                    await connector.put_grade(remote, grade(a, learner=sid, comment=None))

            await asyncio.gather(*(one(sid) for sid in learners))
            pacer = connector.client.pacer
            assert pacer is not None and pacer.waited > 0  # it did slow down
        finally:
            await connector.aclose()

    asyncio.run(scenario())
    assert canvas.server.grade_writes == 300
    # Unpaced, 16 writers against a 30-request bucket draining 100 a second met the throttle
    # about 500 times here (and some grades ran out of retries); paced, at most the first
    # burst's overshoot does.
    assert canvas.server.throttled <= 15, canvas.server.throttled
