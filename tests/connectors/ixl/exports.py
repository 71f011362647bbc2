"""Realistic IXL diagnostic exports, written by plain functions: hundreds of students over
the fall, winter and spring of 2026-27, levels that grow about 100 points a year, students
who skip a subject (blank, ``--`` or ``N/A``), levels IXL has not pinpointed yet (ranges),
a retest snapshot in the fall, and the older header spellings in the fall export.

The layout is our reading of IXL's Analytics > Diagnostic exports (docs/assessments-ixl.md):
one row per student, a date the levels are as of, per subject the current level, growth
since the school year's first diagnostic, percentile and tier, and strand levels.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import org, user, write_export
from tests.helpers import csv_connection, run

MATH_STRANDS = ("Number and operations", "Algebra and algebraic thinking", "Fractions",
                "Geometry", "Data and measurement")
ELA_STRANDS = ("Reading strategies", "Writing strategies", "Vocabulary",
               "Grammar and mechanics")
WINDOWS = {"fall": "2026-10-06", "winter": "2027-01-19", "spring": "2027-05-11"}
RETEST_DAY = "2026-11-17"
"""The fall retest snapshot: a later export in the same window."""

NEW_HEADERS = {"id": "Student ID", "name": "Student", "grade": "Grade", "school": "School",
               "email": "Email", "state": "State ID", "date": "Last diagnostic date",
               "level": "Current diagnostic level - {}", "growth": "Diagnostic growth - {}",
               "percentile": "Percentile - {}", "tier": "Tier - {}", "ela": "ELA"}
OLD_HEADERS = {"id": "student id", "name": "Student name", "grade": "GRADE",
               "school": "School name", "email": "Email address", "state": "Student State ID",
               "date": "As of", "level": "Diagnostic level - {}", "growth": "Growth - {}",
               "percentile": "National percentile - {}", "tier": "Tier - {}",
               "ela": "Language arts"}
"""The spellings of older exports (lower case, other words, ``Language arts``)."""

NULLS = ("", "--", "N/A")


@dataclass
class Student:
    id: str
    state_id: str
    given: str
    family: str
    grade: int
    math: float
    ela: float
    takes_math: bool = True
    takes_ela: bool = True

    @property
    def email(self) -> str:
        return f"{self.id.lower()}@harbor.example.org"


@dataclass
class Written:
    """What a generator wrote: files, students, and the rows it expects read."""

    files: list[Path] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    assessments: int = 0
    """(student, subject) rows with a level, in every file."""
    pinpointed: int = 0
    ranges: int = 0
    strands: int = 0
    """Strand cells with a pinpointed level (evidence rows)."""


def students(count: int, seed: int = 7) -> list[Student]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        grade = rng.randint(3, 8)
        out.append(Student(
            id=f"S{100000 + i}", state_id=f"TX{900000 + i}", given=f"Given{i}",
            family=f"Family{i}", grade=grade,
            math=max(60.0, grade * 100 + rng.gauss(0, 80)),
            ela=max(60.0, grade * 100 + rng.gauss(0, 80)),
            takes_math=rng.random() > 0.05, takes_ela=rng.random() > 0.08))
    return out


def _level(value: float) -> str:
    return str(round(value))


def write_window(path: Path, pupils: list[Student], window: str, *, day: str | None = None,
                 old: bool = False, seed: int = 1, progress: float | None = None,
                 only: set[str] | None = None, written: Written | None = None) -> Path:
    """One export: the students' levels as of ``day`` (default: the window's date),
    ``progress`` of a year's growth since fall (fall 0, winter 0.45, spring 0.85)."""
    rng = random.Random(seed)
    h = OLD_HEADERS if old else NEW_HEADERS
    ela = h["ela"]
    progress = progress if progress is not None else {"fall": 0.0, "winter": 0.45,
                                                      "spring": 0.85}[window]
    header = [h["id"], h["name"], h["grade"], h["school"], h["email"], h["state"], h["date"],
              h["level"].format("Math"), h["growth"].format("Math"),
              h["percentile"].format("Math"), h["tier"].format("Math"),
              *(f"{s} - Math" for s in MATH_STRANDS),
              h["level"].format(ela), h["growth"].format(ela),
              h["percentile"].format(ela), h["tier"].format(ela),
              *(f"{s} - {ela}" for s in ELA_STRANDS),
              "Time spent - Math", "Questions answered - Math"]
    written = written if written is not None else Written()
    rows = []
    for p in pupils:
        if only is not None and p.id not in only:
            continue
        row = [p.id, f"{p.family}, {p.given}", f"Grade {p.grade}" if old else str(p.grade),
               "Harbor Middle", p.email, p.state_id, _date(day or WINDOWS[window], old)]
        for _subject, start, takes, strands in (("math", p.math, p.takes_math, MATH_STRANDS),
                                               ("ela", p.ela, p.takes_ela, ELA_STRANDS)):
            if not takes:
                row += [rng.choice(NULLS)] * (4 + len(strands))
                continue
            gain = 100 * progress * rng.uniform(0.6, 1.6)
            now = start + gain
            written.assessments += 1
            if rng.random() < 0.03:  # not pinpointed yet
                low = int(now // 10 * 10) - 30
                row.append(f"{low}-{low + 60}")
                written.ranges += 1
            else:
                row.append(_level(now))
                written.pinpointed += 1
            row.append(rng.choice(NULLS) if window == "fall" else f"{gain:.0f}")
            pct = min(99, max(1, int(50 + (now - p.grade * 100 - 30) / 4)))
            row.append(str(pct))
            row.append(f"Tier {1 if pct >= 40 else 2 if pct >= 20 else 3}")
            for _ in strands:
                if rng.random() < 0.1:
                    row.append("--")
                else:
                    row.append(_level(now + rng.gauss(0, 40)))
                    written.strands += 1
        row += [f"{rng.randint(20, 900)} min", str(rng.randint(10, 2000))]
        rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    written.files.append(path)
    return path


def _date(iso: str, old: bool) -> str:
    if not old:
        return iso
    year, month, day = iso.split("-")
    return f"{int(month)}/{int(day)}/{year}"


def write_year(folder: Path, count: int = 300, *, seed: int = 7) -> Written:
    """Fall (older spellings), a fall retest snapshot of a fifth of the students, winter
    and spring exports of ``count`` students."""
    folder.mkdir(parents=True, exist_ok=True)
    written = Written(students=students(count, seed))
    pupils = written.students
    write_window(folder / "IXL_diagnostic_2026-10-06.csv", pupils, "fall", old=True, seed=1,
                 written=written)
    write_window(folder / "IXL_diagnostic_2026-11-17.csv", pupils, "fall", day=RETEST_DAY,
                 progress=0.15, seed=2, only={p.id for p in pupils[::5]}, written=written)
    write_window(folder / "IXL_diagnostic_2027-01-19.csv", pupils, "winter", seed=3,
                 written=written)
    write_window(folder / "IXL_diagnostic_2027-05-11.csv", pupils, "spring", seed=4,
                 written=written)
    return written


def load_roster(store: Store, tmp_path: Path, pupils: list[Student], *,
                tenant: str = "district", state_only: int = 0, unknown: int = 0) -> int:
    """The students in the district's roster (through the OneRoster CSV connector) as
    ``u-<n>``, IXL's ``Student ID`` as their ``identifier`` and the state id in ``userIds``;
    the first ``state_only`` have no identifier (only the state id finds them), the next
    ``unknown`` are not in the roster at all. Returns the tenant id."""
    store.ensure_tenant(tenant, tenant.title())
    users = []
    for n, p in enumerate(pupils):
        if state_only <= n < state_only + unknown:
            continue
        users.append(user(f"u-{n}", p.given, p.family, grades=f"{p.grade:02d}",
                          primaryOrgSourcedId="s1", email=p.email,
                          identifier="" if n < state_only else p.id,
                          userIds=f"{{state:{p.state_id}}}"))
    export = write_export(tmp_path / f"roster-{tenant}", {
        "orgs": [org("d1", "District", "district"), org("s1", "Harbor Middle", parent="d1")],
        "users": users,
    })
    csv_connection(store, export, tenant=tenant, name="roster")
    report = run(store, f"{tenant}/roster")
    assert report.status == "succeeded", (report.message, report.problems)
    return store.tenant(tenant).id
