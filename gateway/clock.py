"""The one clock: every timestamp Harbormaster writes comes from here, in UTC ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> str:
    """Now as ``YYYY-MM-DDTHH:MM:SS.fffZ``, the OneRoster dateLastModified spelling."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
