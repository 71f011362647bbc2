"""The Classroom-shaped server keeps Google's rules the destination relies on, so a
connector that passes against it is not passing because the double is lax."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from gateway.testing.lms.classroom import SCOPE_STUDENTS
from tests.connectors.google_classroom.conftest import ADA, TEACHER, World


def signed_in(world: World, **claims: Any) -> httpx.Client:
    now = int(time.time())
    assertion = jwt.encode({"iss": world.key["client_email"], "sub": TEACHER,
                            "scope": SCOPE_STUDENTS, "aud": world.key["token_uri"],
                            "iat": now, "exp": now + 3600, **claims},
                           world.key["private_key"], algorithm="RS256")
    answer = httpx.post(world.key["token_uri"], data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    return httpx.Client(base_url=f"{world.url}/v1/courses/{world.course}",
                        headers={"Authorization": f"Bearer {token}"})


def test_the_token_endpoint_checks_audience_and_lifetime(world: World) -> None:
    now = int(time.time())
    for claims, said in (({"aud": "https://elsewhere/token"}, "audience"),
                         ({"iat": now, "exp": now + 7200}, "short-lived"),
                         ({"exp": now - 10, "iat": now - 100}, "short-lived")):
        assertion = jwt.encode({"iss": world.key["client_email"], "sub": TEACHER,
                                "scope": SCOPE_STUDENTS, "aud": world.key["token_uri"],
                                "iat": now, "exp": now + 3600, **claims},
                               world.key["private_key"], algorithm="RS256")
        answer = httpx.post(world.key["token_uri"], data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion})
        assert answer.status_code == 400 and said in answer.json()["error_description"]


def test_courseWork_and_grade_rules(world: World) -> None:
    with signed_in(world) as http:
        bad = http.post("/courseWork", json={"title": "T", "workType": "ASSIGNMENT",
                                              "maxPoints": 2.5})
        assert bad.status_code == 400
        assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"
        made = http.post("/courseWork", json={"title": "T", "workType": "ASSIGNMENT",
                                               "state": "PUBLISHED", "maxPoints": 4})
        assert made.status_code == 200 and made.json()["associatedWithDeveloper"] is True
        work = made.json()["id"]
        subs = http.get(f"/courseWork/{work}/studentSubmissions",
                        params={"userId": ADA.email or ""}).json()["studentSubmissions"]
        path = f"/courseWork/{work}/studentSubmissions/{subs[0]['id']}"
        assert http.patch(path, json={"assignedGrade": 3}).status_code == 400  # no mask
        only_assigned = http.patch(path, params={"updateMask": "assignedGrade"},
                                   json={"assignedGrade": 3})
        assert "without a draftGrade" in only_assigned.json()["error"]["message"]
        negative = http.patch(path, params={"updateMask": "draftGrade"}, json={"draftGrade": -1})
        assert negative.status_code == 400
        extra = http.patch(path, params={"updateMask": "assignedGrade,draftGrade"},
                           json={"assignedGrade": 5.556, "draftGrade": 5.556})
        assert extra.json()["assignedGrade"] == 5.56  # above maxPoints: extra credit
        state = http.patch(path, params={"updateMask": "state"}, json={"state": "RETURNED"})
        assert state.status_code == 400
        assert http.get("/courseWork?courseWorkStates=PUBLISHED").json()["courseWork"][0][
            "id"] == work
        assert http.get("/courseWork/404404").status_code == 404
    stranger = world.server.add_course("Art", teacher="other@example.org")
    with signed_in(world) as http:
        denied = http.get(f"{world.url}/v1/courses/{stranger}/courseWork")
        assert denied.status_code == 403
