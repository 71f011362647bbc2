"""Class views under ``/api/v1``: the mastery grid (students by the standards they have
evidence on) and intervention coverage (of the struggling students, who received an
intervention in the last weeks). A class of another tenant answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.schemas_learning import InterventionCoveragePublic, MasteryGridPublic
from gateway.clock import utcnow
from gateway.learners import SORTS, ClassFacts, class_facts, coverage, mastery_grid

__all__ = ["CLASS", "router"]

CLASS = "/tenants/{tenant}/classes/{sourcedId}"
router = APIRouter(tags=["classes"])

Subject = Annotated[str | None, Query(max_length=200,
                                      description="Only this subject's standards (and "
                                                  "placements), e.g. `Mathematics`.")]


def _class(sourced_id: Annotated[str, Path(alias="sourcedId", max_length=255)],
           tenant: TenantDep, store: StoreDep) -> ClassFacts:
    with store.engine.connect() as conn:
        found = class_facts(conn, tenant.id, sourced_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no active class {sourced_id!r} in tenant {tenant.slug!r}; classes "
                            f"come from the roster (OneRoster classes): check the sourcedId")
    return found


ClassDep = Annotated[ClassFacts, Depends(_class)]


@router.get(f"{CLASS}/mastery", response_model=MasteryGridPublic,
            responses={422: {"description": "unknown sort"}})
def class_mastery(klass: ClassDep, tenant: TenantDep, store: StoreDep, subject: Subject = None,
                  sort: Annotated[str, Query(max_length=200, description=(
                      f"{', '.join(SORTS)}, or a standard's code or identifier (by its "
                      f"score); prefix `-` for descending."))] = "name",
                  ) -> MasteryGridPublic:
    """The class's students by the standards they have evidence on: each cell is the
    student's mastery level and score. Students without a value for the sort key last."""
    with store.engine.connect() as conn:
        grid = mastery_grid(conn, tenant.id, klass.sourced_id, subject=subject, sort=sort)
    return MasteryGridPublic.of(klass, grid, subject)


@router.get(f"{CLASS}/interventions", response_model=InterventionCoveragePublic)
def class_interventions(klass: ClassDep, tenant: TenantDep, store: StoreDep,
                        subject: Subject = None,
                        weeks: Annotated[int, Query(ge=1, le=52, description=(
                            "The window: interventions started in the last N weeks."))] = 4,
                        ) -> InterventionCoveragePublic:
    """Of the class's struggling students (a tool's struggling flag, or mastery in the
    lowest band on any standard), the share who received an intervention in the window,
    with both lists."""
    with store.engine.connect() as conn:
        found = coverage(conn, tenant.id, klass.sourced_id, weeks=weeks,
                         now=datetime.fromisoformat(utcnow()), subject=subject)
    return InterventionCoveragePublic.of(klass, found)
