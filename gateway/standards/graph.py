"""The standards graph of a tenant: prerequisites (``precedes``), the outline (``isChildOf``)
and equal items across frameworks (``exactMatchOf``).

CASE reads every association as "origin <type> destination": origin ``precedes``
destination makes the origin a prerequisite of the destination; origin ``isChildOf``
destination makes the destination its parent (a top-level item is a child of its
CFDocument, which is not a standard, so it has no parent here).

:class:`StandardsGraph` reads a tenant's whole graph once (three columns per edge), for
callers that walk it per learner; the module functions answer one question with one
indexed query.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from gateway.store.learning_tables import standard_associations, standards, standards_frameworks

__all__ = ["CHILD_OF", "EXACT_MATCH", "PRECEDES", "StandardsGraph", "children",
           "equivalents", "parent", "prerequisites", "unlocks"]

PRECEDES, CHILD_OF, EXACT_MATCH = "precedes", "isChildOf", "exactMatchOf"
_TYPES = (PRECEDES, CHILD_OF, EXACT_MATCH)
_BIG = 1 << 30  # sorts edges without a sequence after those with one


@dataclass(slots=True)
class StandardsGraph:
    """The edges of one tenant's frameworks, indexed both ways. Built by :meth:`load`;
    every answer is a list of standard identifiers in outline order."""

    documents: set[str] = field(default_factory=set)
    """CFDocument identifiers (the roots of the outlines)."""
    _prereqs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _unlocks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _parent: dict[str, str] = field(default_factory=dict)
    _matches: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def load(cls, conn: sa.Connection, tenant_id: int) -> StandardsGraph:
        a, s = standard_associations, standards
        graph = cls()
        graph.documents = set(conn.execute(sa.select(standards_frameworks.c.identifier).where(
            standards_frameworks.c.tenant_id == tenant_id)).scalars())
        order: dict[str, int | None] = dict(conn.execute(
            sa.select(s.c.identifier, s.c.list_order).where(s.c.tenant_id == tenant_id)).all())
        rows = conn.execute(sa.select(a.c.association_type, a.c.origin, a.c.destination,
                                      a.c.sequence)
                            .where(a.c.tenant_id == tenant_id, a.c.association_type.in_(_TYPES))
                            .order_by(a.c.id)).all()

        def rank(sequence: int | None, identifier: str) -> tuple[int, int, str]:
            position = order.get(identifier)
            return (sequence if sequence is not None else _BIG,
                    position if position is not None else _BIG, identifier)

        edges: dict[str, list[tuple[tuple[int, int, str], str, str]]] = defaultdict(list)
        for kind, origin, destination, sequence in rows:
            if kind == EXACT_MATCH:
                graph._matches[origin].add(destination)
                graph._matches[destination].add(origin)
            elif kind == PRECEDES:
                edges["prereqs"].append((rank(sequence, origin), destination, origin))
                edges["unlocks"].append((rank(sequence, destination), origin, destination))
            else:
                edges["children"].append((rank(sequence, origin), destination, origin))
                if destination not in graph.documents:
                    graph._parent.setdefault(origin, destination)
        for name, target in (("prereqs", graph._prereqs), ("unlocks", graph._unlocks),
                             ("children", graph._children)):
            for _, key, value in sorted(edges[name]):
                if value not in target[key]:
                    target[key].append(value)
        return graph

    def prerequisites(self, identifier: str, *, transitive: bool = False) -> list[str]:
        """What must come before ``identifier`` (origins of ``precedes`` edges into it);
        with ``transitive``, their prerequisites too, nearest first."""
        return (self._walk(self._prereqs, identifier) if transitive
                else list(self._prereqs.get(identifier, ())))

    def unlocks(self, identifier: str) -> list[str]:
        """What ``identifier`` is a prerequisite of."""
        return list(self._unlocks.get(identifier, ()))

    def children(self, identifier: str) -> list[str]:
        """The items under ``identifier`` (a standard, or a CFDocument for its top level)."""
        return list(self._children.get(identifier, ()))

    def descendants(self, identifier: str) -> list[str]:
        """Everything under ``identifier``, breadth first."""
        return self._walk(self._children, identifier)

    def parent(self, identifier: str) -> str | None:
        """The item ``identifier`` is a child of; None at the top of a framework."""
        return self._parent.get(identifier)

    def ancestors(self, identifier: str) -> list[str]:
        """Parent, grandparent, ... up to the top of the framework."""
        out: list[str] = []
        current = self._parent.get(identifier)
        while current is not None and current not in out:
            out.append(current)
            current = self._parent.get(current)
        return out

    def equivalents(self, identifier: str) -> list[str]:
        """Items equal to ``identifier`` through ``exactMatchOf`` in either direction, and
        their equals in turn (in other frameworks too), without ``identifier`` itself."""
        seen = {identifier}
        queue = deque([identifier])
        while queue:
            for other in self._matches.get(queue.popleft(), ()):
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
        seen.discard(identifier)
        return sorted(seen)

    @staticmethod
    def _walk(edges: dict[str, list[str]], start: str) -> list[str]:
        out: list[str] = []
        seen = {start}
        queue = deque(edges.get(start, ()))
        while queue:
            current = queue.popleft()
            if current in seen:
                continue  # frameworks are meant to be acyclic; a cycle must not hang us
            seen.add(current)
            out.append(current)
            queue.extend(edges.get(current, ()))
        return out


def _ordered(conn: sa.Connection, tenant_id: int, kind: str, match: str,
             want: str, identifier: str) -> list[str]:
    a, s = standard_associations, standards
    query = (sa.select(a.c[want]).outerjoin(s, sa.and_(s.c.tenant_id == a.c.tenant_id,
                                                     s.c.identifier == a.c[want]))
             .where(a.c.tenant_id == tenant_id, a.c.association_type == kind,
                    a.c[match] == identifier)
             .order_by(a.c.sequence.is_(None), a.c.sequence, s.c.list_order.is_(None),
                       s.c.list_order, a.c[want]))
    return list(dict.fromkeys(conn.execute(query).scalars()))


def prerequisites(conn: sa.Connection, tenant_id: int, standard_identifier: str) -> list[str]:
    """The direct prerequisites of a standard (origins of ``precedes`` into it)."""
    return _ordered(conn, tenant_id, PRECEDES, "destination", "origin", standard_identifier)


def unlocks(conn: sa.Connection, tenant_id: int, standard_identifier: str) -> list[str]:
    """What the standard is a direct prerequisite of (destinations of its ``precedes``)."""
    return _ordered(conn, tenant_id, PRECEDES, "origin", "destination", standard_identifier)


def children(conn: sa.Connection, tenant_id: int, standard_identifier: str) -> list[str]:
    """The items that are ``isChildOf`` the standard, in outline order."""
    return _ordered(conn, tenant_id, CHILD_OF, "destination", "origin", standard_identifier)


def parent(conn: sa.Connection, tenant_id: int, standard_identifier: str) -> str | None:
    """The item the standard is ``isChildOf``; None at the top of its framework."""
    found = _ordered(conn, tenant_id, CHILD_OF, "origin", "destination", standard_identifier)
    if not found:
        return None
    documents = set(conn.execute(sa.select(standards_frameworks.c.identifier).where(
        standards_frameworks.c.tenant_id == tenant_id,
        standards_frameworks.c.identifier.in_(found))).scalars())
    return next((f for f in found if f not in documents), None)


def equivalents(conn: sa.Connection, tenant_id: int, standard_identifier: str) -> list[str]:
    """Items ``exactMatchOf`` the standard in either direction, followed transitively."""
    a = standard_associations
    seen = {standard_identifier}
    frontier: Iterable[str] = [standard_identifier]
    while frontier:
        batch = list(frontier)
        query = sa.select(a.c.origin, a.c.destination).where(
            a.c.tenant_id == tenant_id, a.c.association_type == EXACT_MATCH,
            sa.or_(a.c.origin.in_(batch), a.c.destination.in_(batch)))
        found = {x for row in conn.execute(query) for x in row} - seen
        seen |= found
        frontier = found
    seen.discard(standard_identifier)
    return sorted(seen)
