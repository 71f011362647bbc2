"""Two adaptive tools' APIs as real FastAPI apps, shaped like the vendors' own: Lantern
Literacy (API key, page-number paging, ``updated_since``) and Summit Math (OAuth 2 client
credentials, cursor paging, ``modified_after``). Each enforces its auth and paging, serves
changes since a time, and can be made to misbehave the ways real feeds do.

Record times are fixed in the past (November 2026) and move on a day per :meth:`advance`,
so nothing depends on the machine's clock or speed.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

START = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
LEVELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SKILLS = ("RL.PHON.1", "RL.PHON.2", "RL.FLU.1", "RL.COMP.3")
STANDARDS = ("6.RP.A.1", "6.RP.A.2", "6.RP.A.3", "7.RP.A.1")


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Tool:
    """What a vendor server holds and how it is behaving right now."""

    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clock: datetime = START
    broken: str | None = None
    """``garbage`` (an HTML page instead of JSON), ``no-records`` (the list missing),
    ``no-learner`` (the first evidence record without its learner), or None."""
    requests: list[str] = field(default_factory=list)

    def changed_since(self, name: str, stamp: str, since: str | None) -> list[dict[str, Any]]:
        after = _since(since)
        rows = sorted(self.collections[name], key=lambda r: (r[stamp], r["id"]))
        return [r for r in rows if after is None or _since(r[stamp]) > after]  # type: ignore[operator]

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=7)
        return self.clock


# -- Lantern Literacy ---------------------------------------------------------------------


class Literacy(Tool):
    API_KEY = "lantern-key-1234"

    def __init__(self, students: int = 12) -> None:
        super().__init__()
        self.collections = {"students": [], "activity": [], "interventions": []}
        for i in range(students):
            when = iso(self.tick())
            self.collections["students"].append({
                "id": f"stu-{i:04d}", "sis_id": f"S{1000 + i}", "first_name": f"Kid{i}",
                "last_name": "Reader", "grade": "03", "instructional_grade": str(1 + i % 4),
                "struggling": "Y" if i % 3 == 0 else "N", "updated_at": when})
        for i in range(students * 3):
            self.add_activity(i % students, i)
        for i in range(0, students, 3):
            self.add_intervention(i, group=i // 6)

    def student(self, i: int) -> dict[str, Any]:
        s = self.collections["students"][i]
        return {"id": s["id"], "sis_id": s["sis_id"], "first_name": s["first_name"],
                "last_name": s["last_name"]}

    def add_activity(self, who: int, n: int) -> None:
        when = iso(self.tick())
        skill = SKILLS[n % len(SKILLS)]
        self.collections["activity"].append({
            "id": f"act-{len(self.collections['activity']):06d}", "student": self.student(who),
            "unit": {"id": f"u-{n % 9:02d}", "title": f"Unit {n % 9}: {skill}",
                     "skill_code": skill},
            "reading_level": LEVELS[5 + n % 12], "units_completed": 1 + n // 4,
            "minutes": 10 + n % 25, "completed_at": when, "updated_at": when})

    def add_intervention(self, who: int, group: int) -> None:
        when = self.tick()
        self.collections["interventions"].append({
            "id": f"iv-{len(self.collections['interventions'])}", "group_id": f"grp-{group}",
            "student": self.student(who), "teacher": {"id": "t-7", "name": "Ms. Ortiz"},
            "focus_skill": "RL.PHON.2", "session_date": when.date().isoformat(),
            "duration_minutes": 20, "notes": "blending CVC words", "updated_at": iso(when)})

    def add_unnamed(self) -> None:
        """A new activity whose student the tool lost (a record without its learner)."""
        self.add_activity(0, 2000)
        self.collections["activity"][-1]["student"] = {"first_name": "Ghost"}

    def advance(self) -> None:
        """A school day later: two new activities, a flag changed, one more small group."""
        self.clock += timedelta(days=1)
        self.add_activity(1, 1000)
        self.add_activity(2, 1001)
        student = self.collections["students"][4]
        student["struggling"], student["updated_at"] = "Y", iso(self.tick())
        self.add_intervention(4, group=9)


def literacy_app(tool: Literacy) -> FastAPI:
    app = FastAPI(title="Lantern Literacy API")

    def serve(request: Request, name: str, api_key: str | None, page: int, per_page: int,
              updated_since: str | None) -> Response:
        tool.requests.append(str(request.url))
        if api_key != tool.API_KEY:
            return JSONResponse({"error": "invalid_api_key",
                                 "message": "The API key is missing or revoked."}, 401)
        if tool.broken == "garbage" and page >= 1:
            return PlainTextResponse("<html><body>Scheduled maintenance</body></html>",
                                     media_type="text/html")
        per_page = min(per_page, 100)
        rows = tool.changed_since(name, "updated_at", updated_since)
        chunk = rows[(page - 1) * per_page: page * per_page]
        if tool.broken == "no-learner" and name == "activity" and chunk and page == 1:
            chunk = [dict(chunk[0], student={"first_name": "Ghost"}), *chunk[1:]]
        if tool.broken == "no-records":
            return JSONResponse({"data": {"page": page}, "meta": {"deprecated": True}})
        total_pages = max(1, -(-len(rows) // per_page))
        return JSONResponse({"data": {"items": chunk, "page": page, "per_page": per_page,
                                      "total_pages": total_pages}})

    @app.get("/api/v2/reading/activity")
    def activity(request: Request, page: int = 1, per_page: int = 25,
                 updated_since: str | None = None,
                 x_api_key: str | None = Header(None)) -> Response:
        return serve(request, "activity", x_api_key, page, per_page, updated_since)

    @app.get("/api/v2/reading/students")
    def students(request: Request, page: int = 1, per_page: int = 25,
                 updated_since: str | None = None,
                 x_api_key: str | None = Header(None)) -> Response:
        return serve(request, "students", x_api_key, page, per_page, updated_since)

    @app.get("/api/v2/reading/interventions")
    def interventions(request: Request, page: int = 1, per_page: int = 25,
                      updated_since: str | None = None,
                      x_api_key: str | None = Header(None)) -> Response:
        return serve(request, "interventions", x_api_key, page, per_page, updated_since)

    return app


# -- Summit Math ------------------------------------------------------------------------


class Math(Tool):
    CLIENT_ID = "district-42"
    CLIENT_SECRET = "summit-secret-5678"

    def __init__(self, learners: int = 10, usernames: list[str] | None = None) -> None:
        super().__init__()
        self.usernames = usernames or [f"learner{i}" for i in range(learners)]
        learners = len(self.usernames)
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.learners = learners
        self.collections = {"lesson-results": [], "diagnostics": []}
        for i in range(learners * 4):
            self.add_lesson(i % learners, i)
        for i in range(learners):
            self.add_diagnostic(i)

    def learner(self, i: int) -> dict[str, Any]:
        name = self.usernames[i]
        return {"id": f"L{i:05d}", "username": name, "email": f"{name}@d42.example"}

    def add_lesson(self, who: int, n: int) -> None:
        when = iso(self.tick())
        self.collections["lesson-results"].append({
            "id": f"lr-{len(self.collections['lesson-results']):06d}",
            "learner": self.learner(who),
            "lesson": {"id": f"les-{n % 11}", "title": f"Ratios {n % 11}"},
            "standard": STANDARDS[n % len(STANDARDS)], "percent_mastered": 40 + (n * 7) % 61,
            "completed_at": when, "time_spent_seconds": 300 + 60 * (n % 20),
            "modified_at": when})

    def add_diagnostic(self, who: int) -> None:
        when = iso(self.tick())
        self.collections["diagnostics"].append({
            "id": f"dx-{len(self.collections['diagnostics']):05d}",
            "learner": self.learner(who), "taken_at": when, "scale_score": 420 + 11 * who,
            "placement_grade": str(4 + who % 4), "below_grade": who % 4 < 2,
            "modified_at": when})

    def add_unnamed(self) -> None:
        """A new lesson result without its learner."""
        self.add_lesson(0, 2000)
        del self.collections["lesson-results"][-1]["learner"]

    def advance(self) -> None:
        """A day later: three lessons done, one learner re-takes the diagnostic."""
        self.clock += timedelta(days=1)
        for n in range(3):
            self.add_lesson(n, 500 + n)
        self.add_diagnostic(3)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")[2])


def math_app(tool: Math) -> FastAPI:
    app = FastAPI(title="Summit Math API")

    @app.post("/oauth/token")
    def token(request: Request, grant_type: str = Form(...), scope: str | None = Form(None),
              authorization: str | None = Header(None)) -> Response:
        tool.token_requests += 1
        expected = base64.b64encode(f"{tool.CLIENT_ID}:{tool.CLIENT_SECRET}".encode()).decode()
        if grant_type != "client_credentials" or authorization != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client",
                                 "error_description": "unknown client or wrong secret"}, 401)
        value = secrets.token_urlsafe(16)
        tool.tokens.add(value)
        return JSONResponse({"access_token": value, "token_type": "Bearer",
                             "expires_in": 3600, "scope": scope or ""})

    def serve(request: Request, name: str, limit: int, cursor: str | None,
              modified_after: str | None, authorization: str | None) -> Response:
        tool.requests.append(str(request.url))
        if not authorization or authorization.removeprefix("Bearer ") not in tool.tokens:
            return JSONResponse({"error": "invalid_token"}, 401)
        if tool.broken == "garbage":
            return PlainTextResponse("upstream connect error", media_type="text/plain")
        if tool.broken == "no-records":
            return JSONResponse({"data": [], "next": None})
        limit = min(limit, 100)
        rows = tool.changed_since(name, "modified_at", modified_after)
        start = _offset(cursor)
        chunk = rows[start:start + limit]
        if tool.broken == "no-learner" and name == "lesson-results" and chunk and not start:
            chunk = [{k: v for k, v in chunk[0].items() if k != "learner"}, *chunk[1:]]
        more = start + limit < len(rows)
        return JSONResponse({"results": chunk,
                             "next_cursor": _cursor(start + limit) if more else None})

    @app.get("/v1/lesson-results")
    def lessons(request: Request, limit: int = 50, cursor: str | None = None,
                modified_after: str | None = None,
                authorization: str | None = Header(None)) -> Response:
        return serve(request, "lesson-results", limit, cursor, modified_after, authorization)

    @app.get("/v1/diagnostics")
    def diagnostics(request: Request, limit: int = 50, cursor: str | None = None,
                    modified_after: str | None = None,
                    authorization: str | None = Header(None)) -> Response:
        return serve(request, "diagnostics", limit, cursor, modified_after, authorization)

    return app
