"""The learning path: the next standards a learner should work on, per subject.

Meet learners where they are (a grade-8 student may need grade-4 content) and let them
advance at their own pace:

1. **Start.** The learner's roster grade (the lowest of ``users.grades``), or the grade a
   tool placed them at in the subject when that is lower (the lowest such placement).
2. **Targets.** At the start grade, every leaf standard of the subject (an item without
   ``isChildOf`` children) for that grade that the learner has not mastered: no mastery
   row, or a level below the mastered bands. An item equal to one already on the path
   (``exactMatchOf``) is not repeated, and mastery of an equal item counts.
3. **Prerequisites.** From each target, follow ``precedes`` backwards (the origin is a
   prerequisite of the destination), downward to any grade: an unmastered prerequisite
   goes on the path before what it is a prerequisite of and is walked further; a
   mastered one ends the walk there. A prerequisite that is a cluster stands for its
   unmastered leaves.
4. **Order.** Each grade's batch (its targets and their prerequisites) is ordered so that
   every prerequisite comes before what needs it, ties broken by grade level, then the
   framework's list order, then the code: the path starts from the earliest unmastered
   prerequisite. When a grade's batch is done and the limit is not reached, the next grade
   up follows (towards grade level, and beyond it: learners advance at their own pace).
5. **Why.** Every entry says why it is there: ``prerequisite`` (of which entries),
   ``placement`` (below grade level because a tool placed them lower), ``grade_level``, or
   ``ahead`` (above grade level: the grades below are on the path before it).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.learners.graph import Standard, StandardsView, load_standards, subject_key
from gateway.learners.levels import Bands, MasteryCell, bands_for, best_of, is_mastered, mastery_of
from gateway.learners.observations import Placement, lowest_placement, placements_of
from gateway.learners.roster import LearnerFacts
from gateway.standards.grades import GRADE_ORDER, grade_rank

__all__ = ["PathEntry", "Reason", "SubjectPath", "learning_path"]

Reason = Literal["prerequisite", "placement", "grade_level", "ahead"]


@dataclass(frozen=True, slots=True)
class PathEntry:
    standard: Standard
    reason: Reason
    why: str
    """The reason in words, for a teacher."""
    prerequisite_of: tuple[str, ...]
    """Identifiers of the entries (later on the path) this one is a prerequisite of."""
    mastery: MasteryCell | None


@dataclass
class SubjectPath:
    subject: str
    grade: str | None
    """The learner's roster grade."""
    start_grade: str
    placement: Placement | None
    """The placement that lowered the start, if one did."""
    entries: list[PathEntry] = field(default_factory=list)
    more: bool = False
    """True when the limit cut the path short."""


@dataclass
class _Planner:
    view: StandardsView
    bands: Bands
    cells: dict[str, MasteryCell]
    learner: LearnerFacts
    on_path: set[str] = field(default_factory=set)
    """Identifiers on the path so far, with their equal items."""

    def mastered(self, identifier: str) -> bool:
        return is_mastered(self.cells, self.view, self.bands, identifier)

    def taken(self, identifier: str) -> bool:
        return identifier in self.on_path

    def take(self, identifier: str) -> None:
        self.on_path.add(identifier)
        self.on_path.update(self.view.equivalents(identifier))

    def batch(self, targets: list[str]) -> tuple[list[str], dict[str, list[str]]]:
        """The targets and their unmastered prerequisites, prerequisites first, and for
        each entry the entries it is a prerequisite of."""
        needs: dict[str, set[str]] = {t: set() for t in targets}  # entry -> its prereqs
        stack = list(reversed(targets))
        walked: set[str] = set()
        while stack:
            node = stack.pop()
            if node in walked:
                continue
            walked.add(node)
            for prereq in self.view.prerequisites_of(node):
                for found in self._unmastered_leaves(prereq):
                    # An item equal to one already in the batch is that one.
                    leaf = next((e for e in self.view.equivalents(found) if e in needs), found)
                    if self.taken(leaf) or leaf == node:
                        continue  # on the path already, earlier
                    needs.setdefault(leaf, set())
                    needs[node].add(leaf)
                    stack.append(leaf)
        return self._ordered(needs), _invert(needs)

    def _unmastered_leaves(self, identifier: str) -> list[str]:
        if self.mastered(identifier):
            return []
        if self.view.is_leaf(identifier):
            return [identifier]
        return [leaf for leaf in self.view.leaves(identifier) if not self.mastered(leaf)]

    def _ordered(self, needs: dict[str, set[str]]) -> list[str]:
        """Prerequisites before what needs them; ties (and cycles in bad data) by the
        path order of the standards."""
        waiting = {n: len(p) for n, p in needs.items()}
        unlocks = _invert(needs)
        key = {n: self.view.items[n].sort_key for n in needs}
        ready = [(key[n], n) for n, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        out: list[str] = []
        done: set[str] = set()
        while len(out) < len(needs):
            if not ready:  # a cycle: let its earliest member go first
                rest = min((key[n], n) for n in needs if waiting[n] > 0)
                waiting[rest[1]] = 0
                ready.append(rest)
            _, node = heapq.heappop(ready)
            if node in done:
                continue
            done.add(node)
            out.append(node)
            for later in unlocks.get(node, ()):
                waiting[later] -= 1
                if waiting[later] == 0:
                    heapq.heappush(ready, (key[later], later))
        return out


def _invert(needs: dict[str, set[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node, prereqs in needs.items():
        for prereq in prereqs:
            out.setdefault(prereq, []).append(node)
    return {k: sorted(v) for k, v in out.items()}


def learning_path(conn: sa.Connection, tenant_id: int, learner: LearnerFacts, *,
                  subject: str | None = None, limit: int = 10) -> list[SubjectPath]:
    """The learner's path in ``subject``, or in every subject the tenant has standards
    for (those it can start in); at most ``limit`` entries each. ConfigError when nothing
    says where to start."""
    view = load_standards(conn, tenant_id)
    names = view.subject_names()
    if subject is not None:
        key = subject_key(subject)
        if key not in names:
            known = ", ".join(sorted(names.values())) or "none: import a CASE framework first"
            raise ConfigError(f"no standards in subject {subject!r} for this tenant; "
                              f"subjects with standards: {known}")
        names = {key: names[key]}
    planner = _Planner(view, bands_for(conn, tenant_id),
                       mastery_of(conn, tenant_id, [learner.sourced_id])[learner.sourced_id],
                       learner)
    placed = placements_of(conn, tenant_id, [learner.sourced_id]).get(learner.sourced_id, [])
    paths: list[SubjectPath] = []
    unplaced: ConfigError | None = None
    for _, name in sorted(names.items()):
        try:
            paths.append(_subject_path(planner, name, placed, limit))
        except ConfigError as exc:
            # Without a roster grade only the subjects a tool placed the learner in have
            # a start; the others are left out, unless none is left.
            unplaced = unplaced or exc
    if unplaced is not None and not paths:
        raise unplaced
    return paths


def _subject_path(planner: _Planner, subject: str, placed: list[Placement],
                  limit: int) -> SubjectPath:
    learner = planner.learner
    placement = lowest_placement(placed, subject)
    if placement is not None and placement.grade_level is not None and (
            learner.grade is None
            or grade_rank(placement.grade_level) < grade_rank(learner.grade)):
        start = placement.grade_level
    elif learner.grade is not None:
        start, placement = learner.grade, None
    else:
        raise ConfigError(
            f"learner {learner.sourced_id} has no grade in the roster (users.grades) and no "
            f"tool placed them in {subject}, so the path has nowhere to start; fix the grade "
            f"in the SIS or connect a tool that reports placements")
    path = SubjectPath(subject, learner.grade, start, placement)
    leaves = sorted((s for s in planner.view.in_subject(subject)
                     if planner.view.is_leaf(s.identifier)), key=lambda s: s.sort_key)
    planner.on_path.clear()
    for level in GRADE_ORDER[grade_rank(start):]:
        targets: list[Standard] = []
        chosen: set[str] = set()
        for s in leaves:
            if (level in s.grade_levels and s.identifier not in chosen
                    and not planner.taken(s.identifier)
                    and not planner.mastered(s.identifier)):
                targets.append(s)  # the first of equal items stands for them all
                chosen.add(s.identifier)
                chosen.update(planner.view.equivalents(s.identifier))
        if not targets:
            continue
        wanted = {t.identifier for t in targets}
        order, needed_by = planner.batch([t.identifier for t in targets])
        for identifier in order:
            planner.take(identifier)
            path.entries.append(_entry(planner, path, level, identifier,
                                       needed_by.get(identifier, []),
                                       target=identifier in wanted))
        if len(path.entries) > limit:
            break
    path.more = len(path.entries) > limit
    del path.entries[limit:]
    return path


def _entry(planner: _Planner, path: SubjectPath, level: str, identifier: str,
           needed_by: list[str], *, target: bool) -> PathEntry:
    view = planner.view
    standard = view.items[identifier]
    cell = best_of(planner.cells, view, identifier)
    state = f"not mastered yet ({cell.level})" if cell else "no evidence yet"
    names = ", ".join(view.items[n].code or n for n in needed_by)
    if not target:
        below = (" (below grade level)" if path.grade and standard.grade
                 and grade_rank(standard.grade) < grade_rank(path.grade) else "")
        return PathEntry(standard, "prerequisite",
                         f"prerequisite of {names}{below}; {state}", tuple(needed_by), cell)
    if names:
        state += f"; also a prerequisite of {names}"
    placement = path.placement
    reason: Reason
    if placement is not None and (path.grade is None
                                  or grade_rank(level) < grade_rank(path.grade)):
        reason = "placement"
        why = (f"below grade level: {placement.system} placed the learner at grade "
               f"{placement.grade_level} in {placement.subject}")
        if path.grade is None:
            why = (f"no grade in the roster; {placement.system} placed the learner at grade "
                   f"{placement.grade_level} in {placement.subject}")
    elif level == path.grade:
        reason, why = "grade_level", f"at grade level ({level})"
    else:
        reason, why = "ahead", f"above grade level ({level}): the next grade up"
    return PathEntry(standard, reason, f"{why}; {state}", tuple(needed_by), cell)
