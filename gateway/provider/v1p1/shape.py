"""OneRoster 1.1 JSON of the store's (1.2) rows: which fields each record has, and their values.

Every 1.1 field is one column of the canonical 1.2 row (:data:`FIELDS`), written as the 1.1
REST binding writes it: references as ``{href, sourcedId, type}`` into the 1.1 base path,
booleans as the strings ``"true"``/``"false"``, ``score`` and ``resultValueMin``/``Max`` as
numbers, lists as arrays. Fields 1.2 added are left out (a user's ``roles``,
``userProfiles``, ``primaryOrg``, ``pronouns``, ``preferred*`` names; a category's
``weight``; a result's ``textScore``, ``class`` and flags; a line item's ``school``,
``scoreScale`` and ``learningObjectiveSet``; ``resources`` of classes, courses and users).

A user's 1.1 ``role`` and ``orgs`` come from its 1.2 roles (see :mod:`.roles`); on a path
that lists students or teachers (``/students``, ``/classes/{id}/teachers``, ...) the role is
the one the path lists, as a 1.1 provider keeps one user record per role. A demographics
``sex`` outside the 1.1 vocabulary (``unspecified``, ``other``) is left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.model._refs import REF_TYPES, href
from gateway.model._values import parse_pairs, split_list
from gateway.model.schema import STREAMS, Column
from gateway.provider.v1p1.roles import ordered, role_v1p1

__all__ = ["COMPUTED", "FIELDS", "SEX_V1P1", "record_json"]

_BOOLS = ("americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
          "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
          "hispanicOrLatinoEthnicity")

FIELDS: dict[str, dict[str, str]] = {
    "orgs": {"name": "name", "type": "type", "identifier": "identifier",
             "parent": "parentSourcedId"},
    "academicSessions": {"title": "title", "startDate": "startDate", "endDate": "endDate",
                         "type": "type", "parent": "parentSourcedId",
                         "schoolYear": "schoolYear"},
    "courses": {"title": "title", "schoolYear": "schoolYearSourcedId",
                "courseCode": "courseCode", "grades": "grades", "subjects": "subjects",
                "org": "orgSourcedId", "subjectCodes": "subjectCodes"},
    "classes": {"title": "title", "classCode": "classCode", "classType": "classType",
                "location": "location", "grades": "grades", "subjects": "subjects",
                "course": "courseSourcedId", "school": "schoolSourcedId",
                "terms": "termSourcedIds", "subjectCodes": "subjectCodes",
                "periods": "periods"},
    "users": {"username": "username", "userIds": "userIds", "enabledUser": "enabledUser",
              "givenName": "givenName", "familyName": "familyName",
              "middleName": "middleName", "identifier": "identifier", "email": "email",
              "sms": "sms", "phone": "phone", "agents": "agentSourcedIds",
              "grades": "grades"},
    "enrollments": {"user": "userSourcedId", "class": "classSourcedId",
                    "school": "schoolSourcedId", "role": "role", "primary": "primary",
                    "beginDate": "beginDate", "endDate": "endDate"},
    "demographics": {"birthDate": "birthDate", "sex": "sex",
                     **{name: name for name in _BOOLS},
                     "countryOfBirthCode": "countryOfBirthCode",
                     "stateOfBirthAbbreviation": "stateOfBirthAbbreviation",
                     "cityOfBirth": "cityOfBirth",
                     "publicSchoolResidenceStatus": "publicSchoolResidenceStatus"},
    "categories": {"title": "title"},
    "lineItems": {"title": "title", "description": "description", "assignDate": "assignDate",
                  "dueDate": "dueDate", "class": "classSourcedId",
                  "category": "categorySourcedId",
                  "gradingPeriod": "academicSessionSourcedId",
                  "resultValueMin": "resultValueMin", "resultValueMax": "resultValueMax"},
    "results": {"lineItem": "lineItemSourcedId", "student": "studentSourcedId",
                "scoreStatus": "scoreStatus", "score": "score", "scoreDate": "scoreDate",
                "comment": "comment"},
    "resources": {"title": "title", "roles": "roles", "importance": "importance",
                  "vendorResourceId": "vendorResourceId", "vendorId": "vendorId",
                  "applicationId": "applicationId"},
}
"""Per stream, each 1.1 JSON field (in the binding's order) and the store column it is."""

COMPUTED: dict[str, tuple[str, ...]] = {"users": ("role", "orgs")}
"""1.1 fields made from the 1.2 roles rather than read from one column."""

SEX_V1P1 = ("male", "female")
_COLUMNS = {stream: {name: STREAMS[stream].column(column) for name, column in fields.items()}
            for stream, fields in FIELDS.items()}


def record_json(stream: str, row: Mapping[str, Any], base_url: str,
                nested: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                fields: set[str] | None = None, listed_role: str | None = None
                ) -> dict[str, Any]:
    """The 1.1 JSON of one stored row of ``stream`` (keys: CSV column names), references
    under ``base_url`` (the 1.1 base); ``nested`` carries a user's roles rows. Only
    ``fields`` are kept, when given."""
    data: dict[str, Any] = {"sourcedId": row["sourcedId"], "status": row["status"],
                            "dateLastModified": row["dateLastModified"]}
    if row.get("metadata"):
        metadata = json.loads(row["metadata"])
        if isinstance(metadata, dict):
            data["metadata"] = metadata
    for name, column in _COLUMNS[stream].items():
        text = row.get(column.name)
        if not text:
            continue
        if stream == "demographics" and name == "sex" and text not in SEX_V1P1:
            continue
        data[name] = _value(stream, column, text, base_url)
    if stream == "users":
        data.update(_role_and_orgs(row, (nested or {}).get("roles", ()), base_url,
                                   listed_role))
    if fields is not None:
        data = {k: v for k, v in data.items() if k in fields}
    return data


def _value(stream: str, column: Column, text: str, base_url: str) -> Any:
    if stream == "users" and column.name == "userIds":
        return [{"type": kind, "identifier": ident}
                for kind, ident in parse_pairs(text, column.name)]
    match column.kind:
        case "list":
            return split_list(text)
        case "ref":
            assert column.ref is not None
            return _ref(column.ref, text, base_url)
        case "refs":
            assert column.ref is not None
            return [_ref(column.ref, sid, base_url) for sid in split_list(text)]
        case "float":
            return float(text)
    return text


def _ref(collection: str, sourced_id: str, base_url: str) -> dict[str, str]:
    return {"href": href(base_url, collection, sourced_id), "sourcedId": sourced_id,
            "type": REF_TYPES[collection]}


def _role_and_orgs(user: Mapping[str, Any], roles: Sequence[Mapping[str, Any]],
                   base_url: str, listed_role: str | None) -> dict[str, Any]:
    primary_org = user.get("primaryOrgSourcedId") or None
    by_rule = ordered(roles, primary_org)
    out: dict[str, Any] = {}
    if listed_role is not None:
        out["role"] = listed_role
    elif by_rule:
        out["role"] = role_v1p1(str(by_rule[0]["role"]))
    orgs: list[str] = [primary_org] if primary_org else []
    for role in by_rule:
        org = role.get("orgSourcedId")
        if org and org not in orgs:
            orgs.append(org)
    out["orgs"] = [_ref("orgs", org, base_url) for org in orgs]
    return out
