"""A learner's profile (roster facts, mastery summary, placements, interventions, and the
interests, aspirations, goals and languages teachers can edit) and learning path, under
``/api/v1``. A learner of another tenant answers 404, like one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from gateway.api.deps import CurrentKey, StoreDep, TenantDep
from gateway.api.schemas_learning import (
    LearnerProfilePublic,
    LearnerProfileUpdate,
    LearningPathPublic,
    SubjectPathPublic,
)
from gateway.learners import (
    LearnerFacts,
    learner_facts,
    learner_profile,
    learning_path,
    save_profile,
)

__all__ = ["LEARNER", "router"]

LEARNER = "/tenants/{tenant}/learners/{sourcedId}"
router = APIRouter(tags=["learners"])


def _learner(sourced_id: Annotated[str, Path(alias="sourcedId", max_length=255)],
             tenant: TenantDep, store: StoreDep) -> LearnerFacts:
    with store.engine.connect() as conn:
        found = learner_facts(conn, tenant.id, sourced_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no active user {sourced_id!r} in tenant {tenant.slug!r}; learners "
                            f"come from the roster (OneRoster users): check the sourcedId, or "
                            f"sync the SIS connection if the learner is new")
    return found


LearnerDep = Annotated[LearnerFacts, Depends(_learner)]


@router.get(LEARNER, response_model=LearnerProfilePublic)
def get_learner(learner: LearnerDep, tenant: TenantDep, store: StoreDep) -> LearnerProfilePublic:
    """Roster facts, mastery summary by subject and standard grade level, placements,
    recent interventions, and the learner's interests, aspirations, goals and languages."""
    with store.engine.connect() as conn:
        return LearnerProfilePublic.of(learner_profile(conn, tenant.id, learner))


@router.patch(f"{LEARNER}/profile", response_model=LearnerProfilePublic)
def edit_profile(body: LearnerProfileUpdate, learner: LearnerDep, tenant: TenantDep,
                 store: StoreDep, key: CurrentKey) -> LearnerProfilePublic:
    """Replace interests, aspirations, goals or languages (the fields sent; ``null``
    clears one). Records the key that made the change."""
    with store.engine.begin() as conn:
        save_profile(conn, tenant.id, learner.sourced_id, body.changes(), key.name)
    with store.engine.connect() as conn:
        return LearnerProfilePublic.of(learner_profile(conn, tenant.id, learner))


@router.get(f"{LEARNER}/path", response_model=LearningPathPublic,
            responses={422: {"description": "unknown subject, or no grade and no placement "
                                            "to start from"}})
def get_path(learner: LearnerDep, tenant: TenantDep, store: StoreDep,
             subject: Annotated[str | None, Query(max_length=200,
                                                 description="e.g. `Mathematics`; default: "
                                                             "every subject")] = None,
             limit: Annotated[int, Query(ge=1, le=200,
                                         description="Entries per subject.")] = 10,
             ) -> LearningPathPublic:
    """The next standards to work on: from the learner's grade (or the lower grade a tool
    placed them at), the unmastered standards, each after its unmastered prerequisites
    below grade level. The algorithm: docs/learning.md, "Learning path"."""
    with store.engine.connect() as conn:
        paths = learning_path(conn, tenant.id, learner, subject=subject, limit=limit)
    return LearningPathPublic(learner=learner.sourced_id,
                              paths=[SubjectPathPublic.of(p) for p in paths])
