"""The Renaissance Star connector: Star Reading and Star Math test exports (``SR.csv``,
``SM.csv``, ``_v2``) into ``toolAssessments`` (one row per test), and the standards exports
(``..._Dashboard_Standards_v2.csv``) into ``toolEvidence`` (percent mastery per standard,
for the connection's crosswalk to align).

Star exports are cumulative over a school year, so every batch is ``Mode.DELTA``: a later
export lacking a test does not withdraw it (a deactivated test is withdrawn: its status
says so). The saved state holds, per file, its digest and the newest completion date read;
an unchanged file is not read again, and a changed one sends the tests completed since
(from that day on) and every test of the same learner, subject and window, whose
``growth_measure`` a retest may have moved.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

from connectors.assessment_files import Drop, open_drop
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
from gateway.learning.records import TOOL_ASSESSMENTS, TOOL_EVIDENCE

from .config import StarConfig
from .export import (
    STANDARDS_COLUMNS,
    TESTS_COLUMNS,
    Administration,
    mark_growth_measures,
    read_standard,
    read_test,
    subject_of,
)

__all__ = ["StarConnector"]

BATCH_ROWS = 1000


class StarConnector(Connector[StarConfig]):
    """Renaissance Star Reading and Star Math exports (tests and standards mastery)."""

    name: ClassVar[str] = "star"
    title: ClassVar[str] = "Renaissance Star Reading and Math exports"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = StarConfig

    def streams(self) -> Sequence[str]:
        return [TOOL_ASSESSMENTS, TOOL_EVIDENCE]

    @property
    def identity(self) -> Mapping[str, Any]:
        """The id kind of ``StudentSourcedID`` for the engine's identity rules (the
        connection's own ``identity`` section overrides it key by key)."""
        return {"learner_id_kind": self.config.learner_id_kind}

    @property
    def crosswalk(self) -> list[Mapping[str, Any]]:
        return [dict(entry) for entry in self.config.crosswalk]

    def _where(self) -> str:
        c = self.config
        return c.path if c.path else f"{c.sftp_host}:{c.sftp_path}"

    def _files(self, drop: Drop) -> list[tuple[str, bool]]:
        """(name, is a standards file) of every export in the drop, tests first."""
        tests = drop.find(*self.config.tests)
        standards = [n for n in drop.find(*self.config.standards) if n not in tests] \
            if self.config.standards else []
        if not tests and not standards:
            shown = ", ".join(drop.files()[:10]) or "no files"
            raise ConfigError(
                f"no Star export matching {', '.join(self.config.tests)} in {self._where()} "
                f"(it holds {shown}); export the Star Reading and Star Math data (SR_v2.csv, "
                f"SM_v2.csv) from Renaissance Data Integration and drop them there, or set "
                f"the connection's tests patterns to the files' names")
        return [(n, False) for n in tests] + [(n, True) for n in standards]

    def _subject(self, drop: Drop, name: str, standards: bool) -> str:
        """The file's subject; reads its header first (a missing column fails here)."""
        label = drop.label(name)
        columns = STANDARDS_COLUMNS if standards else TESTS_COLUMNS
        first = next(iter(drop.records(name, columns)), None)
        subject = subject_of(name, first.values.get("activity") if first else None)
        if subject is None:
            why = ("the file's name says neither Star Reading (SR, Reading) nor Star Math (SM, "
                   "Math); name it SR_v2.csv or SM_v2.csv (or SR_/SM_Dashboard_Standards_v2.csv)"
                   " as Renaissance does")
            raise SourceDataError(f"{label}: cannot tell the subject of this export",
                                  [Problem(label, None, None, why)])
        return subject

    async def check(self) -> CheckResult:
        try:
            async with open_drop(self.config) as drop:
                found = [f"{drop.label(n)} ({self._subject(drop, n, s)}"
                         f"{', standards' if s else ''})" for n, s in self._files(drop)]
        except HarborError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"{len(found)} Star export(s) in {self._where()}: "
                                 f"{', '.join(found)}", {"files": found})

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        saved: dict[str, Any] = dict((state or {}).get("files") or {})
        kind = self.config.learner_id_kind
        async with open_drop(self.config) as drop:
            todo = []
            for name, standards in self._files(drop):
                label, digest = drop.label(name), drop.digest(name)
                before = saved.get(label)
                if isinstance(before, Mapping) and before.get("digest") == digest:
                    continue
                # Every header is checked before any file is applied: a drop with a wrong
                # file stores nothing.
                subject = self._subject(drop, name, standards)
                since = before.get("through") if isinstance(before, Mapping) else None
                todo.append((name, standards, subject, label, digest, since))
            for name, standards, subject, label, digest, since in todo:
                if standards:
                    rows = [(r.line, read_standard(r.values, r.line, subject,
                                                   learner_id_kind=kind, cells=r.cells))
                            for r in drop.records(name, STANDARDS_COLUMNS)]
                    dates = [str(row.get("observed_at", ""))[:10] for _, row in rows]
                    sent = [(n, row) for n, row in rows if since is None
                            or not _iso(row.get("observed_at"))
                            or str(row["observed_at"])[:10] >= since]
                    for batch in _chunks(TOOL_EVIDENCE, label, sent):
                        yield batch
                    total = len(rows)
                else:
                    tests = [read_test(r.values, r.line, subject, learner_id_kind=kind,
                                       cells=r.cells)
                             for r in drop.records(name, TESTS_COLUMNS)]
                    mark_growth_measures(tests)
                    tests = _last_of_each_key(tests)
                    dates = [(t.when or "")[:10] for t in tests]
                    chosen = _since(tests, since)
                    sent = [(t.line, t.row) for t in chosen]
                    for batch in _chunks(TOOL_ASSESSMENTS, label, sent):
                        yield batch
                    total = len(tests)
                through = max((d for d in dates if _iso(d)), default=since)
                saved[label] = {"digest": digest, "through": through}
                yield Checkpoint({"files": dict(saved)}, label=f"{label} ({subject}, "
                                 f"{len(sent)} of {total} rows)")
        yield Checkpoint({"files": dict(saved)}, label="Star exports read")


def _iso(value: object) -> bool:
    text = str(value or "")[:10]
    return len(text) == 10 and text[4] == "-" and text[7] == "-"


def _last_of_each_key(tests: list[Administration]) -> list[Administration]:
    """A test listed twice in one export (a class export appended to another) is one test:
    the later line stands."""
    last = {t.row.get("source_key"): i for i, t in enumerate(tests)}
    return [t for i, t in enumerate(tests) if last[t.row.get("source_key")] == i
            or t.row.get("source_key") is None]


def _since(tests: list[Administration], since: str | None) -> list[Administration]:
    """The tests to send: all on a first read; else those completed on or after ``since``
    (or with no readable date, so the intake reports them) and every test of the same
    learner, subject, year and window as one of them."""
    if since is None:
        return tests

    def group(t: Administration) -> tuple[Any, ...]:
        r = t.row
        return r.get("learner"), r.get("subject"), r.get("school_year"), r.get("window")

    new = [t for t in tests if t.when is None or t.when[:10] >= since]
    groups = {group(t) for t in new}
    return [t for t in tests if group(t) in groups]


def _chunks(stream: str, label: str, rows: list[tuple[int, dict[str, Any]]]) -> Iterator[Batch]:
    for start in range(0, len(rows), BATCH_ROWS):
        part = rows[start:start + BATCH_ROWS]
        yield Batch(stream, Mode.DELTA, label, cast(Sequence[Row], [r for _, r in part]),
                    [n for n, _ in part], last=start + BATCH_ROWS >= len(rows))
    if not rows:
        yield Batch(stream, Mode.DELTA, label, [], [], last=True)
