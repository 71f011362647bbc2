"""A drop of assessment export files (a folder, a zip, or an SFTP folder fetched for the
pull) and the rows of its CSV files, keyed by the canonical names of :class:`Columns`.

Files are read as UTF-8, with or without a byte order mark (UTF-16 with a BOM too, as Excel's
"Unicode Text" saves); a file that is not UTF-8 is read as Windows-1252, the encoding of
Excel's "CSV" on US Windows, and the drop notes that it did. Tab-separated files are
recognised by their header line. Nothing of a file is yielded before its header has matched,
so a wrong file fails the run before any of its rows reaches the store.
"""

from __future__ import annotations

import codecs
import csv
import fnmatch
import io
import logging
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

import xxhash

from gateway.abc import CheckResult
from gateway.errors import ConfigError, HarborError, Problem, SourceDataError

from .columns import Columns, cell
from .config import DropConfig

__all__ = ["Drop", "Record", "check_drop", "local_drop", "open_drop"]

log = logging.getLogger("harbormaster.connectors.assessment_files")

FIELD_SIZE_LIMIT = 16 * 1024 * 1024
HEADER_SEARCH = 10
"""Rows tried as the header: some exports put a title line or two above it."""
_CHUNK = 1 << 20
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


class Record(NamedTuple):
    line: int
    """The physical line the record starts on (1 is the header's line in most files)."""
    values: dict[str, str | None]
    """Cells by canonical name (None: blank, ``--``, ``N/A``, ``NA``): every required and
    optional column (None when the file lacks an optional one) and each pattern match."""
    cells: dict[str, str]
    """Every non-blank cell as written, by the file's own header: the row as read, for a
    record's ``payload``."""


@dataclass(frozen=True, slots=True)
class _Entry:
    open: Callable[[], IO[bytes]]
    label: str
    size: int


@dataclass(frozen=True, slots=True)
class _Text:
    encoding: str
    delimiter: str


class Drop:
    """The files of one drop, read for one pull. Build with :func:`open_drop`."""

    def __init__(self, entries: dict[str, _Entry], where: str,
                 closers: list[Callable[[], None]] | None = None) -> None:
        self._entries = dict(sorted(entries.items()))
        self.where = where
        """The drop as a person names it: a path, or ``host:folder``."""
        self.notes: list[str] = []
        """What a person may want to know about how files were read (a file read as
        Windows-1252), one sentence each, for the run's report."""
        self._closers = closers or []
        self._texts: dict[str, _Text] = {}
        self._digests: dict[str, str] = {}

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()

    def files(self) -> list[str]:
        """Names of the drop's files, sorted: ``AssessmentResults.csv``, ``sub/SR.csv`` in
        a folder, member paths in a zip, ``nightly.zip:SR.csv`` for a zip in a folder."""
        return list(self._entries)

    def find(self, *patterns: str) -> list[str]:
        """Names whose base name matches any glob (case-insensitive), sorted."""
        wanted = [p.lower() for p in patterns]
        return [name for name in self._entries
                if any(fnmatch.fnmatchcase(_base(name).lower(), p) for p in wanted)]

    def beside(self, name: str, *patterns: str) -> list[str]:
        """Names in the same folder or zip as ``name`` matching the globs (a MAP
        ``AssessmentResults.csv`` and the ``StudentsBySchool.csv`` of the same export)."""
        home = _home(name)
        return [other for other in self.find(*patterns) if _home(other) == home]

    def label(self, name: str) -> str:
        """The file as a person names it: ``export.zip:AssessmentResults.csv``."""
        return self._entry(name).label

    def size(self, name: str) -> int:
        """Bytes (uncompressed), for progress."""
        return self._entry(name).size

    def digest(self, name: str) -> str:
        """A digest of the file's content (xxh3-128), for ``Batch.digest``."""
        if name not in self._digests:
            h = xxhash.xxh3_128()
            with self._entry(name).open() as raw:
                while chunk := raw.read(_CHUNK):
                    h.update(chunk)
            self._digests[name] = h.hexdigest()
        return self._digests[name]

    def encoding(self, name: str) -> str:
        """The encoding the file is read with: ``utf-8-sig``, ``utf-16`` or ``cp1252``."""
        return self._text(name).encoding

    def rows(self, name: str, columns: Columns) -> Iterator[tuple[int, dict[str, str | None]]]:
        """``(line, row)`` for each record, the row keyed by canonical column names.

        Raises :class:`~gateway.errors.SourceDataError` naming the file and every missing
        required column before any row, and naming the line of a record that is not CSV.
        """
        for record in self.records(name, columns):
            yield record.line, record.values

    def records(self, name: str, columns: Columns) -> Iterator[Record]:
        """As :meth:`rows`, with each record's cells as written (for payloads)."""
        label = self.label(name)
        text = self._text(name)
        csv.field_size_limit(FIELD_SIZE_LIMIT)  # process-wide; set on use, not on import
        with self._entry(name).open() as raw:
            stream = io.TextIOWrapper(raw, encoding=text.encoding, newline="")
            yield from _records(stream, text.delimiter, columns, label)

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"{name!r} is not in the drop {self.where}") from None

    def _text(self, name: str) -> _Text:
        if name not in self._texts:
            self._texts[name] = self._detect(name)
        return self._texts[name]

    def _detect(self, name: str) -> _Text:
        label = self.label(name)
        with self._entry(name).open() as raw:
            head = raw.read(_CHUNK)
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                first = head.decode("utf-16", errors="replace").split("\n", 1)[0]
                return _Text("utf-16", _delimiter(first))
            first = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
            bad = _first_bad(head, raw, codecs.getincrementaldecoder("utf-8")())
        if bad is None:
            return _Text("utf-8-sig", _delimiter(first))
        line, byte = bad
        with self._entry(name).open() as raw:
            head = raw.read(_CHUNK)
            not_1252 = _first_bad(head, raw, codecs.getincrementaldecoder("cp1252")())
        if not_1252 is not None:
            raise SourceDataError(f"{label} is neither UTF-8 nor Windows-1252 text", [Problem(
                label, not_1252[0], None,
                f"byte 0x{not_1252[1]:02X} is not text in UTF-8 or Windows-1252; the file may "
                f"be damaged or not a CSV: export it again, saved as CSV UTF-8")])
        note = (f"{label} is not UTF-8 (line {line} has byte 0x{byte:02X}); it was read as "
                f"Windows-1252 (cp1252), Excel's CSV encoding. If names look wrong, export "
                f"the file as CSV UTF-8")
        self.notes.append(note)
        log.warning("%s", note)
        return _Text("cp1252", _delimiter(first))


def _records(stream: IO[str], delimiter: str, columns: Columns,
             label: str) -> Iterator[Record]:
    reader = csv.reader(stream, delimiter=delimiter)
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    absent: dict[str, str | None] = {}
    first_error: SourceDataError | None = None
    tried = 0
    end = 0
    try:
        for rec in reader:
            start, end = end + 1, reader.line_num
            if not any(f.strip() for f in rec):
                continue  # blank line
            if header is None:
                try:
                    mapping = columns.resolve(rec, label)
                except SourceDataError as exc:
                    first_error = first_error or exc
                    tried += 1
                    if tried >= HEADER_SEARCH:
                        raise first_error from None
                    continue
                header = [h.replace("\ufeff", "").strip() for h in rec]
                # Optional columns the file lacks read as None, so connectors need no .get.
                absent = dict.fromkeys(set(columns.optional) - set(mapping.values()))
                continue
            width = len(header)
            if len(rec) > width and any(f.strip() for f in rec[width:]):
                raise SourceDataError(f"{label}: a record has more fields than the header", [
                    Problem(label, start, None,
                            f"{len(rec)} fields but the header has {width}; a field holding "
                            f"a comma must be enclosed in double quotes")])
            values = {canonical: cell(rec[i]) if i < len(rec) else None
                      for i, canonical in mapping.items()}
            values.update(absent)
            cells = {header[i]: value for i, value in enumerate(rec[:width]) if value.strip()}
            yield Record(start, values, cells)
    except csv.Error as exc:
        raise SourceDataError(f"{label} is not valid CSV", [Problem(
            label, reader.line_num, None,
            f"{exc}; check the quoting of this record (a field with a comma, quote or line "
            f"break must be enclosed in double quotes, inner quotes doubled)")]) from None
    except UnicodeDecodeError as exc:
        raise SourceDataError(f"{label} is not valid text", [Problem(
            label, end + 1, None, f"{exc.reason}; export the file again as CSV UTF-8")]) from None
    if header is None:
        if first_error is not None:
            raise first_error
        raise SourceDataError(f"{label} is empty", [Problem(
            label, None, None, "the file has no header and no rows; export it again")])


def _first_bad(head: bytes, raw: IO[bytes],
               decoder: codecs.IncrementalDecoder) -> tuple[int, int] | None:
    """(line, byte) of the first bytes ``decoder`` refuses, reading the rest of ``raw``."""
    lines = 1
    chunk = head
    while True:
        final = not chunk
        try:
            decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            # The error's position is within this chunk plus what the decoder held back.
            held = len(exc.object) - len(chunk)
            at = max(exc.start - held, 0)
            return lines + chunk[:at].count(b"\n"), exc.object[exc.start]
        if final:
            return None
        lines += chunk.count(b"\n")
        chunk = raw.read(_CHUNK)


def _delimiter(first_line: str) -> str:
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _base(name: str) -> str:
    return name.replace(":", "/").rsplit("/", 1)[-1]


def _home(name: str) -> str:
    cut = max(name.rfind("/"), name.rfind(":"))
    return name[:cut] if cut >= 0 else ""


def _junk(member: str) -> bool:
    base = member.rsplit("/", 1)[-1]
    return (member.endswith("/") or member.startswith(_JUNK[0]) or base in _JUNK
            or base.startswith("."))


def _zip_entries(archive: zipfile.ZipFile, name_prefix: str,
                 label_prefix: str) -> dict[str, _Entry]:
    entries: dict[str, _Entry] = {}
    for info in archive.infolist():
        if _junk(info.filename):
            continue
        member = info.filename

        def opener(member: str = member) -> IO[bytes]:
            return archive.open(member)

        entries[f"{name_prefix}{member}"] = _Entry(opener, f"{label_prefix}{member}",
                                                   info.file_size)
    return entries


def _open_zip(path: Path, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceDataError(f"{label} cannot be opened as a zip ({exc})", [Problem(
            label, None, None, "the file is not a valid zip archive; download or export it "
            "again (a transfer that stopped part way leaves a zip like this)")]) from None


def local_drop(path: Path, *, label_prefix: str = "", where: str | None = None) -> Drop:
    """The drop at ``path`` (a folder or a ``.zip``). Labels start with ``label_prefix``
    (an SFTP drop's ``host:folder/``)."""
    shown = where or str(path)
    if not path.exists():
        raise ConfigError(f"{shown} does not exist; set path to the folder or .zip where the "
                          f"assessment exports are dropped (the gateway must be able to read it)")
    closers: list[Callable[[], None]] = []
    entries: dict[str, _Entry] = {}
    try:
        if path.is_file():
            archive = _open_zip(path, f"{label_prefix}{path.name}")
            closers.append(archive.close)
            entries = _zip_entries(archive, "", f"{label_prefix}{path.name}:")
        else:
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path).as_posix()
                if not file.is_file() or any(part.startswith(".") for part in
                                             file.relative_to(path).parts) or _junk(rel):
                    continue
                label = f"{label_prefix}{rel}"
                if file.suffix.lower() == ".zip":
                    archive = _open_zip(file, label)
                    closers.append(archive.close)
                    entries.update(_zip_entries(archive, f"{rel}:", f"{label}:"))
                else:
                    entries[rel] = _Entry(_file_opener(file), label, file.stat().st_size)
    except PermissionError as exc:
        for close in closers:
            close()
        raise ConfigError(f"cannot read {exc.filename or shown}: permission denied; let the "
                          f"gateway's user read the drop") from None
    except BaseException:
        for close in closers:
            close()
        raise
    return Drop(entries, shown, closers)


def _file_opener(file: Path) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        return file.open("rb")

    return opener


@asynccontextmanager
async def _drop(config: DropConfig) -> AsyncIterator[Drop]:
    if config.sftp_host is not None:
        from .sftp import fetched

        async with fetched(config) as (folder, label_prefix, where):
            drop = local_drop(folder, label_prefix=label_prefix, where=where)
            try:
                yield drop
            finally:
                drop.close()
        return
    assert config.path is not None
    drop = local_drop(Path(config.path).expanduser())
    try:
        yield drop
    finally:
        drop.close()


def open_drop(config: DropConfig) -> AbstractAsyncContextManager[Drop]:
    """``async with open_drop(config) as drop:`` the drop's files for one pull (an SFTP
    folder is downloaded to a temporary folder on entry and removed on exit).

    Raises :class:`~gateway.errors.ConfigError` when the drop cannot be reached as
    configured (missing path, refused login, unknown host key, missing remote folder),
    :class:`~gateway.errors.RetriableError` when the server cannot be reached now.
    """
    return _drop(config)


async def check_drop(config: DropConfig, *patterns: str, what: str = "export files"
                     ) -> CheckResult:
    """A connector's ``check``: can the drop be read, and does it hold files matching any
    of ``patterns``? Never raises for what a person can fix."""
    try:
        async with open_drop(config) as drop:
            found = drop.find(*patterns) if patterns else drop.files()
            where = drop.where
    except HarborError as exc:
        return CheckResult(False, str(exc))
    if not found:
        return CheckResult(False, f"{where} holds no {what} (looked for "
                           f"{', '.join(patterns) or 'any file'}); drop them there, or fix "
                           f"the connection's path", {"files": 0})
    return CheckResult(True, f"{where}: {len(found)} file(s) to read: {', '.join(found[:5])}"
                       + (" ..." if len(found) > 5 else ""), {"files": len(found)})
