"""Realistic Renaissance Star exports for tests: SR/SM test files in the v2 layout of
Renaissance Data Integration (its full header), the 2018-19 layout (``StudentLocalID``,
``StudentAssessmentID``, ``AssessmentDate``, ``SEM``, ``WindowName``) and the spaced-header
layout of older reports (``Student Renaissance ID``, ``Scaled Score``, ``Grade
Equivalent``, ``Percentile Rank``), plus the Dashboard Standards v2 file.

One school year (2026-27) over three screening windows, with retests in a window, a few
deactivated tests and progress-monitoring tests outside any window, blank and ``N/A``
cells, grade equivalents ``PP`` and ``>12.9`` and Lexiles such as ``BR400L``. The rows
written are returned as :class:`Written` so tests can check what the connector made of them.
"""

from __future__ import annotations

import csv
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["Learner", "Written", "learners", "write_standards", "write_tests"]


def _names(text: str) -> list[str]:
    return text.split(",")


V2_COMMON = _names(
    "RenaissanceClientID,SchoolYear,SchoolYearStartDate,SchoolYearEndDate,StudentRenaissanceID,"
    "StudentSourcedID,StudentIdentifier,StudentUserID,StudentStateID,StudentEmail,"
    "StudentFirstName,StudentMiddleName,StudentLastName,Gender,BirthDate,CurrentGrade,"
    "EnrollmentStatus,DistrictRenaissanceID,DistrictSourcedID,DistrictName,SchoolRenaissanceID,"
    "SchoolSourcedID,SchoolName,ClassRenaissanceID,ClassSourcedID,GroupOrClassName,"
    "TeacherRenaissanceID,TeacherSourcedID,TeacherFirstName,TeacherLastName,AssessmentID,"
    "LaunchDate,CompletedDate,CompletedDateLocal,AssessmentNumber,AssessmentType,"
    "AssessmentStatus,DeactivationReason,GradePlacement,Grade,ExtraTime,ScaledScore,"
    "StandardErrorOfMeasurement,RaschScore,UnifiedScore,GradeEquivalent,PercentileRank,"
    "NormalCurveEquivalent")
V2_READING = _names("InstructionalReadingLevel,EstimatedOralReadingFluency,"
              "LowerZoneOfProximalDevelopment,UpperZoneOfProximalDevelopment,Lexile,"
              "LowerLexileZoneOfProximalDevelopment,UpperLexileZoneOfProximalDevelopment"
              )
V2_MATH = _names("Quantile,LowerQuantileZoneOfProximalDevelopment,"
                 "UpperQuantileZoneOfProximalDevelopment")
V2_TAIL = _names(
    "TotalTimeInSeconds,TotalCorrect,TotalPossible,StudentGrowthPercentileFallFall,"
    "StudentGrowthPercentileFallSpring,StudentGrowthPercentileFallWinter,"
    "StudentGrowthPercentileSpringFall,StudentGrowthPercentileSpringSpring,"
    "StudentGrowthPercentileWinterSpring,ScreeningPeriodWindowName,ScreeningWindowStartDate,"
    "ScreeningWindowEndDate,RenaissanceBenchmarkCategoryName,RenaissanceBenchmarkCategoryLevel,"
    "StateBenchmarkCategoryName,DistrictBenchmarkCategoryName,CurrentSGP,TakenAt,"
    "StudentDisplayID")

LEGACY = _names("StudentLocalID,StudentStateID,StudentFirst,StudentMiddle,StudentLast,CurrentGrade,"
          "StudentStatus,SchoolName,StudentAssessmentID,AssessmentDate,GradePlacement,Grade,"
          "ScaledScore,SEM,GradeEquivalent,PercentileRank,NormalCurveEquivalent,Lexile,"
          "AssessmentNumber,TestType,WindowName,ScreeningCategoryGroupAdjustment,TestStatus,"
          "CurrentSGP")
SPACED = _names("Student Renaissance ID,Student Identifier,Student State ID,Student First Name,"
          "Student Last Name,Current Grade,School Name,School Year,Renaissance Activity ID,"
          "Activity Type,Activity Completed Date,Grade Placement,Scaled Score,"
          "Standard Error Of Measurement,Lexile Score,Quantile Measure,Percentile Rank,"
          "Normal Curve Equivalent,Grade Equivalent,Screening Window Name,"
          "District Benchmark Category,Current SGP")
STANDARDS = _names("RenaissanceClientID,SchoolYear,StudentRenaissanceID,StudentSourcedID,"
             "StudentStateID,StudentFirstName,StudentLastName,CurrentGrade,SchoolName,"
             "AssessmentID,CompletedDate,StandardName,StandardDescription,"
             "StandardPercentMastery,StandardMasteryLevel")

WINDOWS = {"fall": (datetime(2026, 9, 8, 15), 0.1), "winter": (datetime(2027, 1, 11, 16), 0.5),
           "spring": (datetime(2027, 5, 3, 15), 0.8)}
"""Window -> (its first day, UTC, at school time) and the grade placement's fraction."""
BENCHMARKS = ("Urgent Intervention", "Intervention", "On Watch", "At/Above Benchmark")
FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jamal",
         "Kai", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tess")
LAST = ("Nguyen", "Okafor", "Garcia", "Smith", "Kowalski", "Haddad", "Lee", "Martin",
        "O'Brien", "Patel", "Rossi", "Tanaka", "Walker", "Young", "Zhou")
SCHOOLS = ("Bonsai Elementary School", "Harbor Middle School", "Cedar High School")


@dataclass(frozen=True)
class Learner:
    sourced_id: str
    renaissance_id: str
    state_id: str
    first: str
    last: str
    grade: int
    """0 is kindergarten."""
    school: str
    ability: float
    """Percentile-ish standing, 1..99."""


@dataclass(frozen=True)
class Written:
    assessment_id: str
    learner: Learner
    subject: str
    window: str
    completed: datetime
    line: int
    scaled_score: int
    grade_equivalent: str
    grade_placement: float
    counts: bool
    """The test that counts for growth in its learner's window (the last active one)."""
    active: bool


def learners(n: int, seed: int = 1) -> list[Learner]:
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        grade = 12 if i % 25 == 0 else (i * 7) % 9  # K-8, a few seniors
        out.append(Learner(f"STU{i:05d}", str(uuid.UUID(int=rng.getrandbits(128))),
                           f"WA{5550000 + i}", FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)],
                           grade, SCHOOLS[0 if grade <= 5 else 1 if grade <= 8 else 2],
                           rng.uniform(1, 99)))
    return out


def _grade_text(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def _ge(learner: Learner, placement: float, rng: random.Random) -> str:
    ge = placement + (learner.ability - 50) / 22 + rng.uniform(-0.3, 0.3)
    if ge < 0.3:
        return "PP"
    if ge > 12.9:
        return ">12.9"
    return f"{ge:.1f}"


def write_tests(folder: Path, subject: str, people: list[Learner], *, layout: str = "v2",
                windows: tuple[str, ...] = ("fall", "winter", "spring"), seed: int = 7,
                name: str | None = None, drop_columns: tuple[str, ...] = (),
                ) -> tuple[Path, list[Written]]:
    """Write ``SR_v2.csv`` / ``SM_v2.csv`` (``SR.csv`` / ``SM.csv`` for the older layouts)
    in ``folder``; returns the file and what each data line holds."""
    rng = random.Random(seed + (0 if subject == "reading" else 100))
    code = "SR" if subject == "reading" else "SM"
    if layout == "v2":
        header = V2_COMMON + (V2_READING if subject == "reading" else V2_MATH) + V2_TAIL
    else:
        header = list(LEGACY if layout == "legacy" else SPACED)
    header = [h for h in header if h not in drop_columns]
    name = name or (f"{code}_v2.csv" if layout == "v2" else f"{code}.csv")
    tests: list[tuple[dict[str, str], Written]] = []
    number = 0
    for learner in people:
        previous_ss: int | None = None
        # Every window is drawn (so a drop of fall and winter is the start of the same
        # year's full drop); only ``windows`` are written.
        for n_window, window in enumerate(WINDOWS):
            start, fraction = WINDOWS[window]
            taken = [start + timedelta(days=rng.randrange(0, 12), minutes=rng.randrange(0, 300))]
            if rng.random() < 0.08:  # a retest a few days later, in the same window
                taken.append(taken[0] + timedelta(days=rng.randrange(1, 5), hours=1))
            if rng.random() < 0.05:  # progress monitoring between windows
                taken.append(start + timedelta(days=30))
            for k, when in enumerate(taken):
                number += 1
                screening = when < start + timedelta(days=20)
                placement = round(learner.grade + fraction + rng.uniform(-0.03, 0.03), 2)
                base = 300 + 90 * learner.grade + 4 * (learner.ability - 50)
                score = max(0, int(base + 30 * n_window + rng.uniform(-25, 25)))
                if previous_ss is not None and rng.random() < 0.1:
                    score = previous_ss - rng.randrange(5, 40)  # a negative gain
                previous_ss = score
                ge = _ge(learner, placement, rng)
                # The spaced report has no status column: every test in it is active.
                active = not (k > 0 and rng.random() < 0.15) or layout == "spaced"
                test_id = (str(uuid.UUID(int=rng.getrandbits(128))) if layout == "v2"
                           else str(20000 + number + (0 if subject == "reading" else 50000)))
                pr = max(1, min(99, int(learner.ability + rng.uniform(-8, 8))))
                local = when - timedelta(hours=7)
                lexile = (f"BR{rng.randrange(1, 40) * 10}L" if learner.grade == 0
                          else f"{int(200 + 110 * learner.grade + 4 * (pr - 50))}L")
                sem = "N/A" if rng.random() < 0.03 else str(rng.randrange(25, 60))
                values = {
                    # v2
                    "RenaissanceClientID": "296768", "SchoolYear": "2026-2027",
                    "SchoolYearStartDate": "8/20/2026", "SchoolYearEndDate": "6/10/2027",
                    "StudentRenaissanceID": learner.renaissance_id,
                    "StudentSourcedID": learner.sourced_id,
                    "StudentIdentifier": learner.sourced_id,
                    "StudentUserID": learner.sourced_id.lower(),
                    "StudentStateID": learner.state_id, "StudentEmail": "",
                    "StudentFirstName": learner.first, "StudentMiddleName": "",
                    "StudentLastName": learner.last, "Gender": rng.choice("FM"),
                    "BirthDate": f"{rng.randrange(1, 13)}/{rng.randrange(1, 28)}/"
                                 f"{2021 - learner.grade}",
                    "CurrentGrade": _grade_text(learner.grade), "EnrollmentStatus": "Enrolled",
                    "DistrictRenaissanceID": "62a4694b", "DistrictSourcedID": "d1",
                    "DistrictName": "Harbor Unified", "SchoolRenaissanceID": "729198ef",
                    "SchoolSourcedID": "s1", "SchoolName": learner.school,
                    "ClassRenaissanceID": "23563183", "ClassSourcedID": "k1",
                    "GroupOrClassName": f"{learner.last}, homeroom - {learner.grade}",
                    "TeacherRenaissanceID": "73582704", "TeacherSourcedID": "t1",
                    "TeacherFirstName": "Tess", "TeacherLastName": "Teacher",
                    "AssessmentID": test_id,
                    "LaunchDate": (when - timedelta(minutes=20)).strftime("%-m/%-d/%y %H:%M"),
                    "CompletedDate": when.strftime("%-m/%-d/%y %H:%M"),
                    "CompletedDateLocal": local.strftime("%-m/%-d/%y %H:%M"),
                    "AssessmentNumber": str(n_window + k + 1), "AssessmentType": "Enterprise",
                    "AssessmentStatus": "Active" if active else "Deactivated",
                    "DeactivationReason": "" if active else "Teacher deactivated",
                    "GradePlacement": f"{placement:.2f}", "Grade": _grade_text(learner.grade),
                    "ExtraTime": "No", "ScaledScore": str(score),
                    "StandardErrorOfMeasurement": sem, "RaschScore": f"{score / 250:.3f}",
                    "UnifiedScore": str(600 + score // 2), "GradeEquivalent": ge,
                    "PercentileRank": "" if rng.random() < 0.03 else str(pr),
                    "NormalCurveEquivalent": f"{min(99.0, 1 + pr * 0.98):.1f}",
                    "InstructionalReadingLevel": ge, "EstimatedOralReadingFluency": "",
                    "LowerZoneOfProximalDevelopment": "2.9",
                    "UpperZoneOfProximalDevelopment": "4.3", "Lexile": lexile,
                    "LowerLexileZoneOfProximalDevelopment": "",
                    "UpperLexileZoneOfProximalDevelopment": "",
                    "Quantile": f"{int(100 + 100 * learner.grade + 3 * (pr - 50))}Q",
                    "LowerQuantileZoneOfProximalDevelopment": "",
                    "UpperQuantileZoneOfProximalDevelopment": "",
                    "TotalTimeInSeconds": str(rng.randrange(600, 1800)),
                    "TotalCorrect": str(rng.randrange(10, 34)), "TotalPossible": "34",
                    "StudentGrowthPercentileFallFall": "",
                    "StudentGrowthPercentileFallSpring":
                        str(rng.randrange(1, 100)) if window == "spring" else "",
                    "StudentGrowthPercentileFallWinter":
                        str(rng.randrange(1, 100)) if window != "fall" else "",
                    "StudentGrowthPercentileSpringFall": "",
                    "StudentGrowthPercentileSpringSpring": "",
                    "StudentGrowthPercentileWinterSpring":
                        str(rng.randrange(1, 100)) if window == "spring" else "",
                    "ScreeningPeriodWindowName": window.title() if screening else "",
                    "ScreeningWindowStartDate": start.strftime("%-m/%-d/%Y"),
                    "ScreeningWindowEndDate": (start + timedelta(days=20)).strftime("%-m/%-d/%Y"),
                    "RenaissanceBenchmarkCategoryName": BENCHMARKS[min(3, pr // 25)],
                    "RenaissanceBenchmarkCategoryLevel": str(4 - min(3, pr // 25)),
                    "StateBenchmarkCategoryName": "Level 3",
                    "DistrictBenchmarkCategoryName": BENCHMARKS[min(3, pr // 25)],
                    "CurrentSGP": str(rng.randrange(1, 100)) if window != "fall" else "",
                    "TakenAt": "school", "StudentDisplayID": learner.sourced_id,
                    # legacy
                    "StudentLocalID": learner.sourced_id, "StudentFirst": learner.first,
                    "StudentMiddle": "", "StudentLast": learner.last, "StudentStatus": "Active",
                    "StudentAssessmentID": test_id,
                    "AssessmentDate": local.strftime("%m/%d/%Y %H:%M:%S"),
                    "SEM": sem, "TestType": "Enterprise",
                    "WindowName": window.title() if screening else "",
                    "ScreeningCategoryGroupAdjustment": BENCHMARKS[min(3, pr // 25)],
                    "TestStatus": "Active" if active else "Deactivated",
                }
                spaced = {
                    "Student Renaissance ID": learner.renaissance_id,
                    "Student Identifier": learner.sourced_id,
                    "Student State ID": learner.state_id,
                    "Student First Name": learner.first, "Student Last Name": learner.last,
                    "Current Grade": _grade_text(learner.grade),
                    "School Name": learner.school, "School Year": "2026-2027",
                    "Renaissance Activity ID": test_id,
                    "Activity Type": f"Star {'Reading' if subject == 'reading' else 'Math'} "
                                     f"Enterprise Tests",
                    "Activity Completed Date": local.strftime("%m/%d/%y %H:%M:%S"),
                    "Grade Placement": f"{placement:.2f}", "Scaled Score": str(score),
                    "Standard Error Of Measurement": sem,
                    "Lexile Score": lexile if subject == "reading" else "",
                    "Quantile Measure": values["Quantile"] if subject == "math" else "",
                    "Percentile Rank": values["PercentileRank"],
                    "Normal Curve Equivalent": values["NormalCurveEquivalent"],
                    "Grade Equivalent": ge, "Screening Window Name": values["WindowName"],
                    "District Benchmark Category": BENCHMARKS[min(3, pr // 25)],
                    "Current SGP": values["CurrentSGP"],
                }
                values.update(spaced)
                if layout != "v2":  # older exports were completed at the school's clock
                    values["Activity Completed Date"] = local.strftime("%m/%d/%y %H:%M:%S")
                if window not in windows:
                    continue
                tests.append((values, Written(test_id, learner, subject, window, when, 0, score,
                                              ge, placement, False, active)))
    # The test that counts: per learner and window, the last active one in the window
    # (screening) if any, else the last active one.
    best: dict[tuple[str, str], Written] = {}
    for _, w in tests:
        if not w.active:
            continue
        key = (w.learner.sourced_id, w.window)
        start = WINDOWS[w.window][0]
        screening = w.completed < start + timedelta(days=20)
        kept = best.get(key)
        kept_screening = kept is not None and kept.completed < start + timedelta(days=20)
        if kept is None or (screening, w.completed) > (kept_screening, kept.completed):
            best[key] = w
    counted = {id(w) for w in best.values()}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    out: list[Written] = []
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for line, (values, w) in enumerate(tests, start=2):
            writer.writerow([values.get(h, "") for h in header])
            out.append(Written(w.assessment_id, w.learner, w.subject, w.window, w.completed,
                               line, w.scaled_score, w.grade_equivalent, w.grade_placement,
                               id(w) in counted, w.active))
    return path, out


def write_standards(folder: Path, subject: str, tests: list[Written],
                    per_test: int = 3, seed: int = 3) -> tuple[Path, int]:
    """``SR_Dashboard_Standards_v2.csv`` (or ``SM_``): a few standards per counted test."""
    rng = random.Random(seed)
    code = "SR" if subject == "reading" else "SM"
    path = folder / f"{code}_Dashboard_Standards_v2.csv"
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(STANDARDS)
        for w in tests:
            if not w.counts:
                continue
            grade = max(1, min(8, w.learner.grade))
            names = ([f"RL.{grade}.{n}" for n in range(1, 10)] if subject == "reading"
                     else [f"{grade}.NF.A.{n}" for n in range(1, 10)])
            for standard in names[:per_test]:
                percent = rng.randrange(0, 101)
                writer.writerow([
                    "296768", "2026-2027", w.learner.renaissance_id, w.learner.sourced_id,
                    w.learner.state_id, w.learner.first, w.learner.last,
                    _grade_text(w.learner.grade), w.learner.school, w.assessment_id,
                    w.completed.strftime("%-m/%-d/%y %H:%M"), standard,
                    f"Standard {standard}", str(percent),
                    "Mastered" if percent >= 70 else "Approaching" if percent >= 40
                    else "Not Yet"])
                rows += 1
    return path, rows
