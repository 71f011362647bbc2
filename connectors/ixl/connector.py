"""The IXL connector: IXL diagnostic and progress exports dropped in a folder, a zip or an
SFTP folder, read into ``toolAssessments``, ``toolPlacements`` and ``toolEvidence``.

Exports are snapshots of each student's current levels, cumulative over the school year, so
every stream is a delta: a student missing from a later export keeps what was stored. A
pull reads the files that are new or changed since the last one (by content digest), and
the files already read whose windows those share, so that of several snapshots of a learner
and subject in one window only the latest is the growth measure. The headers of every file
to read are checked before any row is sent: a wrong file fails the run with nothing stored.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

from connectors.assessment_files import Drop, check_drop, open_drop
from gateway.abc import (
    Batch,
    Checkpoint,
    CheckResult,
    Connector,
    ConnectorConfig,
    ConnectorKind,
    Mode,
    PullItem,
    Row,
)
from gateway.errors import HarborError
from gateway.learning.records import TOOL_ASSESSMENTS, TOOL_EVIDENCE, TOOL_PLACEMENTS

from .columns import SUBJECTS, IxlColumns, subject_column
from .config import IxlConfig
from .rows import administered, read_level, records_of

__all__ = ["IxlConnector"]

BATCH_ROWS = 1000
STREAMS = (TOOL_ASSESSMENTS, TOOL_PLACEMENTS, TOOL_EVIDENCE)
_Key = tuple[str, str, str, str]  # learner, subject, school year, window


class IxlConnector(Connector[IxlConfig]):
    """Reads IXL diagnostic exports (docs/assessments-ixl.md)."""

    name: ClassVar[str] = "ixl"
    title: ClassVar[str] = "IXL diagnostic and progress exports"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = IxlConfig

    def streams(self) -> Sequence[str]:
        return list(STREAMS)

    @property
    def identity(self) -> Mapping[str, Any]:
        """The identity rules of the connection's config (the engine merges them)."""
        return dict(self.config.identity or {})

    async def check(self) -> CheckResult:
        result = await check_drop(self.config, *self.config.files, what="IXL export files")
        if not result.ok:
            return result
        try:
            async with open_drop(self.config) as drop:
                for name in drop.find(*self.config.files):
                    next(iter(drop.rows(name, IxlColumns())), None)
        except HarborError as exc:  # a file that is not an IXL export, named with its column
            return CheckResult(False, str(exc))
        return result

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        async with open_drop(self.config) as drop:
            saved = _saved(state, drop.where)
            names = drop.find(*self.config.files)
            digests = {name: drop.digest(name) for name in names}
            changed = [n for n in names if saved.get(n, {}).get("digest") != digests[n]]
            # Pass 1: every file's header and windows, and the latest date of each learner's
            # subject in each window (the growth measure), before anything is sent.
            seen = {n: _scan(drop, n) for n in changed}
            touched = {w for n in changed for w in seen[n].windows}
            again = [n for n in names if n not in seen
                     and touched & set(saved.get(n, {}).get("windows", ()))]
            for name in again:
                seen[name] = _scan(drop, name)
            latest: dict[_Key, str] = {}
            for scan in seen.values():
                for key, day in scan.latest.items():
                    if day > latest.get(key, ""):
                        latest[key] = day
            done = {n: saved[n] for n in names if n in saved and n not in seen}
            sent: set[str] = set()
            for name in (n for n in names if n in seen):
                for batch in self._file(drop, name, latest, sent):
                    yield batch
                done[name] = {"digest": digests[name], "windows": sorted(seen[name].windows)}
                yield Checkpoint({"where": drop.where, "files": dict(done)},
                                 label=drop.label(name))
            if not seen:
                yield Checkpoint({"where": drop.where, "files": done}, label="no new exports")

    def _file(self, drop: Drop, name: str, latest: Mapping[_Key, str],
              sent: set[str]) -> Iterator[Batch]:
        source = drop.label(name)
        columns = IxlColumns()
        buffers: dict[str, tuple[list[dict[str, Any]], list[int]]] = {
            s: ([], []) for s in STREAMS}
        placements: dict[tuple[Any, str], tuple[dict[str, Any], int]] = {}
        subjects: tuple[str, ...] = ()
        for record in drop.records(name, columns):
            if not subjects:
                subjects = _subjects(record.values)
            out = records_of(record.values, record.cells, subjects=subjects,
                             learner_id_kind=self.config.learner_id_kind,
                             overall_subject=subjects[0] if len(subjects) == 1 else None)
            for row in out.assessments:
                if row["source_key"] in sent:
                    continue  # a row repeated in the file, or the same snapshot twice
                sent.add(row["source_key"])
                key = (row.get("learner") or "", row["subject"], row.get("school_year") or "",
                       row.get("window") or "")
                if row.get("growth_measure"):
                    row["growth_measure"] = latest.get(key) == row.get("administered_at")
                _add(buffers, TOOL_ASSESSMENTS, row, record.line)
            for row in out.evidence:
                if row["source_key"] not in sent:
                    sent.add(row["source_key"])
                    _add(buffers, TOOL_EVIDENCE, row, record.line)
            for row in out.placements:  # one per learner and subject: the latest
                pkey = (row["learner"], row["subject"])
                kept = placements.get(pkey)
                if kept is None or str(row["observed_at"]) >= str(kept[0]["observed_at"]):
                    placements[pkey] = (row, record.line)
            for stream, (rows, lines) in buffers.items():
                if len(rows) >= BATCH_ROWS:
                    yield Batch(stream, Mode.DELTA, source, cast(Sequence[Row], list(rows)),
                                list(lines))
                    rows.clear()
                    lines.clear()
        for row, line in sorted(placements.values(), key=lambda p: p[1]):
            _add(buffers, TOOL_PLACEMENTS, row, line)
        for stream, (rows, lines) in buffers.items():
            yield Batch(stream, Mode.DELTA, source, cast(Sequence[Row], rows), lines,
                        last=True)


def _add(buffers: dict[str, tuple[list[dict[str, Any]], list[int]]], stream: str,
         row: dict[str, Any], line: int) -> None:
    rows, lines = buffers[stream]
    rows.append(row)
    lines.append(line)


def _subjects(values: Mapping[str, str | None]) -> tuple[str, ...]:
    return tuple(s for s in SUBJECTS if subject_column("level", s) in values)


class _Scan:
    def __init__(self) -> None:
        self.windows: set[str] = set()
        self.latest: dict[_Key, str] = {}


def _scan(drop: Drop, name: str) -> _Scan:
    """The windows of a file and, per learner, subject and window, its latest date of a
    pinpointed level; reading it whole checks its header and CSV before any row is sent."""
    scan = _Scan()
    subjects: tuple[str, ...] = ()
    for _line, values in drop.rows(name, IxlColumns()):
        subjects = subjects or _subjects(values)
        when = administered(values.get("date"))
        learner = values.get("student_id")
        if when is None or learner is None:
            continue
        day, window, year = when
        scan.windows.add(f"{year}:{window}")
        for subject in subjects:
            text = values.get(subject_column("level", subject))
            if text is None or not read_level(text).pinpointed:
                continue
            key = (learner, subject, year, window)
            if day > scan.latest.get(key, ""):
                scan.latest[key] = day
    return scan


def _saved(state: Mapping[str, Any] | None, where: str) -> dict[str, dict[str, Any]]:
    """The files read from this drop by earlier pulls (none when the drop moved)."""
    if not state or state.get("where") != where:
        return {}
    files = state.get("files")
    return {str(k): dict(v) for k, v in files.items()
            if isinstance(v, Mapping)} if isinstance(files, Mapping) else {}
