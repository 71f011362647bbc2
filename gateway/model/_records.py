"""The OneRoster 1.2 JSON records as pydantic models, one per component schema of the spec.

Field names, required fields and vocabularies follow the official 1.2 OpenAPI files; the few
places where a model is looser than the spec, because the CSV binding cannot supply a value,
say so next to the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._refs import (
    AcadSessionRef,
    AssessmentLineItemRef,
    CategoryRef,
    ClassRef,
    CourseRef,
    LineItemRef,
    OrgRef,
    ResourceRef,
    ResultRef,
    ScoreScaleRef,
    UserRef,
)
from ._values import Ext, JsonBool, Status, UtcDateTime

__all__ = [
    "AcademicSession",
    "AssessmentLineItem",
    "AssessmentResult",
    "Category",
    "Class",
    "ClassResource",
    "Course",
    "CourseResource",
    "Credential",
    "Demographics",
    "Enrollment",
    "LearningObjectiveResult",
    "LearningObjectiveScoreSet",
    "LearningObjectiveSet",
    "LineItem",
    "LineItemLearningObjectiveId",
    "LineItemScoreScale",
    "OneRosterRecord",
    "Org",
    "Resource",
    "Result",
    "ResultLearningObjectiveId",
    "ResultScoreScale",
    "RoleAssignment",
    "RoleRecord",
    "ScoreScale",
    "ScoreScaleValue",
    "User",
    "UserId",
    "UserProfile",
    "UserProfileRecord",
    "UserResource",
]

# Vocabularies. Where the spec allows ``ext:`` extensions the type is ``Literal[...] | Ext``.
OrgType = Literal["department", "district", "local", "national", "school", "state"] | Ext
SessionType = Literal["gradingPeriod", "semester", "schoolYear", "term"] | Ext
ClassType = Literal["homeroom", "scheduled"] | Ext
RoleType = Literal["primary", "secondary"]
RoleName = Literal[
    "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
    "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher",
] | Ext
EnrollmentRole = Literal["administrator", "proctor", "student", "teacher"] | Ext
Sex = Literal["male", "female", "unspecified", "other"] | Ext
ScoreStatus = Literal[
    "exempt", "fully graded", "not submitted", "partially graded", "submitted",
] | Ext
ResourceRole = Literal[
    "administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher",
] | Ext
Importance = Literal["primary", "secondary"]
LearningObjectiveSource = Literal["case", "unknown"] | Ext


class _Model(BaseModel):
    # additionalProperties is false on every record schema of the spec: an unknown key is a
    # typo or an extension that belongs in ``metadata``, so reject it rather than drop it.
    # Aliases serialize by default because ``class`` (a Python keyword) is spelled ``class_``.
    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True,
    )


class OneRosterRecord(_Model):
    """What every stored record has: identity, status, modification time and metadata."""

    sourcedId: str = Field(min_length=1)
    status: Status
    dateLastModified: UtcDateTime
    metadata: dict[str, Any] | None = None


# Rostering ----------------------------------------------------------------------------------

class Org(OneRosterRecord):
    """A school, district or other organization (OrgDType)."""

    name: str
    type: OrgType
    # Required by OrgDType, optional in the CSV binding; None when the source had none.
    identifier: str | None = None
    parent: OrgRef | None = None
    children: list[OrgRef] | None = None


class AcademicSession(OneRosterRecord):
    """A school year, term, semester or grading period (AcademicSessionDType)."""

    title: str
    startDate: date
    endDate: date
    type: SessionType
    parent: AcadSessionRef | None = None
    children: list[AcadSessionRef] | None = None
    schoolYear: str


class Course(OneRosterRecord):
    """A course in the catalog (CourseDType)."""

    title: str
    schoolYear: AcadSessionRef | None = None
    # Required by CourseDType, optional in the CSV binding; None when the source had none.
    courseCode: str | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    org: OrgRef | None = None
    subjectCodes: list[str] | None = None
    resources: list[ResourceRef] | None = None


class Class(OneRosterRecord):
    """A section of a course that students are enrolled in (ClassDType)."""

    title: str
    classCode: str | None = None
    classType: ClassType | None = None
    location: str | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    course: CourseRef
    school: OrgRef
    terms: list[AcadSessionRef] = Field(min_length=1)
    subjectCodes: list[str] | None = None
    periods: list[str] | None = None
    resources: list[ResourceRef] | None = None


class UserId(_Model):
    """An external identifier of a user; CSV writes it as ``{type:identifier}``."""

    type: str
    identifier: str


class RoleAssignment(_Model):
    """One role of a user in one org (RoleDType); the JSON of an entry in ``User.roles``."""

    roleType: RoleType
    role: RoleName
    org: OrgRef
    userProfile: str | None = None
    """The ``profileId`` (a URI) of the matching entry in ``User.userProfiles``."""
    beginDate: date | None = None
    endDate: date | None = None


class Credential(BaseModel):
    # CredentialDType alone allows additional properties.
    model_config = ConfigDict(extra="allow")

    type: str
    username: str
    password: str | None = None


class UserProfile(_Model):
    """An account of the user in a system, app or tool (UserProfileDType)."""

    profileId: str
    profileType: str
    vendorId: str
    applicationId: str | None = None
    description: str | None = None
    credentials: list[Credential] | None = None


class User(OneRosterRecord):
    """A person: student, teacher, guardian, administrator (UserDType)."""

    userMasterIdentifier: str | None = None
    username: str | None = None
    userIds: list[UserId] | None = None
    enabledUser: JsonBool
    givenName: str
    familyName: str
    middleName: str | None = None
    # The CSV binding calls these two preferredGivenName and preferredFamilyName.
    preferredFirstName: str | None = None
    preferredMiddleName: str | None = None
    preferredLastName: str | None = None
    pronouns: str | None = None
    # UserDType requires at least one role; in the flat store roles are rows of ``roles``.
    roles: list[RoleAssignment] = Field(min_length=1)
    userProfiles: list[UserProfile] | None = None
    primaryOrg: OrgRef | None = None
    identifier: str | None = None
    email: str | None = None
    sms: str | None = None
    phone: str | None = None
    agents: list[UserRef] | None = None
    grades: list[str] | None = None
    password: str | None = None
    resources: list[ResourceRef] | None = None


class Enrollment(OneRosterRecord):
    """A user's membership of a class (EnrollmentDType)."""

    user: UserRef
    class_: ClassRef = Field(alias="class")
    school: OrgRef
    role: EnrollmentRole
    primary: JsonBool | None = None
    beginDate: date | None = None
    endDate: date | None = None


class Demographics(OneRosterRecord):
    """Demographic facts about a user, keyed by the user's sourcedId (DemographicsDType)."""

    birthDate: date | None = None
    sex: Sex | None = None
    americanIndianOrAlaskaNative: JsonBool | None = None
    asian: JsonBool | None = None
    blackOrAfricanAmerican: JsonBool | None = None
    nativeHawaiianOrOtherPacificIslander: JsonBool | None = None
    white: JsonBool | None = None
    demographicRaceTwoOrMoreRaces: JsonBool | None = None
    hispanicOrLatinoEthnicity: JsonBool | None = None
    countryOfBirthCode: str | None = None
    stateOfBirthAbbreviation: str | None = None
    cityOfBirth: str | None = None
    publicSchoolResidenceStatus: str | None = None


# Rows of the CSV binding with no record of their own in the REST binding --------------------

class RoleRecord(OneRosterRecord):
    """A row of ``roles``: a RoleAssignment plus the row's identity and its user."""

    user: UserRef
    roleType: RoleType
    role: RoleName
    org: OrgRef
    userProfile: str | None = None
    beginDate: date | None = None
    endDate: date | None = None

    def assignment(self) -> RoleAssignment:
        """The entry of ``User.roles`` this row stands for."""
        return RoleAssignment.model_validate(
            self.model_dump(include=set(RoleAssignment.model_fields)))


class UserProfileRecord(OneRosterRecord):
    """A row of ``userProfiles``: a UserProfile plus the row's identity and its user."""

    user: UserRef
    profileId: str
    profileType: str
    vendorId: str
    applicationId: str | None = None
    description: str | None = None
    credentials: list[Credential] | None = None

    def profile(self) -> UserProfile:
        """The entry of ``User.userProfiles`` this row stands for."""
        return UserProfile.model_validate(
            self.model_dump(include=set(UserProfile.model_fields)))


class ClassResource(OneRosterRecord):
    """A row of ``classResources``; REST lists these as ``Class.resources``."""

    title: str | None = None
    class_: ClassRef = Field(alias="class")
    resource: ResourceRef


class CourseResource(OneRosterRecord):
    """A row of ``courseResources``; REST lists these as ``Course.resources``."""

    title: str | None = None
    course: CourseRef
    resource: ResourceRef


class UserResource(OneRosterRecord):
    """A row of ``userResources``; REST lists these as ``User.resources`` (without the org
    and class the row may narrow the assignment to)."""

    user: UserRef
    org: OrgRef | None = None
    class_: ClassRef | None = Field(default=None, alias="class")
    resource: ResourceRef


# Resources and gradebook --------------------------------------------------------------------

class Resource(OneRosterRecord):
    """A learning resource a vendor provides (ResourceDType)."""

    title: str | None = None
    roles: list[ResourceRole] | None = None
    importance: Importance | None = None
    vendorResourceId: str
    vendorId: str | None = None
    applicationId: str | None = None


class Category(OneRosterRecord):
    """A group of line items, e.g. homework (CategoryDType)."""

    title: str
    weight: float | None = None


class ScoreScaleValue(_Model):
    """One mapping of a score scale; CSV writes it as ``{itemValueLHS:itemValueRHS}``."""

    itemValueLHS: str
    itemValueRHS: str


class ScoreScale(OneRosterRecord):
    """A mapping between score values, e.g. 90-100 to A (ScoreScaleDType)."""

    title: str
    type: str
    # The CSV binding has orgSourcedId, ScoreScaleDType has no org: kept so rows round-trip,
    # never serialized.
    org: OrgRef | None = Field(default=None, exclude=True)
    course: CourseRef | None = None
    class_: ClassRef = Field(alias="class")
    scoreScaleValue: list[ScoreScaleValue] = Field(min_length=1)


class LearningObjectiveSet(_Model):
    # ``source`` is "case", "unknown" or an extension; the spec's extension pattern uses
    # look-aheads pydantic's regex engine lacks, so any string is accepted.
    source: str
    learningObjectiveIds: list[str] = Field(min_length=1)


class LearningObjectiveResult(_Model):
    learningObjectiveId: str
    score: float | None = None
    textScore: str | None = None


class LearningObjectiveScoreSet(_Model):
    source: str
    learningObjectiveResults: list[LearningObjectiveResult] = Field(min_length=1)


class LineItem(OneRosterRecord):
    """An assignment or assessment in a class gradebook (LineItemDType)."""

    title: str
    description: str | None = None
    assignDate: UtcDateTime
    dueDate: UtcDateTime
    class_: ClassRef = Field(alias="class")
    # Required by LineItemDType; 1.1 sources have no schoolSourcedId, so it may be missing.
    school: OrgRef | None = None
    category: CategoryRef
    gradingPeriod: AcadSessionRef | None = None
    academicSession: AcadSessionRef | None = None
    scoreScale: ScoreScaleRef | None = None
    resultValueMin: float | None = None
    resultValueMax: float | None = None
    learningObjectiveSet: list[LearningObjectiveSet] | None = None


class Result(OneRosterRecord):
    """A student's score on a line item (ResultDType)."""

    lineItem: LineItemRef
    student: UserRef
    class_: ClassRef | None = Field(default=None, alias="class")
    scoreScale: ScoreScaleRef | None = None
    scoreStatus: ScoreStatus
    score: float | None = None
    textScore: str | None = None
    scoreDate: date
    comment: str | None = None
    learningObjectiveSet: list[LearningObjectiveScoreSet] | None = None
    inProgress: JsonBool | None = None
    incomplete: JsonBool | None = None
    late: JsonBool | None = None
    missing: JsonBool | None = None


class AssessmentLineItem(OneRosterRecord):
    """An assessment of the gradebook's assessment profile (AssessmentLineItemDType): only
    the title is required; it may belong to a class and to a parent assessment."""

    title: str
    description: str | None = None
    class_: ClassRef | None = Field(default=None, alias="class")
    parentAssessmentLineItem: AssessmentLineItemRef | None = None
    scoreScale: ScoreScaleRef | None = None
    resultValueMin: float | None = None
    resultValueMax: float | None = None
    # No stream holds these (the profile has no CSV binding); always None when read.
    learningObjectiveSet: list[LearningObjectiveSet] | None = None


class AssessmentResult(OneRosterRecord):
    """A student's score on an assessment line item (AssessmentResultDType)."""

    assessmentLineItem: AssessmentLineItemRef
    student: UserRef
    score: float | None = None
    textScore: str | None = None
    scoreDate: date
    scoreScale: ScoreScaleRef | None = None
    scorePercentile: float | None = None
    scoreStatus: ScoreStatus
    comment: str | None = None
    # As for AssessmentLineItem.learningObjectiveSet.
    learningObjectiveSet: list[LearningObjectiveScoreSet] | None = None
    inProgress: JsonBool | None = None
    incomplete: JsonBool | None = None
    late: JsonBool | None = None
    missing: JsonBool | None = None


# Gradebook rows the REST binding nests into a line item or a result -------------------------

class LineItemLearningObjectiveId(OneRosterRecord):
    """A row of ``lineItemLearningObjectiveIds``; REST groups these by source into
    ``LineItem.learningObjectiveSet``."""

    lineItem: LineItemRef
    source: LearningObjectiveSource
    learningObjectiveId: str


class LineItemScoreScale(OneRosterRecord):
    """A row of ``lineItemScoreScales``; REST has it as ``LineItem.scoreScale``."""

    title: str | None = None
    lineItem: LineItemRef
    scoreScale: ScoreScaleRef


class ResultLearningObjectiveId(OneRosterRecord):
    """A row of ``resultLearningObjectiveIds``; REST groups these by source into
    ``Result.learningObjectiveSet``."""

    result: ResultRef
    source: LearningObjectiveSource
    learningObjectiveId: str
    score: float | None = None
    textScore: str | None = None


class ResultScoreScale(OneRosterRecord):
    """A row of ``resultScoreScales``; REST has it as ``Result.scoreScale``."""

    title: str | None = None
    result: ResultRef
    scoreScale: ScoreScaleRef
