"""A learner's profile: roster facts, mastery summary by subject and grade level, tool
placements, interventions received, and what the learner (or a teacher) said of them
(interests, aspirations, goals, languages), which is the one part edited here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.assessments.growth import GrowthResult, growth_of
from gateway.clock import utcnow
from gateway.learners.graph import StandardsView, load_standards, subject_key
from gateway.learners.levels import Bands, MasteryCell, bands_for, mastery_of
from gateway.learners.observations import Intervention, Placement, interventions_of, placements_of
from gateway.learners.roster import ClassFacts, LearnerFacts, classes_of, org_names
from gateway.standards.grades import grade_rank
from gateway.store.learning_tables import learner_profiles

__all__ = ["EDITABLE", "LearnerProfile", "LevelCounts", "SubjectSummary", "learner_profile",
           "save_profile"]

EDITABLE = ("interests", "aspirations", "goals", "languages")
RECENT_INTERVENTIONS = 20


@dataclass
class LevelCounts:
    """Mastery rows per level band, and how many of them are mastered."""

    levels: dict[str, int]
    assessed: int = 0
    mastered: int = 0

    @property
    def share_mastered(self) -> float | None:
        """Mastered among the standards with a mastery row (None when there are none)."""
        return round(self.mastered / self.assessed, 4) if self.assessed else None

    def add(self, level: str, bands: Bands) -> None:
        self.levels[level] = self.levels.get(level, 0) + 1
        self.assessed += 1
        self.mastered += bands.is_mastered(level)


@dataclass
class SubjectSummary:
    subject: str | None
    counts: LevelCounts
    by_grade: dict[str | None, LevelCounts] = field(default_factory=dict)
    """Standard grade level (its lowest, for multi-grade items) -> counts, in school order."""


@dataclass
class LearnerProfile:
    learner: LearnerFacts
    school_name: str | None
    classes: list[ClassFacts]
    mastery: list[SubjectSummary]
    placements: list[Placement]
    interventions: list[Intervention]
    """The most recent ones, newest first."""
    intervention_total: int
    standard_codes: dict[str, str]
    """Codes of the standards the interventions name."""
    fields: dict[str, Any]
    """interests, aspirations, goals, languages (each a list or None)."""
    updated_at: str | None
    updated_by: str | None
    growth: list[GrowthResult] = field(default_factory=list)
    """Years of growth per year, newest school year first (gateway.assessments)."""


def learner_profile(conn: sa.Connection, tenant_id: int, learner: LearnerFacts) -> LearnerProfile:
    view = load_standards(conn, tenant_id)
    bands = bands_for(conn, tenant_id)
    uid = learner.sourced_id
    schools = org_names(conn, tenant_id, {learner.school} if learner.school else set())
    given = interventions_of(conn, tenant_id, [uid]).get(uid, [])
    recent = given[:RECENT_INTERVENTIONS]
    row = conn.execute(sa.select(learner_profiles).where(
        learner_profiles.c.tenant_id == tenant_id,
        learner_profiles.c.user_sourced_id == uid)).mappings().first()
    return LearnerProfile(
        learner=learner, school_name=schools.get(learner.school or ""),
        classes=classes_of(conn, tenant_id, uid),
        mastery=summarize(mastery_of(conn, tenant_id, [uid])[uid], view, bands),
        placements=placements_of(conn, tenant_id, [uid]).get(uid, []),
        interventions=recent, intervention_total=len(given),
        standard_codes={i.standard: code for i in recent if i.standard
                        and (code := _code(view, i.standard))},
        fields={f: row[f] if row else None for f in EDITABLE},
        updated_at=row["updated_at"] if row else None,
        updated_by=row["updated_by"] if row else None,
        growth=growth_of(conn, tenant_id, [uid]))


def _code(view: StandardsView, identifier: str) -> str | None:
    standard = view.items.get(identifier)
    return standard.code if standard else None


def summarize(cells: Mapping[str, MasteryCell], view: StandardsView,
              bands: Bands) -> list[SubjectSummary]:
    """Counts per subject (spellings folded, see :func:`gateway.learners.graph.subject_key`)
    and per standard grade level. A learner with rows for two equal items (``exactMatchOf``)
    counts once, at the better one; rows for standards the tenant does not have (any more)
    are left out."""
    best: dict[str, MasteryCell] = {}
    for identifier, cell in cells.items():
        if identifier not in view.items:
            continue
        group = min({identifier, *view.equivalents(identifier)})
        if group not in best or (cell.score, cell.standard) > (best[group].score,
                                                               best[group].standard):
            best[group] = cell
    names = view.subject_names()
    subjects: dict[str | None, SubjectSummary] = {}
    for cell in best.values():
        standard = view.items[cell.standard]
        key = subject_key(standard.subject)  # "Math" and "Mathematics" are one subject
        summary = subjects.setdefault(key, SubjectSummary(
            names.get(key or ""), LevelCounts(dict.fromkeys(bands.names, 0))))
        summary.counts.add(cell.level, bands)
        summary.by_grade.setdefault(standard.grade, LevelCounts(
            dict.fromkeys(bands.names, 0))).add(cell.level, bands)
    for summary in subjects.values():
        summary.by_grade = dict(sorted(summary.by_grade.items(),
                                       key=lambda kv: grade_rank(kv[0] or "")))
    return sorted(subjects.values(), key=lambda s: (s.subject is None, s.subject or ""))


def save_profile(conn: sa.Connection, tenant_id: int, sourced_id: str,
                 changes: Mapping[str, Any], updated_by: str) -> None:
    """Replace the given fields (a list, or None to clear); the others keep their values."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = {**changes, "updated_at": utcnow(), "updated_by": updated_by}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # One statement, so two teachers saving at once cannot both insert the first row.
    conn.execute(dialect.insert(learner_profiles)
                 .values(tenant_id=tenant_id, user_sourced_id=sourced_id, **values)
                 .on_conflict_do_update(index_elements=["tenant_id", "user_sourced_id"],
                                        set_=values))
