"""The scheduler fires stored schedules: a run is queued and dispatched, pauses and
disabled schedules are respected, and only the leader of several schedulers fires."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.daemon.scheduler import Scheduler
from gateway.errors import ConfigError
from gateway.schedule import ScheduleRule
from gateway.settings import Settings
from gateway.store.store import ConnectionRecord, Store
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.helpers import csv_connection

SETTINGS = Settings(timezone="America/Chicago", lease_seconds=6)


class Recorder:
    """A dispatcher that remembers what it was told."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, run_id: int, connection_id: int) -> None:
        self.submitted.append(run_id)


@pytest.fixture
def conn(store: Store, tmp_path: Path) -> ConnectionRecord:
    csv_connection(store, write_export(tmp_path / "export", small_district()))
    return store.connection("district/sis")


def test_the_default_is_nightly_at_two_in_the_local_zone(store: Store,
                                                          conn: ConnectionRecord) -> None:
    rule = store.schedules.get(conn.id, default_timezone=SETTINGS.resolved_timezone)
    assert (rule.cron, rule.timezone, rule.enabled) == ("0 2 * * *", "America/Chicago", True)
    scheduler = Scheduler(store, SETTINGS, Recorder())
    scheduler.start()
    try:
        due = scheduler.next_fire(conn.id)
        assert due is not None
        local = due.astimezone(rule.trigger().timezone)
        assert (local.hour, local.minute) == (2, 0)
    finally:
        scheduler.stop()


def test_a_schedule_fires_and_records_a_run(store: Store, conn: ConnectionRecord) -> None:
    store.schedules.put(ScheduleRule(conn.id, "* * * * * *", "UTC"))  # every second
    dispatcher = Recorder()
    scheduler = Scheduler(store, SETTINGS, dispatcher)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not dispatcher.submitted and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.stop()
    [run] = store.list_runs(connection=conn)
    assert run.trigger == "schedule" and run.requested_by == "scheduler"
    assert run.status == "queued" and dispatcher.submitted[0] == run.id
    assert set(dispatcher.submitted) == {run.id}, "later fires coalesce into the queued run"


def test_a_pause_window_is_respected(store: Store, conn: ConnectionRecord) -> None:
    store.schedules.put(ScheduleRule(conn.id, "0 2 * * *", "America/Chicago",
                                     pause_from="2027-06-15", pause_until="2027-08-15"))
    scheduler = Scheduler(store, SETTINGS, Recorder())
    # 02:00 in Chicago on 2027-07-01 is inside the pause; 2027-08-16 is after it.
    assert scheduler.fire(conn.id, now=datetime(2027, 7, 1, 7, 0, tzinfo=UTC)) is None
    assert store.list_runs(connection=conn) == []
    # 2027-08-16 03:00 UTC is still 2027-08-15 in Chicago: paused.
    assert scheduler.fire(conn.id, now=datetime(2027, 8, 16, 3, 0, tzinfo=UTC)) is None
    run_id = scheduler.fire(conn.id, now=datetime(2027, 8, 16, 7, 0, tzinfo=UTC))
    assert run_id is not None
    scheduler.stop()


def test_a_disabled_schedule_does_not_fire(store: Store, conn: ConnectionRecord) -> None:
    rule = store.schedules.put(ScheduleRule(conn.id, enabled=False, timezone="UTC"))
    scheduler = Scheduler(store, SETTINGS, Recorder())
    assert scheduler.fire(conn.id) is None
    store.schedules.put(dataclasses.replace(rule, enabled=True))
    assert scheduler.fire(conn.id) is not None
    scheduler.stop()


def test_only_the_leader_fires(store: Store, conn: ConnectionRecord) -> None:
    first, second = Recorder(), Recorder()
    leader = Scheduler(store, SETTINGS, first, holder="scheduler-a")
    standby = Scheduler(store, SETTINGS, second, holder="scheduler-b")
    leader.maintain()
    standby.maintain()
    assert leader.leader and not standby.leader
    assert standby.fire(conn.id) is None
    assert leader.fire(conn.id) is not None and first.submitted and not second.submitted
    leader.stop()  # releases leadership; the standby takes over at its next round
    standby.maintain()
    assert standby.leader
    standby.stop()


def test_bad_schedules_are_refused_with_the_fix(store: Store, conn: ConnectionRecord) -> None:
    with pytest.raises(ConfigError, match="5 fields"):
        store.schedules.put(ScheduleRule(conn.id, "nightly", "UTC"))
    with pytest.raises(ConfigError, match="not valid"):
        store.schedules.put(ScheduleRule(conn.id, "99 2 * * *", "UTC"))
    with pytest.raises(ConfigError, match="IANA"):
        store.schedules.put(ScheduleRule(conn.id, "0 2 * * *", "Chicago"))
    with pytest.raises(ConfigError, match="both pause_from and pause_until"):
        store.schedules.put(ScheduleRule(conn.id, pause_from="2027-06-01", timezone="UTC"))
    with pytest.raises(ConfigError, match="before"):
        store.schedules.put(ScheduleRule(conn.id, pause_from="2027-06-01",
                                         pause_until="2027-05-01", timezone="UTC"))


def test_a_fire_missed_while_down_is_caught_up_once(store: Store,
                                                    conn: ConnectionRecord) -> None:
    missed = datetime.now(UTC) - timedelta(minutes=5)
    store.schedules.put(ScheduleRule(conn.id, f"{missed.second} {missed.minute} {missed.hour} "
                                     f"* * *", "UTC"))
    dispatcher = Recorder()
    scheduler = Scheduler(store, SETTINGS, dispatcher)
    scheduler.maintain()  # becomes leader: catches up the fire 5 minutes ago
    [run] = store.list_runs(connection=conn)
    assert run.trigger == "schedule" and dispatcher.submitted[0] == run.id
    store.cancel_run(run.id, "test")
    scheduler.stop()
    again = Scheduler(store, SETTINGS, Recorder())
    again.maintain()  # a run was already queued since the missed fire: no second catch-up
    assert len(store.list_runs(connection=conn)) == 1
    again.stop()


def test_a_fire_missed_beyond_the_grace_is_not_caught_up(store: Store,
                                                         conn: ConnectionRecord) -> None:
    missed = datetime.now(UTC) - timedelta(hours=2)
    store.schedules.put(ScheduleRule(conn.id, f"{missed.second} {missed.minute} {missed.hour} "
                                     f"* * *", "UTC"))
    scheduler = Scheduler(store, SETTINGS, Recorder())
    scheduler.maintain()
    assert store.list_runs(connection=conn) == []
    scheduler.stop()
