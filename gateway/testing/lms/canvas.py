"""A Canvas LMS in memory, answering the REST calls a grade push makes the way Canvas does.

It keeps courses and students addressed by SIS id, assignments (with ``integration_id``),
submissions (grade, comments, every write) and grading periods that can be closed, and meters
each token with Canvas's leaky bucket (``X-Request-Cost``, ``X-Rate-Limit-Remaining``,
``403 Forbidden (Rate Limit Exceeded)``). Faults can be injected (429/500 at random with a
seed or queued, a 500 *after* the write was applied, a delay). Serve ``CanvasServer().app``.

What it answers like Canvas (canvas-lms ``submissions_api_controller#update`` and
``assignments_api_controller``): a missing or wrong token is ``401 {"errors": [{"message":
"Invalid access token."}]}``; an unknown course, assignment or user, and a user who is not a
student of the course, are all the same ``404 "The specified resource does not exist."``; a
grade into a closed grading period (the one holding the assignment's ``due_at``, the last one
when it has none) is refused as unauthorized (``401``, or ``403`` as newer Canvas answers);
bodies are JSON (``{"assignment": {...}}``, ``{"submission": {...}, "comment": {...}}``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

__all__ = ["CanvasServer", "Fault"]

NOT_FOUND = {"errors": [{"message": "The specified resource does not exist."}]}
UNAUTHORIZED = {"status": "unauthorized",
                "errors": [{"message": "user not authorized to perform that action"}]}
BAD_TOKEN = {"errors": [{"message": "Invalid access token."}]}
Handler = Callable[[Request, Any], Awaitable[Response]]


class _Answer(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body


@dataclasses.dataclass
class Fault:
    """A queued failure: the next matching request answers ``status`` (after applying the
    write when ``after_apply``)."""

    status: int
    method: str | None = None
    path: str | None = None
    """A substring of the request path, e.g. ``/submissions/``."""
    after_apply: bool = False
    count: int = 1


@dataclasses.dataclass
class _Period:
    id: int
    title: str
    start: datetime
    end: datetime
    closed: bool = False


@dataclasses.dataclass
class _Course:
    id: int
    sis_id: str
    name: str
    students: set[int] = dataclasses.field(default_factory=set)
    periods: list[_Period] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Submission:
    score: float | None = None
    grade: str | None = None
    grader_id: int | None = None
    comments: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)


class _Bucket:
    """Canvas's throttle: each request adds its cost, the level leaks at ``leak`` per
    second, and a request that would overflow ``capacity`` is refused."""

    def __init__(self, capacity: float, leak: float) -> None:
        self.capacity, self.leak = capacity, leak
        self.level, self.stamp = 0.0, time.monotonic()

    def charge(self, cost: float) -> bool:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.stamp) * self.leak)
        self.stamp = now
        if self.level + cost > self.capacity:
            return False
        self.level += cost
        return True

    @property
    def remaining(self) -> float:
        return max(0.0, self.capacity - self.level)


def _instant(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class CanvasServer:
    """State and app. ``capacity``/``leak`` size each token's bucket (None: no throttle);
    ``cost`` is what a request costs; ``retry_after`` is sent on throttled and injected
    answers when not None (real Canvas sends none on a 403)."""

    def __init__(self, *, tokens: dict[str, str] | None = None, capacity: float | None = None,
                 leak: float = 10.0, cost: float = 1.0, retry_after: float | None = None,
                 fault_rate: float = 0.0, after_apply_rate: float = 0.0, seed: int = 0,
                 delay: float = 0.0, unauthorized_status: int = 401,
                 base: str = "https://canvas.test") -> None:
        self.tokens = tokens if tokens is not None else {"canvas-test-token": "teacher"}
        """Token to role (``teacher``, or ``admin``, who may grade in closed periods)."""
        self.capacity, self.leak, self.cost = capacity, leak, cost
        self.retry_after = retry_after
        self.fault_rate, self.after_apply_rate = fault_rate, after_apply_rate
        self.delay = delay
        self.unauthorized_status = unauthorized_status
        self.base = base
        self.faults: deque[Fault] = deque()
        self._random = random.Random(seed)
        self._buckets: dict[str, _Bucket] = {}
        self._ids = iter(range(1000, 10**12))
        self.courses: dict[int, _Course] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.assignments: dict[int, dict[str, Any]] = {}
        self.submissions: dict[tuple[int, int], _Submission] = {}
        self._course_sis: dict[str, int] = {}
        self._user_sis: dict[str, int] = {}
        self._user_login: dict[str, int] = {}
        self.created: Counter[str] = Counter()
        """Assignments made per ``integration_id``."""
        self.grade_writes = 0
        self.comment_writes = 0
        self.throttled = 0
        self.injected = 0
        self.requests = 0
        self.app = self._build()

    # -- seeding, for tests and benchmarks -------------------------------------------------

    def add_course(self, sis_id: str, name: str | None = None) -> int:
        course = _Course(next(self._ids), sis_id, name or sis_id)
        self.courses[course.id] = course
        self._course_sis[sis_id] = course.id
        return course.id

    def add_student(self, course_sis: str, sis_id: str, *, login: str | None = None) -> int:
        uid = self._user_sis.get(sis_id)
        if uid is None:
            uid = next(self._ids)
            self.users[uid] = {"id": uid, "sis_user_id": sis_id, "login_id": login,
                               "name": sis_id}
            self._user_sis[sis_id] = uid
            if login:
                self._user_login[login] = uid
        self.courses[self._course_sis[course_sis]].students.add(uid)
        return uid

    def add_period(self, course_sis: str, title: str, start: str, end: str, *,
                   closed: bool = False) -> None:
        course = self.courses[self._course_sis[course_sis]]
        start_at, end_at = _instant(start), _instant(end)
        if start_at is None or end_at is None:
            raise ValueError("a grading period needs a start and an end")
        course.periods.append(_Period(next(self._ids), title, start_at, end_at, closed))

    def close_period(self, course_sis: str, title: str, closed: bool = True) -> None:
        for period in self.courses[self._course_sis[course_sis]].periods:
            if period.title == title:
                period.closed = closed

    def add_assignment(self, course_sis: str, name: str, *, integration_id: str | None = None,
                       points: float = 10.0, due_at: str | None = None) -> int:
        """An assignment made in Canvas by someone else (a teacher, an earlier push)."""
        aid = next(self._ids)
        self.assignments[aid] = {
            "id": aid, "course_id": self._course_sis[course_sis], "name": name,
            "description": None, "points_possible": points, "grading_type": "points",
            "submission_types": ["none"], "published": True, "due_at": due_at,
            "integration_id": integration_id, "integration_data": {},
            "workflow_state": "published"}
        return aid

    def by_integration_id(self, integration_id: str) -> list[dict[str, Any]]:
        return [a for a in self.assignments.values()
                if a["integration_id"] == integration_id and a["workflow_state"] != "deleted"]

    def delete_assignment(self, assignment_id: int) -> None:
        self.assignments[assignment_id]["workflow_state"] = "deleted"

    def submission(self, assignment_id: int, user_sis: str) -> _Submission | None:
        return self.submissions.get((assignment_id, self._user_sis[user_sis]))

    # -- the pipeline every request goes through -------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI(title="Canvas LMS (in memory)", openapi_url=None, docs_url=None)
        api = "/api/v1/courses/{course}/assignments"
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/api/v1/users/self", self._self, False),
            ("GET", api, self._list, False),
            ("POST", api, self._create, True),
            ("GET", api + "/{aid}", self._show, False),
            ("DELETE", api + "/{aid}", self._delete, True),
            ("GET", api + "/{aid}/submissions/{user}", self._show_submission, False),
            ("PUT", api + "/{aid}/submissions/{user}", self._grade, True),
        ]
        for method, path, handler, write in routes:
            app.add_api_route(path, self._wrap(handler, write), methods=[method])
        return app

    def _wrap(self, handler: Handler, write: bool) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._serve(request, handler, write)
        return endpoint

    async def _serve(self, request: Request, handler: Handler, write: bool) -> Response:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        role = self.tokens.get(token)
        if role is None:
            return JSONResponse(BAD_TOKEN, 401,
                                headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'})
        quota: dict[str, str] = {}
        if self.capacity is not None:
            bucket = self._buckets.setdefault(token, _Bucket(self.capacity, self.leak))
            if not bucket.charge(self.cost):
                self.throttled += 1
                return PlainTextResponse("403 Forbidden (Rate Limit Exceeded)\n", 403,
                                         headers={"X-Rate-Limit-Remaining": "0.0",
                                                  **self._retry_header()})
            quota = {"X-Request-Cost": f"{self.cost:.4f}",
                     "X-Rate-Limit-Remaining": f"{bucket.remaining:.4f}"}
        fault = self._fault(request, write)
        if fault is not None and not fault.after_apply:
            return self._faulted(fault.status)
        try:
            body = await request.json() if write and request.method != "DELETE" else None
            response = await handler(request, (role, body))
        except _Answer as answer:
            response = JSONResponse(answer.body, answer.status)
        except ValueError:
            response = JSONResponse({"errors": [{"message": "the body is not JSON"}]}, 400)
        if fault is not None:
            return self._faulted(fault.status)
        response.headers.update(quota)
        return response

    def _fault(self, request: Request, write: bool) -> Fault | None:
        for fault in self.faults:
            if ((fault.method is None or fault.method == request.method)
                    and (fault.path is None or fault.path in request.url.path)):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        if self.fault_rate and self._random.random() < self.fault_rate:
            after = write and self._random.random() < self.after_apply_rate
            return Fault(500 if after else self._random.choice((429, 500)), after_apply=after)
        return None

    def _faulted(self, status: int) -> Response:
        self.injected += 1
        if status in (403, 429):  # a throttle, as Canvas words it
            reason = "Forbidden" if status == 403 else "Too Many Requests"
            return PlainTextResponse(f"{status} {reason} (Rate Limit Exceeded)\n", status,
                                     headers={"X-Rate-Limit-Remaining": "0.0",
                                              **self._retry_header()})
        body = {"errors": [{"message": "An error occurred.", "error_code":
                            "internal_server_error"}]} if status >= 500 else {}
        return JSONResponse(body, status, headers=self._retry_header())

    def _retry_header(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}

    # -- lookups as Canvas resolves ids ------------------------------------------------------

    def _course(self, ref: str) -> _Course:
        cid = self._course_sis.get(ref[14:]) if ref.startswith("sis_course_id:") else (
            int(ref) if ref.isdigit() else None)
        if cid is None or cid not in self.courses:
            raise _Answer(404, NOT_FOUND)
        return self.courses[cid]

    def _assignment(self, course: _Course, ref: str) -> dict[str, Any]:
        found = self.assignments.get(int(ref)) if ref.isdigit() else None
        if found is None or found["course_id"] != course.id or found["workflow_state"] == \
                "deleted":
            raise _Answer(404, NOT_FOUND)
        return found

    def _student(self, course: _Course, ref: str) -> int:
        if ref.startswith("sis_user_id:"):
            uid = self._user_sis.get(ref[12:])
        elif ref.startswith("sis_login_id:"):
            uid = self._user_login.get(ref[13:])
        else:
            uid = int(ref) if ref.isdigit() else None
        if uid is None or uid not in course.students:  # Canvas: students visible to the grader
            raise _Answer(404, NOT_FOUND)
        return uid

    def _closed(self, course: _Course, assignment: dict[str, Any]) -> bool:
        due = _instant(assignment["due_at"])
        if not course.periods:
            return False
        if due is None:
            return max(course.periods, key=lambda p: p.end).closed
        return any(p.start < due <= p.end and p.closed for p in course.periods)

    def _assignment_json(self, assignment: dict[str, Any]) -> dict[str, Any]:
        course = self.courses[assignment["course_id"]]
        return {**assignment, "in_closed_grading_period": self._closed(course, assignment),
                "html_url": f"{self.base}/courses/{course.id}/assignments/{assignment['id']}"}

    def _submission_json(self, aid: int, uid: int, sub: _Submission) -> dict[str, Any]:
        return {"assignment_id": aid, "user_id": uid, "score": sub.score, "grade": sub.grade,
                "grader_id": sub.grader_id,
                "workflow_state": "graded" if sub.score is not None else "unsubmitted",
                "submission_comments": sub.comments}

    # -- the endpoints ------------------------------------------------------------------------

    async def _self(self, request: Request, ctx: Any) -> Response:
        return JSONResponse({"id": 1, "name": "Harbormaster Integration",
                             "sortable_name": "Integration, Harbormaster"})

    async def _list(self, request: Request, ctx: Any) -> Response:
        course = self._course(request.path_params["course"])
        per_page = max(1, min(100, int(request.query_params.get("per_page", "10"))))
        page = max(1, int(request.query_params.get("page", "1")))
        mine = [self._assignment_json(a) for a in self.assignments.values()
                if a["course_id"] == course.id and a["workflow_state"] != "deleted"]
        last = max(1, math.ceil(len(mine) / per_page))
        def link(n: int, rel: str) -> str:
            return f'<{request.url.include_query_params(page=n, per_page=per_page)}>; rel="{rel}"'
        links = [link(page, "current"), link(1, "first"), link(last, "last")]
        if page < last:
            links.insert(0, link(page + 1, "next"))
        return JSONResponse(mine[(page - 1) * per_page: page * per_page],
                            headers={"Link": ",".join(links)})

    async def _show(self, request: Request, ctx: Any) -> Response:
        course = self._course(request.path_params["course"])
        return JSONResponse(self._assignment_json(
            self._assignment(course, request.path_params["aid"])))

    async def _create(self, request: Request, ctx: Any) -> Response:
        course = self._course(request.path_params["course"])
        fields = (ctx[1] or {}).get("assignment")
        if not isinstance(fields, dict):
            raise _Answer(400, {"errors": [{"message": "assignment is missing"}]})
        points = fields.get("points_possible")
        if points is not None and (isinstance(points, bool)
                                   or not isinstance(points, int | float | str)
                                   or not _number(str(points))):
            raise _Answer(400, {"errors": {"points_possible": [{
                "attribute": "points_possible", "type": "not_a_number",
                "message": "points_possible is not a number"}]}})
        due = fields.get("due_at")
        try:
            _instant(due)
        except ValueError:
            raise _Answer(400, {"errors": {"due_at": [{"message": "invalid date"}]}}) from None
        assignment = {
            "id": next(self._ids), "course_id": course.id,
            "name": str(fields.get("name") or "Unnamed Assignment")[:255],
            "description": fields.get("description"),
            "points_possible": float(points) if points is not None else None,
            "grading_type": fields.get("grading_type", "points"),
            "submission_types": list(fields.get("submission_types") or ["none"]),
            "published": bool(fields.get("published", False)), "due_at": due,
            "integration_id": fields.get("integration_id"),
            "integration_data": fields.get("integration_data") or {},
            "workflow_state": "published" if fields.get("published") else "unpublished"}
        self.assignments[assignment["id"]] = assignment
        self.created[str(assignment["integration_id"])] += 1
        return JSONResponse(self._assignment_json(assignment), 201)

    async def _delete(self, request: Request, ctx: Any) -> Response:
        course = self._course(request.path_params["course"])
        assignment = self._assignment(course, request.path_params["aid"])
        assignment["workflow_state"] = "deleted"
        return JSONResponse(self._assignment_json(assignment))

    async def _show_submission(self, request: Request, ctx: Any) -> Response:
        course = self._course(request.path_params["course"])
        assignment = self._assignment(course, request.path_params["aid"])
        uid = self._student(course, request.path_params["user"])
        sub = self.submissions.get((assignment["id"], uid)) or _Submission()
        body = self._submission_json(assignment["id"], uid, sub)
        if "submission_comments" not in request.query_params.getlist("include[]"):
            del body["submission_comments"]
        return JSONResponse(body)

    async def _grade(self, request: Request, ctx: Any) -> Response:
        role, body = ctx
        body = body or {}
        course = self._course(request.path_params["course"])
        assignment = self._assignment(course, request.path_params["aid"])
        uid = self._student(course, request.path_params["user"])
        posted = (body.get("submission") or {}).get("posted_grade")
        text = (body.get("comment") or {}).get("text_comment")
        if posted is not None and role != "admin" and self._closed(course, assignment):
            raise _Answer(self.unauthorized_status, UNAUTHORIZED)
        key = (assignment["id"], uid)
        sub = self.submissions.get(key) or self.submissions.setdefault(key, _Submission())
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if posted is not None:
            score = _grade(str(posted), assignment["points_possible"])
            sub.score, sub.grade, sub.grader_id = score, f"{score:g}", 1
            sub.history.append({"score": score, "at": now})
            self.grade_writes += 1
        if text:
            sub.comments.append({"id": next(self._ids), "author_id": 1, "comment": str(text),
                                 "created_at": now})
            self.comment_writes += 1
        return JSONResponse(self._submission_json(assignment["id"], uid, sub))


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _grade(posted: str, points: float | None) -> float:
    """A points or percentage ``posted_grade`` as a score; Canvas allows extra credit, this
    server refuses what no gradebook means (not a number, negative, over 100 times out of)."""
    text = posted.strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    if not _number(text):
        raise _Answer(400, {"error": f"invalid grade {posted!r}: send points such as 8.5"})
    value = float(text)
    score = value / 100 * (points or 0) if percent else value
    if score < 0 or score > 100 * max(points or 0, 1):
        raise _Answer(400, {"error": f"grade {posted!r} is out of range for an assignment "
                                     f"out of {points or 0:g} points"})
    return score
