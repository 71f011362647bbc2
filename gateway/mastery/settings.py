"""A tenant's mastery settings: which method folds evidence into a score, and the level
bands that turn a score into words teachers use (``beginning`` … ``exceeding``).

Settings live in ``mastery_settings``, one row per tenant; a tenant without one uses
:data:`DEFAULT_SETTINGS`. Bands are stored as a JSON list, lowest first::

    [{"level": "beginning", "from": 0.0, "to": 0.6},
     {"level": "approaching", "from": 0.6, "to": 0.8},
     {"level": "meeting", "from": 0.8, "to": 0.9, "mastered": true},
     {"level": "exceeding", "from": 0.9, "to": 1.0, "mastered": true}]

A band holds scores from its ``from`` (included) up to its ``to`` (excluded; the last band
includes 1.0). Bands must be contiguous and cover [0, 1]; the mastered ones must be the top
ones (mastered means "this band or above"). Changing the settings does not rewrite stored
mastery: run :func:`gateway.mastery.recompute` for the tenant afterwards.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.mastery.methods import Scorer, scorer, validate_params
from gateway.store.learning_tables import mastery_settings

__all__ = ["DEFAULT_BANDS", "DEFAULT_SETTINGS", "Band", "MasterySettings", "parse_bands",
           "read_settings", "write_settings"]


@dataclass(frozen=True, slots=True)
class Band:
    level: str
    low: float
    """Lowest score in the band (included)."""
    high: float
    """Highest score: excluded, except 1.0 in the top band."""
    mastered: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "from": self.low, "to": self.high,
                "mastered": self.mastered}


DEFAULT_BANDS = (Band("beginning", 0.0, 0.6), Band("approaching", 0.6, 0.8),
                 Band("meeting", 0.8, 0.9, mastered=True),
                 Band("exceeding", 0.9, 1.0, mastered=True))


@dataclass(frozen=True, slots=True)
class MasterySettings:
    """How a tenant's mastery is computed and banded."""

    method: str = "decaying_average"
    params: Mapping[str, Any] = field(default_factory=dict)
    bands: tuple[Band, ...] = DEFAULT_BANDS
    _lows: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lows", tuple(b.low for b in self.bands))

    def level(self, score: float) -> str:
        """The band's level a score falls in."""
        return self.bands[self._index(score)].level

    def mastered(self, level: str) -> bool:
        """Whether a level counts as mastered (``meeting`` or above by default)."""
        return any(b.mastered for b in self.bands if b.level == level)

    def scorer(self) -> Scorer:
        return scorer(self.method, self.params)

    def _index(self, score: float) -> int:
        i = bisect_right(self._lows, score) - 1
        return min(max(i, 0), len(self.bands) - 1)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": dict(self.params),
                "bands": [b.as_dict() for b in self.bands]}


DEFAULT_SETTINGS = MasterySettings()


def parse_bands(raw: Sequence[Mapping[str, Any]] | None) -> tuple[Band, ...]:
    """Bands from their JSON form, checked: a :class:`ConfigError` names the band and fix."""
    if raw is None:
        return DEFAULT_BANDS
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or not raw:
        raise ConfigError("mastery bands must be a list of {level, from, to} objects, lowest "
                          "first, covering 0 to 1")
    bands: list[Band] = []
    for i, item in enumerate(raw, 1):
        where = f"mastery band {i}"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where} must be an object with level, from and to")
        level = item.get("level")
        if not isinstance(level, str) or not level.strip():
            raise ConfigError(f"{where} needs a level name (e.g. \"meeting\")")
        low, high = (_bound(item.get(k), f"{where} ({level}) {k}") for k in ("from", "to"))
        mastered = item.get("mastered", False)
        if not isinstance(mastered, bool):
            raise ConfigError(f"{where} ({level}) mastered must be true or false")
        if low >= high:
            raise ConfigError(f"{where} ({level}): from {low:g} must be below to {high:g}")
        bands.append(Band(level.strip(), low, high, mastered))
    names = [b.level for b in bands]
    if len(set(names)) != len(names):
        raise ConfigError(f"mastery bands repeat a level name: {', '.join(names)}")
    if bands[0].low != 0.0 or bands[-1].high != 1.0:
        raise ConfigError(f"mastery bands must cover 0 to 1; they run from {bands[0].low:g} "
                          f"to {bands[-1].high:g}")
    for below, above in pairwise(bands):
        if below.high != above.low:
            raise ConfigError(f"mastery bands {below.level} and {above.level} must meet: "
                              f"{below.level} ends at {below.high:g}, {above.level} starts "
                              f"at {above.low:g} (list them lowest first)")
    flags = [b.mastered for b in bands]
    if not any(flags) or flags != sorted(flags):
        raise ConfigError("mastery bands: mark the top band(s) mastered (mastered means that "
                          "band or above), and no band below an unmastered one")
    return tuple(bands)


def _bound(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"{where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def read_settings(conn: sa.Connection, tenant_id: int) -> MasterySettings:
    """The tenant's settings, or the defaults when it has none."""
    t = mastery_settings
    row = conn.execute(sa.select(t.c.method, t.c.params, t.c.bands)
                       .where(t.c.tenant_id == tenant_id)).first()
    if row is None:
        return DEFAULT_SETTINGS
    return MasterySettings(row.method, validate_params(row.method, row.params),
                           parse_bands(row.bands))


def write_settings(conn: sa.Connection, tenant_id: int, *, method: str,
                   params: Mapping[str, Any] | None = None,
                   bands: Sequence[Mapping[str, Any]] | None = None) -> MasterySettings:
    """Validate and store the tenant's settings (bands default to :data:`DEFAULT_BANDS`).
    Nothing is written when any part is wrong."""
    settings = MasterySettings(method, validate_params(method, params), parse_bands(bands))
    values = {"method": settings.method, "params": dict(settings.params) or None,
              "bands": [b.as_dict() for b in settings.bands], "updated_at": utcnow()}
    t = mastery_settings
    updated = conn.execute(t.update().where(t.c.tenant_id == tenant_id).values(**values))
    if updated.rowcount == 0:
        conn.execute(t.insert().values(tenant_id=tenant_id, **values))
    return settings
