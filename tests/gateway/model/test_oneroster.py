"""OneRoster 1.2 models: flat rows round-trip, every column has a field, JSON matches the spec."""

from __future__ import annotations

import json
import re
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pydantic
import pytest

from gateway.model import (
    NESTED_STREAMS,
    STREAM_MODELS,
    GUIDRef,
    OneRosterRecord,
    Org,
    ScoreScale,
    ScoreScaleValue,
    User,
    from_model,
    json_field,
    to_model,
)
from gateway.model.schema import ALL_STREAMS, COMMON_COLUMNS
from tests.helpers import SHARED

BASE = "https://sis.example.edu/ims/oneroster/v1p2"
SPECS = SHARED / "specs" / "oneroster"
SPEC_FILES = {
    "rostering": "onerosterv1p2rostersservice_openapi3_v1p0.json",
    "gradebook": "onerosterv1p2gradebookservice_openapi3_v1p0.json",
    "resources": "onerosterv1p2resourcesservice_openapi3_v1p0.json",
}
WHEN = "2026-08-24T02:00:00.000Z"


def row(sourced_id: str, metadata: str | None = None, **columns: str) -> dict[str, str | None]:
    return {"sourcedId": sourced_id, "status": "active", "dateLastModified": WHEN,
            **columns, "metadata": metadata}


# One fully populated, normalized row per stream; nested rows point at these parents.
SAMPLES: dict[str, dict[str, str | None]] = {
    "orgs": row("s1", '{"district":"Springfield","nces":{"id":"0123"}}', name="Lincoln High",
                type="school", identifier="NCES-0123", parentSourcedId="d1"),
    "academicSessions": row("t1", title="Fall 2026", type="semester", startDate="2026-08-24",
                            endDate="2026-12-18", parentSourcedId="y2027", schoolYear="2027"),
    "courses": row("c1", schoolYearSourcedId="y2027", title="Algebra I", courseCode="MA-101",
                   grades="09,10", orgSourcedId="d1", subjects="Mathematics",
                   subjectCodes="MA"),
    "classes": row("k1", title="Algebra I - P3", grades="09", courseSourcedId="c1",
                   classCode="ALG1-3", classType="scheduled", location="Room 204",
                   schoolSourcedId="s1", termSourcedIds="t1,t2", subjects="Mathematics",
                   subjectCodes="MA", periods="3,4"),
    "users": row("u1", enabledUser="true", username="jdoe",
                 userIds="{SIS:1234},{state:IL-5678}", givenName="Jane", familyName="Doe",
                 middleName="Q", identifier="1234", email="jdoe@example.edu",
                 sms="+15555550100", phone="+15555550101", agentSourcedIds="u2,u3",
                 grades="09", password="secret", userMasterIdentifier="M-1",
                 preferredGivenName="Janie", preferredMiddleName="Quinn",
                 preferredFamilyName="Doe-Smith", primaryOrgSourcedId="s1",
                 pronouns="she/her"),
    "userProfiles": row("p1", userSourcedId="u1", profileType="lms", vendorId="acme",
                        applicationId="default", description="LMS account",
                        credentialType="password", username="jdoe@acme", password="pw"),
    "roles": row("role1", userSourcedId="u1", roleType="primary", role="student",
                 beginDate="2026-08-24", endDate="2027-06-15", orgSourcedId="s1",
                 userProfileSourcedId="p1"),
    "demographics": row("u1", birthDate="2011-03-04", sex="female",
                        americanIndianOrAlaskaNative="false", asian="false",
                        blackOrAfricanAmerican="true",
                        nativeHawaiianOrOtherPacificIslander="false", white="false",
                        demographicRaceTwoOrMoreRaces="false",
                        hispanicOrLatinoEthnicity="true", countryOfBirthCode="US",
                        stateOfBirthAbbreviation="IL", cityOfBirth="Chicago",
                        publicSchoolResidenceStatus="01652"),
    "enrollments": row("e1", classSourcedId="k1", schoolSourcedId="s1", userSourcedId="u1",
                       role="student", primary="false", beginDate="2026-08-24",
                       endDate="2026-12-18"),
    "resources": row("rc1", vendorResourceId="VR-1", title="Algebra e-book",
                     roles="student,teacher", importance="primary", vendorId="acme",
                     applicationId="reader"),
    "classResources": row("cr1", title="e-book", classSourcedId="k1", resourceSourcedId="rc1"),
    "courseResources": row("ccr1", title="e-book", courseSourcedId="c1",
                           resourceSourcedId="rc1"),
    "userResources": row("ur1", userSourcedId="u1", orgSourcedId="s1", classSourcedId="k1",
                         resourceSourcedId="rc1"),
    "categories": row("cat1", title="Homework", weight="0.3"),
    "scoreScales": row("ss1", title="Letter grades", type="letter", orgSourcedId="s1",
                       courseSourcedId="c1", classSourcedId="k1",
                       scoreScaleValue="{90-100:A},{80-89:B}"),
    "lineItems": row("li1", title="Quiz 1", description="Linear equations",
                     assignDate="2026-09-01T00:00:00.000Z", dueDate="2026-09-08T00:00:00.000Z",
                     classSourcedId="k1",
                     categorySourcedId="cat1", academicSessionSourcedId="t1",
                     resultValueMin="0", resultValueMax="100", schoolSourcedId="s1"),
    "lineItemLearningObjectiveIds": row("lilo1", lineItemSourcedId="li1", source="case",
                                        learningObjectiveId="6b9bd6c1-1c7e-4f5a-a2b4-3b1f"),
    "lineItemScoreScales": row("liss1", title="Quiz scale", lineItemSourcedId="li1",
                               scoreScaleSourcedId="ss1"),
    "results": row("rs1", lineItemSourcedId="li1", studentSourcedId="u1",
                   scoreStatus="fully graded", score="87.5", scoreDate="2026-09-09",
                   comment="Good work", textScore="B+", classSourcedId="k1",
                   inProgress="false", incomplete="false", late="true", missing="false"),
    "resultLearningObjectiveIds": row("rslo1", resultSourcedId="rs1", source="unknown",
                                      learningObjectiveId="IL.MA.9.1", score="3",
                                      textScore="Proficient"),
    "resultScoreScales": row("rsss1", title="Result scale", resultSourcedId="rs1",
                             scoreScaleSourcedId="ss1"),
    "assessmentLineItems": row("ali1", title="Fall benchmark: fractions",
                               description="Unit 3 check", classSourcedId="k1",
                               parentAssessmentLineItemSourcedId="ali0",
                               scoreScaleSourcedId="ss1", resultValueMin="0",
                               resultValueMax="40"),
    "assessmentResults": row("ar1", assessmentLineItemSourcedId="ali1", studentSourcedId="u1",
                             score="31.5", textScore="B", scoreDate="2026-10-02",
                             scoreScaleSourcedId="ss1", scorePercentile="78",
                             scoreStatus="fully graded", comment="Strong on unit fractions",
                             inProgress="false", incomplete="false", late="false",
                             missing="false"),
}


def build(stream: str, sample: dict[str, str | None] | None = None) -> OneRosterRecord:
    """The model of a sample row, with every nested stream's sample nested into it."""
    nested = {child: [SAMPLES[child]] for child in NESTED_STREAMS.get(stream, {})}
    return to_model(stream, sample or SAMPLES[stream], base_url=BASE, nested=nested)


def aliases(model: type[pydantic.BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


# A small structural JSON Schema check (jsonschema is not installed): $ref, anyOf, types,
# required and unknown keys, enums, patterns, minItems and the uri/date/date-time formats.

@cache
def spec(service: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SPECS / SPEC_FILES[service]).read_text())
    return doc


def check(value: Any, schema: dict[str, Any], doc: dict[str, Any], at: str = "$") -> list[str]:
    if "$ref" in schema:
        return check(value, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]],
                     doc, at)
    if "anyOf" in schema:
        tried = [check(value, option, doc, at) for option in schema["anyOf"]]
        return [] if [] in tried else [f"{at}: {value!r} fits no alternative: {tried}"]
    kind, errors = schema.get("type"), []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{at}: expected an object"]
        errors += [f"{at}: missing {key}" for key in schema.get("required", ())
                   if key not in value]
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                errors += check(item, props[key], doc, f"{at}.{key}")
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{at}: unknown key {key}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{at}: expected an array"]
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{at}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            errors += check(item, schema.get("items", {}), doc, f"{at}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{at}: expected a string, got {value!r}"]
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if not _formatted(value, schema.get("format")):
            errors.append(f"{at}: {value!r} is not a {schema['format']}")
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        errors.append(f"{at}: expected a number, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    return errors


def _formatted(value: str, fmt: str | None) -> bool:
    try:
        if fmt == "uri":
            return bool(urlsplit(value).scheme)
        if fmt == "date":
            return date.fromisoformat(value).isoformat() == value
        if fmt == "date-time":
            return datetime.fromisoformat(value).tzinfo is not None and "T" in value
    except ValueError:
        return False
    return True


def set_schema(stream: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The spec's ``<Thing>SetDType`` whose wrapper key is ``stream``, and its document."""
    doc = spec(ALL_STREAMS[stream].service)
    for name, schema in doc["components"]["schemas"].items():
        if name.endswith("SetDType") and stream in schema.get("properties", {}):
            return schema, doc
    return None


COMPONENT_STREAMS = [s for s in ALL_STREAMS if set_schema(s) is not None]


# Tests ---------------------------------------------------------------------------------------

def test_every_stream_has_a_model_and_a_sample() -> None:
    assert set(STREAM_MODELS) == set(ALL_STREAMS)
    assert set(SAMPLES) == set(ALL_STREAMS)


@pytest.mark.parametrize("stream", list(ALL_STREAMS))
def test_every_column_maps_to_a_model_field(stream: str) -> None:
    fields = aliases(STREAM_MODELS[stream])
    for column in (*COMMON_COLUMNS, "metadata", *ALL_STREAMS[stream].column_names):
        assert json_field(stream, column) in fields, f"{stream}.{column} has no model field"
    # The sample fills every column, so the round trip below exercises each of them.
    sample = SAMPLES[stream]
    assert set(sample) == {*COMMON_COLUMNS, *ALL_STREAMS[stream].column_names, "metadata"}
    assert all(sample[c] for c in ALL_STREAMS[stream].column_names)


@pytest.mark.parametrize("stream", list(ALL_STREAMS))
def test_flat_row_round_trips(stream: str) -> None:
    assert from_model(stream, build(stream)) == SAMPLES[stream]


@pytest.mark.parametrize("stream", list(ALL_STREAMS))
def test_required_columns_alone_build_a_model(stream: str) -> None:
    columns = ALL_STREAMS[stream].columns
    minimal = {k: v if k in COMMON_COLUMNS else None for k, v in SAMPLES[stream].items()}
    minimal.update({c.name: SAMPLES[stream][c.name] for c in columns if c.required})
    assert from_model(stream, build(stream, minimal)) == minimal


@pytest.mark.parametrize("stream", COMPONENT_STREAMS)
def test_json_validates_against_the_openapi_component(stream: str) -> None:
    found = set_schema(stream)
    assert found is not None
    schema, doc = found
    payload = {stream: [build(stream).model_dump(mode="json", exclude_none=True)]}
    assert check(payload, schema, doc) == []


def test_streams_without_a_component_reach_json_nested_in_a_parent() -> None:
    children = {child for nested in NESTED_STREAMS.values() for child in nested}
    assert set(ALL_STREAMS) - set(COMPONENT_STREAMS) == children


@pytest.mark.parametrize("stream", COMPONENT_STREAMS)
def test_rest_json_feeds_the_same_row(stream: str) -> None:
    record = build(stream)
    again = type(record).model_validate(record.model_dump(mode="json", exclude_none=True))
    expected = dict(SAMPLES[stream])
    if stream == "scoreScales":
        expected["orgSourcedId"] = None  # ScoreScaleDType has no org; JSON cannot carry it
    assert from_model(stream, again) == expected


def test_structural_check_catches_spec_violations() -> None:
    found = set_schema("orgs")
    assert found is not None
    schema, doc = found
    good = build("orgs").model_dump(mode="json", exclude_none=True)
    for bad in ({**good, "nickname": "x"}, {k: v for k, v in good.items() if k != "name"},
                {**good, "type": "charter"}, {**good, "status": "inactive"},
                {**good, "parent": {**good["parent"], "type": "user"}},
                {**good, "dateLastModified": "2026-08-24"}):
        assert check({"orgs": [bad]}, schema, doc) != []


def test_user_nests_roles_profiles_and_resources() -> None:
    user = build("users")
    assert isinstance(user, User)
    assert user.enabledUser is True
    assert [(i.type, i.identifier) for i in user.userIds or []] == [
        ("SIS", "1234"), ("state", "IL-5678")]
    assert user.roles[0].org == GUIDRef(href=f"{BASE}/orgs/s1", sourcedId="s1", type="org")
    assert user.userProfiles is not None
    assert user.roles[0].userProfile == user.userProfiles[0].profileId
    assert [r.sourcedId for r in user.resources or []] == ["rc1"]
    dumped = user.model_dump(mode="json", exclude_none=True)
    assert dumped["enabledUser"] == "true"
    assert dumped["preferredFirstName"] == "Janie"
    assert dumped["userProfiles"][0]["credentials"] == [
        {"type": "password", "username": "jdoe@acme", "password": "pw"}]


def test_gradebook_json_shapes() -> None:
    scale = build("scoreScales").model_dump(mode="json", exclude_none=True)
    assert scale["scoreScaleValue"] == [{"itemValueLHS": "90-100", "itemValueRHS": "A"},
                                        {"itemValueLHS": "80-89", "itemValueRHS": "B"}]
    assert "org" not in scale
    line_item = build("lineItems").model_dump(mode="json", exclude_none=True)
    assert line_item["dueDate"] == "2026-09-08T00:00:00.000Z"
    assert line_item["class"]["href"] == f"{BASE}/classes/k1"
    assert line_item["scoreScale"]["sourcedId"] == "ss1"
    assert line_item["learningObjectiveSet"] == [
        {"source": "case", "learningObjectiveIds": ["6b9bd6c1-1c7e-4f5a-a2b4-3b1f"]}]
    result = build("results").model_dump(mode="json", exclude_none=True)
    assert result["late"] == "true"
    assert result["learningObjectiveSet"] == [{"source": "unknown", "learningObjectiveResults": [
        {"learningObjectiveId": "IL.MA.9.1", "score": 3.0, "textScore": "Proficient"}]}]


@pytest.mark.parametrize("stream", list(ALL_STREAMS))
def test_enum_columns_match_the_model_vocabulary(stream: str) -> None:
    model = STREAM_MODELS[stream]
    for column in ALL_STREAMS[stream].columns:
        if column.kind == "enum":
            annotation = model.model_fields[column.name].annotation
            assert _literals(annotation) == column.values, f"{stream}.{column.name}"


def _literals(annotation: Any) -> set[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_literals(a) for a in typing.get_args(annotation)))
    return set()


def test_early_and_out_of_range_date_times() -> None:
    """The store's date-time text has a four-digit year however small, and a date-time
    whose offset takes it out of the years 1 to 9999 is a validation error."""
    early = to_model("categories", {**SAMPLES["categories"],
                                    "dateLastModified": "0630-06-21T00:34:42.500Z"})
    assert from_model("categories", early)["dateLastModified"] == "0630-06-21T00:34:42.500Z"
    with pytest.raises(pydantic.ValidationError, match="outside the years 1 to 9999"):
        to_model("categories", {**SAMPLES["categories"],
                                "dateLastModified": "0001-01-01T00:00:00+01:00"})


def test_score_scale_values_that_cannot_be_stored_are_refused() -> None:
    """``{itemValueLHS:itemValueRHS}`` cannot hold a colon on the left nor a brace: such a
    value would not read back, so from_model refuses it, naming the item."""
    scale = build("scoreScales")
    assert isinstance(scale, ScoreScale)
    for lhs, rhs, named in (("A:B", "1", "scoreScaleValue[0].itemValueLHS"),
                            (" ", "1", "scoreScaleValue[0].itemValueLHS"),
                            ("A", "{1}", "scoreScaleValue[0].itemValueRHS")):
        bad = scale.model_copy(update={"scoreScaleValue": [
            ScoreScaleValue(itemValueLHS=lhs, itemValueRHS=rhs)]})
        with pytest.raises(ValueError, match=re.escape(named)):
            from_model("scoreScales", bad)
    fine = scale.model_copy(update={"scoreScaleValue": [
        ScoreScaleValue(itemValueLHS="90-100", itemValueRHS="A, with honours: yes")]})
    row = from_model("scoreScales", fine)
    again = to_model("scoreScales", row)
    assert isinstance(again, ScoreScale) and again.scoreScaleValue == fine.scoreScaleValue


def test_extension_values_pass_and_unknown_values_fail() -> None:
    org = to_model("orgs", {**SAMPLES["orgs"], "type": "ext:charter"})
    assert isinstance(org, Org)
    assert org.type == "ext:charter"
    with pytest.raises(pydantic.ValidationError, match="type"):
        to_model("orgs", {**SAMPLES["orgs"], "type": "charter"})


def test_user_needs_a_role() -> None:
    with pytest.raises(pydantic.ValidationError, match="roles"):
        to_model("users", SAMPLES["users"])
    with pytest.raises(pydantic.ValidationError, match="at least 1"):
        to_model("users", SAMPLES["users"], nested={"roles": []})


def test_nested_rows_must_belong_to_the_record() -> None:
    stranger = {**SAMPLES["roles"], "userSourcedId": "u9"}
    with pytest.raises(ValueError, match="belongs to u9"):
        to_model("users", SAMPLES["users"], nested={"roles": [stranger]})
    with pytest.raises(ValueError, match="do not nest into orgs"):
        to_model("orgs", SAMPLES["orgs"], nested={"roles": [SAMPLES["roles"]]})


def test_unknown_stream_is_a_key_error() -> None:
    for call in (lambda: to_model("teachers", {}), lambda: json_field("teachers", "x"),
                 lambda: from_model("teachers", build("orgs"))):
        with pytest.raises(KeyError, match="unknown OneRoster stream 'teachers'"):
            call()


def test_from_model_rejects_a_model_of_another_stream() -> None:
    with pytest.raises(TypeError, match="comes from a Class"):
        from_model("classes", build("orgs"))


def test_text_is_normalized_on_the_way_back() -> None:
    loose = {**SAMPLES["categories"], "weight": "0.30"}
    assert from_model("categories", to_model("categories", loose))["weight"] == "0.3"
    spaced = {**SAMPLES["users"], "userIds": "{SIS: 1234}, {state:IL-5678}"}
    user = to_model("users", spaced, nested={"roles": [SAMPLES["roles"]]})
    assert from_model("users", user)["userIds"] == "{SIS:1234},{state:IL-5678}"
    with pytest.raises(ValueError, match="userIds"):
        to_model("users", {**SAMPLES["users"], "userIds": "SIS:1234"},
                 nested={"roles": [SAMPLES["roles"]]})
