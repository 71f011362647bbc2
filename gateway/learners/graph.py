"""The standards a tenant imported, as the learner views read them: items with their
subject and grade levels, and the importer's graph (:class:`gateway.standards.StandardsGraph`)
of prerequisites (``precedes``), children (``isChildOf``) and equals (``exactMatchOf``).

Every read of the standards by the learner views goes through here, and so does the one
spelling per subject: tools, SIS exports and CASE frameworks each name subjects their own
way, and comparing the raw strings would give a literacy tool's placement in ``reading``
no effect on the ``English Language Arts`` path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from gateway.standards import StandardsGraph
from gateway.standards.grades import grade_rank, normalize_grades
from gateway.store.learning_tables import standards, standards_frameworks

__all__ = ["Standard", "StandardsView", "load_standards", "same_subject", "subject_key"]


_ALIASES: dict[str, str] = {
    "math": "mathematics", "maths": "mathematics", "mathematics": "mathematics",
    "ela": "english language arts", "english": "english language arts",
    "english language arts": "english language arts", "english/language arts":
        "english language arts", "language arts": "english language arts",
    "reading": "english language arts", "literacy": "english language arts",
    "reading/language arts": "english language arts",
    "science": "science", "sci": "science",
    "social studies": "social studies", "history/social studies": "social studies",
}


def subject_key(name: str | None) -> str | None:
    """The comparable form of a subject name (lowercase, aliases folded); None for none."""
    if name is None:
        return None
    key = " ".join(name.replace("_", " ").split()).lower()
    if not key:
        return None
    return _ALIASES.get(key, key)


def same_subject(a: str | None, b: str | None) -> bool:
    key = subject_key(a)
    return key is not None and key == subject_key(b)


@dataclass(frozen=True, slots=True)
class Standard:
    identifier: str
    code: str | None
    statement: str
    subject: str | None
    """The item's subject, else its framework's."""
    grade_levels: tuple[str, ...]
    """CEDS codes in school order (``KG``, ``04``)."""
    list_order: int | None
    item_type: str | None

    @property
    def grade(self) -> str | None:
        """The lowest grade the item is for: where a multi-grade item sits on a path."""
        return self.grade_levels[0] if self.grade_levels else None

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        """Grade level, then the framework's list order, then the code: the path order."""
        rank = grade_rank(self.grade) if self.grade else grade_rank("")
        order = self.list_order if self.list_order is not None else 1 << 30
        return rank, order, self.code or "", self.identifier


@dataclass
class StandardsView:
    """A tenant's standards and the graph between them, read once per request."""

    items: dict[str, Standard] = field(default_factory=dict)
    graph: StandardsGraph = field(default_factory=StandardsGraph)
    _equals: dict[str, frozenset[str]] = field(default_factory=dict)

    def equivalents(self, identifier: str) -> frozenset[str]:
        """Items equal to ``identifier`` (``exactMatchOf``, transitively), itself excluded."""
        found = self._equals.get(identifier)
        if found is None:
            found = self._equals[identifier] = frozenset(self.graph.equivalents(identifier))
        return found

    def leaves(self, identifier: str) -> list[str]:
        """The items under ``identifier`` that have no children (itself, if it has none):
        what a learner actually works on when a cluster or domain is named."""
        if self.is_leaf(identifier):
            return [identifier] if identifier in self.items else []
        found = [i for i in self.graph.descendants(identifier)
                 if i in self.items and self.is_leaf(i)]
        return sorted(found, key=lambda i: self.items[i].sort_key)

    def is_leaf(self, identifier: str) -> bool:
        return not self.graph.children(identifier)

    def prerequisites_of(self, identifier: str) -> list[str]:
        """Direct prerequisites of the item or of an item equal to it, in path order."""
        found = {p for i in (identifier, *self.equivalents(identifier))
                 for p in self.graph.prerequisites(i) if p in self.items}
        found.discard(identifier)
        return sorted(found, key=lambda i: self.items[i].sort_key)

    def in_subject(self, subject: str | None) -> Iterable[Standard]:
        key = subject_key(subject)
        return (s for s in self.items.values() if key is None or subject_key(s.subject) == key)

    def subject_names(self) -> dict[str, str]:
        """subject key -> its most common spelling among the tenant's standards."""
        spellings: dict[str, Counter[str]] = {}
        for s in self.items.values():
            key = subject_key(s.subject)
            if key is not None and s.subject is not None:
                spellings.setdefault(key, Counter())[s.subject] += 1
        return {k: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                for k, c in spellings.items()}

    def by_code_or_identifier(self, value: str) -> Standard | None:
        if value in self.items:
            return self.items[value]
        matches = sorted((s for s in self.items.values() if s.code == value),
                         key=lambda s: s.sort_key)
        return matches[0] if matches else None


def load_standards(conn: sa.Connection, tenant_id: int) -> StandardsView:
    """Every standard of the tenant, and the graph between them."""
    view = StandardsView(graph=StandardsGraph.load(conn, tenant_id))
    query = (sa.select(standards.c.identifier, standards.c.code, standards.c.statement,
                       standards.c.subject, standards.c.grade_levels, standards.c.list_order,
                       standards.c.item_type, standards_frameworks.c.subject.label("fsubject"))
             .join(standards_frameworks, standards_frameworks.c.id == standards.c.framework_id)
             .where(standards.c.tenant_id == tenant_id))
    for row in conn.execute(query):
        grades, _ = normalize_grades(row.grade_levels)
        view.items[row.identifier] = Standard(
            identifier=row.identifier, code=row.code, statement=row.statement,
            subject=row.subject or row.fsubject, grade_levels=tuple(grades),
            list_order=row.list_order, item_type=row.item_type)
    return view
