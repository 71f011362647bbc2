"""Stored schedules, one per connection; a connection without a row follows the default."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.schedule import ScheduleRule
from gateway.store.tables import connections, schedules

__all__ = ["Schedules"]


class Schedules:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def get(self, connection_id: int, *, default_timezone: str) -> ScheduleRule:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schedules).where(
                schedules.c.connection_id == connection_id)).first()
        return _rule(row) if row else ScheduleRule(connection_id, timezone=default_timezone)

    def all(self, *, default_timezone: str) -> dict[int, ScheduleRule]:
        """Every connection's rule (stored or default), by connection id."""
        q = sa.select(connections.c.id, schedules).outerjoin(
            schedules, schedules.c.connection_id == connections.c.id)
        with self.engine.connect() as conn:
            return {row.id: (_rule(row) if row.cron is not None
                             else ScheduleRule(row.id, timezone=default_timezone))
                    for row in conn.execute(q)}

    def put(self, rule: ScheduleRule) -> ScheduleRule:
        """Store ``rule`` (validated first; a bad cron or zone raises ConfigError)."""
        rule = dataclasses.replace(rule.validate(), updated_at=utcnow())
        values = {"cron": rule.cron, "timezone": rule.timezone, "enabled": rule.enabled,
                  "pause_from": rule.pause_from or None, "pause_until": rule.pause_until or None,
                  "updated_at": rule.updated_at}
        with self.engine.begin() as conn:
            done = conn.execute(schedules.update().where(
                schedules.c.connection_id == rule.connection_id).values(**values)).rowcount
            if not done:
                conn.execute(schedules.insert().values(connection_id=rule.connection_id,
                                                       **values))
        return rule


def _rule(row: sa.Row[Any]) -> ScheduleRule:
    return ScheduleRule(row.connection_id, row.cron, row.timezone, bool(row.enabled),
                        row.pause_from, row.pause_until, row.updated_at)
