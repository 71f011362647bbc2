"""The OneRoster 1.1 JSON records as schemas, for checking the 1.1 provider's answers.

1EdTech publishes no machine-readable schema of the 1.1 REST binding that this workplace
holds, so these are written from the OneRoster 1.1 information model and REST binding
(Final Release): the fields of each class, which are required, the vocabularies, and
``additionalProperties: false`` so that a 1.2 field (``roles``, ``primaryOrg``, ``weight``,
``textScore``, ...) leaking into a 1.1 answer fails. The document has the shape the
OpenAPI checker of ``tests.gateway.model.test_oneroster.check`` reads.
"""

from __future__ import annotations

from typing import Any

ROLES = ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student",
         "teacher"]
GUID_TYPES = ["academicSession", "category", "class", "course", "demographics", "enrollment",
              "gradingPeriod", "lineItem", "org", "resource", "result", "student", "teacher",
              "term", "user"]
BOOL = {"type": "string", "enum": ["true", "false"]}
TEXT = {"type": "string"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
STRINGS = {"type": "array", "items": TEXT}


def _ref(kind: str | None = None) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["href", "sourcedId", "type"],
            "properties": {"href": {"type": "string", "format": "uri"}, "sourcedId": TEXT,
                           "type": {"type": "string",
                                    "enum": [kind] if kind else GUID_TYPES}}}


def _refs(kind: str | None = None) -> dict[str, Any]:
    return {"type": "array", "items": _ref(kind)}


def _record(required: list[str], **fields: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["sourcedId", "status", "dateLastModified", *required],
            "properties": {"sourcedId": TEXT,
                           "status": {"type": "string", "enum": ["active", "tobedeleted"]},
                           "dateLastModified": DATETIME, "metadata": {"type": "object"},
                           **fields}}


RECORDS: dict[str, dict[str, Any]] = {
    "org": _record(
        ["name", "type"], name=TEXT, identifier=TEXT, parent=_ref("org"),
        children=_refs("org"),
        type={"type": "string",
              "enum": ["department", "school", "district", "local", "state", "national"]}),
    "academicSession": _record(
        ["title", "startDate", "endDate", "type", "schoolYear"], title=TEXT, startDate=DATE,
        endDate=DATE, parent=_ref("academicSession"), children=_refs("academicSession"),
        schoolYear={"type": "string", "pattern": r"^\d{4}$"},
        type={"type": "string", "enum": ["gradingPeriod", "semester", "schoolYear", "term"]}),
    "course": _record(
        ["title", "org"], title=TEXT, schoolYear=_ref("academicSession"), courseCode=TEXT,
        grades=STRINGS, subjects=STRINGS, org=_ref("org"), subjectCodes=STRINGS,
        resources=_refs("resource")),
    "class": _record(
        ["title", "classType", "course", "school", "terms"], title=TEXT, classCode=TEXT,
        classType={"type": "string", "enum": ["homeroom", "scheduled"]}, location=TEXT,
        grades=STRINGS, subjects=STRINGS, course=_ref("course"), school=_ref("org"),
        terms={**_refs("academicSession"), "minItems": 1}, subjectCodes=STRINGS,
        periods=STRINGS, resources=_refs("resource")),
    "user": _record(
        ["username", "enabledUser", "givenName", "familyName", "role", "orgs"],
        username=TEXT, enabledUser=BOOL, givenName=TEXT, familyName=TEXT, middleName=TEXT,
        role={"type": "string", "enum": ROLES}, identifier=TEXT, email=TEXT, sms=TEXT,
        phone=TEXT, agents=_refs("user"), orgs=_refs("org"), grades=STRINGS, password=TEXT,
        userIds={"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["type", "identifier"],
            "properties": {"type": TEXT, "identifier": TEXT}}}),
    "enrollment": _record(
        ["user", "class", "school", "role"], user=_ref("user"), **{"class": _ref("class")},
        school=_ref("org"), primary=BOOL, beginDate=DATE, endDate=DATE,
        role={"type": "string", "enum": ["administrator", "proctor", "student", "teacher"]}),
    "demographics": _record(
        [], birthDate=DATE, sex={"type": "string", "enum": ["male", "female"]},
        americanIndianOrAlaskaNative=BOOL, asian=BOOL, blackOrAfricanAmerican=BOOL,
        nativeHawaiianOrOtherPacificIslander=BOOL, white=BOOL,
        demographicRaceTwoOrMoreRaces=BOOL, hispanicOrLatinoEthnicity=BOOL,
        countryOfBirthCode=TEXT, stateOfBirthAbbreviation=TEXT, cityOfBirth=TEXT,
        publicSchoolResidenceStatus=TEXT),
    "category": _record(["title"], title=TEXT),
    "lineItem": _record(
        ["title", "assignDate", "dueDate", "class", "category", "gradingPeriod"],
        title=TEXT, description=TEXT, assignDate=DATETIME, dueDate=DATETIME,
        category=_ref("category"), gradingPeriod=_ref("academicSession"),
        resultValueMin={"type": "number"}, resultValueMax={"type": "number"},
        **{"class": _ref("class")}),
    "result": _record(
        ["lineItem", "student", "scoreStatus", "scoreDate"], lineItem=_ref("lineItem"),
        student=_ref("user"), score={"type": "number"}, scoreDate=DATE, comment=TEXT,
        scoreStatus={"type": "string", "enum": ["exempt", "fully graded", "not submitted",
                                                "partially graded", "submitted"]}),
    "resource": _record(
        ["vendorResourceId"], title=TEXT, importance={"type": "string",
                                                       "enum": ["primary", "secondary"]},
        vendorResourceId=TEXT, vendorId=TEXT, applicationId=TEXT,
        roles={"type": "array", "items": {"type": "string", "enum": ROLES}}),
}
"""Each 1.1 record by its single wrapper key (``user``, ``lineItem``, ...)."""

COLLECTIONS = {"orgs": "org", "academicSessions": "academicSession", "courses": "course",
               "classes": "class", "users": "user", "enrollments": "enrollment",
               "demographics": "demographics", "categories": "category",
               "lineItems": "lineItem", "results": "result", "resources": "resource"}
"""The wrapper key of a list, and the record it holds."""

DOC: dict[str, Any] = {"components": {"schemas": RECORDS}}


def response_schema(wrapper: str, single: bool) -> dict[str, Any]:
    """The schema of a 1.1 answer whose wrapper key is ``wrapper``."""
    record = {"$ref": f"#/components/schemas/{wrapper if single else COLLECTIONS[wrapper]}"}
    body = record if single else {"type": "array", "items": record}
    return {"type": "object", "additionalProperties": False, "required": [wrapper],
            "properties": {wrapper: body}}
