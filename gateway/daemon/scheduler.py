"""The scheduler: fires each connection's schedule by queueing a run.

APScheduler 3 keeps the timing; the store keeps the schedules (edited through the admin API
or ``harbor schedule``), and the scheduler reloads them every few seconds, so an edit made
by any process takes effect without a restart. Options chosen on purpose:

- ``coalesce=True``: if several fire times were missed (the machine slept), run once.
- ``misfire_grace_time=3600``: a fire up to an hour late still runs; later than that waits
  for the next one rather than syncing at a surprising hour. On start, a fire missed within
  that hour while the daemon was down is caught up.
- ``max_instances=1``: firing only queues a run, and the store coalesces a second trigger
  into an active run, so one connection never has two runs at once however often it fires.

Only one scheduler fires, however many are started: the ``scheduler`` lease elects a leader;
the others stand by and take over within a lease period if the leader dies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from gateway.daemon.dispatch import Dispatcher
from gateway.errors import ConfigError
from gateway.schedule import ScheduleRule
from gateway.settings import Settings
from gateway.store.leases import holder_id
from gateway.store.store import Store

__all__ = ["LEADER_LEASE", "MISFIRE_GRACE", "Scheduler"]

log = logging.getLogger("harbormaster.scheduler")

LEADER_LEASE = "scheduler"
MISFIRE_GRACE = 3600
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": MISFIRE_GRACE, "max_instances": 1}


class Scheduler:
    def __init__(self, store: Store, settings: Settings, dispatcher: Dispatcher, *,
                 leader_ttl: float | None = None, maintain_every: float | None = None,
                 holder: str | None = None,
                 chores: Sequence[Callable[[], None]] = ()) -> None:
        self.store = store
        self.settings = settings
        self.dispatcher = dispatcher
        self.holder = holder or holder_id("scheduler")
        self.leader_ttl = leader_ttl or max(settings.lease_seconds / 2, 3.0)
        self.maintain_every = maintain_every or self.leader_ttl / 3
        self.aps = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self.rules: dict[int, ScheduleRule] = {}
        self.leader = False
        self.started_at: datetime | None = None
        self.chores = tuple(chores)
        """Run by the leader before waiting runs are re-dispatched (the job queue's
        recovery of stalled jobs)."""

    # lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self.started_at = datetime.now(UTC)
        self.aps.start()
        self.reload()
        # Leadership, catch-up and recovery run in APScheduler's thread, starting now.
        self.aps.add_job(self.maintain, "interval", seconds=self.maintain_every,
                         id="maintain", coalesce=True, max_instances=1,
                         next_run_time=datetime.now(UTC))
        log.info("scheduler %s started (%d schedules)", self.holder, len(self.rules))

    def stop(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self.leader:
            self.store.leases.release(LEADER_LEASE, self.holder)
            self.leader = False

    @property
    def running(self) -> bool:
        return bool(self.aps.running)

    # the periodic chores ----------------------------------------------------------------

    def maintain(self) -> None:
        """Keep (or take) leadership, reload edited schedules, re-dispatch waiting runs."""
        try:
            was = self.leader
            self.leader = self.store.leases.acquire(LEADER_LEASE, self.holder, self.leader_ttl)
            if self.leader and not was:
                log.info("scheduler %s is the leader", self.holder)
            self.reload(catch_up=self.leader and not was)
            if self.leader:
                for chore in self.chores:
                    chore()
                for run in self.store.pending_runs():
                    self.dispatcher.submit(run.id, run.connection_id)
        except Exception:
            log.exception("scheduler maintenance failed; retrying")

    def reload(self, *, catch_up: bool = False) -> None:
        """Bring APScheduler's jobs in line with the stored schedules."""
        rules = self.store.schedules.all(default_timezone=self.settings.resolved_timezone)
        for cid in set(self.rules) - set(rules):
            self._remove(cid)
        for cid, rule in rules.items():
            if self.rules.get(cid) == rule and not catch_up:
                continue
            self.rules[cid] = rule
            if not rule.enabled:
                self._remove(cid, keep_rule=True)
                continue
            try:
                trigger = rule.trigger()
            except ConfigError as exc:
                log.error("connection %s: schedule ignored: %s", cid, exc)
                continue
            self.aps.add_job(self.fire, trigger, args=[cid], id=_job_id(cid),
                             replace_existing=True)
            if catch_up:
                self._catch_up(rule, trigger)

    def _remove(self, cid: int, *, keep_rule: bool = False) -> None:
        if self.aps.get_job(_job_id(cid)) is not None:
            self.aps.remove_job(_job_id(cid))
        if not keep_rule:
            self.rules.pop(cid, None)

    def _catch_up(self, rule: ScheduleRule, trigger: Any) -> None:
        """Fire now if a fire time fell within the misfire grace while nobody was leader."""
        now = datetime.now(UTC)
        since = now - timedelta(seconds=MISFIRE_GRACE)
        missed = trigger.get_next_fire_time(None, since)
        if missed is None or missed >= now - timedelta(seconds=1):
            return
        last = self.store.list_runs(connection=self.store.connection_by_id(rule.connection_id),
                                    limit=1)
        if last and last[0].queued_at and last[0].queued_at >= _iso(missed):
            return
        log.info("connection %s: catching up the run due at %s", rule.connection_id, missed)
        self.fire(rule.connection_id, now=now)

    # firing -----------------------------------------------------------------------------

    def next_fire(self, connection_id: int) -> datetime | None:
        job = self.aps.get_job(_job_id(connection_id))
        return job.next_run_time if job is not None else None

    def fire(self, connection_id: int, *, now: datetime | None = None) -> int | None:
        """A schedule came due: queue a run unless paused; the queued run's id, or None."""
        now = now or datetime.now(UTC)
        if not self.store.leases.acquire(LEADER_LEASE, self.holder, self.leader_ttl):
            self.leader = False
            return None  # another scheduler leads and fires
        rule = self.store.schedules.get(connection_id,
                                        default_timezone=self.settings.resolved_timezone)
        try:
            connection = self.store.connection_by_id(connection_id)
        except ConfigError:
            return None  # removed since the schedule was loaded
        if not rule.enabled:
            return None
        if rule.paused_at(now):
            log.info("%s: scheduled run skipped, paused %s to %s", connection.label,
                     rule.pause_from, rule.pause_until)
            return None
        run_id, coalesced = self.store.request_run(connection, trigger="schedule",
                                                   requested_by="scheduler")
        if coalesced:
            log.info("%s: schedule fired while run %s is active; coalesced", connection.label,
                     run_id)
        else:
            log.info("%s: scheduled run %s queued", connection.label, run_id)
            self.dispatcher.submit(run_id, connection_id)
        return run_id


def _job_id(connection_id: int) -> str:
    return f"connection:{connection_id}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
