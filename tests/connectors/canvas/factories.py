"""Plain factories of what the push engine hands a destination, and a served Canvas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.canvas import CanvasConnector
from gateway.push.destination import Assignment, ClassRef, Grade, GradingPeriod, Learner
from gateway.testing.lms.canvas import CanvasServer

TOKEN = "canvas-test-token"


@dataclass
class Canvas:
    server: CanvasServer
    url: str

    def connector(self, **config: Any) -> CanvasConnector:
        settings = {"base_url": self.url, "access_token": TOKEN, "retries": 3, **config}
        return CanvasConnector.from_mapping(settings)  # type: ignore[return-value]


def section(sid: str = "C1") -> ClassRef:
    return ClassRef(sourced_id=sid, title=f"Class {sid}", course_sourced_id=f"course-{sid}")


def assignment(key: str = "hm-3nf-a1", *, cls: str = "C1", title: str = "Fractions",
               points: float = 4.0, due_at: str | None = None,
               period: GradingPeriod | None = None) -> Assignment:
    return Assignment(key=key, section=section(cls), item="standard:3.NF.A.1", title=title,
                      description="Mastery of 3.NF.A.1", points_possible=points,
                      period=period, due_at=due_at)


def grade(on: Assignment, learner: str = "S1", score: float = 3.0,
          comment: str | None = "Proficient", username: str | None = None) -> Grade:
    return Grade(key=f"{on.key}/{learner}", assignment=on,
                 learner=Learner(sourced_id=learner, username=username), score=score,
                 comment=comment, timestamp="2026-12-01T10:00:00.000Z", level="Proficient")
