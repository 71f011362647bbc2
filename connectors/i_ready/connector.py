"""The i-Ready Diagnostic connector: the district's Diagnostic Results exports (ELA and
math), dropped in a folder, a zip or an SFTP folder, into ``toolAssessments`` (one row per
test), ``toolPlacements`` (each learner's latest overall placement per subject) and
``toolEvidence`` (each domain's scale score, for the crosswalk to align).

Exports are cumulative over a school year, so every batch is ``Mode.DELTA``: a later export
lacking a test does not withdraw it. The saved state holds, per file, its digest and the
newest completion date read; an unchanged file is not read again, and a changed one sends
the tests completed since (from that day on) and every test of the same learner, subject
and window, whose retest flag (``growth_measure``) may have changed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

from pydantic import Field, field_validator

from connectors.assessment_files import Drop, DropConfig, LearnerIdKind, open_drop
from connectors.assessment_files import Record as Line
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
from gateway.errors import ConfigError, HarborError, Problem, SourceDataError
from gateway.identity import IdentityRules
from gateway.learning.records import TOOL_ASSESSMENTS, TOOL_EVIDENCE, TOOL_PLACEMENTS

from .export import Record, columns_for, mark_retests, placements, read_row, subject_of, unique_keys

__all__ = ["IReadyConfig", "IReadyConnector"]

BATCH_ROWS = 1000
FILES = ("*diagnostic_results*.csv",)


class IReadyConfig(DropConfig):
    files: list[str] = Field(default_factory=lambda: list(FILES), min_length=1)
    """Name patterns of the exports in the drop (case-insensitive globs)."""
    learner_id_kind: LearnerIdKind = "sis_id"
    """What the export's ``Student ID`` is in the roster: ``sis_id`` (the default: the SIS
    id the district rosters i-Ready with), ``state_id``, ``username``, ..."""
    identity: dict[str, Any] | None = None
    """Identity rules (``match``: which roster fields each id kind is compared with), as in
    a tool mapping's ``identity`` section (docs/learning.md, "Identity")."""


    @field_validator("identity")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        IdentityRules.from_config(value)  # a ConfigError names the bad key
        return value


class IReadyConnector(Connector[IReadyConfig]):
    """Curriculum Associates i-Ready Diagnostic results exports (ELA and math)."""

    name: ClassVar[str] = "i-ready"
    title: ClassVar[str] = "Curriculum Associates i-Ready Diagnostic results exports"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = IReadyConfig

    def streams(self) -> Sequence[str]:
        return [TOOL_ASSESSMENTS, TOOL_PLACEMENTS, TOOL_EVIDENCE]

    @property
    def identity(self) -> Mapping[str, Any]:
        """The id kind of ``Student ID`` for the engine's identity rules (the connection's
        own ``identity`` section overrides it key by key)."""
        return {"learner_id_kind": self.config.learner_id_kind}

    def _exports(self, drop: Drop) -> list[str]:
        names = drop.find(*self.config.files)
        if not names:
            shown = ", ".join(drop.files()[:10]) or "no files"
            raise ConfigError(
                f"no i-Ready Diagnostic export matching {', '.join(self.config.files)} in "
                f"{self._where()} (it holds {shown}); export Diagnostic Results for ELA and "
                f"math from i-Ready (Reports > Export) and drop them as "
                f"diagnostic_results_ela.csv and diagnostic_results_math.csv")
        return names

    def _where(self) -> str:
        c = self.config
        return c.path if c.path else f"{c.sftp_host}:{c.sftp_path}"

    def _subject(self, drop: Drop, name: str) -> tuple[str, Iterator[Line]]:
        """The file's subject and its records; the header is checked before anything."""
        label = drop.label(name)
        rows = drop.records(name, columns_for())
        first = next(rows, None)
        subject, why = subject_of(name, first.values if first else ())
        if subject is None and first is None:
            subject = subject_of(name, ())[0] or "reading"  # empty: nothing to read anyway
        if subject is None:
            raise SourceDataError(f"{label}: cannot tell the subject of this export: {why}",
                                  [Problem(label, 1, None, why)])

        def chained() -> Iterator[Line]:
            if first is not None:
                yield first
                yield from rows

        return subject, chained()

    async def check(self) -> CheckResult:
        try:
            async with open_drop(self.config) as drop:
                found = []
                for name in self._exports(drop):
                    subject, rows = self._subject(drop, name)
                    found.append(f"{drop.label(name)} ({subject})")
                    del rows
        except HarborError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"{len(found)} i-Ready Diagnostic export(s) in "
                                 f"{self._where()}: {', '.join(found)}",
                           {"files": found})

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        saved: dict[str, Any] = dict((state or {}).get("files") or {})
        async with open_drop(self.config) as drop:
            todo = []
            for name in self._exports(drop):
                label, digest = drop.label(name), drop.digest(name)
                before = saved.get(label)
                if isinstance(before, Mapping) and before.get("digest") == digest:
                    continue
                # Every header is checked before any file is applied: a drop with a
                # wrong file stores nothing.
                self._subject(drop, name)
                since = before.get("through") if isinstance(before, Mapping) else None
                todo.append((name, label, digest, since))
            for name, label, digest, since in todo:
                subject, rows = self._subject(drop, name)
                kind = self.config.learner_id_kind
                records = [read_row(line.values, line.line, subject, learner_id_kind=kind,
                                    cells=line.cells) for line in rows]
                mark_retests(records)
                unique_keys(records)
                sent = _since(records, since)
                for batch in _batches(label, sent):
                    yield batch
                dates = [str(r.assessment["administered_at"]) for r in records
                         if _iso(r.assessment.get("administered_at"))]
                saved[label] = {"digest": digest, "through": max(dates, default=since)}
                yield Checkpoint({"files": dict(saved)}, label=f"{label} ({subject}, "
                                 f"{len(sent)} of {len(records)} tests)")
        yield Checkpoint({"files": dict(saved)}, label="i-Ready exports read")


def _iso(value: object) -> bool:
    text = str(value or "")
    return len(text) == 10 and text[4] == "-" and text[7] == "-"


def _since(records: list[Record], since: str | None) -> list[Record]:
    """The records to send: all on a first read; else those completed on or after
    ``since`` (or with no readable date, so the intake reports them) and every record of
    the same learner, subject and window as one of them."""
    if since is None:
        return records

    def group(r: Record) -> tuple[Any, ...]:
        a = r.assessment
        return a.get("learner"), a.get("subject"), a.get("school_year"), a.get("window")

    new = [r for r in records if not _iso(r.assessment.get("administered_at"))
           or str(r.assessment["administered_at"]) >= since]
    groups = {group(r) for r in new}
    return [r for r in records if group(r) in groups]


def _batches(label: str, records: list[Record]) -> Iterator[Batch]:
    yield from _chunks(TOOL_ASSESSMENTS, label,
                       [(r.line, r.assessment) for r in records])
    yield from _chunks(TOOL_PLACEMENTS, label, placements(records))
    yield from _chunks(TOOL_EVIDENCE, label,
                       [(r.line, ev) for r in records for ev in r.evidence])


def _chunks(stream: str, label: str, rows: list[tuple[int, dict[str, Any]]]) -> Iterator[Batch]:
    for start in range(0, len(rows), BATCH_ROWS):
        part = rows[start:start + BATCH_ROWS]
        yield Batch(stream, Mode.DELTA, label, cast(Sequence[Row], [r for _, r in part]),
                    [n for n, _ in part], last=start + BATCH_ROWS >= len(rows))
    if not rows:
        yield Batch(stream, Mode.DELTA, label, [], [], last=True)
