"""Reading a OneRoster CSV export: a folder or a zip, its manifest, and its files as rows."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import xxhash

from gateway.errors import ConfigError, Problem, SourceDataError

__all__ = ["Export", "Manifest", "open_export"]

SUPPORTED_VERSIONS = {"1.1": "1.1", "1.2": "1.2", "1.2.1": "1.2"}
MODES = ("bulk", "delta", "absent")
FIELD_SIZE_LIMIT = 16 * 1024 * 1024  # long quoted comment fields are legal


@dataclass(frozen=True, slots=True)
class Manifest:
    version: str
    """Normalized OneRoster version: ``1.1`` or ``1.2``."""
    files: dict[str, str]
    """Stream name (as spelled in the manifest, e.g. ``users``) -> bulk, delta or absent."""
    system: str


class _Counting(io.RawIOBase):
    """A raw stream that counts the bytes read through it (for progress bars)."""

    def __init__(self, inner: IO[bytes], counter: list[int]) -> None:
        self._inner = inner
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._inner.read(len(b))
        n = len(data)
        b[:n] = data
        self._counter[0] += n
        return n


class Export:
    """One export (folder or zip). File names are matched case-insensitively."""

    def __init__(self, path: Path, *, named: bool = False) -> None:
        self.path = path
        self.name = path.name
        self.named = named
        """Name the export in labels (inbox mode, where several exports are applied)."""
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        self.bytes_read = [0]
        if path.is_dir():
            for p in path.iterdir():
                if p.is_file():
                    self._members[p.name.lower()] = p.name
        else:
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise SourceDataError(f"{path} cannot be opened as a zip ({exc})", [
                    Problem(path.name, None, None, "the file is not a valid zip archive; "
                            "re-download or re-export it")]) from None
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
            # Exports sometimes wrap everything in one top folder; look where the manifest is.
            prefix = ""
            for n in names:
                if n.lower().rsplit("/", 1)[-1] == "manifest.csv" and n.count("/") <= 1:
                    prefix = n[: len(n) - len("manifest.csv")]
                    break
            for n in names:
                if n.startswith(prefix) and "/" not in n[len(prefix):]:
                    self._members[n[len(prefix):].lower()] = n

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, filename: str) -> bool:
        return filename.lower() in self._members

    def label(self, filename: str) -> str:
        real = self._members.get(filename.lower(), filename)
        if self._zip is not None:
            return f"{self.name}:{real.rsplit('/', 1)[-1]}"
        return f"{self.name}/{real}" if self.named else real

    def size(self, filename: str) -> int:
        real = self._members[filename.lower()]
        if self._zip is not None:
            return self._zip.getinfo(real).file_size
        return (self.path / real).stat().st_size

    def total_size(self) -> int:
        return sum(self.size(f) for f in self._members if f.endswith(".csv"))

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for f in sorted(self._members):
            h.update(f"{f}:{self.size(f)}\n".encode())
        if self._zip is None:
            for f in sorted(self._members):
                h.update(str((self.path / self._members[f]).stat().st_mtime_ns).encode())
        else:
            h.update(str(self.path.stat().st_mtime_ns).encode())
        return h.hexdigest()[:16]

    def _open_raw(self, filename: str) -> IO[bytes]:
        real = self._members[filename.lower()]
        return self._zip.open(real) if self._zip is not None else (self.path / real).open("rb")

    @contextmanager
    def open_csv(self, filename: str) -> Iterator[tuple[Any, str]]:
        """A ``csv.reader`` over the file (BOM and CRLF tolerated) and its label."""
        csv.field_size_limit(FIELD_SIZE_LIMIT)  # process-wide; set on use, not on import
        raw = self._open_raw(filename)
        counting = io.BufferedReader(_Counting(raw, self.bytes_read), buffer_size=1 << 20)
        text = io.TextIOWrapper(counting, encoding="utf-8-sig", newline="")
        try:
            yield csv.reader(text), self.label(filename)
        finally:
            text.close()
            raw.close()

    def digest(self, filename: str) -> str:
        """A content hash of the file (xxh3-128, about 0.1 s for 300 MB)."""
        h = xxhash.xxh3_128()
        with self._open_raw(filename) as raw:
            while chunk := raw.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    def first_bad_utf8_line(self, filename: str) -> int | None:
        """The 1-based line holding the first bytes that are not UTF-8 (slow; errors only)."""
        with self._open_raw(filename) as raw:
            for n, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return n
        return None

    def manifest(self) -> Manifest:
        if not self.has("manifest.csv"):
            raise SourceDataError(f"{self.path}: no manifest.csv", [Problem(
                self.name, None, None,
                "manifest.csv is missing; OneRoster 1.1 and 1.2 exports must include it "
                "(with oneroster.version and a file.<name>=bulk|delta|absent row per file). "
                "Ask the SIS for a complete OneRoster export")])
        props: dict[str, str] = {}
        problems: list[Problem] = []
        with self.open_csv("manifest.csv") as (reader, label):
            for row in reader:
                if not row or (reader.line_num == 1 and row[0].strip().lower() == "propertyname"):
                    continue
                if len(row) < 2:
                    problems.append(Problem(label, reader.line_num, None,
                                            "expected two columns: propertyName,value"))
                    continue
                props[row[0].strip().lower()] = row[1].strip()
        raw_version = props.get("oneroster.version", "")
        version = SUPPORTED_VERSIONS.get(raw_version)
        if version is None:
            problems.append(Problem(label, None, "oneroster.version",
                                    f"{raw_version or 'missing'!s}: supported versions are "
                                    f"1.1 and 1.2; set oneroster.version accordingly"))
        files: dict[str, str] = {}
        for key, value in props.items():
            if key.startswith("file."):
                mode = value.lower()
                if mode not in MODES:
                    problems.append(Problem(label, None, key, f"{value!r} must be one of "
                                            f"bulk, delta or absent"))
                    continue
                files[key[5:]] = mode
        if problems:
            raise SourceDataError(f"{label} is not a valid OneRoster manifest", problems)
        assert version is not None
        return Manifest(version, files, props.get("source.systemname", ""))


def open_export(path: Path, *, named: bool = False) -> Export:
    if not path.exists():
        raise ConfigError(f"{path} does not exist; check the connection's path (a folder or "
                          f".zip holding a OneRoster export, or a folder of exports)")
    return Export(path, named=named)


def list_exports(inbox: Path) -> list[Path]:
    """Exports in an inbox folder (sub-folders holding a manifest, or zips), oldest first
    by name: name them so they sort in time order, e.g. ``2026-11-23T0200.zip``."""
    found = [p for p in inbox.iterdir()
             if (p.is_dir() and any(c.name.lower() == "manifest.csv" for c in p.iterdir()))
             or (p.is_file() and p.suffix.lower() == ".zip")]
    return sorted(found, key=lambda p: p.name)
