"""Mastery as the learner views read it: the tenant's level bands (which levels count as
mastered, which one means struggling) and learners' mastery rows, folded over equal items.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.learners.graph import StandardsView
from gateway.mastery import read_settings
from gateway.store.learning_tables import mastery

__all__ = ["Bands", "MasteryCell", "bands_for", "best_of", "is_mastered",
           "mastery_of"]


@dataclass(frozen=True, slots=True)
class Bands:
    """Level names from lowest to highest, and the first that counts as mastered."""

    names: tuple[str, ...]
    mastered_from: str

    @property
    def mastered(self) -> frozenset[str]:
        return frozenset(self.names[self.names.index(self.mastered_from):])

    @property
    def lowest(self) -> str:
        """The band that flags a learner as struggling on a standard."""
        return self.names[0]

    def is_mastered(self, level: str | None) -> bool:
        return level is not None and level in self.mastered


def bands_for(conn: sa.Connection, tenant_id: int) -> Bands:
    """The tenant's bands, from its mastery settings (:mod:`gateway.mastery`)."""
    settings = read_settings(conn, tenant_id)
    mastered = [b.level for b in settings.bands if b.mastered]
    return Bands(tuple(b.level for b in settings.bands), mastered[0])


@dataclass(frozen=True, slots=True)
class MasteryCell:
    standard: str
    score: float
    level: str
    evidence_count: int
    last_evidence_at: str


def mastery_of(conn: sa.Connection, tenant_id: int,
               learners: Iterable[str]) -> dict[str, dict[str, MasteryCell]]:
    """learner -> standard -> their mastery row, for the given learners."""
    wanted = sorted(set(learners))
    out: dict[str, dict[str, MasteryCell]] = {u: {} for u in wanted}
    # Chunked so a big class stays under every driver's parameter limit.
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            sa.select(mastery.c.user_sourced_id, mastery.c.standard, mastery.c.score,
                      mastery.c.level, mastery.c.evidence_count, mastery.c.last_evidence_at)
            .where(mastery.c.tenant_id == tenant_id,
                   mastery.c.user_sourced_id.in_(wanted[start:start + 500])))
        for row in rows:
            out[row.user_sourced_id][row.standard] = MasteryCell(
                row.standard, row.score, row.level, row.evidence_count, row.last_evidence_at)
    return out


def best_of(cells: dict[str, MasteryCell], view: StandardsView,
            identifier: str) -> MasteryCell | None:
    """The learner's mastery of the item or of an item equal to it (the best score): a
    learner who mastered the state's copy of a Common Core item has mastered it."""
    found = [cells[i] for i in (identifier, *view.equivalents(identifier))
             if i in cells]
    return max(found, key=lambda c: (c.score, c.standard)) if found else None


def is_mastered(cells: dict[str, MasteryCell], view: StandardsView, bands: Bands,
                identifier: str) -> bool:
    """Mastered by its own (or an equal item's) level; an item without a row of its own is
    mastered when every item under it is (CASE ``isChildOf``)."""
    cell = best_of(cells, view, identifier)
    if cell is not None:
        return bands.is_mastered(cell.level)
    if view.is_leaf(identifier):
        return False
    leaves = view.leaves(identifier)
    return bool(leaves) and all(
        bands.is_mastered(cell.level) if (cell := best_of(cells, view, leaf)) else False
        for leaf in leaves)
