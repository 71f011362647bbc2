"""The next night's export of a sample district: a few users changed, added and removed.

Reads a bulk export written by ``write_district`` (or by ``write_delta(mode="bulk")``) and
writes either just the differences (a delta export) or the whole new state (a bulk export).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from gateway.sample._curriculum import DELTA_DAY, DELTA_MODIFIED, LAST_DAY
from gateway.sample._export import (
    ExportSummary,
    ExportWriter,
    Mode,
    read_manifest,
    read_rows,
    streams,
)
from gateway.sample._names import FAMILY_NAMES
from gateway.sample._people import (
    DOMAIN,
    Person,
    demographics_record,
    draw_person,
    role_record,
    student_id,
    student_number,
    student_user,
)

__all__ = ["write_delta"]

_BATCH = 50_000
_USER_COLUMN = {"roles": "userSourcedId", "demographics": "sourcedId",
                "enrollments": "userSourcedId", "results": "studentSourcedId"}
"""Streams whose rows belong to one user, and the column that says which."""


@dataclass(slots=True)
class _Newcomer:
    """A student added in the delta, placed in the same grade and classes as a classmate."""

    number: int
    person: Person
    classmate: str
    grade: str = ""
    school: str = ""
    classes: list[tuple[str, str]] = field(default_factory=list)
    """``(classSourcedId, schoolSourcedId)`` of the classmate's student enrollments."""


@dataclass(slots=True)
class _Changes:
    removed: set[str]
    changed: dict[str, tuple[str, str]]
    """User -> ``(column, new family name or "")``."""
    added: list[_Newcomer]

    @property
    def by_classmate(self) -> dict[str, _Newcomer]:
        return {n.classmate: n for n in self.added}


def write_delta(base: Path, out: Path, *, share: float = 0.01, seed: int = 2027,
                mode: str = "delta") -> ExportSummary:
    """Write the export that follows ``base``: about ``share`` of users changed, ``share`` of
    students added (with enrollments) and ``share`` removed (with everything of theirs).

    ``mode="delta"`` writes only changed and added rows plus ``tobedeleted`` rows for what
    was removed; ``mode="bulk"`` writes the complete new state.
    """
    if mode not in ("delta", "bulk"):
        raise ValueError(f"mode must be 'delta' or 'bulk', not {mode!r}")
    if not 0 <= share <= 0.5:
        raise ValueError(f"share must be between 0 and 0.5, not {share}")
    if out.resolve() == base.resolve():
        raise ValueError("write the delta next to the base export, not over it")
    manifest = read_manifest(base)
    version = manifest.get("oneroster.version", "")
    present = [s for s in streams(version) if manifest.get(f"file.{s}") != "absent"]
    if any(manifest.get(f"file.{s}") != "bulk" for s in present):
        raise ValueError(f"{base} is not a bulk export; derive deltas from a bulk export")
    rng = random.Random(seed)
    changes = _draw(base, version, share, rng)
    bulk = mode == "bulk"
    output: Mode = "bulk" if bulk else "delta"
    with ExportWriter(out, version, output) as export:
        for stream in present:
            if stream == "users":
                _users(base, export, changes)
            elif stream in _USER_COLUMN:
                _owned(base, export, stream, changes, rng)
            elif bulk:
                _copy(base, export, stream)
    return export.close()


def _draw(base: Path, version: str, share: float, rng: random.Random) -> _Changes:
    """Pick who is removed, who changes, and whose classmates join the district."""
    columns, rows = read_rows(base, "users")
    if version == "1.1":
        role = columns["role"]
        users, roles = [], []
        for row in rows:
            users.append(row[0])
            roles.append(row[role])
        students = [u for u, r in zip(users, roles, strict=True) if r == "student"]
    else:
        users = [row[0] for row in rows]
        columns, rows = read_rows(base, "roles")
        owner, role = columns["userSourcedId"], columns["role"]
        enrolled = {row[owner] for row in rows if row[role] == "student"}
        students = [u for u in users if u in enrolled]

    def portion(population: int) -> int:
        return min(population, max(1, round(share * population))) if share and population else 0

    removed = set(rng.sample(students, portion(len(students))))
    staying = [s for s in students if s not in removed]
    classmates = rng.sample(staying, min(len(staying), portion(len(students))))
    candidates = [u for u in users if u not in removed]
    changed: dict[str, tuple[str, str]] = {}
    for user in rng.sample(candidates, portion(len(candidates))):
        changed[user] = ("email", "") if rng.random() < 0.5 else (
            "familyName", rng.choice(FAMILY_NAMES))
    first = max(map(student_number, students), default=0) + 1
    added = [_Newcomer(first + i, draw_person(rng), mate) for i, mate in enumerate(classmates)]
    return _Changes(removed, changed, added)


def _stamp(row: list[str], status: str, bulk: bool) -> list[str]:
    """Mark a delta row; every OneRoster file starts sourcedId, status, dateLastModified."""
    if not bulk:
        row[1], row[2] = status, DELTA_MODIFIED
    return row


def _batched(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    yield batch


def _users(base: Path, export: ExportWriter, changes: _Changes) -> None:
    columns, rows = read_rows(base, "users")
    bulk = export.mode == "bulk"
    newcomers = changes.by_classmate
    grades = columns["grades"]
    org = columns["orgSourcedIds" if export.version == "1.1" else "primaryOrgSourcedId"]

    def kept() -> Iterator[list[str]]:
        for row in rows:
            user = row[0]
            if user in newcomers:
                newcomers[user].grade, newcomers[user].school = row[grades], row[org]
            if user in changes.removed:
                if not bulk:
                    yield _stamp(row, "tobedeleted", bulk)
            elif user in changes.changed:
                yield _stamp(_change(row, columns, changes.changed[user]), "active", bulk)
            elif bulk:
                yield row

    for batch in _batched(kept()):
        export.write_rows("users", tuple(columns), batch)
    status, modified = ("", "") if bulk else ("active", DELTA_MODIFIED)
    export.write("users", [
        student_user(n.number, n.person, n.grade, n.school, status=status, modified=modified)
        for n in changes.added])


def _change(row: list[str], columns: dict[str, int], change: tuple[str, str]) -> list[str]:
    column, family = change
    if column == "familyName":
        at = columns["familyName"]
        if row[at] == family:
            family = FAMILY_NAMES[(FAMILY_NAMES.index(family) + 1) % len(FAMILY_NAMES)]
        row[at] = family
    else:
        local, _, domain = row[columns["email"]].partition("@")
        row[columns["email"]] = f"{local}@{'mail.' if domain != f'mail.{DOMAIN}' else ''}{DOMAIN}"
    return row


def _owned(base: Path, export: ExportWriter, stream: str, changes: _Changes,
           rng: random.Random) -> None:
    """Copy or drop one user-owned stream, then add the newcomers' rows."""
    columns, rows = read_rows(base, stream)
    owner = columns[_USER_COLUMN[stream]]
    bulk = export.mode == "bulk"
    newcomers = changes.by_classmate
    last_enrollment = 0

    def kept() -> Iterator[list[str]]:
        nonlocal last_enrollment
        for row in rows:
            user = row[owner]
            if stream == "enrollments":
                last_enrollment = max(last_enrollment, _number(row[0]))
                if user in newcomers and row[columns["role"]] == "student":
                    newcomers[user].classes.append(
                        (row[columns["classSourcedId"]], row[columns["schoolSourcedId"]]))
            if user in changes.removed:
                if not bulk:
                    yield _stamp(row, "tobedeleted", bulk)
            elif bulk:
                yield row

    for batch in _batched(kept()):
        export.write_rows(stream, tuple(columns), batch)
    status, modified = ("", "") if bulk else ("active", DELTA_MODIFIED)
    if stream == "roles":
        export.write(stream, [role_record(student_id(n.number), "student", n.school, DELTA_DAY,
                                       status=status, modified=modified)
                              for n in changes.added])
    elif stream == "demographics":
        export.write(stream, [demographics_record(rng, student_id(n.number), n.grade, n.person.sex,
                                               status=status, modified=modified)
                              for n in changes.added])
    elif stream == "enrollments":
        numbers = count(last_enrollment + 1)
        export.write(stream, [
            {"sourcedId": f"enr-{next(numbers):08d}", "status": status,
             "dateLastModified": modified, "classSourcedId": klass, "schoolSourcedId": school,
             "userSourcedId": student_id(n.number), "role": "student", "primary": "false",
             "beginDate": DELTA_DAY.isoformat(), "endDate": LAST_DAY.isoformat()}
            for n in changes.added for klass, school in n.classes])


def _number(sourced_id: str) -> int:
    digits = sourced_id.rpartition("-")[2]
    return int(digits) if digits.isdigit() else 0


def _copy(base: Path, export: ExportWriter, stream: str) -> None:
    columns, rows = read_rows(base, stream)
    for batch in _batched(rows):
        export.write_rows(stream, tuple(columns), batch)
