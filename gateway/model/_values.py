"""Scalar types of OneRoster 1.2 JSON, and the text forms the CSV binding and the store use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, PlainSerializer, StringConstraints

__all__ = [
    "Ext",
    "JsonBool",
    "Status",
    "UtcDateTime",
    "format_bool",
    "format_datetime",
    "format_float",
    "format_pairs",
    "parse_pairs",
    "split_list",
]

Status = Literal["active", "tobedeleted"]

Ext = Annotated[str, StringConstraints(pattern=r"^ext:[A-Za-z0-9._-]+$")]
"""An extension value of an extensible vocabulary. The spec's pattern ``(ext:)[a-zA-Z0-9.-_]+``
is unanchored (JSON Schema semantics); anchoring it here is what the spec means."""


def format_datetime(value: datetime) -> str:
    """The store's datetime text: UTC, milliseconds, ``Z`` (``2026-08-24T02:00:00.000Z``),
    the year in four digits however small (``strftime("%Y")`` writes year 2 as ``2``)."""
    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def format_bool(value: bool) -> str:
    return "true" if value else "false"


def format_float(value: float) -> str:
    """The shortest text that reads back as ``value``, without a trailing ``.0`` (85, 85.5)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _utc(value: datetime) -> datetime:
    # Same reading as the row validator: no offset means UTC (the CSV binding's rule), and a
    # bare date means its midnight. Kept in UTC so equal instants compare and print equal.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise ValueError("the date-time in UTC is outside the years 1 to 9999") from None


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_utc),
    PlainSerializer(format_datetime, return_type=str, when_used="json"),
]

# The spec types booleans as the strings "true"/"false" (e.g. UserDType.enabledUser), so JSON
# output writes strings while Python code gets a real bool; input accepts both forms.
JsonBool = Annotated[bool, PlainSerializer(format_bool, return_type=str, when_used="json")]


def split_list(text: str) -> list[str]:
    """A CSV list cell (``"3,4, 5"``) as its items."""
    return [item.strip() for item in text.split(",") if item.strip()]


_PAIR = re.compile(r"\s*\{([^{}:]+):([^{}]*)\}\s*(?:,|$)")


def parse_pairs(text: str, column: str) -> list[tuple[str, str]]:
    """``{SIS:1234},{state:5678}`` as ``[("SIS", "1234"), ("state", "5678")]``.

    The CSV binding writes structured list items (``userIds``, ``scoreScaleValue``) as
    ``{left:right}`` in braces; the left side ends at the first colon, and commas inside the
    braces belong to the value.
    """
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _PAIR.match(text, pos)
        if match is None:
            raise ValueError(f"{column}: {text!r} is not a list of {{left:right}} items; "
                             f"write it like {{SIS:1234}},{{state:5678}}")
        pairs.append((match.group(1).strip(), match.group(2).strip()))
        pos = match.end()
    return pairs


def format_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return ",".join(f"{{{left}:{right}}}" for left, right in pairs)
