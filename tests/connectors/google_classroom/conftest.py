"""A Classroom-shaped server on loopback with one district's course, and connectors
pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from connectors.google_classroom import ClassroomConnector
from gateway.push.destination import Assignment, ClassRef, Grade, Learner
from gateway.testing.lms.classroom import ClassroomServer, service_account_key
from tests.helpers import serve_app

TEACHER = "teacher@example.org"
SECTION = ClassRef("CLS-1", "Math 3A", course_sourced_id="CRS-1")
ADA = Learner("STU-1", email="ada@example.org", given_name="Ada", family_name="Lovelace")
BOB = Learner("STU-2", email="bob@example.org", given_name="Bob")


@dataclass
class World:
    server: ClassroomServer
    key: dict[str, str]
    url: str
    course: str
    sleeps: list[float] = field(default_factory=list)

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"service_account": json.dumps(self.key), "subject": TEACHER,
                "base_url": self.url, **overrides}

    def connector(self, **overrides: Any) -> ClassroomConnector:
        connector = ClassroomConnector.from_mapping(self.config(**overrides))
        assert isinstance(connector, ClassroomConnector)
        sleeps = self.sleeps

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        connector.sleep = sleep
        return connector


@pytest.fixture
def world() -> Iterator[World]:
    server = ClassroomServer(retry_after="0")
    key = service_account_key("district-project")
    server.add_service_account(key)
    course = server.add_course("Math 3A", alias="d:CLS-1", teacher=TEACHER)
    server.add_student(course, ADA.email or "")
    server.add_student(course, BOB.email or "")
    with serve_app(server.app) as url:
        key["token_uri"] = f"{url}/token"
        yield World(server, key, url, course)


def assignment(key: str = "hm-fractions-1", *, points: float = 4,
               due_at: str | None = "2026-12-18T23:59:00Z") -> Assignment:
    return Assignment(key=key, section=SECTION, item="standard:3.NF.A.1",
                      title="Fractions: unit fractions",
                      description="Mastery of 3.NF.A.1, from Harbormaster.",
                      points_possible=points, due_at=due_at)


def grade(a: Assignment, learner: Learner, score: float, comment: str | None = None) -> Grade:
    return Grade(key=f"{a.key}/{learner.sourced_id}", assignment=a, learner=learner,
                 score=score, comment=comment, timestamp="2026-12-01T10:00:00.000Z",
                 level="Proficient")
