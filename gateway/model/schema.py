"""The flat (CSV-binding) shape of every OneRoster 1.2 stream: columns, types, references.

This is the single description the store's tables, the row validator, the CSV connector and
the sample generator are all built from. Column names are the OneRoster 1.2 CSV headers;
``sourcedId``, ``status`` and ``dateLastModified`` are common to every stream and are not
repeated in ``Stream.columns``.

The gradebook's assessment profile (assessmentLineItems, assessmentResults) has no CSV
binding: its streams are in :data:`ASSESSMENT_STREAMS`, not in :data:`STREAMS`, so no
connector reads them; vendors write them through the provider API, and the store keeps them
in tables of the same shape (:data:`ALL_STREAMS` is both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ALL_STREAMS",
    "ASSESSMENT_STREAMS",
    "COMMON_COLUMNS",
    "STREAMS",
    "STREAM_ORDER",
    "Column",
    "Kind",
    "Stream",
    "snake",
]

Kind = Literal["str", "enum", "date", "datetime", "bool", "float", "year", "list", "ref", "refs"]
Service = Literal["rostering", "gradebook", "resources"]


@dataclass(frozen=True, slots=True)
class Column:
    """One field of a stream, as it appears in the OneRoster 1.2 CSV binding."""

    name: str
    kind: Kind = "str"
    required: bool = False
    values: frozenset[str] = frozenset()
    """Allowed values of an ``enum``; extensible enums also accept ``ext:`` values."""
    extensible: bool = False
    ref: str | None = None
    """For ``ref``/``refs``: the stream whose sourcedId this column holds."""

    @property
    def db_name(self) -> str:
        return snake(self.name)


@dataclass(frozen=True, slots=True)
class Stream:
    """One OneRoster collection (a CSV file, a REST collection, a store table)."""

    name: str
    service: Service
    columns: tuple[Column, ...]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def table(self) -> str:
        return f"or_{snake(self.name)}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def snake(name: str) -> str:
    """``classSourcedId`` -> ``class_sourced_id``; the database spelling of a column."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _enum(*values: str) -> frozenset[str]:
    return frozenset(values)


def _c(name: str, kind: Kind = "str", *, req: bool = False, ref: str | None = None,
       values: frozenset[str] = frozenset(), ext: bool = False) -> Column:
    return Column(name, kind, req, values, ext, ref)


COMMON_COLUMNS = ("sourcedId", "status", "dateLastModified")

ORG_TYPES = _enum("department", "school", "district", "local", "state", "national")
SESSION_TYPES = _enum("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = _enum("homeroom", "scheduled")
ENROLLMENT_ROLES = _enum("administrator", "proctor", "student", "teacher")
ROLES = _enum(
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
    "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher",
)
SCORE_STATUSES = _enum(
    "exempt", "fully graded", "not submitted", "partially graded", "submitted",
)
SEX = _enum("male", "female", "unspecified", "other")
LEARNING_OBJECTIVE_SOURCES = _enum("case", "unknown")
RESOURCE_ROLES = _enum(
    "administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher",
)

_STREAMS: tuple[Stream, ...] = (
    Stream("orgs", "rostering", (
        _c("name", req=True),
        _c("type", "enum", req=True, values=ORG_TYPES, ext=True),
        _c("identifier"),
        _c("parentSourcedId", "ref", ref="orgs"),
    )),
    Stream("academicSessions", "rostering", (
        _c("title", req=True),
        _c("type", "enum", req=True, values=SESSION_TYPES, ext=True),
        _c("startDate", "date", req=True),
        _c("endDate", "date", req=True),
        _c("parentSourcedId", "ref", ref="academicSessions"),
        _c("schoolYear", "year", req=True),
    )),
    Stream("courses", "rostering", (
        _c("schoolYearSourcedId", "ref", ref="academicSessions"),
        _c("title", req=True),
        _c("courseCode"),
        _c("grades", "list"),
        _c("orgSourcedId", "ref", req=True, ref="orgs"),
        _c("subjects", "list"),
        _c("subjectCodes", "list"),
    )),
    Stream("classes", "rostering", (
        _c("title", req=True),
        _c("grades", "list"),
        _c("courseSourcedId", "ref", req=True, ref="courses"),
        _c("classCode"),
        _c("classType", "enum", req=True, values=CLASS_TYPES, ext=True),
        _c("location"),
        _c("schoolSourcedId", "ref", req=True, ref="orgs"),
        _c("termSourcedIds", "refs", req=True, ref="academicSessions"),
        _c("subjects", "list"),
        _c("subjectCodes", "list"),
        _c("periods", "list"),
    )),
    Stream("users", "rostering", (
        _c("enabledUser", "bool", req=True),
        _c("username", req=True),
        _c("userIds", "list"),
        _c("givenName", req=True),
        _c("familyName", req=True),
        _c("middleName"),
        _c("identifier"),
        _c("email"),
        _c("sms"),
        _c("phone"),
        _c("agentSourcedIds", "refs", ref="users"),
        _c("grades", "list"),
        _c("password"),
        _c("userMasterIdentifier"),
        _c("preferredGivenName"),
        _c("preferredMiddleName"),
        _c("preferredFamilyName"),
        _c("primaryOrgSourcedId", "ref", ref="orgs"),
        _c("pronouns"),
    )),
    Stream("userProfiles", "rostering", (
        _c("userSourcedId", "ref", req=True, ref="users"),
        _c("profileType", req=True),
        _c("vendorId", req=True),
        _c("applicationId"),
        _c("description"),
        _c("credentialType", req=True),
        _c("username", req=True),
        _c("password"),
    )),
    Stream("roles", "rostering", (
        _c("userSourcedId", "ref", req=True, ref="users"),
        _c("roleType", "enum", req=True, values=_enum("primary", "secondary")),
        _c("role", "enum", req=True, values=ROLES, ext=True),
        _c("beginDate", "date"),
        _c("endDate", "date"),
        _c("orgSourcedId", "ref", req=True, ref="orgs"),
        _c("userProfileSourcedId", "ref", ref="userProfiles"),
    )),
    Stream("demographics", "rostering", (
        _c("birthDate", "date"),
        _c("sex", "enum", values=SEX, ext=True),
        _c("americanIndianOrAlaskaNative", "bool"),
        _c("asian", "bool"),
        _c("blackOrAfricanAmerican", "bool"),
        _c("nativeHawaiianOrOtherPacificIslander", "bool"),
        _c("white", "bool"),
        _c("demographicRaceTwoOrMoreRaces", "bool"),
        _c("hispanicOrLatinoEthnicity", "bool"),
        _c("countryOfBirthCode"),
        _c("stateOfBirthAbbreviation"),
        _c("cityOfBirth"),
        _c("publicSchoolResidenceStatus"),
    )),
    Stream("enrollments", "rostering", (
        _c("classSourcedId", "ref", req=True, ref="classes"),
        _c("schoolSourcedId", "ref", req=True, ref="orgs"),
        _c("userSourcedId", "ref", req=True, ref="users"),
        _c("role", "enum", req=True, values=ENROLLMENT_ROLES, ext=True),
        _c("primary", "bool"),
        _c("beginDate", "date"),
        _c("endDate", "date"),
    )),
    Stream("resources", "resources", (
        _c("vendorResourceId", req=True),
        _c("title"),
        _c("roles", "list"),  # values from RESOURCE_ROLES; checked as a list, not an enum
        _c("importance", "enum", values=_enum("primary", "secondary")),
        _c("vendorId"),
        _c("applicationId"),
    )),
    Stream("classResources", "resources", (
        _c("title"),
        _c("classSourcedId", "ref", req=True, ref="classes"),
        _c("resourceSourcedId", "ref", req=True, ref="resources"),
    )),
    Stream("courseResources", "resources", (
        _c("title"),
        _c("courseSourcedId", "ref", req=True, ref="courses"),
        _c("resourceSourcedId", "ref", req=True, ref="resources"),
    )),
    Stream("userResources", "resources", (
        _c("userSourcedId", "ref", req=True, ref="users"),
        _c("orgSourcedId", "ref", ref="orgs"),
        _c("classSourcedId", "ref", ref="classes"),
        _c("resourceSourcedId", "ref", req=True, ref="resources"),
    )),
    Stream("categories", "gradebook", (
        _c("title", req=True),
        _c("weight", "float"),
    )),
    Stream("scoreScales", "gradebook", (
        _c("title", req=True),
        _c("type", req=True),
        # The CSV binding marks all three references required, the REST binding only the
        # class; real exports leave org and course empty, so we follow REST.
        _c("orgSourcedId", "ref", ref="orgs"),
        _c("courseSourcedId", "ref", ref="courses"),
        _c("classSourcedId", "ref", req=True, ref="classes"),
        _c("scoreScaleValue", "list", req=True),
    )),
    Stream("lineItems", "gradebook", (
        _c("title", req=True),
        _c("description"),
        # Date in the CSV binding, date-time in REST; stored as date-time (a CSV date
        # becomes midnight UTC) so REST sources keep the time of day.
        _c("assignDate", "datetime", req=True),
        _c("dueDate", "datetime", req=True),
        _c("classSourcedId", "ref", req=True, ref="classes"),
        _c("categorySourcedId", "ref", req=True, ref="categories"),
        _c("academicSessionSourcedId", "ref", req=True, ref="academicSessions"),
        _c("resultValueMin", "float"),
        _c("resultValueMax", "float"),
        # Required by the 1.2 CSV binding, but 1.1 sources have no such column; the CSV
        # connector fills it from the class when it can.
        _c("schoolSourcedId", "ref", ref="orgs"),
    )),
    Stream("lineItemLearningObjectiveIds", "gradebook", (
        _c("lineItemSourcedId", "ref", req=True, ref="lineItems"),
        _c("source", "enum", req=True, values=LEARNING_OBJECTIVE_SOURCES, ext=True),
        _c("learningObjectiveId", req=True),
    )),
    Stream("lineItemScoreScales", "gradebook", (
        _c("title"),
        _c("lineItemSourcedId", "ref", req=True, ref="lineItems"),
        _c("scoreScaleSourcedId", "ref", req=True, ref="scoreScales"),
    )),
    Stream("results", "gradebook", (
        _c("lineItemSourcedId", "ref", req=True, ref="lineItems"),
        _c("studentSourcedId", "ref", req=True, ref="users"),
        _c("scoreStatus", "enum", req=True, values=SCORE_STATUSES, ext=True),
        _c("score", "float"),
        _c("scoreDate", "date", req=True),
        _c("comment"),
        _c("textScore"),
        _c("classSourcedId", "ref", ref="classes"),
        _c("inProgress", "bool"),
        _c("incomplete", "bool"),
        _c("late", "bool"),
        _c("missing", "bool"),
    )),
    Stream("resultLearningObjectiveIds", "gradebook", (
        _c("resultSourcedId", "ref", req=True, ref="results"),
        _c("source", "enum", req=True, values=LEARNING_OBJECTIVE_SOURCES, ext=True),
        _c("learningObjectiveId", req=True),
        _c("score", "float"),
        _c("textScore"),
    )),
    Stream("resultScoreScales", "gradebook", (
        _c("title"),
        _c("resultSourcedId", "ref", req=True, ref="results"),
        _c("scoreScaleSourcedId", "ref", req=True, ref="scoreScales"),
    )),
)

STREAMS: dict[str, Stream] = {s.name: s for s in _STREAMS}
"""Every stream by name, in dependency order: a stream references only earlier ones, except
self-references (org parents, session parents, user agents), which are checked once the
whole pull is read. Sources: the OneRoster 1.2.1 CSV binding tables."""

STREAM_ORDER: tuple[str, ...] = tuple(STREAMS)

# Columns named as a CSV binding would name them (``<field>SourcedId`` for a reference), so
# everything built from a Stream (tables, checker, JSON conversion, filters) treats them alike.
_ASSESSMENT_STREAMS: tuple[Stream, ...] = (
    # AssessmentLineItemDType: unlike LineItemDType, only the title is required; the class is
    # optional and the score scale is a direct reference (no lineItemScoreScales rows).
    Stream("assessmentLineItems", "gradebook", (
        _c("title", req=True),
        _c("description"),
        _c("classSourcedId", "ref", ref="classes"),
        _c("parentAssessmentLineItemSourcedId", "ref", ref="assessmentLineItems"),
        _c("scoreScaleSourcedId", "ref", ref="scoreScales"),
        _c("resultValueMin", "float"),
        _c("resultValueMax", "float"),
    )),
    # AssessmentResultDType.
    Stream("assessmentResults", "gradebook", (
        _c("assessmentLineItemSourcedId", "ref", req=True, ref="assessmentLineItems"),
        _c("studentSourcedId", "ref", req=True, ref="users"),
        _c("score", "float"),
        _c("textScore"),
        _c("scoreDate", "date", req=True),
        _c("scoreScaleSourcedId", "ref", ref="scoreScales"),
        _c("scorePercentile", "float"),
        _c("scoreStatus", "enum", req=True, values=SCORE_STATUSES, ext=True),
        _c("comment"),
        _c("inProgress", "bool"),
        _c("incomplete", "bool"),
        _c("late", "bool"),
        _c("missing", "bool"),
    )),
)

ASSESSMENT_STREAMS: dict[str, Stream] = {s.name: s for s in _ASSESSMENT_STREAMS}
"""The assessment profile of the 1.2 gradebook service: REST only, written by vendors."""

ALL_STREAMS: dict[str, Stream] = {**STREAMS, **ASSESSMENT_STREAMS}
"""Every stream the store keeps a table for: the CSV-binding ones, then the assessment ones."""
