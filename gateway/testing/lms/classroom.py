"""A Google Classroom-shaped server: the part of the Classroom API a grade push uses, with
Google's rules, errors and quotas, for tests, benchmarks and vendor certification.

It serves ``POST /token`` (the service account JWT bearer grant, checked against the
account's public key: RS256, ``aud``, one-hour ``exp``, delegated scopes, a known ``sub``)
and, under ``/v1/courses/{courseId}`` (an id or a ``d:``/``p:`` alias), courseWork
create/list/get and studentSubmissions list/patch. It enforces what the push relies on:
only teachers of a course (or admins) act in it; courseWork and its grades may be changed
only by the Cloud project that created it (``403 @ProjectPermissionDenied``); ``maxPoints``
is a whole number, grades are 0 or more (rounded to two places; above ``maxPoints`` is
allowed, as extra credit) and there is no assignedGrade without a draftGrade;
``updateMask`` is required and names grade fields only; a per-minute quota per user and
per project answers ``429 RESOURCE_EXHAUSTED``.

Usage::

    server = ClassroomServer()
    key = service_account_key("district-project")
    server.add_service_account(key)
    teacher = server.add_user("teacher@example.org")
    course = server.add_course("Math 3A", alias="d:CLS-1", teacher="teacher@example.org")
    server.add_student(course, "ada@example.org")
    with serve_app(server.app) as url:
        key["token_uri"] = f"{url}/token"
        ...

Faults: ``fault_rate`` (random 429/500 before the request is applied, seeded),
``throttle_next`` (the next N API requests get 429), ``fail_after_write`` (the next N
writes are applied, then answered 500); ``retry_after`` adds that ``Retry-After`` to 429
and 500 answers (Google sends none; tests send ``"0"`` to keep runs fast). Counters:
``created`` (courseWork made, by the ``Harbormaster key:`` marker in their description),
``grade_writes`` (by courseWork and user id), ``requests`` (by method and route),
``throttled``, ``faults_injected``, ``tokens_issued``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

__all__ = ["SCOPE_STUDENTS", "ClassroomServer", "service_account_key"]

SCOPE_STUDENTS = "https://www.googleapis.com/auth/classroom.coursework.students"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
MARKER = re.compile(r"^Harbormaster key: ([a-z0-9-]+)[ \t]*$", re.MULTILINE)
"""The key line :mod:`connectors.google_classroom` writes into a description."""
GRADE_FIELDS = frozenset({"assignedGrade", "draftGrade"})
WORK_TYPES = frozenset({"ASSIGNMENT", "SHORT_ANSWER_QUESTION", "MULTIPLE_CHOICE_QUESTION"})
TIMEFRAME = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
             "timeframe. Check your iat and exp values in the JWT claim.")


def service_account_key(project: str = "harbor-test", *, name: str = "harbormaster",
                        token_uri: str = GOOGLE_TOKEN_URI,
                        ) -> dict[str, str]:
    """A new service account key file (as Google's JSON), with a fresh 2048-bit RSA key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": project,
            "private_key_id": secrets.token_hex(20), "private_key": pem,
            "client_email": f"{name}@{project}.iam.gserviceaccount.com",
            "client_id": str(100_000_000_000_000_000_000 + secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri}


class _Refusal(Exception):
    """An answer in Google's error shape."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def _not_found() -> _Refusal:
    return _Refusal(404, "NOT_FOUND", "Requested entity was not found.")


def _invalid(message: str) -> _Refusal:
    return _Refusal(400, "INVALID_ARGUMENT", message)


@dataclasses.dataclass(slots=True)
class _Account:
    email: str
    project: str
    public_pem: bytes
    scopes: frozenset[str]


@dataclasses.dataclass(slots=True)
class _Token:
    subject: str
    project: str
    scopes: frozenset[str]
    expires: float


@dataclasses.dataclass(slots=True)
class _Course:
    id: str
    name: str
    teachers: set[str]
    students: dict[str, str] = dataclasses.field(default_factory=dict)
    """user id -> email."""
    aliases: dict[str, str | None] = dataclasses.field(default_factory=dict)
    """alias -> the project that made it (``p:``), or None (``d:``)."""


@dataclasses.dataclass(slots=True)
class _Work:
    data: dict[str, Any]
    project: str | None
    submissions: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    """user id -> submission."""


class ClassroomServer:
    """State and the app; knobs and counters are plain attributes (see the module doc)."""

    def __init__(self, *, domain: str = "example.org", page_size: int = 50,
                 quota_per_minute_user: int | None = None,
                 quota_per_minute_project: int | None = None,
                 retry_after: str | None = None, token_lifetime: int = 3600, seed: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.domain = domain
        self.page_size = page_size
        self.quota_per_minute_user = quota_per_minute_user
        self.quota_per_minute_project = quota_per_minute_project
        self.retry_after = retry_after
        self.token_lifetime = token_lifetime
        self.clock = clock
        self.fault_rate = 0.0
        self.throttle_next = 0
        self.fail_after_write = 0
        self.created: Counter[str] = Counter()
        self.grade_writes: Counter[tuple[str, str]] = Counter()
        self.throttled = 0
        self.faults_injected = 0
        """Answers ``fault_rate`` broke (429s and 500s)."""
        self.tokens_issued = 0
        self.requests: Counter[str] = Counter()
        """API requests by method and route (``GET /v1/courses/{course_ref}/courseWork``)."""
        self._random = random.Random(seed)
        self._ids = itertools.count(1001)
        self._accounts: dict[str, _Account] = {}
        self._tokens: dict[str, _Token] = {}
        self._users: dict[str, str] = {}
        """email -> user id."""
        self._admins: set[str] = set()
        self._courses: dict[str, _Course] = {}
        self._works: dict[str, dict[str, _Work]] = {}
        self._usage: Counter[tuple[str, str, int]] = Counter()
        self.app = self._build()

    # -- seeding and inspection ----------------------------------------------------------

    def add_service_account(self, key: Mapping[str, str], *,
                            scopes: tuple[str, ...] = (SCOPE_STUDENTS,)) -> None:
        """Accept tokens for this key, with domain-wide delegation of ``scopes``."""
        private = serialization.load_pem_private_key(key["private_key"].encode(), None)
        public = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self._accounts[key["client_email"]] = _Account(key["client_email"], key["project_id"],
                                                       public, frozenset(scopes))

    def add_user(self, email: str, *, admin: bool = False) -> str:
        user_id = self._users.setdefault(email, str(next(self._ids) * 7919))
        if admin:
            self._admins.add(email)
        return user_id

    def add_course(self, name: str, *, teacher: str, alias: str | None = None,
                   alias_project: str | None = None) -> str:
        course_id = str(next(self._ids) * 104729)
        self.add_user(teacher)
        self._courses[course_id] = _Course(course_id, name, {teacher})
        self._works[course_id] = {}
        if alias:
            self._courses[course_id].aliases[alias] = alias_project
        return course_id

    def add_student(self, course_id: str, email: str) -> str:
        user_id = self.add_user(email)
        self._courses[course_id].students[user_id] = email
        for work in self._works[course_id].values():
            work.submissions.setdefault(user_id, self._new_submission(work, user_id))
        return user_id

    def remove_student(self, course_id: str, email: str) -> None:
        user_id = self._users[email]
        self._courses[course_id].students.pop(user_id, None)
        for work in self._works[course_id].values():
            work.submissions.pop(user_id, None)

    def add_course_work(self, course_id: str, title: str, *, project: str | None = None,
                        description: str = "", max_points: int = 100) -> str:
        """CourseWork made elsewhere: in the Classroom page (``project=None``) or by
        another app's project."""
        body = {"title": title, "description": description, "workType": "ASSIGNMENT",
                "state": "PUBLISHED", "maxPoints": max_points}
        return str(self._create(self._courses[course_id], body, project)["id"])

    def delete_course_work(self, course_id: str, work_id: str) -> None:
        """What a teacher deleting it in the Classroom page does."""
        del self._works[course_id][work_id]

    def course_work(self, course_id: str) -> list[dict[str, Any]]:
        return [dict(w.data) for w in self._works[course_id].values()]

    def submission(self, course_id: str, work_id: str, email: str) -> dict[str, Any]:
        return dict(self._works[course_id][work_id].submissions[self._users[email]])

    def revoke_tokens(self) -> None:
        self._tokens.clear()

    # -- rules -----------------------------------------------------------------------------

    def _caller(self, request: Request) -> _Token:
        route = request.scope.get("route")
        self.requests[f"{request.method} {getattr(route, 'path', request.url.path)}"] += 1
        header = request.headers.get("authorization", "")
        token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or token is None or token.expires <= self.clock():
            raise _Refusal(401, "UNAUTHENTICATED", "Request had invalid authentication "
                           "credentials. Expected OAuth 2 access token, login cookie or other "
                           "valid authentication credential.")
        if SCOPE_STUDENTS not in token.scopes:
            raise _Refusal(403, "PERMISSION_DENIED",
                           "Request had insufficient authentication scopes.")
        self._meter(token)
        return token

    def _meter(self, token: _Token) -> None:
        """Quota, then the fault knobs; none of these requests is applied."""
        window = int(self.clock() // 60)
        for kind, who, limit in (("user", token.subject, self.quota_per_minute_user),
                                 ("project", token.project, self.quota_per_minute_project)):
            if limit is not None and self._usage[(kind, who, window)] >= limit:
                self.throttled += 1
                raise _Refusal(429, "RESOURCE_EXHAUSTED",
                               f"Quota exceeded for quota metric 'Queries' and limit 'Queries "
                               f"per minute per {kind}' of service 'classroom.googleapis.com' "
                               f"for consumer 'project:{token.project}'.")
        for kind, who in (("user", token.subject), ("project", token.project)):
            self._usage[(kind, who, window)] += 1
        if self.throttle_next > 0:
            self.throttle_next -= 1
            self.throttled += 1
            raise _Refusal(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. "
                           "check quota).")
        if self.fault_rate and self._random.random() < self.fault_rate:
            self.faults_injected += 1
            if self._random.random() < 0.5:
                self.throttled += 1
                raise _Refusal(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
            raise _Refusal(500, "INTERNAL", "Internal error encountered.")

    def _after_write(self) -> None:
        if self.fail_after_write > 0:
            self.fail_after_write -= 1
            raise _Refusal(500, "INTERNAL", "Internal error encountered.")

    def _course(self, course_ref: str, caller: _Token) -> _Course:
        course = self._courses.get(course_ref)
        if course is None:
            for candidate in self._courses.values():
                if course_ref in candidate.aliases:
                    owner = candidate.aliases[course_ref]
                    if not course_ref.startswith("p:") or owner == caller.project:
                        course = candidate
                        break
        if course is None:
            raise _not_found()
        if caller.subject not in course.teachers and caller.subject not in self._admins:
            raise _Refusal(403, "PERMISSION_DENIED", "The caller does not have permission")
        return course

    def _work(self, course: _Course, work_id: str) -> _Work:
        work = self._works[course.id].get(work_id)
        if work is None:
            raise _not_found()
        return work

    def _create(self, course: _Course, body: Mapping[str, Any],
                project: str | None) -> dict[str, Any]:
        title = body.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 3000:
            raise _invalid("title: must be between 1 and 3000 characters")
        description = body.get("description", "")
        if not isinstance(description, str) or len(description) > 30_000:
            raise _invalid("description: must be at most 30000 characters")
        if body.get("workType") not in WORK_TYPES:
            raise _invalid("workType: required, one of " + ", ".join(sorted(WORK_TYPES)))
        state = body.get("state", "DRAFT")
        if state not in ("PUBLISHED", "DRAFT"):
            raise _invalid("state: must be PUBLISHED or DRAFT")
        points = body.get("maxPoints")
        if points is not None and (not isinstance(points, int | float) or points < 0
                                   or not float(points).is_integer()):
            raise _invalid("maxPoints: must be a non-negative integer value")
        if ("dueDate" in body) != ("dueTime" in body):
            raise _invalid("dueTime: must be specified if dueDate is specified")
        if "dueDate" in body:
            _due(body["dueDate"], body["dueTime"])
        work_id = str(next(self._ids) * 15485863)
        data = {"courseId": course.id, "id": work_id, "title": title,
                "description": description, "state": state, "workType": body["workType"],
                "maxPoints": points, "creationTime": _now(), "updateTime": _now(),
                "alternateLink": f"https://classroom.google.com/c/{course.id}/a/{work_id}",
                **{k: body[k] for k in ("dueDate", "dueTime") if k in body}}
        work = _Work(data, project)
        for user_id in course.students:
            work.submissions[user_id] = self._new_submission(work, user_id)
        self._works[course.id][work_id] = work
        found = MARKER.findall(description)
        self.created[found[-1] if found else ""] += 1
        return data

    def _new_submission(self, work: _Work, user_id: str) -> dict[str, Any]:
        return {"courseId": work.data["courseId"], "courseWorkId": work.data["id"],
                "id": f"Cg4I{next(self._ids)}", "userId": user_id, "state": "CREATED",
                "courseWorkType": work.data["workType"], "late": False}

    def _user_id(self, user: str) -> str | None:
        if user in self._users:
            return self._users[user]
        return user if user in self._users.values() else None

    # -- the token endpoint ------------------------------------------------------------------

    def _grant(self, form: Mapping[str, str], url: str) -> dict[str, Any]:
        if form.get("grant_type") != JWT_BEARER:
            raise _OAuthError(400, "unsupported_grant_type",
                              f"Invalid grant_type: {form.get('grant_type', '')}")
        assertion = form.get("assertion", "")
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise _OAuthError(400, "invalid_request", "Invalid JWT.") from None
        account = self._accounts.get(str(claims.get("iss")))
        if account is None:
            raise _OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        try:
            claims = jwt.decode(assertion, account.public_pem, algorithms=["RS256"],
                                audience=url, options={"require": ["iss", "aud", "iat", "exp"]})
        except jwt.InvalidSignatureError:
            raise _OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        except jwt.InvalidAudienceError:
            raise _OAuthError(400, "invalid_grant", f"Invalid JWT audience: expected {url}"
                              ) from None
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            raise _OAuthError(400, "invalid_grant", TIMEFRAME) from None
        except jwt.InvalidTokenError as exc:
            raise _OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from None
        if int(claims["exp"]) - int(claims["iat"]) > 3600 or int(claims["iat"]) > time.time() + 300:
            raise _OAuthError(400, "invalid_grant", TIMEFRAME)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes or not scopes <= account.scopes:
            raise _OAuthError(401, "unauthorized_client", "Client is unauthorized to retrieve "
                              "access tokens using this method, or client not authorized for "
                              "any of the scopes requested.")
        subject = str(claims.get("sub") or "")
        if subject not in self._users:
            raise _OAuthError(400, "invalid_grant", "Invalid email or User ID")
        token = secrets.token_urlsafe(24)
        self._tokens[token] = _Token(subject, account.project, scopes,
                                     self.clock() + self.token_lifetime)
        self.tokens_issued += 1
        return {"access_token": token, "expires_in": self.token_lifetime,
                "token_type": "Bearer"}

    # -- the app -----------------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI(title="Google Classroom (test double)", openapi_url=None)
        server = self
        works = "/v1/courses/{course_ref}/courseWork"
        submissions = works + "/{work_id}/studentSubmissions"

        async def refused(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, _Refusal)
            headers = ({"Retry-After": server.retry_after}
                       if exc.code in (429, 500) and server.retry_after is not None else None)
            return JSONResponse({"error": {"code": exc.code, "message": exc.message,
                                           "status": exc.status}}, exc.code, headers=headers)

        async def oauth_refused(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, _OAuthError)
            return JSONResponse({"error": exc.error, "error_description": exc.description},
                                exc.code)

        app.add_exception_handler(_Refusal, refused)
        app.add_exception_handler(_OAuthError, oauth_refused)

        @app.post("/token")
        async def token(request: Request) -> dict[str, Any]:
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            url = request.url
            return server._grant(fields, f"{url.scheme}://{url.netloc}{url.path}")

        @app.get(works)
        async def list_works(course_ref: str, request: Request) -> dict[str, Any]:
            caller = server._caller(request)
            course = server._course(course_ref, caller)
            states = request.query_params.getlist("courseWorkStates") or ["PUBLISHED"]
            items = [w for w in server._works[course.id].values() if w.data["state"] in states]
            items.reverse()  # newest first, as Classroom orders by updateTime desc
            size = min(int(request.query_params.get("pageSize") or server.page_size),
                       server.page_size)
            start = int(request.query_params.get("pageToken") or 0)
            page = items[start:start + size]
            out: dict[str, Any] = {}
            if page:
                out["courseWork"] = [_shown(w, caller) for w in page]
            if start + size < len(items):
                out["nextPageToken"] = str(start + size)
            return out

        @app.post(works)
        async def create_work(course_ref: str, request: Request) -> dict[str, Any]:
            caller = server._caller(request)
            course = server._course(course_ref, caller)
            body = await _body(request)
            data = server._create(course, body, caller.project)
            server._after_write()
            return {**data, "associatedWithDeveloper": True}

        @app.get(works + "/{work_id}")
        async def get_work(course_ref: str, work_id: str, request: Request) -> dict[str, Any]:
            caller = server._caller(request)
            return _shown(server._work(server._course(course_ref, caller), work_id), caller)

        @app.get(submissions)
        async def list_submissions(course_ref: str, work_id: str,
                                   request: Request) -> dict[str, Any]:
            caller = server._caller(request)
            work = server._work(server._course(course_ref, caller), work_id)
            user = request.query_params.get("userId")
            subs = list(work.submissions.values())
            if user is not None:
                user_id = server._user_id(user)
                if user_id is None:
                    raise _not_found()
                subs = [s for s in subs if s["userId"] == user_id]
            shown = [{**s, "associatedWithDeveloper": work.project == caller.project}
                     for s in subs]
            return {"studentSubmissions": shown} if shown else {}

        @app.patch(submissions + "/{submission_id}")
        async def patch_submission(course_ref: str, work_id: str, submission_id: str,
                                   request: Request) -> dict[str, Any]:
            caller = server._caller(request)
            work = server._work(server._course(course_ref, caller), work_id)
            sub = next((s for s in work.submissions.values() if s["id"] == submission_id),
                       None)
            if sub is None:
                raise _not_found()
            mask = [f for f in request.query_params.get("updateMask", "").split(",") if f]
            if not mask:
                raise _invalid("updateMask: Update mask is required")
            if not set(mask) <= GRADE_FIELDS:
                raise _invalid("Non-supported update mask fields specified: "
                               + ", ".join(sorted(set(mask) - GRADE_FIELDS)))
            if work.project != caller.project:
                raise _Refusal(403, "PERMISSION_DENIED", "@ProjectPermissionDenied The "
                               "Developer Project is not permitted to make this request.")
            body = await _body(request)
            for field in mask:
                value = body.get(field)
                if value is not None and (not isinstance(value, int | float) or value < 0):
                    raise _invalid(f"{field}: must be a non-negative number")
            after = dict(sub)
            for field in mask:
                value = body.get(field)
                if value is None:
                    after.pop(field, None)
                else:
                    after[field] = round(float(value), 2)
            if "assignedGrade" in after and "draftGrade" not in after:
                # Developers must emulate the Classroom app, which never shows a student a
                # grade the teacher has no draft of.
                raise _invalid("assignedGrade cannot be set without a draftGrade")
            sub.clear()
            sub.update(after)
            sub["updateTime"] = _now()
            server.grade_writes[(work_id, sub["userId"])] += 1
            server._after_write()
            return {**sub, "associatedWithDeveloper": True}

        return app


class _OAuthError(Exception):
    """An OAuth 2 token endpoint error (RFC 6749 §5.2), as Google's token endpoint answers."""

    def __init__(self, code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.code, self.error, self.description = code, error, description


def _shown(work: _Work, caller: _Token) -> dict[str, Any]:
    data = {k: v for k, v in work.data.items() if v is not None}
    return {**data, "associatedWithDeveloper": work.project == caller.project}


async def _body(request: Request) -> dict[str, Any]:
    try:
        body: Any = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _invalid("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise _invalid("Invalid JSON payload received: expected an object.")
    return body


def _due(date: Any, time_of_day: Any) -> None:
    try:
        datetime(int(date["year"]), int(date["month"]), int(date["day"]),
                 int(time_of_day.get("hours", 0)), int(time_of_day.get("minutes", 0)),
                 int(time_of_day.get("seconds", 0)))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _invalid("dueDate: not a valid date and time") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
