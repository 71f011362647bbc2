"""Mastery methods: one learner's evidence for one standard, folded into one score.

Each method is a pure function over the evidence as ``(observed_at, score)`` pairs (scores
already normalized to [0, 1], see :mod:`gateway.mastery.scales`); the pairs are put in time
order first (ties keep their given order). The recompute path, which streams evidence
already ordered, calls the score-list forms in :data:`SCORERS` directly.

- ``most_recent``: the newest score.
- ``highest``: the best score.
- ``mean``: the plain average.
- ``decaying_average``: the newest score weighs ``weight`` (default 0.65) and everything
  before it the rest: starting from the first score, each next score s gives
  m = w·s + (1 - w)·m. Recent work counts most without one bad day erasing the past.
- ``power_law``: Marzano's power law of learning. Fit score = a·t^b over the attempt index
  t = 1..n by least squares on logarithms (ln s = ln a + b·ln t), and report the fitted
  value at t = n: the trend's estimate of where the learner is now, less jumpy than the
  last score. With one or two scores there is no trend to speak of, so it is the mean.
  Scores are floored at :data:`POWER_LAW_FLOOR` before taking logarithms (a 0 has none),
  and the estimate is clamped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from gateway.errors import ConfigError

__all__ = ["DEFAULT_WEIGHT", "METHODS", "POWER_LAW_FLOOR", "SCORERS", "Scorer",
           "decaying_average", "highest", "mean", "most_recent", "power_law", "scorer",
           "validate_params"]

DEFAULT_WEIGHT = 0.65
POWER_LAW_FLOOR = 0.01
"""The smallest score the power law fits (a score of 0 has no logarithm)."""

Evidence = Sequence[tuple[str, float]]
Scorer = Callable[[Sequence[float]], float]
"""A method with its parameters bound: scores in time order (at least one) → [0, 1]."""


def _in_time_order(evidence: Evidence) -> list[float]:
    if not evidence:
        raise ValueError("a mastery method needs at least one score")
    return [score for _, score in sorted(evidence, key=itemgetter(0))]


def most_recent(evidence: Evidence) -> float:
    return _most_recent(_in_time_order(evidence))


def highest(evidence: Evidence) -> float:
    return max(_in_time_order(evidence))


def mean(evidence: Evidence) -> float:
    return _mean(_in_time_order(evidence))


def decaying_average(evidence: Evidence, weight: float = DEFAULT_WEIGHT) -> float:
    return _decaying(_in_time_order(evidence), weight)


def power_law(evidence: Evidence) -> float:
    return _power_law(_in_time_order(evidence))


def _most_recent(scores: Sequence[float]) -> float:
    return scores[-1]


def _mean(scores: Sequence[float]) -> float:
    return math.fsum(scores) / len(scores)


def _decaying(scores: Sequence[float], weight: float) -> float:
    m = scores[0]
    keep = 1.0 - weight
    for s in scores[1:]:
        m = weight * s + keep * m
    return m


@lru_cache(maxsize=256)
def _log_design(n: int) -> tuple[tuple[float, ...], float, float]:
    """ln t for t = 1..n, Σ ln t and n·Σ(ln t)² - (Σ ln t)²: the same for every learner
    with n scores, so computed once per n."""
    xs = tuple(math.log(t) for t in range(1, n + 1))
    sx = math.fsum(xs)
    return xs, sx, n * math.fsum(x * x for x in xs) - sx * sx


def _power_law(scores: Sequence[float]) -> float:
    n = len(scores)
    if n < 3:
        return _mean(scores)
    xs, sx, denominator = _log_design(n)
    ys = [math.log(s if s > POWER_LAW_FLOOR else POWER_LAW_FLOOR) for s in scores]
    sy = math.fsum(ys)
    b = (n * math.fsum(x * y for x, y in zip(xs, ys, strict=True)) - sx * sy) / denominator
    ln_a = (sy - b * sx) / n
    estimate = math.exp(ln_a + b * xs[-1])
    return 0.0 if estimate < 0.0 else 1.0 if estimate > 1.0 else estimate


SCORERS: Mapping[str, Scorer] = {
    "most_recent": _most_recent,
    "highest": max,
    "mean": _mean,
    "decaying_average": lambda scores: _decaying(scores, DEFAULT_WEIGHT),
    "power_law": _power_law,
}
"""Each method with its default parameters, over scores in time order."""

METHODS = tuple(SCORERS)

_PARAMS: Mapping[str, frozenset[str]] = {"decaying_average": frozenset({"weight"})}


def validate_params(method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The method's parameters, checked; a :class:`ConfigError` names the field and fix."""
    if method not in SCORERS:
        raise ConfigError(f"mastery method {method!r} is unknown; use one of "
                          f"{', '.join(METHODS)}")
    given = dict(params or {})
    unknown = sorted(set(given) - _PARAMS.get(method, frozenset()))
    if unknown:
        allowed = ", ".join(sorted(_PARAMS.get(method, ()))) or "none"
        raise ConfigError(f"mastery params {', '.join(unknown)} do not apply to {method} "
                          f"(its parameters: {allowed})")
    if "weight" in given:
        w = given["weight"]
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= 1:
            raise ConfigError(f"mastery params weight {w!r}: the weight of the newest score "
                              f"must be a number above 0 and at most 1, e.g. 0.65")
        given["weight"] = float(w)
    return given


def scorer(method: str, params: Mapping[str, Any] | None = None) -> Scorer:
    """``method`` with ``params`` bound, for scores in time order."""
    checked = validate_params(method, params)
    if method == "decaying_average" and "weight" in checked:
        weight = checked["weight"]
        return lambda scores: _decaying(scores, weight)
    return SCORERS[method]
