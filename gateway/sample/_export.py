"""Writing (and reading back) a OneRoster CSV export directory: files, headers, manifest.

Headers come from :mod:`gateway.model.schema` for 1.2 and from the fixed 1.1 CSV binding for
1.1. Callers name the columns they fill; whatever else a header has is written blank, and
whatever a version does not have is dropped, so one generator serves both versions.
"""

from __future__ import annotations

import csv
import operator
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO

from gateway.model.schema import COMMON_COLUMNS, STREAM_ORDER, STREAMS

__all__ = [
    "VERSIONS",
    "ExportSummary",
    "ExportWriter",
    "Mode",
    "header",
    "read_manifest",
    "read_rows",
    "streams",
]

Mode = Literal["bulk", "delta"]
VERSIONS = ("1.1", "1.2")

_V11_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": ("name", "type", "identifier", "parentSourcedId"),
    "academicSessions": ("title", "type", "startDate", "endDate", "parentSourcedId",
                         "schoolYear"),
    "courses": ("schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId",
                "subjects", "subjectCodes"),
    "classes": ("title", "grades", "courseSourcedId", "classCode", "classType", "location",
                "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"),
    "users": ("enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName",
              "familyName", "middleName", "identifier", "email", "sms", "phone",
              "agentSourcedIds", "grades", "password"),
    "enrollments": ("classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary",
                    "beginDate", "endDate"),
    "demographics": ("birthDate", "sex", "americanIndianOrAlaskaNative", "asian",
                     "blackOrAfricanAmerican", "nativeHawaiianOrOtherPacificIslander", "white",
                     "demographicRaceTwoOrMoreRaces", "hispanicOrLatinoEthnicity",
                     "countryOfBirthCode", "stateOfBirthAbbreviation", "cityOfBirth",
                     "publicSchoolResidenceStatus"),
    "resources": ("vendorResourceId", "title", "roles", "importance", "vendorId",
                  "applicationId"),
    "classResources": ("title", "classSourcedId", "resourceSourcedId"),
    "courseResources": ("title", "courseSourcedId", "resourceSourcedId"),
    "userResources": ("title", "userSourcedId", "resourceSourcedId"),
    "categories": ("title",),
    "lineItems": ("title", "description", "assignDate", "dueDate", "classSourcedId",
                  "categorySourcedId", "gradingPeriodSourcedId", "resultValueMin",
                  "resultValueMax"),
    "results": ("lineItemSourcedId", "studentSourcedId", "scoreStatus", "score", "scoreDate",
                "comment"),
}
"""The OneRoster 1.1 CSV binding, which (unlike 1.2) no longer changes."""

_MANIFEST_HEAD = (("manifest.version", "1.0"),)
_MANIFEST_SOURCE = (
    ("source.systemName", "Harbormaster sample SIS"),
    ("source.systemCode", "harbor-sample"),
)


@dataclass(frozen=True)
class ExportSummary:
    """What an export run wrote: where, which OneRoster version, and rows per file."""

    path: Path
    version: str
    rows: dict[str, int]
    """Data rows (header excluded) per stream written, by stream name, in stream order."""


def streams(version: str) -> tuple[str, ...]:
    """The streams (files) a manifest of this OneRoster version lists."""
    _check_version(version)
    return STREAM_ORDER if version == "1.2" else tuple(_V11_COLUMNS)


@cache
def header(stream: str, version: str) -> tuple[str, ...]:
    """The CSV header of ``stream`` in an export of ``version``."""
    if stream not in streams(version):
        raise ValueError(f"OneRoster {version} has no {stream}.csv")
    columns = _V11_COLUMNS[stream] if version == "1.1" else STREAMS[stream].column_names
    return COMMON_COLUMNS + columns


def _check_version(version: str) -> None:
    if version not in VERSIONS:
        raise ValueError(f"unsupported OneRoster version {version!r}; use one of {VERSIONS}")


Projection = Callable[[Sequence[str]], Sequence[str]]


@cache
def _projection(stream: str, version: str, columns: tuple[str, ...]) -> Projection | None:
    """Reorders rows given in ``columns`` order into the header; None when they already are."""
    wanted = header(stream, version)
    if columns == wanted:
        return None
    # Header columns the rows lack are read from the rows' own blank column (named ""), or
    # failing that from a blank appended to each row, which costs a copy per row.
    padded = "" not in columns and not set(wanted) <= set(columns)
    blank = len(columns) if padded else columns.index("") if "" in columns else -1
    getter: Projection = itemgetter(*(columns.index(c) if c in columns else blank
                                      for c in wanted))
    if not padded:
        return getter
    pad = ("",)
    return lambda row: getter(operator.add(tuple(row), pad))


class ExportWriter:
    """Streams rows into ``<out>/<stream>.csv`` files and writes ``manifest.csv`` on close.

    In a delta export a stream nobody wrote rows for is left out (``absent``); in a bulk
    export, writing an empty batch still creates the file with its header.
    """

    def __init__(self, out: Path, version: str, mode: Mode) -> None:
        _check_version(version)
        self.out, self.version, self.mode = out, version, mode
        self._files: dict[str, TextIO] = {}
        self._writers: dict[str, Any] = {}
        self._rows: dict[str, int] = {}
        self._summary: ExportSummary | None = None
        out.mkdir(parents=True, exist_ok=True)
        # A stale file from an earlier run would contradict the manifest we are about to write.
        for name in (*STREAM_ORDER, "manifest"):
            (out / f"{name}.csv").unlink(missing_ok=True)

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        # A failed run leaves no manifest, so nobody mistakes its files for an export.
        if kind is None:
            self.close()
        else:
            self._close_files()

    def write(self, stream: str, records: Collection[Mapping[str, str]]) -> None:
        """Write records given by column name; columns the header lacks are ignored."""
        if self._open(stream, records):
            wanted = header(stream, self.version)
            self._writers[stream].writerows(
                tuple(map(record.get, wanted, repeat(""))) for record in records)

    def write_rows(self, stream: str, columns: tuple[str, ...],
                   rows: Collection[Sequence[str]]) -> None:
        """Write rows given in ``columns`` order: the fast path for the big streams.

        A column named ``""`` holds a blank that fills the header columns not given.
        """
        if self._open(stream, rows):
            projection = _projection(stream, self.version, columns)
            self._writers[stream].writerows(rows if projection is None else map(projection, rows))

    def _open(self, stream: str, rows: Collection[object]) -> bool:
        if stream in self._writers:
            self._rows[stream] += len(rows)
            return True
        if not rows and self.mode == "delta":
            return False
        file = (self.out / f"{stream}.csv").open("w", encoding="utf-8", newline="")
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header(stream, self.version))
        self._files[stream], self._writers[stream] = file, writer
        self._rows[stream] = len(rows)
        return True

    def _close_files(self) -> None:
        for file in self._files.values():
            file.close()

    def close(self) -> ExportSummary:
        """Close every file, write the manifest, and say what was written (once)."""
        if self._summary is not None:
            return self._summary
        self._close_files()
        declared = tuple(
            (f"file.{s}", self.mode if s in self._files else "absent")
            for s in streams(self.version))
        with (self.out / "manifest.csv").open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(("propertyName", "value"))
            writer.writerows(_MANIFEST_HEAD)
            writer.writerow(("oneroster.version", self.version))
            writer.writerows(declared)
            writer.writerows(_MANIFEST_SOURCE)
        rows = {s: self._rows[s] for s in streams(self.version) if s in self._rows}
        self._summary = ExportSummary(self.out, self.version, rows)
        return self._summary


def read_manifest(export: Path) -> dict[str, str]:
    """``manifest.csv`` of an export as ``propertyName -> value``."""
    with (export / "manifest.csv").open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        if next(reader, None) != ["propertyName", "value"]:
            raise ValueError(f"{export / 'manifest.csv'} does not start with propertyName,value")
        return {row[0]: row[1] for row in reader if len(row) >= 2}


def read_rows(export: Path, stream: str) -> tuple[dict[str, int], Iterator[list[str]]]:
    """The column positions and the (lazily read) data rows of ``<export>/<stream>.csv``."""
    lines = _lines(export / f"{stream}.csv")
    names = next(lines, None)
    if names is None:
        raise ValueError(f"{export / stream}.csv is empty; it needs at least a header")
    return {name: i for i, name in enumerate(names)}, lines


def _lines(path: Path) -> Iterator[list[str]]:
    # The file is opened inside the generator so that closing it (or dropping it half-read)
    # closes the file too.
    with path.open(encoding="utf-8", newline="") as file:
        yield from csv.reader(file)

