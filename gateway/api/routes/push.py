"""Pushes to LMS gradebooks: the plan of a destination (read-only: the LMS is not asked),
each grade's state in the ledger, and the grade conversions of a tenant and its courses.
A push itself is a run: ``POST /admin/tenants/{t}/connections/{name}/runs``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from gateway.api.deps import ConnectionDep, CurrentKey, StoreDep, TenantDep
from gateway.api.routes.classes import ClassDep
from gateway.api.schemas import _In
from gateway.errors import ConfigError
from gateway.mastery.settings import read_settings
from gateway.push.conversion import (
    Conversion,
    delete_conversion,
    parse_conversion,
    read_conversions,
    write_conversion,
)
from gateway.push.ledger import GradeStatus, grade_statuses
from gateway.push.run import destination_of, plan_push
from gateway.store.push_tables import push_assignments
from gateway.store.store import ConnectionRecord, Store

__all__ = ["class_router", "router"]

router = APIRouter(prefix="/tenants/{tenant}", tags=["push"])
class_router = APIRouter(tags=["push"])
"""Mounted under /api/v1: a class's grades across every destination, for teachers."""

GradeState = Annotated[str | None, Query(
    alias="status", pattern="^(pending|sent|kept|held|skipped|superseded)$",
    description="Only grades in this state.")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]


class PushPlanPublic(BaseModel):
    connection: str
    today: str
    counts: dict[str, dict[str, int]]
    lines: list[str]
    """The plan as `harbor push plan` prints it (counts, notes, the first changes)."""


class GradeStatusPublic(BaseModel):
    class_sourced_id: str
    assignment: str
    item: str
    period: str | None
    user_sourced_id: str
    score: float
    points_possible: float
    level: str | None
    status: str
    attempts: int
    message: str | None
    updated_at: str
    sent_at: str | None
    remote_url: str | None
    destination: str | None = None


class GradeStatusPage(BaseModel):
    total: int
    grades: list[GradeStatusPublic]


class ConversionIn(_In):
    kind: str = Field("percent", description="`percent` (score x maximum) or `levels`.")
    maximum: float = Field(100, description="The LMS assignment's points possible.")
    levels: dict[str, float] = Field(default_factory=dict, description=(
        "For `levels`: points per mastery level name, or 1-based position lowest first."))
    decimals: int = 1


class ConversionsPublic(BaseModel):
    default: dict[str, Any]
    courses: dict[str, dict[str, Any]]


def _destination(connection: ConnectionRecord, store: Store) -> Any:
    try:
        return destination_of(store, connection)
    except ConfigError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.get("/connections/{name}/push/plan", response_model=PushPlanPublic)
def get_plan(connection: ConnectionDep, store: StoreDep) -> PushPlanPublic:
    """What a push of this destination would create and write now (422 naming the bad
    setting when its push block cannot be planned)."""
    destination = _destination(connection, store)
    try:
        plan = plan_push(store, connection, destination.config.push)
    except ConfigError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return PushPlanPublic(connection=connection.label, today=plan.today.isoformat(),
                          counts=plan.counts(), lines=plan.lines(limit=200))


def _public(row: GradeStatus, destination: str | None = None) -> GradeStatusPublic:
    return GradeStatusPublic(**row.as_public(), destination=destination)


@router.get("/connections/{name}/push/grades", response_model=GradeStatusPage)
def get_grades(connection: ConnectionDep, store: StoreDep,
               class_id: Annotated[str | None, Query(alias="class", max_length=255)] = None,
               learner: Annotated[str | None, Query(max_length=255)] = None,
               state: GradeState = None, limit: Limit = 100,
               offset: Offset = 0) -> GradeStatusPage:
    """Each grade's latest state for this destination: sent (when), pending (why not yet),
    held (closed grading period, deleted assignment), skipped (the LMS refused the learner)."""
    _destination(connection, store)
    with store.engine.connect() as conn:
        rows, total = grade_statuses(conn, connection.id, class_sourced_id=class_id,
                                     user_sourced_id=learner, status=state, limit=limit,
                                     offset=offset)
    return GradeStatusPage(total=total, grades=[_public(r) for r in rows])


@class_router.get("/tenants/{tenant}/classes/{sourcedId}/grades",
                  response_model=GradeStatusPage)
def class_grades(tenant: TenantDep, store: StoreDep, found: ClassDep,
                 state: GradeState = None, limit: Limit = 500) -> GradeStatusPage:
    """The class's grades in every LMS the gateway pushes to, with their state: what a
    teacher checks when a grade is missing from the gradebook."""
    sourced_id = found.sourced_id
    connections = {c.id: c.name for c in store.list_connections(tenant_id=tenant.id)}
    out: list[GradeStatusPublic] = []
    total = 0
    with store.engine.connect() as conn:
        ids = {row[0] for row in conn.execute(
            push_assignments.select().with_only_columns(push_assignments.c.connection_id)
            .where(push_assignments.c.class_sourced_id == sourced_id,
                   push_assignments.c.connection_id.in_(list(connections))).distinct())}
        for cid in sorted(ids):
            rows, n = grade_statuses(conn, cid, class_sourced_id=sourced_id, status=state,
                                     limit=limit)
            total += n
            out += [_public(r, connections[cid]) for r in rows]
    return GradeStatusPage(total=total, grades=out[:limit])


@router.get("/grade-conversions", response_model=ConversionsPublic)
def get_conversions(tenant: TenantDep, store: StoreDep) -> ConversionsPublic:
    """The tenant's conversion (percent of 100 until set) and its course overrides."""
    with store.engine.connect() as conn:
        return ConversionsPublic(**read_conversions(conn, tenant.id).as_public())


def _set(tenant_id: int, store: Store, course: str | None, body: ConversionIn,
         by: str) -> Conversion:
    try:
        conversion = parse_conversion(body.model_dump(), "body")
        with store.engine.begin() as conn:
            conversion.check_levels(read_settings(conn, tenant_id))
            write_conversion(conn, tenant_id, course, conversion, by=by)
    except ConfigError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return conversion


@router.put("/grade-conversions/default", response_model=dict[str, Any])
def put_default(body: ConversionIn, tenant: TenantDep, store: StoreDep,
                key: CurrentKey) -> dict[str, Any]:
    """Set the tenant's conversion (422 naming the bad field; levels must cover every
    mastery band). The next push of each destination rewrites grades that change."""
    return _set(tenant.id, store, None, body, key.name).model_dump()


@router.put("/grade-conversions/courses/{course}", response_model=dict[str, Any])
def put_course(body: ConversionIn, tenant: TenantDep, store: StoreDep, key: CurrentKey,
               course: Annotated[str, Path(max_length=255)]) -> dict[str, Any]:
    """Set one course's conversion (its OneRoster course sourcedId)."""
    return _set(tenant.id, store, course, body, key.name).model_dump()


@router.delete("/grade-conversions/courses/{course}", status_code=status.HTTP_204_NO_CONTENT)
def delete_course(tenant: TenantDep, store: StoreDep,
                  course: Annotated[str, Path(max_length=255)]) -> None:
    """Remove a course's override: it follows the tenant's conversion again."""
    with store.engine.begin() as conn:
        if not delete_conversion(conn, tenant.id, course):
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                f"course {course!r} has no conversion of its own")
