"""The parts of a validated mapping: how to sign in, where a feed's records are, how it
pages, how it asks for changes, and how each canonical field is read from a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .paths import JsonPath
from .schema import FieldType

__all__ = ["Auth", "Feed", "FieldRule", "Incremental", "Pagination"]


@dataclass(frozen=True, slots=True)
class Auth:
    type: str
    """``api_key``, ``bearer``, ``oauth2_client_credentials`` or ``none``."""
    header: str | None = None
    prefix: str = ""
    secret: str | None = None
    """Which secret of the connection holds the key (``api_key``, ``token``,
    ``client_secret``); the mapping names it, the connection holds it."""
    token_url: str | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class Pagination:
    style: str
    """``page_number``, ``offset``, ``cursor``, ``link`` or ``none``."""
    page_param: str | None = None
    size_param: str | None = None
    start: int = 1
    offset_param: str | None = None
    limit_param: str | None = None
    cursor_path: JsonPath | None = None
    cursor_param: str | None = None


@dataclass(frozen=True, slots=True)
class Incremental:
    cursor_field: JsonPath
    """Where a record says when it last changed."""
    param: str
    """The request parameter that asks for records changed since a time."""
    format: str
    """How the parameter is written: ``iso8601``, ``date``, ``epoch_seconds``,
    ``epoch_millis``."""
    margin: timedelta
    """How far before the newest change seen the next pull starts (clock skew, records
    changed while the pull was paging)."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one canonical field is read from a record."""

    name: str
    kind: FieldType
    path: JsonPath | None = None
    const: Any = None
    template: tuple[tuple[str, JsonPath | None], ...] = ()
    """Literal text and the path whose value follows it, in order."""
    map: Mapping[Any, Any] | None = None
    default: Any = None
    divide: float | None = None
    multiply: float | None = None
    scale: str | None = None
    format: str | None = None
    line: int = 0
    """The mapping line of the rule, for messages that point at the mapping."""

    @property
    def source(self) -> str:
        """The rule as the mapping wrote it, for messages: ``student.id``, ``const 'x'``."""
        if self.path is not None:
            return self.path.text
        if self.template:
            return "template " + "".join(t + (f"{{{p}}}" if p else "") for t, p in
                                         self.template)
        return f"const {self.const!r}"


@dataclass(frozen=True, slots=True)
class Feed:
    """One endpoint that yields records of one tool stream."""

    stream: str
    name: str
    """Unique in the mapping; keys the feed's saved cursor."""
    where: tuple[str | int, ...]
    line: int
    path: str
    params: Mapping[str, str]
    pagination: Pagination
    records: JsonPath
    incremental: Incremental | None
    fields: Mapping[str, FieldRule] = field(default_factory=dict)
