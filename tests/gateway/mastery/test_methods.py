"""Every mastery method on known sequences, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from gateway.errors import ConfigError
from gateway.mastery.methods import (
    METHODS,
    SCORERS,
    decaying_average,
    highest,
    mean,
    most_recent,
    power_law,
    scorer,
    validate_params,
)

# Given out of time order on purpose: in time order the scores are 0.9, 0.6, 0.4.
SHUFFLED = [("2026-09-03T10:00:00.000Z", 0.4), ("2026-09-01T10:00:00.000Z", 0.9),
            ("2026-09-02T10:00:00.000Z", 0.6)]


def days(*scores: float) -> list[tuple[str, float]]:
    return [(f"2026-09-{d:02d}T10:00:00.000Z", s) for d, s in enumerate(scores, 1)]


def test_most_recent_highest_and_mean_read_time_order() -> None:
    assert most_recent(SHUFFLED) == 0.4
    assert highest(SHUFFLED) == 0.9
    assert mean(SHUFFLED) == pytest.approx((0.4 + 0.9 + 0.6) / 3)


def test_most_recent_of_a_tie_is_the_later_given() -> None:
    at = "2026-09-01T10:00:00.000Z"
    assert most_recent([(at, 0.2), (at, 0.7)]) == 0.7


def test_decaying_average_by_hand() -> None:
    # m = 0.5; then 0.65·0.8 + 0.35·0.5 = 0.695; then 0.65·1.0 + 0.35·0.695 = 0.89325
    assert decaying_average(days(0.5, 0.8, 1.0)) == pytest.approx(0.89325)
    # time order 0.9, 0.6, 0.4: 0.9 → 0.705 → 0.50675
    assert decaying_average(SHUFFLED) == pytest.approx(0.50675)
    # weight 0.5: 0.5 → 0.65 → 0.825
    assert decaying_average(days(0.5, 0.8, 1.0), weight=0.5) == pytest.approx(0.825)
    assert decaying_average(days(0.7)) == 0.7


def test_power_law_on_an_exact_power_curve() -> None:
    # s = 0.5·t^0.5 for t = 1..4: the fit is exact, so the estimate at t = 4 is 1.0
    scores = [0.5 * math.sqrt(t) for t in range(1, 5)]
    assert power_law(days(*scores)) == pytest.approx(1.0)
    # s = 0.8·t^-0.2, a learner losing ground: the estimate at t = 5 is 0.8·5^-0.2
    falling = [0.8 * t ** -0.2 for t in range(1, 6)]
    assert power_law(days(*falling)) == pytest.approx(0.8 * 5 ** -0.2)


def test_power_law_by_hand() -> None:
    # x = ln 1, ln 2, ln 3; y = ln 0.4, ln 0.8, ln 0.6; least squares gives b = 0.4370100,
    # ln a = -0.8110923, so the estimate at t = 3 is exp(-0.8110923 + 0.4370100·ln 3)
    # = exp(-0.3309864) = 0.718214 (numpy.polyfit on the same logs agrees)
    assert power_law(days(0.4, 0.8, 0.6)) == pytest.approx(0.718214, abs=1e-6)


def test_power_law_falls_back_floors_and_clamps() -> None:
    assert power_law(days(0.7)) == 0.7
    assert power_law(days(0.4, 0.8)) == pytest.approx(0.6)  # two points: the mean
    # 0.9, 1.0, 1.0 trends to exp(0.015988) = 1.0161 at t = 3: clamped
    assert power_law(days(0.9, 1.0, 1.0)) == 1.0
    # a zero is fitted as 0.01 (no logarithm of 0): the fit of 0.01, 0.3, 0.6 at t = 3
    assert power_law(days(0.0, 0.3, 0.6)) == pytest.approx(0.839905, abs=1e-6)


def test_scorers_agree_with_the_pair_functions() -> None:
    scores = [0.9, 0.6, 0.4]
    pair_forms = {"most_recent": most_recent, "highest": highest, "mean": mean,
                  "decaying_average": decaying_average, "power_law": power_law}
    assert set(METHODS) == set(pair_forms)
    for name, fn in pair_forms.items():
        assert SCORERS[name](scores) == pytest.approx(fn(SHUFFLED)), name


def test_every_method_needs_evidence() -> None:
    for fn in (most_recent, highest, mean, decaying_average, power_law):
        with pytest.raises(ValueError, match="at least one score"):
            fn([])


def test_parameters_are_checked_and_bound() -> None:
    assert scorer("decaying_average", {"weight": 0.5})([0.5, 0.8, 1.0]) == pytest.approx(0.825)
    assert validate_params("decaying_average", {"weight": 1}) == {"weight": 1.0}
    assert validate_params("mean", None) == {}
    for method, params, says in [
        ("median", None, "mastery method 'median' is unknown; use one of most_recent"),
        ("decaying_average", {"weight": 0}, "weight 0: the weight of the newest score"),
        ("decaying_average", {"weight": "0.6"}, "weight '0.6'"),
        ("decaying_average", {"weight": True}, "weight True"),
        ("decaying_average", {"decay": 0.6}, "params decay do not apply to decaying_average "
                                             "(its parameters: weight)"),
        ("mean", {"weight": 0.6}, "params weight do not apply to mean (its parameters: none)"),
    ]:
        with pytest.raises(ConfigError) as caught:
            validate_params(method, params)
        assert says in str(caught.value)
