"""Realistic MAP Growth Comprehensive Data File exports for tests: ``AssessmentResults.csv``
and ``StudentsBySchool.csv`` (or one ``ComboStudentAssessment.csv``) for hundreds of learners
over the fall, winter and spring of the 2026-27 school year, cumulative as MAP exports are,
with retests, blank cells and (``old=True``) the older header spellings."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

WINDOWS = ("fall", "winter", "spring")
_TERMS = {"fall": "Fall 2026-2027", "winter": "Winter 2026-2027", "spring": "Spring 2026-2027"}
_DAYS = {"fall": (2026, 9), "winter": (2027, 1), "spring": (2027, 5)}
_COURSES = {"math": ("Mathematics", "Math 6+"), "reading": ("Language Arts", "Reading")}
_GOALS = {"math": ("Operations and Algebraic Thinking", "The Real and Complex Number Systems",
                   "Geometry", "Statistics and Probability"),
          "reading": ("Literary Text: Language, Craft, and Structure",
                      "Informational Text: Key Ideas and Details",
                      "Vocabulary: Acquisition and Use")}
_PAIRS = (("Fall", "Winter"), ("Fall", "Spring"), ("Winter", "Spring"))
_MEASURES = ("ProjectedGrowth", "ObservedGrowth", "ObservedGrowthSE", "MetProjectedGrowth",
             "ConditionalGrowthIndex", "ConditionalGrowthPercentile", "GrowthQuintile")
_QUINTILES = ("Low", "LoAvg", "Avg", "HiAvg", "High")
_FIRST = ("Ana", "Ben", "Chloe", "Dev", "Esme", "Femi", "Gus", "Hana", "Ivan", "Jade")
_LAST = ("Okafor", "Nguyen", "Garcia", "Smith", "Kowalski", "Haddad", "Ito", "Brown")


@dataclass
class Export:
    """What a written export holds, for assertions."""

    files: list[Path] = field(default_factory=list)
    tests: int = 0
    goal_scores: int = 0
    retests: int = 0
    """Tests that do not count for growth (an earlier attempt in the same window)."""
    test_ids: list[str] = field(default_factory=list)


def student_ids(count: int) -> list[str]:
    return [f"S{n:05d}" for n in range(1, count + 1)]


def state_id(student: str) -> str:
    return f"99{student[1:]}"


def _header(old: bool, combo: bool) -> list[str]:
    head = ["TermName", "DistrictName", "SchoolName", "StudentID"]
    if not old:
        head += ["Student_StateID", "Subject"]
    head += ["MeasurementScale" if old else "Course", "GrowthMeasureYN", "TestType",
             "TestName", "TestID", "TestStartDate", "TestStartTime", "TestDurationMinutes",
             "TestRITScore", "TestStandardError", "TestPercentile", "AchievementQuintile"]
    head += [f"{a}To{b}{m}" for a, b in _PAIRS for m in _MEASURES]
    head += ["RITtoReadingScore"] if old else ["LexileScore", "QuantileScore"]
    head += [f"Goal{n}{f}" for n in range(1, 5)
             for f in ("Name", "RitScore", "StdErr", "Range", "Adjective")]
    head += [f"Typical{a}To{b}Growth" for a, b in _PAIRS]
    if combo:
        head += ["StudentLastName", "StudentFirstName", "StudentMI", "Grade"]
    if old:  # older exports also drift in spelling: case and spacing
        head = [{"TermName": "termname", "TestRITScore": "Test RIT Score",
                 "StudentID": "studentid"}.get(h, h) for h in head]
    return head


def write_export(folder: Path, *, students: Sequence[str] | None = None, learners: int = 300,
                 windows: Sequence[str] = WINDOWS, old: bool = False, combo: bool = False,
                 seed: int = 7, results_name: str = "AssessmentResults.csv") -> Export:
    """Write one export into ``folder``; learner ``i`` tests in math and reading each window
    (some twice), so a later export repeats every test of an earlier one unchanged."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = list(students) if students is not None else student_ids(learners)
    header = _header(old, combo)
    out = Export()
    rows: list[dict[str, str]] = []
    people: list[dict[str, str]] = []
    for index, student in enumerate(ids):
        rng = random.Random(f"{seed}:{student}")
        grade = 3 + index % 6
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        school = "Harbor Middle" if grade >= 6 else "Harbor Elementary"
        person = {"StudentLastName": last, "StudentFirstName": first,
                  "StudentMI": rng.choice("ABCDE"), "Grade": str(grade)}
        for window in windows:
            people.append({"TermName": _TERMS[window], "DistrictName": "Harbor Lakes",
                           "SchoolName": school, "StudentID": student,
                           "Student_StateID": state_id(student),
                           "StudentDateOfBirth": f"{2021 - grade}-0{1 + index % 9}-15",
                           "StudentGender": rng.choice("FM"), **person})
        for s, (subject, (discipline, course)) in enumerate(_COURSES.items()):
            rit: dict[str, int] = {}
            base = 150 + grade * 9 + rng.randint(-12, 12)
            for w, window in enumerate(WINDOWS):
                rit[window] = base + w * rng.randint(1, 7) - (rng.random() < 0.1) * 6
            for window in windows:
                # each test's cells from its own generator, so a later (cumulative) export
                # repeats the earlier tests exactly
                rng = random.Random(f"{seed}:{student}:{subject}:{window}")
                attempts = 2 if rng.random() < 0.06 else 1
                for attempt in range(attempts):
                    year, month = _DAYS[window]
                    day = 8 + attempt * 6 + index % 5
                    score = rit[window] - (4 if attempt < attempts - 1 else 0)
                    test_id = str(700_000_000 + index * 100 + s * 10 + WINDOWS.index(window) * 2
                                  + attempt)
                    row = {
                        "TermName": _TERMS[window], "DistrictName": "Harbor Lakes",
                        "SchoolName": school, "StudentID": student,
                        "Student_StateID": state_id(student), "Subject": discipline,
                        "Course": course, "MeasurementScale": course,
                        "GrowthMeasureYN": "TRUE" if attempt == attempts - 1 else "FALSE",
                        "TestType": "Survey With Goals",
                        "TestName": f"Growth: {course} 2-5 CCSS 2010",
                        "TestID": test_id, "TestStartDate": f"{month:02d}/{day:02d}/{year}",
                        "TestStartTime": f"{9 + index % 5:02d}:{index % 60:02d}:00",
                        "TestDurationMinutes": str(rng.randint(25, 70)),
                        "TestRITScore": str(score),
                        "TestStandardError": f"{rng.uniform(2.8, 3.6):.2f}",
                        "TestPercentile": "" if rng.random() < 0.03 else str(rng.randint(1, 99)),
                        "AchievementQuintile": rng.choice(_QUINTILES),
                    }
                    if subject == "reading":
                        lexile = f"{max(0, (score - 150) * 12)}L" if score > 160 else "BR200L"
                        row["LexileScore"] = row["RITtoReadingScore"] = lexile
                    else:
                        row["QuantileScore"] = f"{(score - 140) * 10}Q"
                    for a, b in _PAIRS:
                        typical = rng.randint(3, 9)
                        row[f"Typical{a}To{b}Growth"] = str(typical)
                        if b.lower() == window and a.lower() in windows:
                            observed = rit[window] - rit[a.lower()]
                            row.update({
                                f"{a}To{b}ProjectedGrowth": str(typical),
                                f"{a}To{b}ObservedGrowth": str(observed),
                                f"{a}To{b}ObservedGrowthSE": f"{rng.uniform(3, 5):.1f}",
                                f"{a}To{b}MetProjectedGrowth": "Yes" if observed >= typical
                                else "No",
                                f"{a}To{b}ConditionalGrowthIndex": f"{rng.uniform(-2, 2):.2f}",
                                f"{a}To{b}ConditionalGrowthPercentile": str(rng.randint(1, 99)),
                                f"{a}To{b}GrowthQuintile": rng.choice(_QUINTILES)})
                    for n, goal in enumerate(_GOALS[subject], 1):
                        row[f"Goal{n}Name"] = goal
                        if rng.random() < 0.04:
                            continue  # a goal with too few items: named, not scored
                        g = score + rng.randint(-8, 8)
                        row.update({f"Goal{n}RitScore": str(g), f"Goal{n}StdErr": "6.8",
                                    f"Goal{n}Range": f"{g - 6}-{g + 6}",
                                    f"Goal{n}Adjective": rng.choice(_QUINTILES)})
                        out.goal_scores += 1
                    if combo:
                        row.update(person)
                    rows.append(row)
                    out.tests += 1
                    out.retests += attempt < attempts - 1
                    out.test_ids.append(test_id)
    spelled = dict(zip(_plain(header), header, strict=True))
    path = folder / ("ComboStudentAssessment.csv" if combo else results_name)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(plain, "") for plain in spelled])
    out.files.append(path)
    if not combo:
        students_path = folder / "StudentsBySchool.csv"
        columns = ["TermName", "DistrictName", "SchoolName", "StudentLastName",
                   "StudentFirstName", "StudentMI", "StudentID", "StudentDateOfBirth",
                   "StudentGender", "Grade", "Student_StateID"]
        with students_path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL)
            writer.writerow(columns)
            for person in people:
                writer.writerow([person.get(c, "") for c in columns])
        out.files.append(students_path)
    return out


def _plain(header: list[str]) -> list[str]:
    back = {"termname": "TermName", "Test RIT Score": "TestRITScore", "studentid": "StudentID"}
    return [back.get(h, h) for h in header]


def edit_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a written export (``line`` as the file counts lines, 1 the header)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)


def drop_column(path: Path, column: str) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    at = rows[0].index(column)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([r[:at] + r[at + 1:] for r in rows])
