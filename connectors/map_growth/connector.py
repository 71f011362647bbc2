"""The MAP Growth connector: every export in the drop (``AssessmentResults.csv`` with the
``StudentsBySchool.csv`` beside it, or ``ComboStudentAssessment.csv``) into
``toolAssessments`` and ``toolEvidence`` batches.

MAP's exports are cumulative over a school year (each new one repeats the earlier terms),
so batches are ``Mode.DELTA``: a result missing from a later file is never withdrawn. A file
whose content (with its students file) is unchanged since the last successful pull is not
read again; its digest is the cursor state.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, ClassVar, cast

from connectors.assessment_files import Columns, Drop, check_drop, open_drop
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
from gateway.errors import ConfigError, HarborError
from gateway.learning.records import TOOL_ASSESSMENTS, TOOL_EVIDENCE

from .config import MapGrowthConfig
from .layout import COMBO, COMBO_FILES, RESULTS, RESULTS_FILES, STUDENTS, STUDENTS_FILES
from .results import ResultRecords, records_of, student_attributes

__all__ = ["MapGrowthConnector"]

BATCH_ROWS = 1000
_EXPORTS = (*RESULTS_FILES, *COMBO_FILES)


class MapGrowthConnector(Connector[MapGrowthConfig]):
    """NWEA MAP Growth Comprehensive Data File exports from a folder, zip or SFTP drop."""

    name: ClassVar[str] = "map-growth"
    title: ClassVar[str] = "NWEA MAP Growth (Comprehensive Data File)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = MapGrowthConfig

    def streams(self) -> Sequence[str]:
        return [TOOL_ASSESSMENTS, TOOL_EVIDENCE]

    @property
    def identity(self) -> Mapping[str, Any]:
        """The rules' default id kind; the connection's own ``identity`` section (read by
        the engine from the connection's config) overrides it."""
        return {"learner_id_kind": self.config.learner_id_kind}

    @property
    def crosswalk(self) -> list[Mapping[str, Any]]:
        return [dict(entry) for entry in self.config.crosswalk]

    async def check(self) -> CheckResult:
        found = await check_drop(self.config, *_EXPORTS, what="MAP Growth exports "
                                 "(AssessmentResults.csv or ComboStudentAssessment.csv)")
        if not found.ok:
            return found
        try:
            async with open_drop(self.config) as drop:
                for name, layout, students in _exports(drop):
                    for file, columns in ((name, layout), *((s, STUDENTS) for s in students)):
                        next(iter(drop.records(file, columns)), None)  # reads the header
        except HarborError as exc:
            return CheckResult(False, str(exc))
        return found

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        saved = dict((state or {}).get("files") or {})
        async with open_drop(self.config) as drop:
            exports = _exports(drop)
            if not exports:
                raise ConfigError(
                    f"{drop.where} holds no MAP Growth export: drop AssessmentResults.csv "
                    f"(with StudentsBySchool.csv beside it) or ComboStudentAssessment.csv "
                    f"from MAP's Data Export Scheduler there, or fix the connection's path")
            digests: dict[str, str] = {}
            read: list[str] = []
            for n, (name, layout, students) in enumerate(exports, 1):
                label = drop.label(name)
                digest = "+".join(drop.digest(f) for f in (name, *students))
                digests[label] = digest
                if saved.get(label) == digest:
                    continue  # unchanged since the last successful pull
                read.append(label)
                for item in self._file(drop, name, layout, students, (n, len(exports))):
                    yield item
            yield Checkpoint({"files": digests},
                             label=f"{len(read)} of {len(exports)} MAP export(s) read")

    def _file(self, drop: Drop, name: str, layout: Columns, students: list[str],
              progress: tuple[int, int]) -> list[Batch]:
        label = drop.label(name)
        roster = _students(drop, students)
        kind = self.config.learner_id_kind
        parsed: dict[Any, tuple[int, ResultRecords]] = {}
        for record in drop.records(name, layout):
            values = record.values
            student = (roster.get((_term(values.get("term")), values.get("student_id")))
                       or roster.get((None, values.get("student_id"))))
            result = records_of(values, record.cells, learner_id_kind=kind, student=student)
            # A row repeated in one export (merged downloads) is one result: the last wins.
            parsed.pop(result.assessment["source_key"], None)
            parsed[result.assessment["source_key"]] = (record.line, result)
        results = list(parsed.values())
        _settle_retests([r for _, r in results])
        batches = []
        for start in range(0, len(results), BATCH_ROWS):
            chunk = results[start:start + BATCH_ROWS]
            batches.append(Batch(TOOL_ASSESSMENTS, Mode.DELTA, label,
                                 cast(Sequence[Row], [r.assessment for _, r in chunk]),
                                 [line for line, _ in chunk], progress=progress))
            evidence = [(line, e) for line, r in chunk for e in r.evidence]
            if evidence:
                batches.append(Batch(TOOL_EVIDENCE, Mode.DELTA, label,
                                     cast(Sequence[Row], [e for _, e in evidence]),
                                     [line for line, _ in evidence], progress=progress))
        batches.append(Batch(TOOL_ASSESSMENTS, Mode.DELTA, label, [], [], last=True))
        batches.append(Batch(TOOL_EVIDENCE, Mode.DELTA, label, [], [], last=True))
        return batches


def _exports(drop: Drop) -> list[tuple[str, Columns, list[str]]]:
    """Each export file with its layout and the students files beside it."""
    out = [(name, RESULTS, drop.beside(name, *STUDENTS_FILES))
           for name in drop.find(*RESULTS_FILES)]
    out += [(name, COMBO, []) for name in drop.find(*COMBO_FILES)]
    return sorted(out, key=lambda export: export[0])


def _term(text: str | None) -> str | None:
    return " ".join(text.lower().split()) if text else None


def _students(drop: Drop, names: list[str]) -> dict[tuple[str | None, str | None], dict[str, str]]:
    """StudentsBySchool rows by (term, StudentID), and by StudentID alone (the last term
    read) for tests of a term the file does not list."""
    out: dict[tuple[str | None, str | None], dict[str, str]] = {}
    for name in names:
        for _line, values in drop.rows(name, STUDENTS):
            attributes = student_attributes(values)
            out[(_term(values.get("term")), values.get("student_id"))] = attributes
            out[(None, values.get("student_id"))] = attributes
    return out


def _settle_retests(results: list[ResultRecords]) -> None:
    """Where the export leaves GrowthMeasureYN blank, the latest test of a learner, course
    and window counts for growth and its retests do not; beside a test marked as counting,
    blank ones do not count."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(result.retest_group, []).append(result.assessment)
    for rows in groups.values():
        blank = [row for row in rows if "growth_measure" not in row]
        if not blank:
            continue
        if any(row.get("growth_measure") is True for row in rows):
            for row in blank:
                row["growth_measure"] = False
            continue
        latest = max(blank, key=lambda row: str(row.get("administered_at", "")))
        for row in blank:
            row["growth_measure"] = row is latest
