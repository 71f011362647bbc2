"""Grade conversion: how a mastery or activity score becomes the number an LMS shows.

A district chooses one for the whole tenant and may override it per course (the course's
OneRoster sourcedId), so every LMS it pushes to shows the same grade for the same mastery::

    {"kind": "percent", "maximum": 100}            # score 0.83 -> 83 of 100
    {"kind": "levels", "maximum": 100,             # a mastery level -> points
     "levels": {"beginning": 55, "approaching": 70, "meeting": 85, "exceeding": 100}}

``levels`` keys are level names of the tenant's mastery bands, or their 1-based positions,
lowest first (``"3": 85`` reads "level 3 of 4 is 85 of 100"). An activity score has no
level of its own: it takes the band its score falls in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gateway.clock import utcnow
from gateway.errors import ConfigError, SkippableRecordError
from gateway.mastery.settings import MasterySettings
from gateway.store.push_tables import grade_conversions

__all__ = ["DEFAULT_CONVERSION", "Conversion", "Conversions", "delete_conversion",
           "parse_conversion", "read_conversions", "write_conversion"]


class Conversion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["percent", "levels"] = "percent"
    maximum: float = Field(100.0, gt=0, le=100_000)
    """The LMS assignment's points possible."""
    levels: dict[str, float] = Field(default_factory=dict)
    decimals: int = Field(1, ge=0, le=4)

    @model_validator(mode="after")
    def _levels(self) -> Conversion:
        if self.kind == "levels" and not self.levels:
            raise ValueError("a 'levels' conversion needs 'levels': points for each mastery "
                             "level, e.g. {\"meeting\": 85}")
        if self.kind == "percent" and self.levels:
            raise ValueError("'levels' is only read by kind 'levels'; remove it or set kind "
                             "to 'levels'")
        for name, points in self.levels.items():
            if not 0 <= points <= self.maximum:
                raise ValueError(f"level {name!r} is worth {points:g} points, outside 0 to "
                                 f"the maximum {self.maximum:g}")
        return self

    def check_levels(self, settings: MasterySettings) -> None:
        """ConfigError unless every band of the tenant has points (by name or position)."""
        if self.kind != "levels":
            return
        names = [b.level for b in settings.bands]
        known = set(names) | {str(i) for i in range(1, len(names) + 1)}
        unknown = sorted(set(self.levels) - known)
        if unknown:
            raise ConfigError(f"grade conversion names level(s) {', '.join(unknown)}, which "
                              f"the tenant's mastery bands do not have (they are "
                              f"{', '.join(names)}, or 1 to {len(names)} by position)")
        missing = [n for i, n in enumerate(names, 1)
                   if n not in self.levels and str(i) not in self.levels]
        if missing:
            raise ConfigError(f"grade conversion gives no points for level(s) "
                              f"{', '.join(missing)}; add them so every learner gets a grade")

    def convert(self, score: float, level: str | None, settings: MasterySettings) -> float:
        """Points out of :attr:`maximum` for a normalized ``score`` (0..1) and its mastery
        ``level`` (None: the band the score falls in)."""
        if self.kind == "percent":
            return round(max(0.0, min(1.0, score)) * self.maximum, self.decimals)
        level = level or settings.level(score)
        points = self.levels.get(level)
        if points is None:
            names = [b.level for b in settings.bands]
            position = names.index(level) + 1 if level in names else None
            points = self.levels.get(str(position)) if position is not None else None
        if points is None:
            raise SkippableRecordError(f"the grade conversion gives no points for mastery "
                                       f"level {level!r}; add it to the conversion")
        return round(points, self.decimals)


DEFAULT_CONVERSION = Conversion()


def parse_conversion(raw: Mapping[str, Any], where: str = "grade conversion") -> Conversion:
    """A Conversion from JSON, or ConfigError naming the field and what it must be."""
    try:
        return Conversion.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(the object)"
        raise ConfigError(f"{where}: {field}: {first['msg']}") from None


class Conversions:
    """A tenant's conversions: the default and per-course overrides."""

    def __init__(self, default: Conversion, courses: Mapping[str, Conversion]) -> None:
        self.default = default
        self.courses = dict(courses)

    def for_course(self, course_sourced_id: str | None) -> Conversion:
        if course_sourced_id is not None and course_sourced_id in self.courses:
            return self.courses[course_sourced_id]
        return self.default

    def as_public(self) -> dict[str, Any]:
        return {"default": self.default.model_dump(),
                "courses": {k: v.model_dump() for k, v in sorted(self.courses.items())}}


def read_conversions(conn: sa.Connection, tenant_id: int) -> Conversions:
    t = grade_conversions
    default, courses = DEFAULT_CONVERSION, {}
    for row in conn.execute(sa.select(t.c.course_sourced_id, t.c.spec)
                            .where(t.c.tenant_id == tenant_id)):
        conversion = parse_conversion(row.spec, f"stored conversion {row.course_sourced_id!r}")
        if row.course_sourced_id == "":
            default = conversion
        else:
            courses[row.course_sourced_id] = conversion
    return Conversions(default, courses)


def write_conversion(conn: sa.Connection, tenant_id: int, course_sourced_id: str | None,
                     conversion: Conversion, *, by: str | None = None) -> None:
    """Set the tenant's default (``course_sourced_id`` None) or a course's conversion."""
    t = grade_conversions
    course = course_sourced_id or ""
    values = {"spec": conversion.model_dump(), "updated_at": utcnow(), "updated_by": by}
    done = conn.execute(t.update().where(t.c.tenant_id == tenant_id,
                                         t.c.course_sourced_id == course).values(**values))
    if done.rowcount == 0:
        conn.execute(t.insert().values(tenant_id=tenant_id, course_sourced_id=course, **values))


def delete_conversion(conn: sa.Connection, tenant_id: int, course_sourced_id: str | None) -> bool:
    """Remove a course override (or reset the default); True if there was one."""
    t = grade_conversions
    done = conn.execute(t.delete().where(t.c.tenant_id == tenant_id,
                                         t.c.course_sourced_id == (course_sourced_id or "")))
    return bool(done.rowcount)
