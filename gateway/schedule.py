"""Schedule rules: cron expressions in a time zone, and seasonal pauses.

A schedule is a cron expression (five fields, ``minute hour day month weekday``, or six with
seconds first) read in an IANA time zone, so "0 2 * * *" in America/Chicago means 02:00 in
Chicago in winter and in summer. A pause is an inclusive date range in that zone during
which the connection does not sync (a summer break).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from gateway.errors import ConfigError

__all__ = ["DEFAULT_CRON", "ScheduleRule", "cron_trigger", "parse_day", "zone"]

DEFAULT_CRON = "0 2 * * *"
"""Nightly at 02:00 local time: after the SIS's own nightly export, before school opens."""

_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"time zone {name!r} is not an IANA zone name; use one like "
                          f"America/Chicago or UTC") from None


def cron_trigger(cron: str, timezone: str) -> Any:
    """The APScheduler trigger for ``cron`` in ``timezone``; a clear error when malformed."""
    parts = cron.split()
    if len(parts) not in (5, 6):
        raise ConfigError(f"cron {cron!r} must have 5 fields (minute hour day month weekday), "
                          f"or 6 with seconds first; e.g. {DEFAULT_CRON!r} is nightly at 02:00")
    fields = dict(zip(("second", *_FIELDS) if len(parts) == 6 else _FIELDS, parts, strict=True))
    try:
        return CronTrigger(**fields, timezone=zone(timezone))
    except ValueError as exc:
        raise ConfigError(f"cron {cron!r} is not valid: {exc}") from None


def parse_day(value: str | None, what: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what} {value!r} is not a date; write YYYY-MM-DD") from None


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    """When one connection syncs on its own."""

    connection_id: int
    cron: str = DEFAULT_CRON
    timezone: str = "UTC"
    enabled: bool = True
    pause_from: str | None = None
    pause_until: str | None = None
    updated_at: str | None = None
    """None: the default rule, never edited (not stored)."""

    def validate(self) -> ScheduleRule:
        cron_trigger(self.cron, self.timezone)
        start = parse_day(self.pause_from, "pause_from")
        end = parse_day(self.pause_until, "pause_until")
        if (start is None) != (end is None):
            raise ConfigError("a pause needs both pause_from and pause_until (inclusive dates)")
        if start and end and end < start:
            raise ConfigError(f"pause_until {end} is before pause_from {start}")
        return self

    def paused_at(self, when: datetime) -> bool:
        """True when ``when`` falls on a paused day, counted in the schedule's zone."""
        start = parse_day(self.pause_from, "pause_from")
        end = parse_day(self.pause_until, "pause_until")
        if start is None or end is None:
            return False
        day = when.astimezone(zone(self.timezone)).date()
        return start <= day <= end

    def trigger(self) -> Any:
        """An APScheduler ``CronTrigger``."""
        return cron_trigger(self.cron, self.timezone)
