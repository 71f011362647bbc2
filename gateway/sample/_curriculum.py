"""What the sample district teaches, and when: school levels, subjects, calendar, gradebook.

The school year is 2026-2027 (OneRoster ``schoolYear`` 2027). Every date the generator
writes is derived from the fixed calendar here, never from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

__all__ = [
    "CATEGORIES",
    "DELTA_DAY",
    "DELTA_MODIFIED",
    "FIRST_DAY",
    "GRADES",
    "GRADING_PERIODS",
    "LAST_DAY",
    "LEVELS",
    "SCHOOL_YEAR_ID",
    "SEMESTER_IDS",
    "SESSIONS",
    "Level",
    "Subject",
    "grading_period",
]

GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
"""CEDS grade-level codes, the values OneRoster ``grades`` lists hold."""

FIRST_DAY, LAST_DAY = date(2026, 8, 24), date(2027, 6, 11)
DELTA_DAY = date(2026, 11, 24)
DELTA_MODIFIED = "2026-11-24T02:00:00.000Z"
"""``dateLastModified`` of every row of a generated delta: the next night's export."""

SCHOOL_YEAR_ID = "ses-2027"
SEMESTER_IDS = ("ses-2027-s1", "ses-2027-s2")
GRADING_PERIODS = (
    ("ses-2027-q1", "Quarter 1", date(2026, 8, 24), date(2026, 10, 30), SEMESTER_IDS[0]),
    ("ses-2027-q2", "Quarter 2", date(2026, 11, 2), date(2027, 1, 22), SEMESTER_IDS[0]),
    ("ses-2027-q3", "Quarter 3", date(2027, 1, 25), date(2027, 4, 2), SEMESTER_IDS[1]),
    ("ses-2027-q4", "Quarter 4", date(2027, 4, 5), date(2027, 6, 11), SEMESTER_IDS[1]),
)

SESSIONS: tuple[tuple[str, str, str, date, date, str], ...] = (
    (SCHOOL_YEAR_ID, "2026-2027", "schoolYear", FIRST_DAY, LAST_DAY, ""),
    (SEMESTER_IDS[0], "Fall 2026", "semester", FIRST_DAY, date(2027, 1, 22), SCHOOL_YEAR_ID),
    (SEMESTER_IDS[1], "Spring 2027", "semester", date(2027, 1, 25), LAST_DAY, SCHOOL_YEAR_ID),
    *((sid, title, "gradingPeriod", start, end, parent)
      for sid, title, start, end, parent in GRADING_PERIODS),
)
"""``(sourcedId, title, type, startDate, endDate, parentSourcedId)`` of each session."""

CATEGORIES = (
    ("cat-homework", "Homework", "0.2"),
    ("cat-quiz", "Quizzes", "0.2"),
    ("cat-test", "Tests", "0.4"),
    ("cat-project", "Projects", "0.2"),
)
"""``(sourcedId, title, weight)``: one district-wide set of gradebook categories."""


def grading_period(day: date) -> str:
    """The sourcedId of the grading period a day falls in (weekends between count too)."""
    for sid, _, start, end, _ in GRADING_PERIODS:
        if start <= day <= end + timedelta(days=2):
            return sid
    return GRADING_PERIODS[-1][0]


@dataclass(frozen=True, slots=True)
class Subject:
    """One subject a level teaches in every grade, with its course title per grade."""

    name: str
    """The OneRoster ``subjects`` value."""
    code: str
    """Short code used in courseCode and classCode."""
    titles: tuple[str, ...] = ()
    """Course title per grade of the level; empty means ``<grade> <name>``."""
    sced: tuple[str, ...] = ()
    """SCED course code per grade (``subjectCodes``); empty where we have none to give."""


@dataclass(frozen=True, slots=True)
class Level:
    """Elementary, middle or high: grades, what every student takes, and typical size."""

    name: str
    kind: str
    """The end of a school's name, e.g. ``Elementary School``."""
    grades: tuple[str, ...]
    core: tuple[Subject, ...]
    electives: tuple[Subject, ...] = ()
    picks: int = 0
    """How many electives each student takes."""
    homeroom: bool = False
    """Elementary sections stay together all day and also meet as a homeroom class."""

    @property
    def elective_sets(self) -> tuple[tuple[int, ...], ...]:
        return tuple(combinations(range(len(self.electives)), self.picks))

    def course_title(self, subject: Subject, grade: str) -> str:
        if subject.titles:
            return subject.titles[self.grades.index(grade)]
        label = "Kindergarten" if grade == "KG" else f"Grade {int(grade)}"
        return f"{label} {subject.name}"

    def subject_code(self, subject: Subject, grade: str) -> str:
        return subject.sced[self.grades.index(grade)] if subject.sced else ""


_ELA, _MATH = Subject("English Language Arts", "ELA"), Subject("Mathematics", "MATH")
_SCIENCE, _SOCIAL = Subject("Science", "SCI"), Subject("Social Studies", "SOC")
_PE = Subject("Physical Education", "PE")

LEVELS = (
    Level("elementary", "Elementary School", GRADES[:6],
          (_ELA, _MATH, _SCIENCE, _SOCIAL, _PE), homeroom=True),
    Level("middle", "Middle School", GRADES[6:9],
          (_ELA, _MATH, _SCIENCE, _SOCIAL),
          (_PE, Subject("Visual Arts", "ART"), Subject("Music", "MUS")), picks=2),
    Level("high", "High School", GRADES[9:], (
        Subject("English Language Arts", "ENG",
                ("English I", "English II", "English III", "English IV"),
                ("01001", "01002", "01003", "01004")),
        Subject("Mathematics", "MATH", ("Algebra I", "Geometry", "Algebra II", "Precalculus"),
                ("02052", "02072", "02056", "02110")),
        Subject("Science", "SCI", ("Biology", "Chemistry", "Physics", "Environmental Science"),
                ("03051", "03101", "03151", "03003")),
        Subject("Social Studies", "SOC",
                ("World History", "U.S. History", "U.S. Government", "Economics"),
                ("04051", "04101", "04151", "04201")),
    ), (
        Subject("Physical Education", "PE", ("PE I", "PE II", "PE III", "PE IV"),
                ("08001", "08001", "08001", "08001")),
        Subject("World Languages", "SPAN", ("Spanish I", "Spanish II", "Spanish III",
                                             "Spanish IV"), ("06101", "06102", "06103", "06104")),
        Subject("Fine Arts", "ART", ("Visual Art I", "Visual Art II", "Music Ensemble",
                                      "Theater Arts")),
        Subject("Computer Science", "CS", ("Computer Science Principles",
                                            "AP Computer Science A", "Web Design", "Robotics")),
    ), picks=2),
)
"""Every student takes six classes: an elementary homeroom and five subjects, or the
four core subjects and two electives."""
