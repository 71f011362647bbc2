"""Turning one vendor record into one row of a tool stream, as its feed's field rules say.

Values come out in the shapes docs/learning.md gives the tool streams: text as text
(``raw_score`` too, as the tool spelled it: ``"M"``, ``"87.5"``), times as the store's UTC
ISO 8601 text, minutes as numbers, flags as booleans, grade levels as OneRoster grade codes
(``KG``, ``04``). A record that cannot be mapped gives problems naming the field, the path
it was read from and what to do; the row is then left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from gateway.errors import Problem
from gateway.model._values import format_datetime

from .paths import MISSING
from .schema import REQUIRED
from .shapes import Feed, FieldRule

__all__ = ["map_record", "parse_time"]

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}
_GRADE_WORDS = {"k": "KG", "kg": "KG", "kindergarten": "KG", "pk": "PK", "prek": "PK",
                "pre-k": "PK", "tk": "TK", "it": "IT", "pr": "PR", "ps": "PS", "ug": "UG"}
_GRADE_NUMBER = re.compile(r"^(?:grade\s*)?(\d{1,2})(?:st|nd|rd|th)?$", re.IGNORECASE)


class _Unmappable(ValueError):
    """A value that does not fit its field; the message says why and how to fix it."""


def map_record(feed: Feed, record: Any, position: int, source: str,
               ) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The row for ``record`` (the ``position``-th of ``source``), or None and problems."""
    if not isinstance(record, Mapping):
        return None, [Problem(source, position, None, f"record {position} is "
                              f"{type(record).__name__}, not a JSON object; check the "
                              f"mapping's records path ({feed.records})")]
    row: dict[str, Any] = {}
    problems: list[Problem] = []
    required = REQUIRED[feed.stream]
    for name, rule in feed.fields.items():
        try:
            value = _value(rule, record)
        except _Unmappable as exc:
            problems.append(Problem(source, position, name,
                                    f"record {position}, {name} (from {rule.source}): {exc}"))
            continue
        if value is None and name in required:
            problems.append(Problem(source, position, name, f"record {position} has no {name} "
                                    f"(looked at {rule.source}); the tool must send it, or the "
                                    f"mapping must read it from another field"))
            continue
        row[name] = value
    if problems:
        return None, problems
    if feed.stream == "toolEvidence":
        row["payload"] = dict(record)
    return row, []


def _value(rule: FieldRule, record: Mapping[str, Any]) -> Any:
    raw = _read(rule, record)
    if raw is None:
        return _convert(rule, rule.default) if rule.default is not None else None
    if rule.map is not None:
        key = raw if raw in rule.map else str(raw) if str(raw) in rule.map else MISSING
        if key is MISSING:
            if rule.default is None:
                known = ", ".join(map(str, rule.map))
                raise _Unmappable(f"{raw!r} is not in the mapping's map ({known}); add it")
            raw = rule.default
        else:
            raw = rule.map[key]
        if raw is None:
            return None
    return _convert(rule, raw)


def _read(rule: FieldRule, record: Mapping[str, Any]) -> Any:
    if rule.path is not None:
        value = rule.path.get(record)
        return None if value is MISSING or value == "" else value
    if rule.template:
        parts: list[str] = []
        for text, path in rule.template:
            parts.append(text)
            if path is not None:
                value = path.get(record)
                if value is MISSING or value is None or value == "":
                    return None
                parts.append(_text(value))
        return "".join(parts)
    return rule.const


def _convert(rule: FieldRule, value: Any) -> Any:
    kind = rule.kind
    if kind == "number":
        number = _number(value)
        if rule.multiply is not None:
            number *= rule.multiply
        if rule.divide is not None:
            number /= rule.divide
        return number
    if kind == "boolean":
        return _bool(value)
    if kind == "datetime":
        return format_datetime(parse_time(value, rule.format))
    if kind == "grade_level":
        return _grade(value)
    if kind == "object":
        if not isinstance(value, Mapping):
            raise _Unmappable(f"expected a JSON object (such as the student's name and email), "
                              f"got {value!r}")
        return {str(k): v for k, v in value.items() if not isinstance(v, Mapping | list)}
    if isinstance(value, Mapping | list):
        raise _Unmappable(f"expected a single value, got a JSON {type(value).__name__}; point "
                          f"the path at a field inside it")
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Unmappable(f"{value!r} is not a number")
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        raise _Unmappable(f"{value!r} is not a number") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Unmappable(f"{value!r} is not true or false; add a map (e.g. {{Y: true, N: false}})")


def _grade(value: Any) -> str:
    text = _text(value).strip()
    word = _GRADE_WORDS.get(text.lower())
    if word:
        return word
    m = _GRADE_NUMBER.match(text)
    if m and 1 <= int(m.group(1)) <= 13:
        return f"{int(m.group(1)):02d}"
    raise _Unmappable(f"{value!r} is not a grade level (K, KG, PK or 1 to 13); add a map "
                      f"for the tool's spelling")


def parse_time(value: Any, fmt: str | None = None) -> datetime:
    """A time as tools send it: ISO 8601 (``Z`` or an offset; naive means UTC), a date, epoch
    seconds or milliseconds, or text in the mapping's ``format`` (strptime)."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float):
            seconds = value / 1000 if value > 10**11 else value
            return datetime.fromtimestamp(seconds, UTC)
        text = str(value).strip()
        if fmt:
            parsed = datetime.strptime(text, fmt)  # naive: UTC, below
        elif len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        wanted = f"the format {fmt!r}" if fmt else "ISO 8601 (2026-11-02T14:05:00Z)"
        raise _Unmappable(f"{value!r} is not a time in {wanted}; fix the record, or set "
                          f"format: in the mapping to the tool's spelling") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
