"""The MAP Growth Comprehensive Data File layouts: the columns read from each file, with the
spellings of older exports (``MeasurementScale`` for ``Course``, ``RITtoReadingScore`` for
``LexileScore``, ``Discipline`` for ``Subject``), and the families of growth and goal columns."""

from __future__ import annotations

from connectors.assessment_files import Columns

__all__ = ["COMBO", "COMBO_FILES", "GOAL_FIELDS", "GROWTH_MEASURES", "RESULTS", "RESULTS_FILES",
           "STUDENTS", "STUDENTS_FILES", "TERMS"]

RESULTS_FILES = ("AssessmentResults*.csv",)
STUDENTS_FILES = ("StudentsBySchool*.csv",)
COMBO_FILES = ("ComboStudentAssessment*.csv",)

TERMS = {"fall": "Fall", "winter": "Winter", "spring": "Spring"}
GROWTH_MEASURES = {  # normalized suffix -> the export's spelling
    "projectedgrowth": "ProjectedGrowth",
    "observedgrowth": "ObservedGrowth",
    "observedgrowthse": "ObservedGrowthSE",
    "metprojectedgrowth": "MetProjectedGrowth",
    "conditionalgrowthindex": "ConditionalGrowthIndex",
    "conditionalgrowthpercentile": "ConditionalGrowthPercentile",
    "growthquintile": "GrowthQuintile",
}
GOAL_FIELDS = ("name", "ritscore", "stderr", "range", "adjective")

_TERM = "(fall|winter|spring)"
_PATTERNS = (
    (f"{_TERM}to{_TERM}({'|'.join(sorted(GROWTH_MEASURES, key=len, reverse=True))})",
     r"growth:\1:\2:\3"),
    (f"typical{_TERM}to{_TERM}growth", r"typical:\1:\2"),
    (f"goal(\\d+)({'|'.join(GOAL_FIELDS)})", r"goal:\1:\2"),
)

_TEST = {
    "term": ("TermName",),
    "student_id": ("StudentID",),
    "course": ("Course", "MeasurementScale"),
    "test_id": ("TestID",),
    "test_date": ("TestStartDate",),
    "rit": ("TestRITScore",),
}
_TEST_OPTIONAL = {
    "state_id": ("Student_StateID", "StudentStateID"),
    "subject": ("Subject", "Discipline"),
    "growth_measure": ("GrowthMeasureYN",),
    "test_time": ("TestStartTime",),
    "test_name": ("TestName",),
    "test_type": ("TestType",),
    "standard_error": ("TestStandardError",),
    "percentile": ("TestPercentile",),
    "quintile": ("AchievementQuintile",),
    "lexile": ("LexileScore", "RITtoReadingScore"),
    "quantile": ("QuantileScore",),
    "school": ("SchoolName",),
    "grade": ("Grade", "StudentGrade"),
}
_STUDENT = {
    "last_name": ("StudentLastName",),
    "first_name": ("StudentFirstName",),
    "middle": ("StudentMI", "StudentMiddleInitial"),
    "grade": ("Grade", "StudentGrade"),
    "school": ("SchoolName",),
    "state_id": ("Student_StateID", "StudentStateID"),
}

RESULTS = Columns(required=_TEST, optional=_TEST_OPTIONAL, patterns=_PATTERNS)
"""``AssessmentResults.csv``: one row per test event."""
STUDENTS = Columns(required={"term": ("TermName",), "student_id": ("StudentID",)},
                   optional=_STUDENT)
"""``StudentsBySchool.csv``: one row per student, school and term."""
COMBO = Columns(required=_TEST, optional={**_TEST_OPTIONAL, **_STUDENT}, patterns=_PATTERNS)
"""``ComboStudentAssessment.csv``: the test rows with the student's columns beside them."""
