"""The run queue in the store: one active run per connection, coalescing, claiming."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.store.store import ConnectionRecord, RunBusy, Store
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.helpers import csv_connection


@pytest.fixture
def conn(store: Store, tmp_path: Path) -> ConnectionRecord:
    csv_connection(store, write_export(tmp_path / "export", small_district()))
    return store.connection("district/sis")


def test_a_second_trigger_is_coalesced_into_the_active_run(store: Store,
                                                           conn: ConnectionRecord) -> None:
    first, coalesced = store.request_run(conn, trigger="api", options={"dry_run": True})
    assert not coalesced
    again, coalesced = store.request_run(conn, trigger="schedule")
    assert (again, coalesced) == (first, True)
    run = store.run(first)
    assert run is not None and run.status == "queued" and run.dry_run
    assert run.trigger == "api" and run.options == {"dry_run": True}
    with pytest.raises(RunBusy, match="already has a queued run"):
        store.start_run(conn, dry_run=False)


def test_claiming_and_finishing_frees_the_connection(store: Store, conn: ConnectionRecord) -> None:
    run_id, _ = store.request_run(conn, trigger="api")
    claimed = store.claim_run(run_id, "worker-a")
    assert claimed is not None and claimed.status == "running"
    assert claimed.worker == "worker-a" and claimed.attempts == 1 and claimed.started_at
    assert [r.id for r in store.pending_runs()] == [run_id], "a running run is pending too"
    store.finish_run(run_id, status="succeeded", counts={}, message=None, problems=[],
                     problem_total=0, version=None)
    assert store.claim_run(run_id, "worker-b") is None, "a finished run is not claimed"
    assert store.pending_runs() == []
    second, coalesced = store.request_run(conn, trigger="api")
    assert not coalesced and second != run_id


def test_only_a_queued_run_can_be_cancelled(store: Store, conn: ConnectionRecord) -> None:
    run_id, _ = store.request_run(conn, trigger="api")
    assert store.cancel_run(run_id, "changed my mind")
    run = store.run(run_id)
    assert run is not None and run.status == "cancelled" and run.finished_at
    other, _ = store.request_run(conn, trigger="api")
    store.claim_run(other, "w")
    assert not store.cancel_run(other, "too late")


def test_counts_by_status(store: Store, conn: ConnectionRecord) -> None:
    store.request_run(conn, trigger="api")
    assert store.count_runs() == {"queued": 1}
