"""Read models of the learning half for the ``/api/v1`` routes: a learner's profile, their
learning path, and class views (mastery grid, intervention coverage). Design and
algorithms: docs/learning.md, "Learner profile and path"."""

from __future__ import annotations

from gateway.learners.classes import (
    SORTS,
    Coverage,
    CoverageRow,
    Grid,
    GridRow,
    coverage,
    mastery_grid,
)
from gateway.learners.path import PathEntry, SubjectPath, learning_path
from gateway.learners.profile import (
    EDITABLE,
    LearnerProfile,
    SubjectSummary,
    learner_profile,
    save_profile,
)
from gateway.learners.roster import ClassFacts, LearnerFacts, class_facts, learner_facts

__all__ = ["EDITABLE", "SORTS", "ClassFacts", "Coverage", "CoverageRow", "Grid", "GridRow",
           "LearnerFacts", "LearnerProfile", "PathEntry", "SubjectPath", "SubjectSummary",
           "class_facts", "coverage", "learner_facts", "learner_profile", "learning_path",
           "mastery_grid", "save_profile"]
