"""Writes realistic i-Ready Diagnostic Results exports for tests: the layout of the shared
samples (``../shared/fixtures/assessments/i_ready``), hundreds of learners over fall,
winter and spring of one school year, with retests, blank cells and older header
spellings; plain functions over a folder."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from connectors.i_ready.export import DOMAINS

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "assessments" / "i_ready"

_FRONT = ["Last Name", "First Name", "Student ID", "Student Grade", "Academic Year", "School",
          "Enrolled", "Student State ID", "User Name", "Class(es)", "Class Teacher(s)",
          "Start Date", "Completion Date", "Norming Window", "Baseline Diagnostic (Y/N)",
          "Most Recent Diagnostic YTD (Y/N)", "Duration (min)", "Overall Scale Score",
          "Overall Placement", "Overall Relative Placement", "Percentile", "Grouping"]
_BACK = ["Diagnostic Gain", "Annual Typical Growth Measure", "Annual Stretch Growth Measure",
         "Percent Progress to Annual Typical Growth (%)",
         "Percent Progress to Annual Stretch Growth (%)", "Mid On Grade Level Scale Score"]
OLD_SPELLINGS = {
    # current header -> how older exports (or a re-saved spreadsheet) write it
    "Student ID": "student_id", "Completion Date": "COMPLETION DATE",
    "Overall Scale Score": "overall scale score", "Lexile Measure": "Lexile",
    "Quantile Measure": "Quantile", "Percentile": "Overall Percentile",
    "Baseline Diagnostic (Y/N)": "Baseline Diagnostic",
    "Diagnostic Gain": "Diagnostic Gain (Note: negative gains = zero. See Export Guide)",
    "Student State ID": "State Student ID", "Student Grade": "grade",
}
WINDOW_DAYS = {"fall": date(2026, 9, 14), "winter": date(2027, 1, 11),
               "spring": date(2027, 5, 10)}


@dataclass(frozen=True)
class Learner:
    student_id: str
    state_id: str
    first: str
    last: str
    grade: int


def learners(count: int, *, start: int = 1) -> list[Learner]:
    return [Learner(f"S{n:05d}", f"ST{n:07d}", f"Given{n}", f"Family{n}", 3 + n % 6)
            for n in range(start, start + count)]


def header(subject: str, *, old: bool = False) -> list[str]:
    measure = ["Lexile Measure", "Lexile Range"] if subject == "reading" else [
        "Quantile Measure", "Quantile Range"]
    cols = [*_FRONT, *measure]
    for domain in DOMAINS[subject]:
        cols += [f"{domain} Scale Score", f"{domain} Placement", f"{domain} Relative Placement"]
    cols += _BACK
    return [OLD_SPELLINGS.get(c, c) for c in cols] if old else cols


def _placement(score: int, grade: int) -> tuple[str, str]:
    # i-Ready places about 25 scale points to a grade around grade level.
    level = max(0, min(12, grade + round((score - (430 + 25 * grade)) / 25)))
    below = grade - level
    placed = "Grade K" if level == 0 else f"Grade {level}"
    if below >= 3:
        return placed, "3 or More Grade Levels Below"
    if below == 2:
        return placed, "2 Grade Levels Below"
    if below == 1:
        return placed, "1 Grade Level Below"
    return (f"Early {level}" if level else "Early K"), "Early On Grade Level"


def write_export(folder: Path, subject: str, people: Sequence[Learner], *,
                 windows: Sequence[str] = ("fall", "winter", "spring"), old: bool = False,
                 name: str | None = None, seed: int = 7, retest_every: int = 10,
                 drop_columns: Sequence[str] = ()) -> Path:
    """An export of ``people`` tested in ``windows`` (2026-27); every ``retest_every``-th
    learner retests in winter a week later; some cells blank. Returns the file."""
    rng = random.Random(seed)
    cols = [c for c in header(subject, old=old) if c not in drop_columns]
    file = folder / (name or f"diagnostic_results_{'ela' if subject == 'reading' else 'math'}.csv")
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    for n, person in enumerate(people):
        base = 400 + 25 * person.grade + rng.randint(-60, 30)
        baseline = None
        tests = [(w, WINDOW_DAYS[w] + timedelta(days=n % 5)) for w in windows]
        if n % retest_every == 0 and "winter" in windows:
            tests.append(("winter", WINDOW_DAYS["winter"] + timedelta(days=7 + n % 5)))
        for i, (window, day) in enumerate(sorted(tests, key=lambda t: t[1])):
            score = base + 12 * i + rng.randint(-8, 8)
            baseline = score if baseline is None else baseline
            placed, relative = _placement(score, person.grade)
            typical = 30 - person.grade
            gain = max(0, score - baseline)
            cells = {
                "Last Name": person.last, "First Name": person.first,
                "Student ID": person.student_id, "Student Grade": str(person.grade),
                "Academic Year": "2026-2027", "School": f"School {1 + n % 3}",
                "Enrolled": "Enrolled", "Student State ID": person.state_id,
                "User Name": f"AUTO_{n:07d}", "Class(es)": f"Class {1 + n % 12}",
                "Class Teacher(s)": f"Teacher {1 + n % 12}",
                "Start Date": f"{day.month}/{day.day}/{day.year}",
                "Completion Date": f"{day.month}/{day.day}/{day.year}",
                "Norming Window": window.title(),
                "Baseline Diagnostic (Y/N)": "Y" if i == 0 else "N",
                "Most Recent Diagnostic YTD (Y/N)": "Y" if i == len(tests) - 1 else "N",
                "Duration (min)": str(rng.randint(30, 90)),
                "Overall Scale Score": str(score), "Overall Placement": placed,
                "Overall Relative Placement": relative,
                "Percentile": "--" if n % 13 == 5 else str(rng.randint(1, 99)),
                "Grouping": str(rng.randint(1, 4)),
                "Lexile Measure": f"{max(0, score - 300)}L" if score > 300 else "BR100L",
                "Lexile Range": "", "Quantile Measure": f"{max(0, score - 150)}Q",
                "Quantile Range": "",
                "Diagnostic Gain": str(gain), "Annual Typical Growth Measure": str(typical),
                "Annual Stretch Growth Measure": str(typical * 2),
                "Percent Progress to Annual Typical Growth (%)": str(round(100 * gain / typical)),
                "Percent Progress to Annual Stretch Growth (%)": str(round(50 * gain / typical)),
                "Mid On Grade Level Scale Score": str(455 + 25 * person.grade),
            }
            for d, domain in enumerate(DOMAINS[subject]):
                blank = (n + d) % 7 == 0
                dscore = score + rng.randint(-20, 20)
                dplaced, drel = _placement(dscore, person.grade)
                cells[f"{domain} Scale Score"] = "" if blank else str(dscore)
                cells[f"{domain} Placement"] = "Not Assessed" if blank else dplaced
                cells[f"{domain} Relative Placement"] = "Not Assessed" if blank else drel
            rows.append({OLD_SPELLINGS.get(k, k) if old else k: v for k, v in cells.items()})
    with file.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, cols, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return file


def rows_written(people: Sequence[Learner], windows: Sequence[str] = ("fall", "winter", "spring"),
             retest_every: int = 10) -> int:
    """How many rows :func:`write_export` writes."""
    retests = sum(1 for n in range(len(people)) if n % retest_every == 0) if (
        "winter" in windows) else 0
    return len(people) * len(windows) + retests
