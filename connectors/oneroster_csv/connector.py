"""The OneRoster CSV connector: a district's SIS export, as a folder, a zip or an inbox."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

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
from gateway.errors import HarborError, Problem, SourceDataError
from gateway.model.schema import STREAMS

from .client import Export, Manifest, list_exports, open_export
from .rows import BATCH_ROWS, layout_for, read_rows

__all__ = ["OneRosterCsvConfig", "OneRosterCsvConnector"]

STREAMS_11 = ("orgs", "academicSessions", "courses", "classes", "users", "demographics",
              "enrollments", "resources", "classResources", "courseResources", "categories",
              "lineItems", "results")


class OneRosterCsvConfig(ConnectorConfig):
    path: Path
    """A folder holding one export (manifest.csv and the data files), a ``.zip`` of one
    export, or an inbox folder of exports (sub-folders or zips, applied oldest name first)."""


class OneRosterCsvConnector(Connector[OneRosterCsvConfig]):
    """Pulls OneRoster 1.1 and 1.2 CSV exports, bulk and delta, honouring the manifest."""

    name: ClassVar[str] = "oneroster-csv"
    title: ClassVar[str] = "OneRoster CSV export (folder, zip or inbox)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.SIS
    config_model: ClassVar[type[ConnectorConfig]] = OneRosterCsvConfig

    def streams(self) -> Sequence[str]:
        return tuple(STREAMS)

    def _is_inbox(self) -> bool:
        p = self.config.path
        return p.is_dir() and not any(c.name.lower() == "manifest.csv" for c in p.iterdir())

    async def check(self) -> CheckResult:
        path = self.config.path
        if not path.exists():
            return CheckResult(False, f"{path} does not exist; point the connection at the "
                               f"folder or .zip where the SIS drops its OneRoster export")
        try:
            if self._is_inbox():
                exports = list_exports(path)
                if not exports:
                    return CheckResult(False, f"{path} holds no export (no manifest.csv, no "
                                       f"sub-folder with one, no .zip)")
                return CheckResult(True, f"inbox with {len(exports)} export(s); newest "
                                   f"{exports[-1].name}", {"exports": len(exports)})
            export = open_export(path)
            try:
                manifest = export.manifest()
                missing = [f"{name}.csv" for name, mode in manifest.files.items()
                           if mode != "absent" and not export.has(f"{name}.csv")]
            finally:
                export.close()
        except HarborError as exc:
            return CheckResult(False, str(exc))
        except OSError as exc:
            return CheckResult(False, f"cannot read {path}: {exc.strerror}; check permissions")
        if missing:
            return CheckResult(False, f"the manifest lists {', '.join(missing)} but the export "
                               f"does not contain them; re-export or fix manifest.csv")
        present = {m: [n for n, v in manifest.files.items() if v == m] for m in ("bulk", "delta")}
        return CheckResult(True, f"OneRoster {manifest.version} export: "
                           f"{len(present['bulk'])} bulk file(s), {len(present['delta'])} delta "
                           f"file(s)", {"version": manifest.version, **present})

    async def pull(self, state: Mapping[str, Any] | None,
                   ) -> AsyncGenerator[PullItem, bool | None]:
        # File reading is synchronous; relay its items and the engine's answers (skip).
        items = self._items(state)
        answer: bool | None = None
        while True:
            try:
                item = items.send(answer)
            except StopIteration:
                return
            answer = yield item

    def _items(self, state: Mapping[str, Any] | None) -> Generator[PullItem, bool | None, None]:
        path = self.config.path
        if self._is_inbox():
            last = (state or {}).get("last_export")
            pending = [p for p in list_exports(path) if last is None or p.name > last]
            for export_path in pending:
                # One checkpoint per export, after it: the next run starts after it.
                yield from self._pull_export(export_path, named=True, inbox=True)
            return
        yield from self._pull_export(path)

    def _pull_export(self, path: Path, *, named: bool = False,
                     inbox: bool = False) -> Generator[PullItem, bool | None, None]:
        export = open_export(path, named=named)
        try:
            manifest = export.manifest()
            total = export.total_size()
            reader = _ExportReader(export, manifest, total)
            yield from reader.items()
            if inbox:
                yield Checkpoint({"last_export": path.name}, label=path.name)
            else:
                yield Checkpoint({"export": path.name, "fingerprint": export.fingerprint()},
                                 label=path.name)
        finally:
            export.close()


class _ExportReader:
    """Yields one export's streams in dependency order, converting 1.1 where needed."""

    def __init__(self, export: Export, manifest: Manifest, total: int) -> None:
        self.export = export
        self.manifest = manifest
        self.total = total
        self.v11 = manifest.version == "1.1"
        self.org_types: dict[str, str] = {}
        self.class_schools: dict[str, str] = {}

    def _mode(self, stream: str) -> str:
        mode = self.manifest.files.get(stream.lower()) or self.manifest.files.get(stream)
        if mode is None:
            # Older exporters omit entries for files they never produce.
            mode = "bulk" if self.export.has(f"{stream}.csv") else "absent"
        return mode

    def items(self) -> Generator[Batch, bool | None, None]:
        names = STREAMS_11 if self.v11 else tuple(STREAMS)
        lowered = {k.lower(): v for k, v in self.manifest.files.items()}
        self.manifest.files.clear()
        self.manifest.files.update(lowered)
        for stream in names:
            mode = self._mode(stream)
            if mode == "absent":
                continue
            filename = f"{stream}.csv"
            if not self.export.has(filename):
                raise SourceDataError(f"{self.export.name}: {filename} is missing", [Problem(
                    self.export.label("manifest.csv"), None, f"file.{stream}",
                    f"the manifest says {mode} but {filename} is not in the export; add the "
                    f"file or set file.{stream} to absent")])
            yield from self._stream(stream, Mode(mode), filename)

    def _stream(self, stream: str, mode: Mode,
                filename: str) -> Generator[Batch, bool | None, None]:
        try:
            yield from self._read(stream, mode, filename)
        except UnicodeDecodeError:
            label = self.export.label(filename)
            raise SourceDataError(f"{label} is not UTF-8", [Problem(
                label, self.export.first_bad_utf8_line(filename), None,
                "this line has bytes that are not UTF-8 (often a Windows-1252 accent such as "
                "é); save or export the file as UTF-8")]) from None

    def _read(self, stream: str, mode: Mode,
              filename: str) -> Generator[Batch, bool | None, None]:
        version = self.manifest.version
        if not self.v11:  # 1.1 conversions carry state from file to file: always read
            label = self.export.label(filename)
            digest = f"{version}:{mode}:{self.export.digest(filename)}"
            if (yield Batch(stream, mode, label, [], [], digest=digest)):
                yield Batch(stream, mode, label, [], [], last=True)  # unchanged: skipped
                return
        with self.export.open_csv(filename) as (reader, label):
            header = next(reader, None)
            if header is None:
                raise SourceDataError(f"{label} is empty", [Problem(
                    label, None, None, "the file has no header row; a OneRoster file starts "
                    "with its header (or set it to absent in the manifest)")])
            layout = layout_for(stream, header, label, version)
            roles: list[Row] = []
            roles_lines: list[int] = []
            for rows, lines in read_rows(reader, layout, label):
                if self.v11:
                    rows = self._convert_11(stream, rows, roles, roles_lines, lines)
                yield Batch(stream, mode, label, rows, lines, last=False,
                            progress=(self.export.bytes_read[0], self.total))
            yield Batch(stream, mode, label, [], [], last=True,
                        progress=(self.export.bytes_read[0], self.total))
        if self.v11 and stream == "users":
            # 1.1 kept a user's role and orgs on the user; 1.2 has them as roles records.
            for start in range(0, max(len(roles), 1), BATCH_ROWS):
                yield Batch("roles", mode, label, roles[start:start + BATCH_ROWS],
                            roles_lines[start:start + BATCH_ROWS],
                            last=start + BATCH_ROWS >= len(roles))

    def _convert_11(self, stream: str, rows: list[Row], roles: list[Row],
                    roles_lines: list[int], lines: Sequence[int]) -> list[Row]:
        if stream == "orgs":  # types decide how 1.1 administrators map onto 1.2 roles
            self.org_types.update((r[0], r[4]) for r in rows)
        elif stream == "classes":
            school = 3 + STREAMS["classes"].column_names.index("schoolSourcedId")
            self.class_schools.update((r[0], r[school]) for r in rows)
        elif stream == "lineItems":
            cls = 3 + STREAMS["lineItems"].column_names.index("classSourcedId")
            school = 3 + STREAMS["lineItems"].column_names.index("schoolSourcedId")
            rows = [r if r[school] else
                    (*r[:school], self.class_schools.get(r[cls] or "", ""), *r[school + 1:])
                    for r in rows]
        elif stream == "users":
            rows = [self._user_11(r, ln, roles, roles_lines) for r, ln in zip(rows, lines,
                                                                                 strict=True)]
        status = 1
        return [r if r[status] != "inactive" else (r[0], "tobedeleted", *r[2:]) for r in rows]

    def _user_11(self, row: Row, line: int, roles: list[Row], roles_lines: list[int]) -> Row:
        meta = json.loads(row[-1]) if row[-1] else {}
        orgs = [o.strip() for o in meta.get("orgSourcedIds", "").split(",") if o.strip()]
        role = meta.get("role", "").strip()
        sid, status, dlm = row[0] or "", row[1] or "", row[2] or ""
        for n, org in enumerate(orgs):
            role_12 = role
            if role.lower() == "administrator":
                org_type = self.org_types.get(org, "school")
                role_12 = "districtAdministrator" if org_type == "district" else \
                    "siteAdministrator"
            roles.append((f"{sid}:{org}", status, dlm, sid, "primary" if n == 0 else
                          "secondary", role_12, "", "", org, "", ""))
            roles_lines.append(line)
        primary = 3 + STREAMS["users"].column_names.index("primaryOrgSourcedId")
        if orgs and not row[primary]:
            row = (*row[:primary], orgs[0], *row[primary + 1:])
        return row
