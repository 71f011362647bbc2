"""Renaissance Star Reading and Math exports: the test files (``SR.csv``, ``SM.csv``, their
``_v2`` layouts and the older spaced-header exports) and the standards file
(``SR_Dashboard_Standards_v2.csv``, ``SM_...``), their columns with every year's spelling,
and the reading of one row into tool stream rows, as pure functions over rows keyed by
canonical column names.

A cell that cannot be read (a scaled score ``abc``, a date ``13/45/2026``) is passed on as
written rather than dropped, so the intake skips that record and reports it with its file,
line and field; the rest of the file is applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.assessment_files import (
    Columns,
    normalize_header,
    read_date,
    school_year_of,
    window_name,
    window_of,
)
from gateway.errors import Problem, SourceDataError

__all__ = ["ASSESSMENT", "GROWTH_FIELDS", "STANDARDS_COLUMNS", "TESTS_COLUMNS",
           "Administration", "StarColumns", "mark_growth_measures", "read_standard",
           "read_test", "subject_of"]

ASSESSMENT = "star"

GROWTH_FIELDS = ("CurrentSGP", "StudentGrowthPercentileFallFall",
                 "StudentGrowthPercentileFallWinter", "StudentGrowthPercentileFallSpring",
                 "StudentGrowthPercentileWinterSpring", "StudentGrowthPercentileSpringFall",
                 "StudentGrowthPercentileSpringSpring")
"""Star's growth fields, kept in ``vendor_growth`` under these (the v2 export's) names,
with ``GradePlacement``, the grade placement at test time that Star growth divides by."""


@dataclass(frozen=True)
class StarColumns(Columns):
    """Columns with groups of which a file must have at least one (a learner id, a date):
    exports of different years carry different ones."""

    one_of: Sequence[tuple[str, Sequence[str]]] = ()
    """(what the group is, canonical names), e.g. ("a student id", ("sourced_id", ...))."""

    def resolve(self, header: Sequence[str], source: str) -> dict[int, str]:
        found = super().resolve(header, source)
        names = set(found.values())
        missing = [(what, group) for what, group in self.one_of
                   if not names.intersection(group)]
        if missing:
            problems = [Problem(source, 1, self._spelling(group[0]),
                                f"the header has no column for {what}; one of "
                                f"{', '.join(repr(self._spelling(c)) for c in group)} is "
                                f"needed: export the file again with it included")
                        for what, group in missing]
            shown = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
            raise SourceDataError(
                f"{source}: the header lacks {' and '.join(w for w, _ in missing)} "
                f"(column {', '.join(str(p.column) for p in problems)}); nothing of this file "
                f"was read. The header has: {shown}", problems)
        return found

    def _spelling(self, canonical: str) -> str:
        spellings = self.optional.get(canonical) or self.required.get(canonical) or ()
        return spellings[0] if spellings else canonical


# Spacing and case never matter (normalize_header); these are the real renames.
_LEARNER: dict[str, tuple[str, ...]] = {
    "sourced_id": ("StudentSourcedID",),
    "identifier": ("StudentIdentifier", "StudentLocalID", "StudentID"),
    "renaissance_id": ("StudentRenaissanceID", "RenaissanceStudentID"),
    "state_id": ("StudentStateID",),
    "email": ("StudentEmail",),
    "first_name": ("StudentFirstName", "StudentFirst", "FirstName"),
    "last_name": ("StudentLastName", "StudentLast", "LastName"),
    "current_grade": ("CurrentGrade",),
    "school": ("SchoolName",),
    "school_year": ("SchoolYear",),
}
_IDS = ("sourced_id", "identifier", "renaissance_id")
_DATES = ("completed_utc", "completed_local")

TESTS_COLUMNS = StarColumns(
    required={"assessment_id": ("AssessmentID", "StudentAssessmentID",
                                "Renaissance Activity ID"),
              "scaled_score": ("ScaledScore", "SS")},
    optional={**_LEARNER,
              "completed_utc": ("CompletedDate",),
              "completed_local": ("CompletedDateLocal", "AssessmentDate",
                                  "Activity Completed Date", "DateTaken"),
              "grade": ("Grade", "GradeAtTest"),
              "grade_placement": ("GradePlacement",),
              "sem": ("StandardErrorOfMeasurement", "SEM"),
              "grade_equivalent": ("GradeEquivalent", "GE"),
              "percentile": ("PercentileRank", "PR"),
              "lexile": ("Lexile", "Lexile Score", "Lexile Measure"),
              "quantile": ("Quantile", "Quantile Measure"),
              "window_name": ("ScreeningPeriodWindowName", "Screening Window Name",
                              "WindowName"),
              "benchmark": ("RenaissanceBenchmarkCategoryName",
                            "DistrictBenchmarkCategoryName", "District Benchmark Category",
                            "SchoolBenchmarkCategoryName", "School Benchmark Category",
                            "ScreeningCategoryGroupAdjustment"),
              "status": ("AssessmentStatus", "TestStatus"),
              "activity": ("Activity Type", "AssessmentType", "TestType"),
              **{f"growth:{name}": (name,) for name in GROWTH_FIELDS}},
    one_of=(("a student id", _IDS), ("the completed date", _DATES)),
)
"""The columns of a Star test export (SR, SM, v2 or older)."""

STANDARDS_COLUMNS = StarColumns(
    required={"standard": ("StandardName",),
              "percent": ("StandardPercentMastery", "PercentMastery")},
    optional={**_LEARNER,
              "mastery_level": ("StandardMasteryLevel", "MasteryLevel"),
              "assessment_id": ("AssessmentID",),
              "completed_utc": ("CompletedDate",),
              "completed_local": ("CompletedDateLocal", "AssessmentDate",
                                  "LastAssessmentDate", "MasteryDate", "Date")},
    one_of=(("a student id", _IDS), ("the date", _DATES)),
)
"""The columns of a Star standards (Dashboard Standards v2) export."""

_SUBJECT_WORDS = (("reading", re.compile(r"(?:^|[^a-z])(sr|reading|ela)(?:[^a-z]|$)")),
                  ("math", re.compile(r"(?:^|[^a-z])(sm|math|mathematics)(?:[^a-z]|$)")))


def subject_of(file_name: str, activity: str | None = None) -> str | None:
    """``reading`` or ``math`` from the file's name (``SR.csv``, ``SM_v2.csv``,
    ``SR_Dashboard_Standards_v2.csv``), else from its activity column (``Star Math
    Enterprise Tests``); None when neither says."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
    for text in (base, (activity or "").lower()):
        found = {s for s, pattern in _SUBJECT_WORDS if pattern.search(text)}
        if len(found) == 1:
            return found.pop()
    return None


@dataclass
class Administration:
    """One test row read: its ``toolAssessments`` row and what growth marking needs."""

    line: int
    row: dict[str, Any]
    when: str | None
    """Completion time as sortable text, None when unreadable."""
    screening: bool
    """Taken in a named screening window (what Star's screening reports count)."""
    active: bool


def _number(text: str | None) -> float | int | str | None:
    """A number as a number (an int when whole); text that is none is kept as written."""
    if text is None:
        return None
    try:
        value = float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text else value


def _grade(text: str | None) -> str | None:
    if text is None:
        return None
    upper = text.strip().upper()
    if upper in ("K", "KG", "0", "00"):
        return "KG"
    if upper.isdigit() and 1 <= int(upper) <= 13:
        return f"{int(upper):02d}"
    return upper


_US_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
                      r"\s*([AP]M)?$", re.I)


def _instant(text: str) -> str | None:
    """``1/23/23 18:39`` or ``2023-01-23 18:39:00`` as ``2023-01-23T18:39:00``; a date
    alone as ``2023-01-23``; None when not a date."""
    text = text.strip()
    m = _US_TIME.match(text)
    if m is not None:
        month, day, year, hour, minute, second, half = m.groups()
        y = int(year) + (2000 if len(year) == 2 else 0)
        h = int(hour) % 12 + (12 if half and half.upper() == "PM" else 0) if half else int(hour)
        try:
            return datetime(y, int(month), int(day), h, int(minute),
                            int(second or 0)).isoformat()
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(
            tzinfo=None).isoformat()
    except ValueError:
        pass
    day_only = read_date(text)
    return day_only.isoformat() if day_only is not None else None


def _dates(values: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """(administered_at, sortable completion time) from a row's date columns; a date that
    cannot be read is passed on as written (the intake reports it).

    The v2 ``CompletedDate`` is UTC (``CompletedDateLocal`` is the school's clock), so it
    becomes an instant; an older export's local time of unknown zone becomes its date."""
    utc, local = values.get("completed_utc"), values.get("completed_local")
    if utc is not None:
        when = _instant(utc)
        if when is None:
            return utc, None
        return (when + "Z" if "T" in when else when), when
    if local is not None:
        when = _instant(local)
        if when is None:
            return local, None
        return when[:10], when
    return None, None


def _window(values: Mapping[str, str | None], sortable: str | None
            ) -> tuple[str | None, str | None, bool]:
    """(window, school_year, screening) from the screening window's name, else the date
    (the school's local date when the export has it)."""
    name = values.get("window_name")
    named = window_name(name) if name else None
    local = values.get("completed_local")
    day = (_instant(local) if local else None) or sortable
    from_date = window_of(day[:10]) if day else None
    year_text = values.get("school_year")
    year = school_year_of(year_text) if year_text else None
    year = year or (from_date[1] if from_date else None)
    if named is not None:
        return named, year, True
    return (from_date[0] if from_date else None), year, bool(name)


def _learner(values: Mapping[str, str | None], learner_id_kind: str
             ) -> tuple[str | None, str, dict[str, Any]]:
    attributes: dict[str, Any] = {}
    for key in ("state_id", "email"):
        if values.get(key):
            attributes[key] = values[key]
    for key, name in (("first_name", "givenName"), ("last_name", "familyName"),
                      ("school", "school")):
        if values.get(key):
            attributes[name] = values[key]
    grade = _grade(values.get("current_grade"))
    if grade:
        attributes["grade"] = grade
    renaissance = values.get("renaissance_id")
    own = values.get("sourced_id") or values.get("identifier")
    if own is not None:
        if renaissance:
            attributes["renaissance_id"] = renaissance
        return own, learner_id_kind, attributes
    return renaissance, "tool_id", attributes


def read_test(values: Mapping[str, str | None], line: int, subject: str, *,
              learner_id_kind: str = "sis_id", cells: Mapping[str, str] | None = None,
              ) -> Administration:
    """The ``toolAssessments`` row of one test row (``growth_measure`` is set later, by
    :func:`mark_growth_measures`, once the learner's other tests are known)."""
    administered, sortable = _dates(values)
    window, year, screening = _window(values, sortable)
    learner, kind, attributes = _learner(values, learner_id_kind)
    growth: dict[str, Any] = {}
    placement = _number(values.get("grade_placement"))
    if placement is not None:
        growth["GradePlacement"] = placement
    for name in GROWTH_FIELDS:
        value = _number(values.get(f"growth:{name}"))
        if value is not None:
            growth[name] = value
    status = (values.get("status") or "active").strip().lower()
    active = status not in ("deactivated", "inactive", "deleted", "invalid")
    row: dict[str, Any] = {
        "source_key": values.get("assessment_id"),
        "learner": learner, "learner_id_kind": kind,
        "learner_attributes": attributes or None,
        "assessment": ASSESSMENT, "subject": subject,
        "school_year": year, "window": window, "administered_at": administered,
        "growth_measure": False,
        "grade": _grade(values.get("grade")) or attributes.get("grade"),
        "scale_score": _number(values.get("scaled_score")),
        "standard_error": _number(values.get("sem")),
        "percentile": _number(values.get("percentile")),
        "performance_level": values.get("benchmark"),
        "grade_equivalent": values.get("grade_equivalent"),
        "lexile": values.get("lexile"), "quantile": values.get("quantile"),
        "vendor_growth": growth or None,
        "payload": dict(cells) if cells is not None else None,
        "status": "active" if active else "tobedeleted",
    }
    return Administration(line, {k: v for k, v in row.items() if v is not None}, sortable,
                          screening, active)


def mark_growth_measures(tests: Iterable[Administration]) -> None:
    """One test per learner, subject, school year and window counts for growth: of its
    active tests, those taken in a named screening window if any, and of them the last
    completed (a retest replaces the test before it, as in Star's screening reports)."""
    groups: dict[tuple[Any, ...], list[Administration]] = {}
    for test in tests:
        r = test.row
        test.row["growth_measure"] = False
        if not test.active or test.when is None or not r.get("window"):
            continue
        key = (r.get("learner"), r.get("learner_id_kind"), r.get("subject"),
               r.get("school_year"), r.get("window"))
        groups.setdefault(key, []).append(test)
    for members in groups.values():
        pool = [t for t in members if t.screening] or members
        best = max(pool, key=lambda t: (t.when or "", t.line))
        best.row["growth_measure"] = True


def read_standard(values: Mapping[str, str | None], line: int, subject: str, *,
                  learner_id_kind: str = "sis_id",
                  cells: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``toolEvidence`` row of one standards row: the standard's percent mastery as of
    the date, ``skill_code`` the standard's name as Renaissance writes it."""
    administered, _sortable = _dates(values)
    learner, kind, attributes = _learner(values, learner_id_kind)
    standard = values.get("standard")
    test = values.get("assessment_id")
    day = (administered or "")[:10]
    key = (f"{test}:{standard}" if test else
           f"{kind}:{learner}:{subject}:{normalize_header(standard or '')}:{day}")
    payload = dict(cells) if cells is not None else {}
    level = values.get("mastery_level")
    if level:
        payload.setdefault("StandardMasteryLevel", level)
    row: dict[str, Any] = {
        "source_key": key if learner and standard else None,
        "learner": learner, "learner_id_kind": kind,
        "learner_attributes": attributes or None,
        "activity": f"Star {'Reading' if subject == 'reading' else 'Math'} standards",
        "skill_code": standard, "raw_score": values.get("percent"), "scale": "percent",
        "observed_at": administered, "payload": payload or None,
    }
    return {k: v for k, v in row.items() if v is not None}
