"""A tenant's mastery settings on both databases: defaults, a round trip, and bad bands or
parameters refused with the field named and the stored settings kept."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.mastery.settings import (
    DEFAULT_BANDS,
    DEFAULT_SETTINGS,
    MasterySettings,
    parse_bands,
    read_settings,
    write_settings,
)
from gateway.store.store import Store

FOUR = [{"level": "1", "from": 0, "to": 0.25}, {"level": "2", "from": 0.25, "to": 0.5},
        {"level": "3", "from": 0.5, "to": 0.75, "mastered": True},
        {"level": "4", "from": 0.75, "to": 1, "mastered": True}]


def test_default_bands_and_mastered() -> None:
    s = DEFAULT_SETTINGS
    assert (s.method, dict(s.params), s.bands) == ("decaying_average", {}, DEFAULT_BANDS)
    levels = {score: s.level(score) for score in (0.0, 0.59, 0.6, 0.79, 0.8, 0.89, 0.9, 1.0)}
    assert levels == {0.0: "beginning", 0.59: "beginning", 0.6: "approaching",
                      0.79: "approaching", 0.8: "meeting", 0.89: "meeting",
                      0.9: "exceeding", 1.0: "exceeding"}
    assert [s.mastered(level) for level in ("beginning", "approaching", "meeting",
                                            "exceeding", "unknown")] == \
        [False, False, True, True, False]


def test_a_tenant_without_settings_gets_the_defaults(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    with store.engine.connect() as conn:
        assert read_settings(conn, tenant) == DEFAULT_SETTINGS


def test_settings_round_trip_and_update(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    other = store.ensure_tenant("other").id
    with store.engine.begin() as conn:
        written = write_settings(conn, tenant, method="decaying_average",
                                 params={"weight": 0.5}, bands=FOUR)
    with store.engine.connect() as conn:
        read = read_settings(conn, tenant)
        assert read == written
        assert read_settings(conn, other) == DEFAULT_SETTINGS
    assert dict(read.params) == {"weight": 0.5}
    assert [b.level for b in read.bands] == ["1", "2", "3", "4"]
    assert (read.level(0.5), read.mastered("3"), read.mastered("2")) == ("3", True, False)
    with store.engine.begin() as conn:
        write_settings(conn, tenant, method="power_law")
    with store.engine.connect() as conn:
        assert read_settings(conn, tenant) == MasterySettings("power_law")


BAD_BANDS: list[tuple[Any, str]] = [
    ([], "mastery bands must be a list"),
    ("0-0.6 beginning", "mastery bands must be a list"),
    ([{"level": "all", "from": 0, "to": 1}, "x"], "mastery band 2 must be an object"),
    ([{"from": 0, "to": 1, "mastered": True}], "mastery band 1 needs a level name"),
    ([{"level": "low", "from": 0, "to": 0.5},
      {"level": "high", "from": 0.6, "to": 1, "mastered": True}],
     "mastery bands low and high must meet: low ends at 0.5, high starts at 0.6"),
    ([{"level": "low", "from": 0, "to": 0.7},
      {"level": "high", "from": 0.6, "to": 1, "mastered": True}],
     "mastery bands low and high must meet"),
    ([{"level": "low", "from": 0.1, "to": 0.5},
      {"level": "high", "from": 0.5, "to": 1, "mastered": True}],
     "mastery bands must cover 0 to 1; they run from 0.1 to 1"),
    ([{"level": "low", "from": 0, "to": 0.5},
      {"level": "high", "from": 0.5, "to": 0.9, "mastered": True}],
     "must cover 0 to 1; they run from 0 to 0.9"),
    ([{"level": "low", "from": 0, "to": 0.5, "mastered": True},
      {"level": "high", "from": 0.5, "to": 1}], "mark the top band(s) mastered"),
    ([{"level": "low", "from": 0, "to": 0.5}, {"level": "high", "from": 0.5, "to": 1}],
     "mark the top band(s) mastered"),
    ([{"level": "low", "from": 0, "to": 0.5}, {"level": "low", "from": 0.5, "to": 1}],
     "repeat a level name: low, low"),
    ([{"level": "all", "from": 0, "to": 1.5}], "mastery band 1 (all) to must be a number "
                                               "from 0 to 1, not 1.5"),
    ([{"level": "all", "from": "0", "to": 1}], "mastery band 1 (all) from must be a number"),
    ([{"level": "all", "from": 0.5, "to": 0.5}], "from 0.5 must be below to 0.5"),
    ([{"level": "all", "from": 0, "to": 1, "mastered": "yes"}],
     "mastery band 1 (all) mastered must be true or false"),
]


@pytest.mark.parametrize(("bands", "says"), BAD_BANDS)
def test_bad_bands_name_the_band_and_fix(bands: Any, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_bands(bands)
    assert says in str(caught.value)


def test_refused_settings_keep_what_was_stored(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        kept = write_settings(conn, tenant, method="mean", bands=FOUR)
    for kwargs in ({"method": "median"}, {"method": "decaying_average", "params": {"weight": 2}},
                   {"method": "mean", "bands": BAD_BANDS[4][0]}):
        with pytest.raises(ConfigError), store.engine.begin() as conn:
            write_settings(conn, tenant, **kwargs)
    with store.engine.connect() as conn:
        assert read_settings(conn, tenant) == kept
