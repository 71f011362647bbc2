"""Skipping sources that have not changed since they were last applied.

A connector may give each stream's source a digest (a file's content hash). The engine
remembers, per connection and stream, the digest it last applied and the stream's newest
change version afterwards. When the same digest comes again, the stream's rows in the store
are exactly what that source would produce, unless something else wrote them since (the
version moved) or a stream they reference lost records in this run (their references must
be checked again). Otherwise reading, checking and diffing the whole file can be skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from gateway.abc import Batch, Mode
from gateway.engine.validate import ref_columns
from gateway.store.sync import SyncSession

__all__ = ["Marks"]


class Marks:
    """The marks of one connection during one run: decides skips, collects new marks."""

    def __init__(self, session: SyncSession, previous: Mapping[str, Mapping[str, Any]] | None,
                 *, enabled: bool) -> None:
        self.session = session
        self.previous = dict(previous or {})
        self.enabled = enabled
        self.digests: dict[str, str] = {}
        self.skipped: list[str] = []

    def can_skip(self, batch: Batch, deactivated: Mapping[str, Set[str]]) -> bool:
        """True when ``batch`` (a stream's first, with a digest) need not be read."""
        if batch.digest is None:
            return False
        self.digests[batch.stream] = batch.digest
        mark = self.previous.get(batch.stream)
        if not (self.enabled and batch.mode is Mode.BULK and mark
                and mark.get("digest") == batch.digest):
            return False
        if any(deactivated.get(col.ref or "") for _, col in ref_columns(batch.stream)):
            return False
        return self.session.max_version(batch.stream) == mark.get("version")

    def current(self) -> dict[str, dict[str, Any]]:
        """Marks to save with a successful run: every stream this run saw a digest for."""
        marks = {k: dict(v) for k, v in self.previous.items()}
        for stream, digest in self.digests.items():
            marks[stream] = {"digest": digest, "version": self.session.max_version(stream)}
        return marks
