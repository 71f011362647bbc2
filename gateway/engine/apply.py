"""Diffing one stream of one source against the store, and writing only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.abc import Batch, Mode
from gateway.engine.validate import BatchCheck, checker
from gateway.errors import Problem, SafeguardTripped
from gateway.store.sync import StreamIndex, SyncSession

__all__ = ["Samples", "StreamApply", "StreamCounts", "StreamResult"]

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


@dataclass(frozen=True, slots=True)
class StreamResult:
    """How a finished stream changed the set of active sourcedIds (for later references)."""

    active_ids: set[str] | None
    """Bulk: every active sourcedId of the stream now."""
    activated: set[str] = field(default_factory=set)
    """Delta: sourcedIds that became active (added or revived)."""
    deactivated: set[str] = field(default_factory=set)
    """sourcedIds that became ``tobedeleted`` in this run (delta deletions, bulk vanishings)."""


class StreamApply:
    """Validates, diffs and writes the batches of one stream from one source.

    Bulk streams load the stream's whole index (they must find what vanished); delta
    streams look up only the sourcedIds they carry, so a small delta stays small.
    """

    def __init__(self, session: SyncSession, check: BatchCheck, mode: Mode, *, write: bool,
                 max_delete_share: float, approve_deletions: bool,
                 connection: str = "CONNECTION") -> None:
        self.session = session
        self.connection = connection
        self.check = check
        self.stream = check.stream
        self.mode = mode
        self.index = session.index(self.stream) if mode is Mode.BULK else StreamIndex()
        self.write = write
        self.max_delete_share = max_delete_share
        self.approve_deletions = approve_deletions
        self.active_before = len(self.index.active)
        self.counts = StreamCounts()
        self.samples = Samples()
        self._updates: list[tuple[Any, ...]] = []
        self._deletes: list[str] = []
        self._activated: set[str] = set()
        self._deactivated: set[str] = set()
        self._check_rows = checker(self.stream)
        # A first load into an empty table (a new install): no indexes until the end.
        self._unindexed = (mode is Mode.BULK and write and not self.index.active
                           and not self.index.deleted and session.is_empty(self.stream))
        if self._unindexed:
            session.drop_indexes(self.stream)
        check.active = self.index.active
        check.deleted = self.index.deleted
        check.seen = _SEEN_ACTIVE

    @property
    def failing(self) -> bool:
        return bool(self.check.problems)

    def feed(self, batch: Batch) -> None:
        check, active, deleted = self.check, self.index.active, self.index.deleted
        if self.mode is Mode.DELTA:
            unknown = [r[0] for r in batch.rows if r[0] not in active and r[0] not in deleted]
            part = self.session.lookup(self.stream, unknown)
            active.update(part.active)
            deleted.update(part.deleted)
            self.index.foreign |= part.foreign
        before = len(check.inserts)
        rows = self._check_rows(batch.rows, batch.lines, check)
        if self.failing:
            # Invalid rows are already reported; keep diffing the valid ones so the run
            # reports every problem, but nothing is written once the run is failing.
            self.write = False
        for sid in check.invalid_ids:
            if active.get(sid) is not _SEEN_DELETED:
                active[sid] = _SEEN_ACTIVE
        check.invalid_ids.clear()
        counts, samples = self.counts, self.samples
        counts.unchanged += check.unchanged
        counts.added += len(check.inserts) - before
        check.unchanged = 0
        if self.mode is Mode.DELTA:
            self._activated.update(r[1] for r in check.inserts[before:])
        for row in check.inserts[before:before + SAMPLE_SIZE - len(samples.added)]:
            _sample(samples.added, samples, row[1], row)
        # What the checker could not settle alone: updates, revivals, deletions, duplicates.
        updates, deletes = self._updates, self._deletes
        for row in rows:
            sid, status, h = row[1], row[2], row[5]
            prev = active.get(sid)
            if prev is _SEEN_ACTIVE or prev is _SEEN_DELETED:
                self._duplicate(sid, batch)
                continue
            if status == "active":
                active[sid] = _SEEN_ACTIVE
                if prev is None:  # back from tobedeleted (new rows never get here)
                    del deleted[sid]
                    self._activated.add(sid)
                elif prev == h:
                    counts.unchanged += 1
                    continue
                updates.append(row)
                counts.updated += 1
                _sample(samples.updated, samples, sid, row)
            else:
                active[sid] = _SEEN_DELETED
                if prev is not None:
                    deletes.append(sid)
                    self._deactivated.add(sid)
                    counts.deleted += 1
                    _sample(samples.deleted, samples, sid, row)
                elif sid in deleted:
                    del deleted[sid]
                    counts.unchanged += 1
                else:
                    counts.skipped += 1
        if len(check.inserts) + len(updates) + len(deletes) >= FLUSH_ROWS:
            self._flush()

    def _duplicate(self, sid: str, batch: Batch) -> None:
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
            self.session.insert(self.stream, self.check.inserts)
            self.session.update(self.stream, self._updates)
            self.session.soft_delete(self.stream, self._deletes, now=self.check.now,
                                     version=self.check.version)
        self.check.inserts.clear()
        self._updates.clear()
        self._deletes.clear()

    def finish(self) -> StreamResult:
        """Apply what is left (bulk: soft-delete what vanished) and say what is active now."""
        active, foreign = self.index.active, self.index.foreign
        if self.mode is Mode.BULK:
            vanished = [sid for sid, v in active.items() if type(v) is int and sid not in foreign]
            self._guard(len(vanished))
            self._deletes.extend(vanished)
            self.counts.deleted += len(vanished)
            self.samples.deleted.extend(vanished[: SAMPLE_SIZE - len(self.samples.deleted)])
            result = StreamResult({sid for sid, v in active.items()
                                   if v is _SEEN_ACTIVE or (type(v) is int and sid in foreign)},
                                  deactivated=self._deactivated | set(vanished))
        else:
            result = StreamResult(None, self._activated, self._deactivated)
        self._flush()
        if self._unindexed:
            self.session.create_indexes(self.stream)
            self._unindexed = False
        self.index = StreamIndex()  # free the memory before the next stream
        self.check.active, self.check.deleted = {}, {}
        return result

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
                f"re-run with `harbor sync {self.connection} --approve-deletions` (or raise "
                f"HARBOR_MAX_DELETE_SHARE).",
                stream=self.stream, would_delete=would_delete, active=self.active_before,
            )


def _sample(kind: list[str], samples: Samples, sid: str, row: tuple[Any, ...]) -> None:
    if len(kind) < SAMPLE_SIZE:
        kind.append(sid)
        samples.new_rows[sid] = row


def sample_ids(samples: Samples) -> Sequence[str]:
    return [*samples.added, *samples.updated, *samples.deleted]
