"""A deterministic sample school district, written as a OneRoster 1.2 (or 1.1) CSV export.

Sizes follow the ratios of a Chicago-sized district (400,500 students in 658 schools), so
one code path serves ``harbor demo`` (hundreds of students), the tests and the ingest
benchmark. The same arguments always produce byte-identical files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count
from pathlib import Path

from gateway.model.schema import STREAMS
from gateway.sample._curriculum import (
    CATEGORIES,
    FIRST_DAY,
    LAST_DAY,
    LEVELS,
    SCHOOL_YEAR_ID,
    SEMESTER_IDS,
    SESSIONS,
    Level,
    Subject,
    grading_period,
)
from gateway.sample._delta import write_delta
from gateway.sample._export import ExportSummary, ExportWriter
from gateway.sample._names import school_name
from gateway.sample._people import (
    Record,
    admin_user,
    demographics_record,
    draw_person,
    role_record,
    student_user,
    teacher_user,
)

__all__ = ["DistrictSize", "ExportSummary", "write_delta", "write_district"]

_REFERENCE_STUDENTS = 400_500
_REFERENCE_SCHOOLS, _REFERENCE_TEACHERS, _REFERENCE_CLASSES = 658, 22_500, 100_000
_CLASSES_PER_STUDENT = 6
_SMALL_GRADEBOOK = 50_000
"""Up to this many students every class gets four line items; above it, two."""

_DISTRICT_ID = "org-district"
_TERMS = ",".join(SEMESTER_IDS)
_FIRST, _LAST = FIRST_DAY.isoformat(), LAST_DAY.isoformat()
_SCORES = tuple(str(s) for s in range(101))
_LINE_ITEM_KINDS = (("cat-homework", "Homework"), ("cat-test", "Unit Test"),
                    ("cat-quiz", "Quiz"), ("cat-project", "Project"))
_GRADED_FROM, _GRADED_DAYS = date(2026, 8, 31), 70
"""Line items are assigned from the first full week to mid-November, so all are graded by
the export date (2026-11-23)."""

# The two big streams are built as plain tuples in these column orders; "" is a blank that
# fills the header's other columns (status and dateLastModified among them).
_ENROLLMENT_COLUMNS = ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId",
                       "role", "primary", "beginDate", "endDate", "")
_RESULT_COLUMNS = ("sourcedId", "lineItemSourcedId", "studentSourcedId", "classSourcedId",
                   "scoreStatus", "score", "scoreDate", "")


@dataclass(frozen=True)
class DistrictSize:
    """Counts for a district of ``students`` students, scaled from Chicago-like ratios."""

    students: int
    schools: int
    teachers: int
    classes: int
    """The target the section sizes are chosen for; the export lands within a few percent."""
    administrators: int
    """A principal per school plus a small district office."""
    line_items_per_class: int

    @classmethod
    def for_students(cls, students: int) -> DistrictSize:
        if students < 1:
            raise ValueError(f"a district needs at least one student, not {students}")
        share = students / _REFERENCE_STUDENTS
        # Below Chicago's ratio a small demo district would be a single school; give it one
        # school per level as soon as each can have a couple of hundred students.
        schools = max(1, round(share * _REFERENCE_SCHOOLS), min(3, students // 200))
        return cls(
            students=students,
            schools=schools,
            teachers=max(schools, round(share * _REFERENCE_TEACHERS)),
            classes=max(schools, round(share * _REFERENCE_CLASSES)),
            administrators=schools + 2 + schools // 100,
            line_items_per_class=4 if students <= _SMALL_GRADEBOOK else 2,
        )

    @property
    def class_size(self) -> float:
        """Average students per class that yields :attr:`classes` classes."""
        return self.students * _CLASSES_PER_STUDENT / self.classes

    @property
    def enrollments(self) -> int:
        """Expected enrollments: six per student and one teacher per class."""
        return self.students * _CLASSES_PER_STUDENT + self.classes


@dataclass(frozen=True, slots=True)
class _School:
    sourced_id: str
    name: str
    identifier: str
    level: Level
    students: tuple[int, ...]
    """Students per grade of the level."""
    teachers: int


@dataclass(frozen=True, slots=True)
class _Course:
    sourced_id: str
    title: str
    code: str
    grade: str
    subject: Subject | None
    """None for an elementary homeroom."""


@dataclass(frozen=True, slots=True)
class _Class:
    course: _Course
    section: int
    members: list[int]
    """Positions of the students in the school's roster."""
    period: str


def write_district(out: Path, students: int, *, seed: int = 2026, version: str = "1.2",
                   gradebook: bool = True, demographics: bool = True) -> ExportSummary:
    """Write a bulk OneRoster export of a district with ``students`` students into ``out``.

    ``gradebook`` adds categories, line items and results; ``demographics`` adds
    ``demographics.csv``. Existing OneRoster files in ``out`` are replaced.
    """
    size = DistrictSize.for_students(students)
    rng = random.Random(seed)
    schools = _plan(size, rng)
    with ExportWriter(out, version, "bulk") as export:
        export.write("orgs", [
            {"sourcedId": _DISTRICT_ID, "type": "district", "name": "Harbor Lakes Public Schools",
             "identifier": "1799990"},
            *({"sourcedId": s.sourced_id, "name": s.name, "type": "school",
               "identifier": s.identifier, "parentSourcedId": _DISTRICT_ID} for s in schools),
        ])
        export.write("academicSessions", [
            {"sourcedId": sid, "title": title, "type": kind, "startDate": start.isoformat(),
             "endDate": end.isoformat(), "parentSourcedId": parent, "schoolYear": "2027"}
            for sid, title, kind, start, end, parent in SESSIONS])
        if gradebook:
            export.write("categories", [{"sourcedId": sid, "title": title, "weight": weight}
                                        for sid, title, weight in CATEGORIES])
        generator = _Generator(export, size, rng, gradebook=gradebook,
                               demographics=demographics)
        generator.district_office(size.administrators - len(schools))
        for school in schools:
            generator.school(school)
    return export.close()


def _plan(size: DistrictSize, rng: random.Random) -> list[_School]:
    """Split the district into schools: level, students per grade, teachers."""
    n = size.schools
    high = round(n * 0.195) if n >= 3 else int(n == 2)
    middle = round(n * 0.2) if n >= 3 else 0
    per_level = (n - middle - high, middle, high)
    level_students = _apportion(size.students, [
        len(level.grades) if schools else 0
        for level, schools in zip(LEVELS, per_level, strict=True)])
    layout: list[tuple[Level, tuple[int, ...]]] = []
    for level, schools, total in zip(LEVELS, per_level, level_students, strict=True):
        sizes = _apportion(total, [rng.uniform(0.6, 1.4) for _ in range(schools)])
        layout.extend((level, tuple(_apportion(enrolled, [1.0] * len(level.grades))))
                      for enrolled in sizes)
    # Every school gets one teacher, the rest follow enrollment.
    teachers = _apportion(size.teachers - n, [sum(grades) + 0.5 for _, grades in layout])
    named: dict[str, int] = {}
    plan = []
    for i, ((level, grades), extra) in enumerate(zip(layout, teachers, strict=True), start=1):
        named[level.name] = named.get(level.name, -1) + 1
        plan.append(_School(f"sch-{i:04d}", school_name(named[level.name], level.kind),
                            f"{609_000 + i}", level, grades, 1 + extra))
    return plan


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (cumulative rounding)."""
    whole = sum(weights)
    parts, done, running = [], 0, 0.0
    for weight in weights:
        running += weight
        upto = round(total * running / whole) if whole else 0
        parts.append(upto - done)
        done = upto
    if parts and whole:
        parts[-1] += total - done
    return parts


def _split(members: list[int], sections: int) -> list[list[int]]:
    return [members[k * len(members) // sections:(k + 1) * len(members) // sections]
            for k in range(sections)]


class _Generator:
    """Writes people, courses, classes, enrollments and grades one school at a time."""

    def __init__(self, export: ExportWriter, size: DistrictSize, rng: random.Random, *,
                 gradebook: bool, demographics: bool) -> None:
        self.export, self.size, self.rng = export, size, rng
        self.gradebook, self.demographics = gradebook, demographics
        self.v12 = export.version == "1.2"
        self.students, self.admins, self.next_teacher = count(1), count(1), 1
        self.courses, self.classes, self.enrollments = count(1), count(1), count(1)
        self.line_items, self.results = count(1), count(1)
        self.datetimes = {c.name for c in STREAMS["lineItems"].columns
                          if c.kind == "datetime" and self.v12}
        self.graded_days = [_GRADED_FROM + timedelta(days=d) for d in range(_GRADED_DAYS + 20)]

    def district_office(self, staff: int) -> None:
        users = [admin_user(next(self.admins), draw_person(self.rng), _DISTRICT_ID)
                 for _ in range(staff)]
        self.export.write("users", users)
        if self.v12:
            self.export.write("roles", [role_record(u["sourcedId"], "districtAdministrator",
                                                    _DISTRICT_ID, FIRST_DAY) for u in users])

    def school(self, school: _School) -> None:
        first_teacher = self.next_teacher
        ids, ability, rosters = self._people(school)
        classes: list[_Class] = []
        courses: list[_Course] = []
        for grade, roster in zip(school.level.grades, rosters, strict=True):
            if roster:
                self._schedule(school.level, grade, roster, courses, classes)
        self.export.write("courses", [{
            "sourcedId": c.sourced_id, "schoolYearSourcedId": SCHOOL_YEAR_ID, "title": c.title,
            "courseCode": c.code, "grades": c.grade, "orgSourcedId": school.sourced_id,
            "subjects": c.subject.name if c.subject else "",
            "subjectCodes": school.level.subject_code(c.subject, c.grade) if c.subject else "",
        } for c in courses])
        self._classes(school, first_teacher, classes, ids, ability)

    def _people(self, school: _School) -> tuple[list[str], list[int], list[list[int]]]:
        """Write the school's students, teachers and principal; return the student roster."""
        rng, sid = self.rng, school.sourced_id
        ids: list[str] = []
        ability: list[int] = []
        rosters: list[list[int]] = []
        users: list[Record] = []
        roles: list[Record] = []
        demographics: list[Record] = []
        for grade, enrolled in zip(school.level.grades, school.students, strict=True):
            rosters.append(list(range(len(ids), len(ids) + enrolled)))
            for _ in range(enrolled):
                number, person = next(self.students), draw_person(rng)
                user = student_user(number, person, grade, sid)
                ids.append(user["sourcedId"])
                ability.append(rng.randint(60, 88))
                users.append(user)
                roles.append(role_record(ids[-1], "student", sid, FIRST_DAY))
                if self.demographics:
                    demographics.append(demographics_record(rng, ids[-1], grade, person.sex))
        for number in range(self.next_teacher, self.next_teacher + school.teachers):
            users.append(teacher_user(number, draw_person(rng), sid))
            roles.append(role_record(users[-1]["sourcedId"], "teacher", sid, FIRST_DAY))
        self.next_teacher += school.teachers
        users.append(admin_user(next(self.admins), draw_person(rng), sid))
        roles.append(role_record(users[-1]["sourcedId"], "principal", sid, FIRST_DAY))
        self.export.write("users", users)
        if self.v12:
            self.export.write("roles", roles)
        if self.demographics:
            self.export.write("demographics", demographics)
        return ids, ability, rosters

    def _course(self, level: Level, grade: str, subject: Subject | None) -> _Course:
        if subject is None:
            label = "Kindergarten" if grade == "KG" else f"Grade {int(grade)}"
            return _Course(f"crs-{next(self.courses):06d}", f"{label} Homeroom", f"HR-{grade}",
                           grade, None)
        return _Course(f"crs-{next(self.courses):06d}", level.course_title(subject, grade),
                       f"{subject.code}-{grade}", grade, subject)

    def _schedule(self, level: Level, grade: str, roster: list[int], courses: list[_Course],
                  classes: list[_Class]) -> None:
        """Add one grade's courses and sections: six classes for every student."""
        size = self.size.class_size
        if level.homeroom:
            grade_courses = [self._course(level, grade, None),
                             *(self._course(level, grade, s) for s in level.core)]
            courses.extend(grade_courses)
            sections = _split(roster, max(1, round(len(roster) / size)))
            for number, members in enumerate(sections, start=1):
                classes.extend(_Class(c, number, members, str(p) if p else "HR")
                               for p, c in enumerate(grade_courses))
            return
        electives = level.elective_sets
        takers: list[list[int]] = [[] for _ in level.electives]
        for position, student in enumerate(roster):
            for elective in electives[position % len(electives)]:
                takers[elective].append(student)
        # Rotating the roster per core subject mixes who sits together in each class.
        step = len(roster) // len(level.core)
        groups = [roster[j * step:] + roster[:j * step] for j in range(len(level.core))]
        for j, (subject, members) in enumerate(
                zip(level.core + level.electives, groups + takers, strict=True)):
            if not members:
                continue
            course = self._course(level, grade, subject)
            courses.append(course)
            for number, section in enumerate(
                    _split(members, max(1, round(len(members) / size))), start=1):
                classes.append(_Class(course, number, section, str((j + number) % 7 + 1)))

    def _classes(self, school: _School, first_teacher: int, classes: list[_Class],
                 ids: list[str], ability: list[int]) -> None:
        """Write classes, their teacher and student enrollments, and their gradebook."""
        sid = school.sourced_id
        records: list[Record] = []
        enrollments: list[tuple[str, ...]] = []
        line_items: list[Record] = []
        results: list[tuple[str, ...]] = []
        for position, klass in enumerate(classes):
            # Consecutive classes (a section's day, or sections of one subject) share a teacher.
            local = position * school.teachers // len(classes)
            teacher = f"tch-{first_teacher + local:06d}"
            course, cid = klass.course, f"cls-{next(self.classes):07d}"
            subject = course.subject
            records.append({
                "sourcedId": cid, "title": f"{course.title} - {klass.section}",
                "grades": course.grade, "courseSourcedId": course.sourced_id,
                "classCode": f"{course.code}-{klass.section:02d}",
                "classType": "scheduled" if subject else "homeroom",
                "location": f"Room {101 + local}", "schoolSourcedId": sid,
                "termSourcedIds": _TERMS, "subjects": subject.name if subject else "",
                "subjectCodes": school.level.subject_code(subject, course.grade)
                if subject else "",
                "periods": klass.period,
            })
            enrollment = self.enrollments
            enrollments.append((f"enr-{next(enrollment):08d}", cid, sid, teacher, "teacher",
                                "true", _FIRST, _LAST, ""))
            enrollments.extend([(f"enr-{next(enrollment):08d}", cid, sid, ids[i], "student",
                                 "false", _FIRST, _LAST, "") for i in klass.members])
            if self.gradebook and subject is not None:
                self._gradebook(sid, cid, course.title, klass.members, ids, ability,
                                line_items, results)
        self.export.write("classes", records)
        self.export.write_rows("enrollments", _ENROLLMENT_COLUMNS, enrollments)
        if self.gradebook:
            self.export.write("lineItems", line_items)
            self.export.write_rows("results", _RESULT_COLUMNS, results)

    def _gradebook(self, sid: str, cid: str, course: str, members: list[int], ids: list[str],
                   ability: list[int], line_items: list[Record],
                   results: list[tuple[str, ...]]) -> None:
        """Add a class's line items and one fully graded result per student for each."""
        rng, per_class = self.rng, self.size.line_items_per_class
        rnd, result = rng.random, self.results
        for k in range(per_class):
            category, label = _LINE_ITEM_KINDS[k % len(_LINE_ITEM_KINDS)]
            offset = k * _GRADED_DAYS // per_class + rng.randrange(5)
            assigned, due = self.graded_days[offset], self.graded_days[offset + 7]
            period = grading_period(due)
            lid = f"li-{next(self.line_items):07d}"
            title = f"{label} {k // len(_LINE_ITEM_KINDS) + 1}"
            line_items.append({
                "sourcedId": lid, "title": title, "description": f"{course}: {title}",
                "assignDate": self._moment("assignDate", assigned, "T13:00:00.000Z"),
                "dueDate": self._moment("dueDate", due, "T23:59:00.000Z"),
                "classSourcedId": cid, "schoolSourcedId": sid, "categorySourcedId": category,
                "gradingPeriodSourcedId": period, "academicSessionSourcedId": period,
                "resultValueMin": "0.0", "resultValueMax": "100.0",
            })
            scored = self.graded_days[offset + 9].isoformat()
            results.extend([(f"res-{next(result):09d}", lid, ids[i], cid, "fully graded",
                             _SCORES[ability[i] + int(rnd() * 25) - 12], scored, "")
                            for i in members])

    def _moment(self, column: str, day: date, time: str) -> str:
        """A day, written as a date or a datetime as the version's column expects."""
        return f"{day.isoformat()}{time}" if column in self.datetimes else day.isoformat()
