"""The small JSON path dialect of mappings: ``$.data.items``, ``student.id``, ``scores[0]``,
``results[*].standard``.

A path is dot-separated keys, each optionally followed by ``[N]`` (one list item) or ``[*]``
(every item). A leading ``$`` or ``$.`` is the document itself and may be left out. That is
all a vendor feed needs to point at its list of records and at a field of a record; filters,
recursive descent and slices are deliberately not supported, so a mapping never holds code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MISSING", "JsonPath", "PathSyntaxError"]

MISSING: Any = object()
"""What :meth:`JsonPath.get` returns when the path leads nowhere (not the same as null)."""

_STEP = re.compile(r"([^.\[\]]+)((?:\[(?:\d+|\*)\])*)")
_INDEX = re.compile(r"\[(\d+|\*)\]")


class PathSyntaxError(ValueError):
    """The text is not a path of the mapping dialect; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path: a tuple of steps, each a key (str), an index (int) or ``*``."""

    text: str
    steps: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        body = text.strip()
        if body == "$":
            return cls(text, ())
        if body.startswith("$."):
            body = body[2:]
        elif body.startswith("$["):
            body = body[1:]
        steps: list[str | int] = []
        if body.startswith("["):  # a document that is a list: "$[*]"
            lead = _INDEX.match(body)
            if lead is None:
                raise PathSyntaxError(_advice(text))
            while lead is not None:
                steps.append(_index(lead.group(1)))
                body = body[lead.end():]
                lead = _INDEX.match(body)
            body = body.lstrip(".")
        if body:
            for part in body.split("."):
                m = _STEP.fullmatch(part)
                if m is None:
                    raise PathSyntaxError(_advice(text))
                steps.append(m.group(1))
                steps.extend(_index(i) for i in _INDEX.findall(m.group(2)))
        return cls(text, tuple(steps))

    @property
    def many(self) -> bool:
        """True when the path can select several values (it has a ``[*]``)."""
        return "*" in self.steps

    def get(self, document: Any) -> Any:
        """The one value the path selects, or :data:`MISSING` (a ``[*]`` path gives a list)."""
        if self.many:
            return self.all(document)
        value = document
        for step in self.steps:
            value = _step(value, step)
            if value is MISSING:
                return MISSING
        return value

    def all(self, document: Any) -> list[Any]:
        """Every value the path selects (``[*]`` expanded), in document order."""
        current = [document]
        for step in self.steps:
            out: list[Any] = []
            for value in current:
                if step == "*":
                    if isinstance(value, list):
                        out.extend(value)
                    continue
                got = _step(value, step)
                if got is not MISSING:
                    out.append(got)
            current = out
        return current

    def __str__(self) -> str:
        return self.text


def _index(text: str) -> str | int:
    return "*" if text == "*" else int(text)


def _step(value: Any, step: str | int) -> Any:
    if isinstance(step, int):
        if isinstance(value, Sequence) and not isinstance(value, str) and step < len(value):
            return value[step]
        return MISSING
    if isinstance(value, Mapping) and step in value:
        return value[step]
    return MISSING


def _advice(text: str) -> str:
    return (f"{text!r} is not a path of the form $.data.items, student.id, scores[0] or "
            f"items[*].code (keys separated by dots, [N] or [*] after a key)")
