"""Runs: start one now, follow it, approve a held one, cancel a queued one.

Every trigger goes through :meth:`Store.request_run`, which coalesces a trigger that
arrives while the connection has a queued or running run into that run; the dispatcher
then wakes a worker.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from gateway.api.deps import (
    ConnectionDep,
    CurrentKey,
    DispatcherDep,
    RunDep,
    StoreDep,
    TenantDep,
)
from gateway.api.schemas import RunDetail, RunPublic, RunQueued, RunRequest
from gateway.store.store import ACTIVE_STATUSES, FINAL_STATUSES, RunRecord, Store

__all__ = ["router"]

router = APIRouter(prefix="/tenants/{tenant}", tags=["runs"])

Status = Annotated[str | None, Query(
    alias="status", description="Only runs with this status.",
    pattern="^(" + "|".join(ACTIVE_STATUSES + FINAL_STATUSES) + ")$")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")]


@router.post("/connections/{name}/runs", response_model=RunQueued,
             status_code=status.HTTP_202_ACCEPTED)
def request_run(connection: ConnectionDep, key: CurrentKey, store: StoreDep,
                dispatcher: DispatcherDep, body: RunRequest | None = None) -> RunQueued:
    """Queue a run of the connection now. If one is already queued or running, that run is
    returned with ``coalesced: true`` and nothing new is queued."""
    body = body or RunRequest()
    run_id, coalesced = store.request_run(
        connection, trigger="api", options={"dry_run": body.dry_run, "reread": body.reread},
        requested_by=key.name)
    if not coalesced:
        dispatcher.submit(run_id, connection.id)
    return RunQueued.queued(_load(store, run_id), coalesced=coalesced)


@router.get("/connections/{name}/runs", response_model=list[RunPublic])
def connection_runs(connection: ConnectionDep, store: StoreDep, run_status: Status = None,
                    limit: Limit = 20) -> list[RunPublic]:
    return [RunPublic.of(r) for r in store.list_runs(connection=connection, status=run_status,
                                                     limit=limit)]


@router.get("/runs", response_model=list[RunPublic])
def tenant_runs(tenant: TenantDep, store: StoreDep, run_status: Status = None,
                limit: Limit = 20) -> list[RunPublic]:
    return [RunPublic.of(r) for r in store.list_runs(tenant_id=tenant.id, status=run_status,
                                                     limit=limit)]


@router.get("/runs/{run_id}", response_model=RunDetail)
def get_run(run: RunDep, store: StoreDep) -> RunDetail:
    """One run: status, progress, counts, problems found, where it would resume."""
    return RunDetail.detail(run, store.run_problems(run.id))


@router.post("/runs/{run_id}/approve", response_model=RunQueued,
             status_code=status.HTTP_202_ACCEPTED,
             responses={409: {"description": "the run is not the latest held run"}})
def approve_run(run: RunDep, key: CurrentKey, store: StoreDep,
                dispatcher: DispatcherDep) -> RunQueued:
    """Re-run a run the deletion safeguard held, with its deletions allowed."""
    if run.status != "held":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"run {run.id} is {run.status}; only a held run (one the deletion "
                            f"safeguard stopped) can be approved")
    connection = store.connection_by_id(run.connection_id)
    latest = store.list_runs(connection=connection, limit=1)[0]
    if latest.id != run.id and not (latest.active and latest.approves == run.id):
        # Approving an older hold would apply today's source with the safeguard off.
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"run {run.id} is not the latest run of {run.connection} (run "
                            f"{latest.id} is, {latest.status}); approve only the latest "
                            f"held run, after reviewing it")
    run_id, coalesced = store.request_run(
        connection, trigger="approval",
        options={**run.options, "approve_deletions": True}, requested_by=key.name,
        approves=run.id)
    queued = _load(store, run_id)
    if coalesced and queued.approves != run.id:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"{run.connection} has a {queued.status} run ({queued.id}); wait "
                            f"for it to finish, then approve again if this run is still the "
                            f"latest")
    if not coalesced:
        dispatcher.submit(run_id, run.connection_id)
    return RunQueued.queued(queued, coalesced=coalesced)


@router.post("/runs/{run_id}/cancel", response_model=RunPublic,
             responses={409: {"description": "the run is not queued"}})
def cancel_run(run: RunDep, key: CurrentKey, store: StoreDep) -> RunPublic:
    """Cancel a run that has not started yet."""
    if run.status != "queued" or not store.cancel_run(
            run.id, f"cancelled by {key.name} ({key.client_id}) through the API"):
        now = store.run(run.id) or run
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"run {run.id} is {now.status}; only a queued run can be cancelled")
    return RunPublic.of(_load(store, run.id))


def _load(store: Store, run_id: int) -> RunRecord:
    run = store.run(run_id)
    assert run is not None
    return run
