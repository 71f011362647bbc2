"""Diffing one stream of one source against the store, and writing only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.abc import Batch, Mode
from gateway.engine.validate import BatchCheck, checker
from gateway.errors import Problem, SafeguardTripped
from gateway.store.sync import StreamIndex, SyncSession

__all__ = ["Samples", "StreamApply", "StreamCounts"]

FLUSH_ROWS = 20_000
SAMPLE_SIZE = 3

# Markers that replace an index entry's hash once the pull has produced that sourcedId.
_SEEN_ACTIVE: Any = object()
_SEEN_DELETED: Any = object()


@dataclass(slots=True)
class StreamCounts:
    """Outcome per record of one stream in a run."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    """Rows that became ``tobedeleted`` (a delta's delete, or gone from a bulk file)."""
    skipped: int = 0
    """Rows needing no action: a delta deleting a record the store never had."""

    def add(self, other: StreamCounts) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.skipped += other.skipped

    @property
    def writes(self) -> int:
        return self.added + self.updated + self.deleted

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "skipped": self.skipped}


@dataclass(slots=True)
class Samples:
    """A few examples of each kind of change, so a dry run can show what it would do."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    new_rows: dict[str, tuple[Any, ...]] = field(default_factory=dict)


class StreamApply:
    """Validates, diffs and writes the batches of one stream from one source."""

    def __init__(self, session: SyncSession, check: BatchCheck, mode: Mode, index: StreamIndex,
                 *, write: bool, max_delete_share: float, approve_deletions: bool) -> None:
        self.session = session
        self.check = check
        self.stream = check.stream
        self.mode = mode
        self.index = index
        self.write = write
        self.max_delete_share = max_delete_share
        self.approve_deletions = approve_deletions
        self.active_before = len(index.active)
        self.counts = StreamCounts()
        self.samples = Samples()
        self._inserts: list[tuple[Any, ...]] = []
        self._updates: list[tuple[Any, ...]] = []
        self._deletes: list[str] = []
        self._check_rows = checker(self.stream)

    @property
    def failing(self) -> bool:
        return bool(self.check.problems)

    def feed(self, batch: Batch) -> None:
        rows = self._check_rows(batch.rows, batch.lines, self.check)
        if len(rows) != len(batch.rows) or self.failing:
            # Invalid rows are already reported; keep diffing the valid ones so the run
            # reports every problem, but nothing is written once the run is failing.
            self.write = False
        active, deleted = self.index.active, self.index.deleted
        if self.check.invalid_ids:
            for sid in self.check.invalid_ids:
                if active.get(sid) is not _SEEN_DELETED:
                    active[sid] = _SEEN_ACTIVE
            self.check.invalid_ids.clear()
        counts, samples = self.counts, self.samples
        inserts, updates, deletes = self._inserts, self._updates, self._deletes
        for row in rows:
            sid, status, h = row[1], row[2], row[5]
            prev = active.get(sid)
            if prev is _SEEN_ACTIVE or prev is _SEEN_DELETED:
                self._duplicate(sid, batch, row)
                continue
            if status == "active":
                active[sid] = _SEEN_ACTIVE
                if prev is None:
                    if sid in deleted:  # back from tobedeleted
                        del deleted[sid]
                        updates.append(row)
                        counts.updated += 1
                        _sample(samples.updated, samples, sid, row)
                    else:
                        inserts.append(row)
                        counts.added += 1
                        _sample(samples.added, samples, sid, row)
                elif prev == h:
                    counts.unchanged += 1
                else:
                    updates.append(row)
                    counts.updated += 1
                    _sample(samples.updated, samples, sid, row)
            else:  # a delta (or bulk) row saying tobedeleted
                active[sid] = _SEEN_DELETED
                if prev is not None:
                    deletes.append(sid)
                    counts.deleted += 1
                    _sample(samples.deleted, samples, sid, row)
                elif sid in deleted:
                    del deleted[sid]
                    counts.unchanged += 1
                else:
                    counts.skipped += 1
        if len(inserts) + len(updates) + len(deletes) >= FLUSH_ROWS:
            self._flush()

    def _duplicate(self, sid: str, batch: Batch, row: tuple[Any, ...]) -> None:
        line = next((ln for r, ln in zip(batch.rows, batch.lines, strict=True) if r[0] == sid),
                    None)
        self.check.problems.add(Problem(
            batch.source, line, "sourcedId",
            f"sourcedId {sid!r} appears more than once; each record must have a unique "
            f"sourcedId (remove or merge the repeated row)",
        ))
        self.write = False

    def _flush(self) -> None:
        if self.write:
            self.session.insert(self.stream, self._inserts)
            self.session.update(self.stream, self._updates)
            self.session.soft_delete(self.stream, self._deletes, now=self.check.now,
                                     version=self.check.version)
        self._inserts.clear()
        self._updates.clear()
        self._deletes.clear()

    def finish(self) -> set[str]:
        """Apply what is left (bulk: soft-delete what vanished) and return the active ids."""
        active, foreign = self.index.active, self.index.foreign
        if self.mode is Mode.BULK:
            vanished = [sid for sid, v in active.items() if type(v) is int and sid not in foreign]
            self._guard(len(vanished))
            self._deletes.extend(vanished)
            self.counts.deleted += len(vanished)
            self.samples.deleted.extend(vanished[: SAMPLE_SIZE - len(self.samples.deleted)])
            ids = {sid for sid, v in active.items()
                   if v is _SEEN_ACTIVE or (type(v) is int and sid in foreign)}
        else:
            ids = {sid for sid, v in active.items() if v is _SEEN_ACTIVE or type(v) is int}
        self._flush()
        self.index = StreamIndex()  # free the memory before the next stream
        return ids

    def _guard(self, would_delete: int) -> None:
        if not would_delete or self.approve_deletions or self.failing:
            return
        share = would_delete / self.active_before if self.active_before else 1.0
        if share > self.max_delete_share:
            raise SafeguardTripped(
                f"{self.check.source}: this bulk file would soft-delete {would_delete:,} of "
                f"{self.active_before:,} active {self.stream} ({share:.0%}), more than the "
                f"{self.max_delete_share:.0%} safeguard allows. Nothing was applied. If the "
                f"export is truncated, fix it and sync again; if the deletions are intended, "
                f"re-run with `harbor sync CONNECTION --approve-deletions` (or raise "
                f"HARBOR_MAX_DELETE_SHARE).",
                stream=self.stream, would_delete=would_delete, active=self.active_before,
            )


def _sample(kind: list[str], samples: Samples, sid: str, row: tuple[Any, ...]) -> None:
    if len(kind) < SAMPLE_SIZE:
        kind.append(sid)
        samples.new_rows[sid] = row


def sample_ids(samples: Samples) -> Sequence[str]:
    return [*samples.added, *samples.updated, *samples.deleted]
