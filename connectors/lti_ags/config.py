"""Settings of an LTI AGS destination connection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from gateway.net.policy import HttpPolicy
from gateway.push.destination import DestinationConfig

__all__ = ["LtiAgsConfig"]

ActivityProgress = Literal["Initialized", "Started", "InProgress", "Submitted", "Completed"]
GradingProgress = Literal["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"]


class LtiAgsConfig(DestinationConfig):
    registration: str = Field(min_length=1, max_length=200)
    """The name of the tenant's LTI registration of the LMS (``harbor lti registrations
    list``); its contexts, identity links and service token are what the push uses."""
    score_maximum_from: Literal["assignment", "line_item"] = "assignment"
    """``assignment``: each score is out of the assignment's points and the LMS scales it to
    its column. ``line_item``: the score is rescaled to the column's ``scoreMaximum`` as the
    LMS listed it, for an LMS that reads ``scoreGiven`` as points of the column."""
    activity_progress: ActivityProgress = "Completed"
    grading_progress: GradingProgress = "FullyGraded"
    """``FullyGraded`` is what makes most LMSs show the grade; ``Pending`` asks a teacher to
    review it first (where the LMS supports that)."""
    rate_per_second: float | None = Field(None, gt=0)
    """Client-side limit on requests per second to the LMS (None: only the LMS's own)."""
    timeout: float = Field(60.0, gt=0)
    """Seconds to wait for an answer before retrying."""
    retries: int = Field(5, ge=1, le=20)
    """Tries per request (429 and 5xx are retried, honouring Retry-After)."""

    @field_validator("registration")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name the tenant's LTI registration of the LMS (harbor lti "
                             "registrations list)")
        return value.strip()

    def policy(self) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          rate_per_second=self.rate_per_second)
