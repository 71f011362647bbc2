"""A run: pull from one connection, validate and diff every stream, apply it in parts.

Each part (what the connector yields up to a checkpoint, e.g. one export) is one database
transaction, so a failed, held, stopped or dry part leaves the store exactly as the parts
before it left it; the run record itself is written separately and always survives.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.abc import Batch, Checkpoint, Connector, Mode
from gateway.clock import utcnow
from gateway.engine.apply import Samples, StreamApply, StreamCounts, sample_ids
from gateway.engine.marks import Marks
from gateway.engine.validate import BatchCheck, Deferred, Problems, ref_columns
from gateway.errors import (
    ConfigError,
    HarborError,
    Problem,
    SafeguardTripped,
    SourceDataError,
)
from gateway.learning.gradebook import COUNTS_KEY, GRADEBOOK_STREAMS, gradebook_evidence
from gateway.learning.intake import ToolIntake
from gateway.learning.records import TOOL_STREAMS
from gateway.learning.runs import ToolRun
from gateway.model.schema import STREAMS
from gateway.plugins import connector_class, parse_config
from gateway.store.leases import LeaseLost, Leases
from gateway.store.store import ConnectionRecord, RunRecord, Store
from gateway.store.sync import SyncSession

__all__ = ["Progress", "RunControl", "RunOptions", "RunReport", "Stopped", "build_connector",
           "sync"]

log = logging.getLogger("harbormaster.run")

Progress = Callable[[str, int, tuple[int, int] | None], None]
"""``progress(stream, rows_done_in_stream, (done, total) units of the whole pull)``."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    dry_run: bool = False
    approve_deletions: bool = False
    max_delete_share: float = 0.2
    reread: bool = False
    """Read every source even when its digest says it is unchanged."""


@dataclass(slots=True)
class StreamChange:
    """One sample change for people to read: what a dry run would do to one record."""

    stream: str
    kind: str
    sourced_id: str
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class RunReport:
    run_id: int
    connection: str
    status: str = "running"
    """running, succeeded, failed, held (safeguard), dry_run; stopped (shutdown: queued
    again to resume) or lost (another worker took the run over)."""
    counts: dict[str, StreamCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_total: int = 0
    message: str | None = None
    version: int | None = None
    seconds: float = 0.0
    samples: list[StreamChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Streams whose source was unchanged since it was last applied, so not read."""

    @property
    def writes(self) -> int:
        return sum(c.writes for c in self.counts.values())


def build_connector(store: Store, connection: ConnectionRecord) -> Connector[Any]:
    """The configured connector instance for ``connection``, secrets decrypted."""
    cls = connector_class(connection.connector)
    settings = {**connection.config, **store.connection_secrets(connection)}
    return cls(parse_config(cls, settings))


class _Run:
    """State of one run while batches arrive."""

    def __init__(self, session: SyncSession, version: int, options: RunOptions,
                 progress: Progress | None, label: str = "CONNECTION",
                 marks: Mapping[str, Mapping[str, Any]] | None = None,
                 carried: Mapping[str, set[str]] | None = None,
                 tools: ToolRun | None = None) -> None:
        self.session = session
        self.tools = tools
        self.intake: ToolIntake | None = None
        """Tool streams (docs/learning.md) go here instead of the OneRoster apply path."""
        self.tool_rows: dict[str, int] = {}
        self.skippable: list[Problem] = []
        self.skippable_total = 0
        self.label = label
        self.marks = Marks(session, marks, enabled=not options.reread)
        self.skipping: tuple[str, str] | None = None
        self.version = version
        self.options = options
        self.progress = progress
        self.now = utcnow()
        self.problems = Problems()
        self.deferred: dict[tuple[str, str], Deferred] = {}
        self.active_ids: dict[str, set[str]] = {}
        self.counts: dict[str, StreamCounts] = {}
        self.samples: list[tuple[str, Samples]] = []
        self.current: StreamApply | None = None
        self.current_key: tuple[str, str] | None = None
        self.rows_in_stream = 0
        self.state: Mapping[str, Any] | None = None
        self.deactivated: dict[str, set[str]] = {}
        self.bulk_streams: set[str] = set()
        self.pending: frozenset[str] = frozenset()
        """Streams the pull still sends after this part (see ``Checkpoint.pending``)."""
        self.carried: dict[str, set[str]] = {k: set(v) for k, v in (carried or {}).items()}
        """Removals of earlier parts whose stored references wait for a pending stream."""
        self.carry: dict[str, set[str]] = {}
        """What this part leaves for later parts to check."""

    def handle(self, item: Batch | Checkpoint) -> bool | None:
        """Take one item of the pull; True asks the connector to skip the stream."""
        if isinstance(item, Checkpoint):
            self.state = item.state
            return None
        if item.stream in TOOL_STREAMS and self.tools is not None:
            if self.intake is None:
                self.intake = self.tools.intake(self.session.conn)
            self.intake.feed(item)
            done = self.tool_rows[item.stream] = self.tool_rows.get(item.stream, 0) + len(
                item.rows)
            if self.progress:
                self.progress(item.stream, done, item.progress)
            return None
        key = (item.stream, item.source)
        if self.skipping == key:
            self.skipping = None
            if item.last and not item.rows:  # the connector honoured the skip
                self.marks.skipped.append(item.stream)
                self.counts.setdefault(item.stream, StreamCounts()).unchanged += (
                    self.session.count_owned(item.stream))
                self.active_ids.pop(item.stream, None)  # reload from the store if needed
                return None
        elif ((self.current is None or self.current_key != key)
              and self.marks.can_skip(item, self.deactivated)):
            self._finish_current()
            self.skipping = key
            return True
        if self.current is None or self.current_key != key:
            self._finish_current()
            self.current = self._start(item)
            self.current_key = key
            self.rows_in_stream = 0
        self.current.feed(item)
        self.rows_in_stream += len(item.rows)
        if self.progress:
            self.progress(item.stream, self.rows_in_stream, item.progress)
        if item.last:
            self._finish_current()
        return None

    def _start(self, batch: Batch) -> StreamApply:
        if batch.stream not in STREAMS:
            raise ConfigError(f"connector yielded unknown stream {batch.stream!r}")
        refs: list[set[str] | None] = []
        for _, col in ref_columns(batch.stream):
            assert col.ref is not None
            if col.ref == batch.stream or STREAMS_INDEX[col.ref] > STREAMS_INDEX[batch.stream]:
                refs.append(None)  # checked when the whole pull is read
            else:
                refs.append(self._ids(col.ref))
        deferred = self.deferred.setdefault((batch.stream, batch.source), Deferred())
        check = BatchCheck(
            stream=batch.stream, source=batch.source, tenant_id=self.session.tenant_id,
            connection_id=self.session.connection_id, version=self.version, now=self.now,
            bulk=batch.mode is Mode.BULK, refs=refs, problems=self.problems, deferred=deferred)
        return StreamApply(
            self.session, check, batch.mode, write=not self.options.dry_run,
            max_delete_share=self.options.max_delete_share,
            approve_deletions=self.options.approve_deletions, connection=self.label)

    def _ids(self, stream: str) -> set[str]:
        ids = self.active_ids.get(stream)
        if ids is None:
            ids = self.active_ids[stream] = self.session.active_ids(stream)
        return ids

    def _finish_current(self) -> None:
        if self.current is None:
            return
        apply, self.current = self.current, None
        result = apply.finish()
        if apply.stream in REFERENCED:
            if result.active_ids is not None:
                self.active_ids[apply.stream] = result.active_ids
            else:
                ids = self._ids(apply.stream)
                ids |= result.activated
                ids -= result.deactivated
        if result.deactivated:
            self.deactivated.setdefault(apply.stream, set()).update(result.deactivated)
        if apply.mode is Mode.BULK:
            self.bulk_streams.add(apply.stream)
        self.counts.setdefault(apply.stream, StreamCounts()).add(apply.counts)
        self.samples.append((apply.stream, apply.samples))

    def _finish_tools(self) -> None:
        if self.intake is None:
            return
        done = self.intake.finish()
        for stream, stream_counts in done.counts.items():
            self.counts.setdefault(stream, StreamCounts()).add(stream_counts)
        links = done.links
        # Links waiting for review count as "skipped": no record of theirs is lost (they
        # are kept with no user), but they need a person.
        self.counts.setdefault("identityLinks", StreamCounts()).add(StreamCounts(
            added=links.added, updated=links.updated, unchanged=links.unchanged,
            skipped=links.waiting))
        self.skippable, self.skippable_total = done.problems, done.problem_total

    def finish(self) -> None:
        self._finish_current()
        self._finish_tools()
        for (stream, source), deferred in self.deferred.items():
            cols = STREAMS[stream].columns
            for i, value, line in deferred.items:
                col = cols[i]
                assert col.ref is not None
                if value not in self._ids(col.ref):
                    self.problems.add(Problem(
                        source, line, col.name,
                        f"{value!r} is not the sourcedId of any active {col.ref} record; add "
                        f"that record or correct the reference"))
        self._check_stored_references()
        if self.problems:
            raise SourceDataError(
                f"{self.problems.total:,} problem(s) in the source data; nothing was applied",
                self.problems.kept, total=self.problems.total)
        self._finish_gradebook()

    def _finish_gradebook(self) -> None:
        """Results this part changed become evidence through their learningObjectiveSet
        (gateway/learning/gradebook.py), in the part's transaction."""
        if self.options.dry_run or self.tools is None or not any(
                self.counts[s].writes for s in GRADEBOOK_STREAMS if s in self.counts):
            return
        done = gradebook_evidence(self.session.conn, self.session.tenant_id,
                                  self.session.connection_id, self.tools.connection.name,
                                  self.version)
        if done is None:
            return
        self.counts.setdefault(COUNTS_KEY, StreamCounts()).add(done.counts)
        self.skippable = [*self.skippable, *done.problems]
        self.skippable_total += len(done.problems)

    def _check_stored_references(self) -> None:
        """Records this run removes must not leave stored records pointing at them.

        A stream read in bulk was already checked row by row against the final ids; any
        other stream (absent from the export, or a delta) is checked in the store: an
        active enrollment whose class this delta deletes would otherwise dangle.
        """
        removed = {k: set(v) for k, v in self.carried.items()}
        for target, gone in self.deactivated.items():
            removed.setdefault(target, set()).update(gone)
        for target, gone in removed.items():
            for stream, spec in STREAMS.items():
                if stream in self.bulk_streams:
                    continue
                own = self.deactivated.get(stream, set())
                for col in spec.columns:
                    if col.kind != "ref" or col.ref != target:
                        continue
                    if stream in self.pending:  # arrives in a later part: checked then
                        self.carry.setdefault(target, set()).update(gone)
                        continue
                    refs = [(sid, value) for sid, value in
                            self.session.referencing(stream, col.db_name, gone)
                            if sid not in own]  # those are removed in this run too
                    if (stream, col.name) in OWNED_BY and refs:
                        self._cascade(stream, [sid for sid, _ in refs])
                        continue
                    for sid, value in refs:
                        self.problems.add(Problem(
                            f"{stream} (stored)", None, col.name,
                            f"active {stream} record {sid!r} points at {target} {value!r}, "
                            f"which this run removes; remove or update that record in the "
                            f"same export, or keep the {target} record"))

    def _cascade(self, stream: str, sourced_ids: list[str]) -> None:
        """Soft-delete records that are part of a removed owner (a user's roles)."""
        if not self.options.dry_run:
            self.session.soft_delete(stream, sourced_ids, now=self.now, version=self.version)
        self.counts.setdefault(stream, StreamCounts()).deleted += len(sourced_ids)

    @property
    def wrote(self) -> bool:
        return not self.options.dry_run and any(c.writes for c in self.counts.values())

    def changes(self) -> list[StreamChange]:
        """The sample changes, with the fields an update changes (old -> new)."""
        out: list[StreamChange] = []
        for stream, samples in self.samples:
            old = self.session.fetch(stream, sample_ids(samples))
            names = ["sourcedId", "status", *STREAMS[stream].column_names, "metadata"]
            for kind, ids in (("added", samples.added), ("updated", samples.updated),
                              ("deleted", samples.deleted)):
                for sid in ids:
                    change = StreamChange(stream, kind, sid)
                    new = samples.new_rows.get(sid)
                    if kind == "updated" and new is not None and sid in old:
                        values = (new[1], new[2], *new[8:])
                        for name, value in zip(names, values, strict=True):
                            if name != "status" and old[sid].get(name) != value:
                                change.changed[name] = (old[sid].get(name), value)
                    out.append(change)
        return out


STREAMS_INDEX = {name: i for i, name in enumerate(STREAMS)}
OWNED_BY = {("roles", "userSourcedId"), ("userProfiles", "userSourcedId")}
"""References that make a record part of its target: in the REST binding a user's roles and
profiles are inside the user, so removing the user removes them (cascade), where any other
stored reference to a removed record is refused."""
REFERENCED = {c.ref for s in STREAMS.values() for c in s.columns if c.ref}


class Stopped(HarborError):
    """The worker was asked to stop (shutdown); the run resumes from its last checkpoint."""


@dataclass(slots=True)
class RunControl:
    """What a worker hands a run besides its options: the lease to fence each commit with,
    and a flag that asks the run to stop at the next batch (graceful shutdown)."""

    lease: tuple[str, str, float] | None = None
    """``(name, holder, ttl)`` of the connection lease this run holds."""
    stop: threading.Event = field(default_factory=threading.Event)


async def sync(store: Store, connection: ConnectionRecord, options: RunOptions = RunOptions(),
               *, progress: Progress | None = None,
               connector: Connector[Any] | None = None, run_id: int | None = None,
               control: RunControl | None = None) -> RunReport:
    """Run one pull of ``connection`` and apply it (or, for a dry run, only report it).

    The pull is applied in parts: each :class:`Checkpoint` the connector yields ends one
    transaction (its data, the connector's cursor state and the run's counts commit
    together) and starts the next. A run that dies between checkpoints loses only the part
    in flight, and the next run resumes from the last checkpoint. A connector that yields no
    checkpoints is applied in one transaction. A dry run is always one transaction, rolled
    back.

    ``run_id`` is a run the caller queued and claimed (a worker); without it the run is
    recorded here. Never raises for data or configuration problems: they end the run as
    ``failed`` or ``held`` with a message and located problems in the returned report and
    run record. A run told to stop ends as ``stopped`` and is queued again.
    """
    started = time.perf_counter()
    control = control or RunControl()
    # A run allocates millions of short-lived rows and no reference cycles; the cyclic
    # collector would rescan every live batch again and again (about 25 % of a large ingest).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    resumed: RunRecord | None = None
    if run_id is None:
        run_id = store.start_run(connection, dry_run=options.dry_run)
    else:
        resumed = store.run(run_id)
    report = RunReport(run_id, connection.label)
    totals: dict[str, StreamCounts] = {}
    if resumed is not None and resumed.checkpoint and not options.dry_run:
        for stream, values in resumed.counts.items():
            totals[stream] = StreamCounts(**values)
    state, marks = connection.state, connection.marks
    checkpoint: str | None = resumed.checkpoint if resumed is not None else None
    parts = 0
    carried: dict[str, set[str]] = {}
    skippable: list[Problem] = []
    skippable_total = 0
    try:
        source = connector or build_connector(store, connection)
        tools = ToolRun(connection, source, max_delete_share=options.max_delete_share,
                        approve_deletions=options.approve_deletions)
        pull = source.pull(connection.state)
        done = False
        while not done:
            with store.sync_session(connection) as (session, version):
                run = _Run(session, version, options, progress, connection.label, marks,
                           carried, tools)
                answer: bool | None = None
                try:
                    while True:  # async for, but answering skip questions (see Batch.digest)
                        item = await pull.asend(answer)
                        if control.stop.is_set():
                            raise Stopped(_stopped_message(checkpoint))
                        if isinstance(item, Checkpoint) and not options.dry_run:
                            run.state, run.pending = item.state, item.pending
                            label = item.label or _label(item.state)
                            break
                        answer = run.handle(item)
                except StopAsyncIteration:
                    done, label = True, checkpoint or ""
                run.finish()
                carried = run.carry
                skippable += run.skippable[:max(0, 200 - len(skippable))]
                skippable_total += run.skippable_total
                for stream, part_counts in run.counts.items():
                    totals.setdefault(stream, StreamCounts()).add(part_counts)
                report.skipped.extend(s for s in run.marks.skipped if s not in report.skipped)
                if options.dry_run:
                    report.samples = run.changes()
                    report.status = "dry_run"
                    continue
                if run.state is not None:
                    state = run.state
                marks = run.marks.current()
                if control.lease is not None:
                    Leases.fence(session.conn, *control.lease)
                store.save_run_progress(run_id, counts=_as_dicts(totals),
                                        checkpoint=label or None, conn=session.conn)
                store.commit_sync(session, version=version, wrote=run.wrote, state=state,
                                  marks=marks)
                if run.wrote:
                    report.version = version
                checkpoint, parts = label or checkpoint, parts + 1
        report.counts = totals
        if not options.dry_run:
            report.status = "succeeded"
        # Tool records skipped one by one (the rest applied): reported, not fatal.
        report.problems, report.problem_total = skippable, skippable_total
    except Stopped as exc:
        report.status, report.message = "stopped", str(exc)
    except LeaseLost as exc:
        report.status, report.message = "lost", str(exc)
    except SafeguardTripped as exc:
        report.status, report.message = "held", _partial(str(exc.args[0]), parts, checkpoint)
    except SourceDataError as exc:
        report.status, report.message = "failed", _partial(str(exc.args[0]), parts, checkpoint)
        report.problems, report.problem_total = exc.problems, exc.total
    except HarborError as exc:
        report.status, report.message = "failed", _partial(str(exc), parts, checkpoint)
    except Exception as exc:
        log.exception("run %s of %s crashed", run_id, connection.label)
        report.status, report.message = "failed", f"internal error: {exc!r} (see the log)"
    finally:
        if gc_was_enabled:
            gc.enable()
        if report.status == "running":  # interrupted (Ctrl-C, shutdown) mid-run
            report.status = "failed"
            report.message = _partial("interrupted before it finished; the part in flight "
                                      "was not applied", parts, checkpoint)
        if not report.counts:
            report.counts = totals
        report.seconds = time.perf_counter() - started
        if report.status == "stopped":
            store.requeue_run(run_id, report.message or "stopped")
        elif report.status != "lost":  # the worker that took the run over records it
            store.finish_run(
                run_id, status=report.status,
                counts=_as_dicts(report.counts),
                message=report.message, problems=report.problems,
                problem_total=report.problem_total, version=report.version)
    return report


def _as_dicts(counts: Mapping[str, StreamCounts]) -> dict[str, dict[str, int]]:
    return {k: v.as_dict() for k, v in counts.items()}


def _label(state: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (state or {}).items())[:300]


def _stopped_message(checkpoint: str | None) -> str:
    where = f"after checkpoint {checkpoint!r}" if checkpoint else "from the start"
    return (f"stopped by a worker shutdown; the part in flight was rolled back and the run "
            f"resumes {where} when a worker starts again")


def _partial(message: str, parts: int, checkpoint: str | None) -> str:
    """Say what a multi-part run had already applied when a later part failed."""
    if not parts or not checkpoint:
        return message
    return (f"{message} (parts up to checkpoint {checkpoint!r} were applied; the next run "
            f"resumes after it)")
