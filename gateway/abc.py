"""The extension points of Harbormaster: what a connector is and what it must do.

A connector is a small class that does I/O and speaks its source's shapes. It yields
canonical rows (the flat OneRoster 1.2 layout of :mod:`gateway.model.schema`) in batches;
the engine validates, diffs and stores them. Connectors are registered under the entry
point group ``harbormaster.connectors`` (see :mod:`gateway.plugins`).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr

__all__ = [
    "Batch",
    "Capability",
    "CheckResult",
    "Checkpoint",
    "Connector",
    "ConnectorConfig",
    "ConnectorKind",
    "Mode",
    "PullItem",
    "Row",
]

Row = Sequence[str]
"""``(sourcedId, status, dateLastModified, *stream columns, metadata)``, values as the
source spelled them ("" when empty; the engine normalizes); ``metadata`` is a JSON object
text or "". A tuple, or a list the engine may keep."""


class ConnectorKind(enum.StrEnum):
    SIS = "sis"
    TOOL = "tool"
    LMS = "lms"


class Capability(enum.StrEnum):
    CHECK = "check"
    PULL = "pull"
    PUSH = "push"


class Mode(enum.StrEnum):
    BULK = "bulk"
    """The batch stream is the whole truth: rows the store holds that are missing are
    soft-deleted (subject to the deletion safeguard)."""
    DELTA = "delta"
    """Only the listed rows change; ``status=tobedeleted`` rows are soft-deleted."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Some rows of one stream from one source, in source order."""

    stream: str
    mode: Mode
    source: str
    """Where the rows came from, as a person would name it: ``users.csv``,
    ``export.zip:users.csv``."""
    rows: Sequence[Row]
    lines: Sequence[int]
    """Physical line (or record position) of each row in ``source``, for error messages."""
    last: bool = False
    """True on the final batch of this stream from this source (an empty bulk stream still
    sends one empty batch with ``last=True``, which means "delete everything")."""
    progress: tuple[int, int] | None = None
    """``(done, total)`` units (bytes, pages) of the whole pull, for progress bars."""
    digest: str | None = None
    """Optional, on a stream's first batch (best sent with no rows): a digest of the whole
    stream source that changes whenever its content does. The engine may answer that
    ``yield`` with ``True`` (``asend``) when it knows the stream unchanged since it last
    applied that digest; the connector then sends just a final empty ``last=True`` batch for
    the stream. A connector that ignores the answer simply goes on sending rows."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Cursor state to save once every batch before it is applied."""

    state: Mapping[str, Any]
    label: str = ""
    pending: frozenset[str] = frozenset()
    """Streams this pull will still send after this checkpoint (a REST pull that commits
    stream by stream). Stored records of those streams that point at records removed so far
    are not refused yet: the check waits until the stream has arrived."""


PullItem = Batch | Checkpoint


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of :meth:`Connector.check`: a verdict and a sentence a person can act on."""

    ok: bool
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


class ConnectorConfig(BaseModel):
    """Base of every connector's configuration. Secrets are ``SecretStr`` fields; the store
    encrypts them at rest and no API or log ever shows them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        return frozenset(
            name for name, f in cls.model_fields.items() if f.annotation in (SecretStr,
                                                                            SecretStr | None)
        )


C = TypeVar("C", bound=ConnectorConfig)


class Connector(abc.ABC, Generic[C]):
    """One kind of source or destination (a OneRoster CSV drop, a vendor's REST API, an LMS).

    An instance is built from a validated ``config_model`` and holds no database handle:
    everything it reads goes out through :meth:`pull`, and a destination (an LMS gradebook)
    is told what to write through :class:`gateway.push.destination.Destination`.
    """

    name: ClassVar[str]
    """The entry point name, e.g. ``oneroster-csv``."""
    title: ClassVar[str]
    kind: ClassVar[ConnectorKind]
    config_model: ClassVar[type[ConnectorConfig]]
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.CHECK, Capability.PULL})

    def __init__(self, config: C) -> None:
        self.config = config

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> Connector[C]:
        """Build from plain settings; raises :class:`~gateway.errors.ConfigError` naming the
        bad field when the settings do not fit ``config_model``."""
        from gateway.plugins import parse_config

        return cls(parse_config(cls, config))  # type: ignore[arg-type]

    @abc.abstractmethod
    def streams(self) -> Sequence[str]:
        """The canonical streams this connector can yield (names in ``schema.STREAMS``)."""

    @abc.abstractmethod
    async def check(self) -> CheckResult:
        """Test the connection without changing anything.

        Must not raise for the failures a person can fix (missing path, wrong credential,
        unreachable host): return ``CheckResult(ok=False, message=...)`` saying what to fix.
        """

    @abc.abstractmethod
    def pull(self, state: Mapping[str, Any] | None) -> AsyncGenerator[PullItem, bool | None]:
        """Yield batches of canonical rows, and checkpoints of cursor state.

        ``state`` is the last checkpoint the engine saved (None on the first run); a
        connector that can resume or pull incrementally uses it to skip what was applied.
        Within one source, each stream's batches arrive in order and end with ``last=True``.
        On failure raise a :class:`~gateway.errors.HarborError` branch: ``ConfigError``
        (cannot read the source as configured), ``RetriableError`` (try later),
        ``SourceDataError`` (the data itself is wrong, with locations).
        """
