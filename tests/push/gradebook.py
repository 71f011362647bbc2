"""The smallest LMS gradebook the push engine can be tested against, over real HTTP, and
its destination connector (installed as the test plugin ``test-gradebook``).

Its rules: an assignment is made by POST (not idempotent: a second POST makes a second
one, which is what the engine must never do) carrying the gateway's key, and listed back
with it; a grade is PUT per learner (idempotent); a learner not in the course is 404
``learner``, a deleted assignment 404 ``assignment``, a locked one 403 ``closed``. Faults:
``fail_next(status, times)`` answers the next writes with that status, ``lose_answers``
applies the next writes and then answers 500 (the write landed; the gateway cannot know).
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from gateway.abc import CheckResult
from gateway.errors import SkippableRecordError
from gateway.net.policy import HttpClient, HttpPolicy
from gateway.push.destination import (
    Assignment,
    AssignmentGone,
    DestinationConfig,
    DestinationConnector,
    Grade,
    GradeAck,
    PeriodClosed,
    PushRuntime,
    Remote,
)

NAME = "test-gradebook"
TARGET = "tests.push.gradebook:GradebookDestination"


class Gradebook:
    def __init__(self, courses: dict[str, list[str]], token: str = "secret") -> None:
        self.token = token
        self.courses = {c: set(users) for c, users in courses.items()}
        self.assignments: dict[str, dict[str, Any]] = {}
        self.grades: dict[tuple[str, str], float] = {}
        self.made = Counter[str]()
        """POSTs per key: more than one is a duplicate assignment."""
        self.writes = 0
        self.closed: set[str] = set()
        self._fail: list[int] = []
        self._fail_reads = False
        self._lose = 0
        self._ids = itertools.count(1)
        self.app = self._app()

    def fail_next(self, status: int, times: int = 1, *, reads: bool = False) -> None:
        """Answer the next ``times`` writes (or reads, with ``reads``) with ``status``."""
        self._fail += [status] * times
        self._fail_reads = reads

    def lose_answers(self, times: int = 1) -> None:
        self._lose += times

    def delete(self, assignment_id: str) -> None:
        """A teacher deletes the assignment (and with it its grades)."""
        self.assignments[assignment_id]["deleted"] = True
        for key in [k for k in self.grades if k[0] == assignment_id]:
            del self.grades[key]

    def live(self) -> list[dict[str, Any]]:
        return [a for a in self.assignments.values() if not a["deleted"]]

    def grade_of(self, key: str, user: str) -> float | None:
        found = [a["id"] for a in self.live() if a["key"] == key]
        return self.grades.get((found[0], user)) if found else None

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def auth(request: Request, call_next: Any) -> Any:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse({"error": "token"}, 401)
            if ((request.method == "GET") == self._fail_reads) and self._fail:
                return JSONResponse({"error": "injected"}, self._fail.pop(0),
                                    headers={"Retry-After": "0"})
            response = await call_next(request)
            if request.method != "GET" and self._lose and response.status_code < 300:
                self._lose -= 1
                return JSONResponse({"error": "lost answer"}, 500,
                                    headers={"Retry-After": "0"})
            return response

        @app.get("/courses/{course}/assignments")
        async def listing(course: str) -> Any:
            if course not in self.courses:
                return JSONResponse({"error": "course"}, 404)
            return [a for a in self.live() if a["course"] == course]

        @app.post("/courses/{course}/assignments")
        async def make(course: str, request: Request) -> Any:
            if course not in self.courses:
                return JSONResponse({"error": "course"}, 404)
            body = await request.json()
            assignment = {"id": str(next(self._ids)), "course": course, "key": body["key"],
                          "title": body["title"], "points": float(body["points"]),
                          "deleted": False}
            self.assignments[assignment["id"]] = assignment
            self.made[body["key"]] += 1
            return JSONResponse(assignment, 201)

        @app.put("/assignments/{assignment_id}/grades/{user}")
        async def grade(assignment_id: str, user: str, request: Request) -> Any:
            assignment = self.assignments.get(assignment_id)
            if assignment is None or assignment["deleted"]:
                return JSONResponse({"error": "assignment"}, 404)
            if user not in self.courses[assignment["course"]]:
                return JSONResponse({"error": "learner"}, 404)
            if assignment_id in self.closed:
                return JSONResponse({"error": "closed"}, 403)
            score = float((await request.json())["score"])
            if score > assignment["points"]:
                return JSONResponse({"error": "score above points"}, 422)
            self.writes += 1
            self.grades[(assignment_id, user)] = score
            return {"score": score}

        return app


class GradebookConfig(DestinationConfig):
    base_url: str
    token: SecretStr


class GradebookDestination(DestinationConnector[GradebookConfig]):
    name = NAME
    title = "Test gradebook"
    config_model = GradebookConfig

    async def check(self) -> CheckResult:
        return CheckResult(True, "ok")

    async def open(self, runtime: PushRuntime) -> None:
        self.http = HttpClient(
            self.config.base_url, name="gradebook", transport=runtime.transport,
            policy=HttpPolicy(attempts=3, backoff_initial=0.01, backoff_max=0.05),
            credentials=_Bearer(self.config.token.get_secret_value()))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        listed = (await self.http.get(
            f"courses/{assignment.section.sourced_id}/assignments")).json()
        found = [a for a in listed if a["key"] == assignment.key]
        return Remote(found[0]["id"]) if found else None

    async def create_assignment(self, assignment: Assignment) -> Remote:
        made = (await self.http.request(
            "POST", f"courses/{assignment.section.sourced_id}/assignments",
            json_body={"key": assignment.key, "title": assignment.title,
                       "points": assignment.points_possible}, idempotent=False)).json()
        return Remote(made["id"])

    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        response = await self.http.request(
            "PUT", f"assignments/{remote.id}/grades/{grade.learner.sourced_id}",
            json_body={"score": grade.score}, allow=(403, 404))
        if response.status_code == 404 and response.json()["error"] == "assignment":
            raise AssignmentGone(f"assignment {remote.id} is gone")
        if response.status_code == 404:
            raise SkippableRecordError(f"learner {grade.learner.sourced_id} is not in the "
                                       f"course")
        if response.status_code == 403:
            raise PeriodClosed("the gradebook locked this assignment")
        return GradeAck(response.status_code)


class _Bearer:
    def __init__(self, token: str) -> None:
        self._token = token

    def bind(self, post: Any) -> None:
        return None

    def invalidate(self, authorization: str | None) -> None:
        return None

    async def token(self) -> str:
        return self._token
