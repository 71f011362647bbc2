"""Score scales: what a tool's raw score means, and its value on the common [0, 1] scale.

A scale is named by a short spec that mappings write and the ``evidence.scale`` column
keeps, so every stored score can be traced back to how it was normalized:

=====================  ==========================================================
``percent``            0 to 100; ``85``, ``85.5`` and ``85%`` all read as 0.85
``fraction``           already 0 to 1
``points:MAX``         points out of MAX (``points:20``: 15 → 0.75)
``rubric:A-B``         a rubric from A to B (``rubric:1-4``: 1 → 0, 2.5 → 0.5, 4 → 1)
``levels:A,B,C,...``   an ordered list of levels, lowest first: position / (n - 1);
                       ``levels:A-Z`` is shorthand for the letters A to Z
``grade-level``        a grade-level equivalent (``3.4``, ``K.5``, ``PP``) against the
                       learner's grade; ``grade-level:04`` carries that grade itself
``scale:MIN-MAX``      a scale score between MIN and MAX (``scale:100-350``)
=====================  ==========================================================

Grade-level equivalents: a learner at or above their grade scores 1.0; each grade below
takes :data:`GRADE_STEP` (0.25) off, so one grade below is 0.75 ("approaching"), two below
0.5 and four or more below 0. ``3.4`` is grade 3, month 4 (3.4 as a number); ``K`` is 0,
``K.5`` 0.5, ``PK`` -1, ``PP`` (pre-primer) 0.5 and ``P`` (primer) 0.8, which is where
reading inventories place them. The learner's grade is a OneRoster grade code (``KG``,
``04``) or the same spellings; a learner in grade 4 is at grade with 4.0 and above.

Values outside a scale's range are clamped to [0, 1]; a value that is not a number (or
not one of the levels) is a :class:`~gateway.errors.SkippableRecordError` naming the value,
the scale and the fix, so one bad record never stops a run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from gateway.errors import ConfigError, SkippableRecordError

__all__ = ["GRADE_STEP", "SCALE_KINDS", "Scale", "grade_number", "normalize", "parse_scale"]

GRADE_STEP = 0.25
"""How much of the [0, 1] score each grade below the learner's own takes away."""

SCALE_KINDS = ("percent", "fraction", "points", "rubric", "levels", "grade-level", "scale")

_NUMBER = r"-?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"^({_NUMBER})\s*-\s*({_NUMBER})$")
_GRADE_WORDS = {"IT": -2.0, "PR": -1.0, "PK": -1.0, "PS": -1.0, "TK": -0.5, "K": 0.0,
                "KG": 0.0, "PP": 0.5, "P": 0.8}
_GRADE = re.compile(r"^(K|KG|PK|\d{1,2})(?:\.(\d))?$")


@dataclass(frozen=True, slots=True)
class Scale:
    """A parsed scale spec: its kind and what the kind needs (a range, the levels)."""

    spec: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    levels: tuple[str, ...] = ()
    grade: float | None = None
    """For ``grade-level:GRADE``: the learner's grade the spec carries."""


def parse_scale(text: str) -> Scale:
    """Validate a scale spec; a :class:`ConfigError` names the spec and the accepted forms."""
    try:
        return _parse(text)
    except ValueError as exc:
        raise ConfigError(f"scale {text!r}: {exc}. Use one of: percent, fraction, points:MAX, "
                          f"rubric:A-B, levels:A,B,C, grade-level, scale:MIN-MAX") from None


@lru_cache(maxsize=1024)
def _parse(text: str) -> Scale:
    # Cached: intake normalizes every record through the same few specs.
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a scale is required")
    spec = text.strip()
    kind, _, arg = spec.partition(":")
    kind, arg = kind.strip().lower(), arg.strip()
    if kind in ("percent", "fraction"):
        if arg:
            raise ValueError(f"{kind} takes no argument")
        return Scale(spec, kind, 0.0, 100.0 if kind == "percent" else 1.0)
    if kind == "points":
        high = _number(arg, "points:MAX needs a MAX above 0, e.g. points:20")
        if high <= 0:
            raise ValueError("points:MAX needs a MAX above 0, e.g. points:20")
        return Scale(spec, kind, 0.0, high)
    if kind in ("rubric", "scale"):
        found = _RANGE.match(arg)
        example = "rubric:1-4" if kind == "rubric" else "scale:100-350"
        if not found or float(found[1]) >= float(found[2]):
            raise ValueError(f"{kind} needs a range from low to high, e.g. {example}")
        return Scale(spec, kind, float(found[1]), float(found[2]))
    if kind == "levels":
        levels = _levels(arg)
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ValueError("levels needs at least two different levels, lowest first, "
                             "e.g. levels:emerging,developing,secure or levels:A-Z")
        return Scale(spec, kind, levels=levels)
    if kind == "grade-level":
        if not arg:
            return Scale(spec, kind)
        try:
            return Scale(spec, kind, grade=grade_number(arg))
        except ValueError:
            raise ValueError(f"grade-level:GRADE needs a grade such as KG or 04, not {arg!r}"
                             ) from None
    raise ValueError(f"unknown kind {kind!r}")


def _levels(arg: str) -> tuple[str, ...]:
    letters = re.fullmatch(r"([A-Za-z])\s*-\s*([A-Za-z])", arg)
    if letters and "," not in arg:
        first, last = ord(letters[1]), ord(letters[2])
        return tuple(chr(c) for c in range(first, last + 1))
    return tuple(level.strip() for level in arg.split(",") if level.strip())


def _number(text: str, why: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(why) from None
    if not math.isfinite(value):
        raise ValueError(why)
    return value


def grade_number(code: str) -> float:
    """A grade or grade-level equivalent as a number: ``04`` → 4, ``3.4`` → 3.4, ``KG`` → 0,
    ``K.5`` → 0.5, ``PP`` → 0.5; a :class:`ValueError` for anything else."""
    text = code.strip().upper()
    if text in _GRADE_WORDS:
        return _GRADE_WORDS[text]
    found = _GRADE.match(text)
    if not found:
        raise ValueError(f"{code!r} is not a grade")
    whole = _GRADE_WORDS.get(found[1])
    base = whole if whole is not None else float(found[1])
    return base + (int(found[2]) / 10 if found[2] else 0.0)


def normalize(raw: str | float, scale: str, *, learner_grade: str | None = None) -> float:
    """``raw`` on ``scale`` as a score in [0, 1] (clamped).

    Raises :class:`SkippableRecordError` naming the value and the scale when the value
    cannot be read on it, when the scale spec itself is wrong, or when a grade-level
    equivalent comes without the learner's grade.
    """
    try:
        parsed = _parse(scale)
    except (ValueError, TypeError) as exc:
        raise SkippableRecordError(f"scale {scale!r} of raw score {raw!r}: {exc}; fix the "
                                   f"mapping's scale") from None
    if isinstance(raw, bool) or raw is None:
        raise SkippableRecordError(f"raw score {raw!r} on scale {scale!r} is not a score")
    if parsed.kind == "levels":
        return _level(raw, parsed)
    if parsed.kind == "grade-level":
        return _grade_level(raw, parsed, learner_grade)
    text = str(raw).strip()
    if parsed.kind == "percent":
        text = text.removesuffix("%").strip()
    try:
        value = _number(text, "")
    except ValueError:
        raise SkippableRecordError(
            f"raw score {raw!r} is not a number on scale {scale!r}; the tool must send a "
            f"number between {parsed.low:g} and {parsed.high:g}") from None
    return _clamp((value - parsed.low) / (parsed.high - parsed.low))


def _level(raw: str | float, scale: Scale) -> float:
    text = str(raw).strip()
    levels = scale.levels
    if text in levels:
        position = levels.index(text)
    else:  # levels are names people type: accept another case when it is not ambiguous
        folded = [level.casefold() for level in levels]
        if folded.count(text.casefold()) != 1:
            raise SkippableRecordError(
                f"raw score {raw!r} is not one of the levels of scale {scale.spec!r}; add it "
                f"to the mapping's levels or fix the tool's value")
        position = folded.index(text.casefold())
    return position / (len(levels) - 1)


def _grade_level(raw: str | float, scale: Scale, learner_grade: str | None) -> float:
    try:
        equivalent = grade_number(str(raw))
    except ValueError:
        raise SkippableRecordError(
            f"raw score {raw!r} is not a grade-level equivalent (such as 3.4, K.5 or PP) on "
            f"scale {scale.spec!r}") from None
    grade = scale.grade
    if grade is None:
        if not learner_grade:
            raise SkippableRecordError(
                f"grade-level equivalent {raw!r} needs the learner's grade; give the learner "
                f"a grade in the roster or write the scale as grade-level:GRADE")
        try:
            grade = grade_number(learner_grade)
        except ValueError:
            raise SkippableRecordError(
                f"grade-level equivalent {raw!r}: the learner's grade {learner_grade!r} is not "
                f"a grade (such as KG or 04); fix it in the roster") from None
    return _clamp(1.0 - GRADE_STEP * (grade - equivalent))


def _clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value
