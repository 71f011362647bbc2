"""A destination connection's ``push`` settings: what to put in the LMS, when, and how.

In a connection's config, beside the destination's own fields::

    push:
      items:                       # one assignment per class per item (and grading period)
        - standard: "3.NF.A.1"     # a CASE identifier, URI or human code: its mastery
          title: "Fractions: unit fractions"   # optional; default "{code}: {statement}"
        - activity: "Fractions Practice"       # an activity's latest score (evidence)
          system: "mathtool"       # optional: only evidence from this connection
      classes: []                  # class or course sourcedIds to push to; empty: every
                                   # class with a learner who has something to grade
      after: ["sis", "mathtool"]   # push after each successful pull of these connections
      on_deleted: recreate         # an assignment deleted in the LMS: recreate | report
      concurrency: 4               # writes in flight at once
      period_grace_days: 0         # days after a grading period ends that grades still go
      comment: true                # send the mastery level as the grade's comment

How a score becomes a grade is the tenant's (and course's) grade conversion
(:mod:`gateway.push.conversion`), not a connection setting, so every LMS of a district
shows the same number.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PushItem", "PushSpec"]


class PushItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    standard: str | None = None
    """A standard by CASE identifier (GUID), URI or human coding scheme code."""
    activity: str | None = None
    """An activity name as tools report it (``evidence.activity``)."""
    system: str | None = None
    """With ``activity``: only evidence from this connection (its name)."""
    title: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one(self) -> PushItem:
        if (self.standard is None) == (self.activity is None):
            raise ValueError("a push item names exactly one of 'standard' (mastery of a "
                             "standard) or 'activity' (an activity's latest score)")
        if self.system is not None and self.activity is None:
            raise ValueError("'system' narrows an 'activity' item; a standard's mastery "
                             "already folds every source")
        return self


class PushSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[PushItem, ...] = ()
    classes: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    on_deleted: Literal["recreate", "report"] = "recreate"
    concurrency: int | None = Field(None, ge=1, le=64)
    period_grace_days: int = Field(0, ge=0, le=60)
    comment: bool = True
