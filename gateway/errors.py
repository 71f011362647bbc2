"""The one exception tree of Harbormaster, branched by what the daemon should do next.

::

    HarborError                      root: every error we raise on purpose
    ├── ConfigError                  stop and tell the admin (bad config, unknown connector,
    │   └── UnknownConnectorError     wrong credentials); retrying will not help
    ├── RetriableError               back off and try again (timeouts, 429, 5xx)
    ├── RunFatalError                this run cannot complete; the store stays as it was
    │   ├── SourceDataError           the source sent data we must reject (with locations)
    │   └── SafeguardTripped          applying would delete too much; needs an approval
    └── SkippableRecordError         one record is bad; count it, report it, keep going

Every error carries a message a district IT person can act on. ``SourceDataError`` also
carries the list of :class:`Problem` locations (file, line, column, fix).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "HarborError",
    "Problem",
    "RetriableError",
    "RunFatalError",
    "SafeguardTripped",
    "SkippableRecordError",
    "SourceDataError",
    "UnknownConnectorError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with source data, located precisely enough to fix it."""

    source: str
    """The file (or endpoint) the record came from, e.g. ``enrollments.csv``."""
    line: int | None
    """1-based physical line in the file where the record ends; None for whole-file issues."""
    column: str | None
    """The column (header name) at fault; None when the problem is the whole row or file."""
    message: str
    """What is wrong, and how to fix it."""

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "line": self.line, "column": self.column,
                "message": self.message}


class HarborError(Exception):
    """Root of every error Harbormaster raises on purpose."""


class ConfigError(HarborError):
    """The configuration is wrong; an admin must change it before retrying."""


class UnknownConnectorError(ConfigError):
    """No connector is registered under the requested name."""


class RetriableError(HarborError):
    """A passing failure (timeout, rate limit, server error); back off and retry."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RunFatalError(HarborError):
    """This run cannot complete. Nothing it staged is applied."""


class SourceDataError(RunFatalError):
    """The source sent data that must be rejected; ``problems`` says where and how to fix it."""

    def __init__(self, message: str, problems: list[Problem], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(message)

    def __str__(self) -> str:
        lines = [self.args[0]]
        lines += [f"  - {p}" for p in self.problems[:20]]
        if self.total > 20:
            lines.append(f"  ... and {self.total - 20} more")
        return "\n".join(lines)


class SafeguardTripped(RunFatalError):
    """A bulk pull would soft-delete more than the allowed share of a stream."""

    def __init__(self, message: str, *, stream: str, would_delete: int, active: int) -> None:
        super().__init__(message)
        self.stream = stream
        self.would_delete = would_delete
        self.active = active


class SkippableRecordError(HarborError):
    """One record is unusable; count it, report it and carry on with the rest."""
