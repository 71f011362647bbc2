"""Schemathesis runs of the gradebook's write operations (PUT, DELETE, POST) against the
official OpenAPI file, for the conformance test (``test_conformance``).

:func:`fuzz_write` generates requests for one write operation from the file's request
schema: as they come (random references, so mostly ``422``), made realistic by
:class:`World` (references replaced by real ids of the right type, the body's ``sourcedId``
the path's, ``status`` active, the nested ``scoreScale`` and ``learningObjectiveSet`` the
provider refuses mostly dropped), or schema-invalid; first, as explicit examples, a valid
write on each real parameter set. Credentials rotate as for reads.

Checks: Schemathesis's, as for reads, and: the credential rules; ``201``/``204`` without a
body for PUT and DELETE, ``sourcedIdPairs`` pairing every POSTed record, ``422
invaliddata`` or ``404 unknownobject`` for the rest (``400`` only for a body that is not
JSON); a realistic body refused only for a reason the provider documents (:data:`REFUSALS`);
and every record a write stored reads back ``200`` in the schema of its GET operation.

Two exceptions, narrow: a schema-invalid body accepted because its only faults are
required fields the provider documents filling in (:func:`documented_default`), and the
file's unanchored extension pattern for ``scoreStatus`` (:func:`unanchored_extension`).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from hypothesis import example, given
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core import NotSet
from schemathesis.generation.meta import FuzzingPhaseData
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.service import Service
from gateway.provider.writes import WRITES, Write
from tests.gateway.provider.conformance import (
    CHECKS,
    CREDENTIALS,
    explain,
    refused_as,
    send,
    settled,
    status_info,
)
from tests.gateway.provider.gradebook_tenant import Api

__all__ = ["REFUSALS", "WRITE_EXAMPLES", "World", "documented_default", "fuzz_write",
           "unanchored_extension"]

WRITE_EXAMPLES = 30
"""Generated examples per write operation and backend (16 operations)."""

REFUSALS = ("must be active", "writing a nested", "is not the path's sourcedId",
            "must be the path's", "is not a line item of class", "contains a NUL character",
            "must be at most 255 characters", "no single term the due date falls in",
            # The store keeps an empty value as absent, so an empty required string (a
            # title of "", schema-valid: no minLength) would be served without the field.
            "is required but empty",
            # scoreScaleValue items are kept as {itemValueLHS:itemValueRHS}, as in the CSV
            # binding: a ':' or a brace in them could not be read back.
            "cannot be stored",
            # Python dates end at the years 1 and 9999 (0001-01-01T00:00:00+01:00 is year 0).
            "outside the years 1 to 9999")
"""Why the provider refuses a schema-valid write with real references (``422``)."""


@dataclass(frozen=True)
class World:
    """Real ids of the gradebook tenant: consistent path parameter sets, ids per collection
    for single-record paths, ids per reference type for bodies."""

    rows: list[dict[str, str]]
    singles: dict[str, list[str]]
    refs: dict[str, list[str]]

    @classmethod
    def of(cls, api: Api) -> World:
        ids = api.ids
        session_b = str(api.row("lineItems", ids.line_b)["academic_session_sourced_id"])
        rows = [{"classSourcedId": cls_, "lineItemSourcedId": line, "studentSourcedId": who,
                 "schoolSourcedId": school, "academicSessionSourcedId": session,
                 "courseSourcedId": ids.course_a, "userSourcedId": ids.student_b}
                for cls_, line, who, school, session in (
                    (ids.class_a, ids.line_a, ids.student_a, ids.school_a, ids.session_a),
                    (ids.class_b, ids.line_b, ids.student_b, ids.school_b, session_b))]
        singles = {"categories": [ids.category], "lineItems": [ids.line_a, ids.line_b],
                   "results": [ids.result_a, ids.result_b], "scoreScales": ["ss-a", "ss-b"],
                   "assessmentLineItems": ["ali-a", "ali-district", "ali-b"],
                   "assessmentResults": ["ar-a", "ar-district-b"],
                   "resources": ["rsc-1", "rsc-4"]}
        refs = {"class": [ids.class_a, ids.class_b], "org": [ids.school_a, ids.school_b],
                "category": [ids.category], "academicSession": [ids.session_a, session_b],
                "lineItem": [ids.line_a, ids.line_b], "user": [ids.student_a, ids.student_b],
                "scoreScale": ["ss-a", "ss-b"], "course": [ids.course_a],
                "assessmentLineItem": ["ali-a", "ali-district", "ali-b"]}
        return cls(rows, singles, refs)

    def parameters(self, path: str) -> list[dict[str, str]]:
        names = [n.strip("{}") for n in path.split("/") if n.startswith("{")]
        if names == ["sourcedId"]:
            return [{"sourcedId": i} for i in self.singles[path.split("/")[1]]]
        out: list[dict[str, str]] = []
        for row in self.rows:
            params = {n: row[n] for n in names}
            if params not in out:
                out.append(params)
        return out

    def realistic(self, case: Case, write: Write, rnd: random.Random) -> Case:
        """``case`` with real references, and mostly what the provider needs beyond the
        schema: the path's sourcedId and references, status active, no nested records."""
        if not isinstance(case.body, dict) or not isinstance(case.body.get(write.wrapper),
                                                             dict | list):
            return case
        body = copy.deepcopy(case.body)
        inner = body[write.wrapper]
        for record in inner if isinstance(inner, list) else [inner]:
            if not isinstance(record, dict):
                continue
            self._real_refs(record, rnd)
            if rnd.random() < 0.9:
                record["status"] = "active"
            for nested in ("scoreScale", "learningObjectiveSet"):
                refused = nested == "learningObjectiveSet" or write.stream in ("lineItems",
                                                                              "results")
                if refused and rnd.random() < 0.9:
                    record.pop(nested, None)
            if write.method == "PUT" and rnd.random() < 0.95:
                record["sourcedId"] = unquote(case.path_parameters["sourcedId"])
            for field, param in write.fill:
                if rnd.random() < 0.9:
                    record[field] = _ref(field, unquote(case.path_parameters[param]))
        case.body = body
        return case

    def _real_refs(self, value: Any, rnd: random.Random) -> None:
        if isinstance(value, list):
            for item in value:
                self._real_refs(item, rnd)
        elif isinstance(value, dict):
            if value.get("type") in self.refs and "sourcedId" in value:
                value["sourcedId"] = rnd.choice(self.refs[value["type"]])
            for key, item in value.items():
                if key != "metadata":
                    self._real_refs(item, rnd)

    def record(self, write: Write, sid: str, params: Mapping[str, str]) -> dict[str, Any]:
        """A valid record for ``write`` on the path with ``params``."""
        row = next((r for r in self.rows if r["classSourcedId"] == params.get(
            "classSourcedId")), self.rows[0])
        base = {"sourcedId": sid, "status": "active",
                "dateLastModified": "2026-10-01T00:00:00Z"}
        student = _ref("student", row["studentSourcedId"])
        match write.stream:
            case "categories":
                return {**base, "title": "Essays", "weight": 0.25}
            case "lineItems":
                return {**base, "title": "Essay", "assignDate": "2026-10-01T08:00:00Z",
                        "dueDate": "2026-10-08T23:59:00Z",
                        "class": _ref("class", row["classSourcedId"]),
                        "school": _ref("school", params.get("schoolSourcedId",
                                                            row["schoolSourcedId"])),
                        "category": _ref("category", self.refs["category"][0])}
            case "results":
                return {**base, "lineItem": _ref("lineItem", params.get(
                            "lineItemSourcedId", row["lineItemSourcedId"])),
                        "student": student, "scoreStatus": "fully graded", "score": 9,
                        "scoreDate": "2026-10-09"}
            case "scoreScales":
                return {**base, "title": "Pass/fail", "type": "binary",
                        "class": _ref("class", row["classSourcedId"]),
                        "scoreScaleValue": [{"itemValueLHS": "P", "itemValueRHS": "1"}]}
            case "assessmentLineItems":
                return {**base, "title": "Benchmark", "class": _ref("class",
                                                                    row["classSourcedId"])}
        return {**base, "assessmentLineItem": _ref("assessmentLineItem", "ali-district"),
                "student": student, "scoreStatus": "submitted", "scoreDate": "2026-10-02"}


_REF_TYPES = {"class": "class", "school": "org", "category": "category",
              "lineItem": "lineItem", "student": "user",
              "assessmentLineItem": "assessmentLineItem"}


def _ref(field: str, sourced_id: str) -> dict[str, str]:
    return {"href": "https://sis.example.edu/x", "sourcedId": sourced_id,
            "type": _REF_TYPES[field]}


def fuzz_write(api: Api, tokens: dict[str, str], schema: BaseSchema, service: Service,
               operation: APIOperation, real: list[dict[str, str]], world: World
               ) -> list[str]:
    """Run the generated requests of one write operation; its failures (none or one)."""
    method = operation.method.upper()
    write = next(w for w in WRITES if (w.method, w.path) == (method, operation.path))
    read_back = schema[f"/{write.stream}/{{sourcedId}}"]["GET"]
    # Valid writes on the real parameter sets, as explicit examples (so that a 2xx is
    # certain): a new record for each PUT, which generated PUTs then replace (the tenant's
    # own records stay as the reads expect them).
    explicit: list[Case] = []
    for n, params in enumerate(real):
        sid = f"conformance-{write.stream}-{n}"
        if method == "DELETE":
            explicit.append(operation.Case(path_parameters=params))
        elif method == "PUT":
            explicit.append(operation.Case(path_parameters={"sourcedId": sid}, body={
                write.wrapper: world.record(write, sid, {})}, media_type="application/json"))
        else:
            explicit.append(operation.Case(path_parameters=params, body={
                write.wrapper: [world.record(write, sid, params)]},
                media_type="application/json"))
    targets = [c.path_parameters for c in explicit] if method == "PUT" else real
    generated = st.one_of([operation.as_strategy(),
                           *(operation.as_strategy(path_parameters=p) for p in targets)])
    made_realistic: dict[int, Case] = {}  # by id, kept alive so that no id is reused

    def realistic_case(drawn: tuple[Case, random.Random]) -> Case:
        case, rnd = drawn
        if rnd.random() < 0.2:
            return case  # as generated: random references, mostly 422
        case = world.realistic(case, write, rnd)
        made_realistic[id(case)] = case
        return case

    # Twice: a generated body is large, and hypothesis gives up more of those it draws.
    realistic = st.tuples(generated, st.randoms(use_true_random=False)).map(realistic_case)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    statuses: set[int] = set()

    @settled(WRITE_EXAMPLES)
    @given(case=st.one_of(realistic, realistic, negative), who=st.sampled_from(CREDENTIALS))
    def conforms(case: Case, who: str) -> None:
        response, headers = send(api.client, tokens, case, who)
        statuses.add(response.status_code)
        lenient = response.status_code < 300 and documented_default(case, write)
        case.validate_response(response, headers=headers, checks=[
            c for c in CHECKS if not (lenient and c is negative_data_rejection)])
        if id(case) in made_realistic and who == "all" and response.status_code == 422:
            # A schema-valid body with real references: refused only for what the provider
            # documents (the module docstring of gateway.provider.writes).
            text = response.json()["imsx_description"]
            assert any(reason in text for reason in REFUSALS) or unanchored_extension(
                case, write, text), f"refused: {text}"
        for sid in _check_write(case, who, response, write):
            if "/" in sid:
                continue  # no path segment can name it; the collection reads serve it
            got = send(api.client, tokens, read_back.Case(
                path_parameters={"sourcedId": quote(sid, safe="")}), "all")[0]
            assert got.status_code == 200, f"{write.stream} {sid!r} written, then {got.text}"
            read_back.Case(path_parameters={"sourcedId": sid}).validate_response(
                got, checks=[response_schema_conformance])

    for case in explicit:
        conforms = example(case=case, who="all")(conforms)
    try:
        conforms()
    except (Exception, BaseExceptionGroup) as exc:
        return [f"{method} {service.name} {operation.path}: {explain(exc)}"]
    if not statuses & {201, 204}:
        return [f"{method} {operation.path}: no write succeeded ({sorted(statuses)})"]
    return []


_EXTENSION = re.compile(r"ext:[a-zA-Z0-9.\-_]+")
_SCORE_STATUSES = {"exempt", "fully graded", "not submitted", "partially graded", "submitted"}


def unanchored_extension(case: Case, write: Write, text: str) -> bool:
    """A refused ``scoreStatus`` that is neither a value of the vocabulary nor an extension.

    The gradebook file's extension pattern, ``(ext:)[a-zA-Z0-9\\.\\-_]+``
    (``components.schemas.ResultDType.properties.scoreStatus.anyOf[0].pattern``, the same in
    ``AssessmentResultDType``), is unanchored, so JSON Schema takes any string containing
    such a piece (``"1ext:a b"``); an extension value is the whole string, as the provider
    checks it (``gateway.model._values.Ext``)."""
    inner = case.body.get(write.wrapper) if isinstance(case.body, dict) else None
    records = inner if isinstance(inner, list) else [inner]
    return ".scoreStatus" in text and any(
        isinstance(r, dict) and isinstance(r.get("scoreStatus"), str)
        and r["scoreStatus"] not in _SCORE_STATUSES
        and not _EXTENSION.fullmatch(r["scoreStatus"]) for r in records)


def documented_default(case: Case, write: Write) -> bool:
    """A schema-invalid body whose only faults are required fields the provider fills in,
    as the module docstring of ``gateway.provider.writes`` documents: ``status`` (active),
    ``dateLastModified`` (now), a PUT's ``sourcedId`` (the path's), the reference a POST's
    path names, and a line item's ``school`` (its class's)."""
    meta = case.meta
    if write.method == "DELETE" or meta is None or not isinstance(meta.phase.data,
                                                                   FuzzingPhaseData):
        return False
    filled = {"status", "dateLastModified", *(f for f, _ in write.fill),
              *(["sourcedId"] if write.method == "PUT" else []),
              *(["school"] if write.stream == "lineItems" else [])}
    required = set(_record_schema(write).get("required", ()))
    mutations = meta.phase.data.mutations
    # A `required` mutation names the object it took a property from (the record: the
    # wrapper, then the index in a POSTed set) and holds the object as sent.
    return bool(mutations) and all(
        m.keywords == ("required",) and m.path[:1] == (write.wrapper,)
        and len(m.path) == (1 if write.method == "PUT" else 2)
        and isinstance(m.new_value, dict) and required - set(m.new_value) <= filled
        for m in mutations)


def _record_schema(write: Write) -> dict[str, Any]:
    """The component schema of the records ``write`` sends (LineItemDType...)."""
    doc = GRADEBOOK.spec()
    operation = doc["paths"][write.path][write.method.lower()]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = doc["components"]["schemas"]
    wrapper = schemas[body.rsplit("/", 1)[1]]["properties"][write.wrapper]
    record: dict[str, Any] = schemas[wrapper.get("items", wrapper)["$ref"].rsplit("/", 1)[1]]
    return record


def _check_write(case: Case, who: str, response: Any, write: Write) -> list[str]:
    """What the status and body of a write mean; the sourcedIds of the records it stored."""
    status = response.status_code
    where = f"{status} for {write.method} {response.url} as {who!r}: {response.text[:300]}"
    if refused_as(case, who, response, set()):
        return []
    if status == 400:  # not JSON at all: the files list no 400 for writes, "default" holds
        assert isinstance(case.body, NotSet | bytes), where
    else:
        assert status in ({"PUT": (201, 404, 422), "DELETE": (204, 404),
                           "POST": (201, 404, 422)}[write.method]), where
    if status >= 400:
        status_info(response, where)
        return []
    if write.method != "POST":
        assert response.content == b"", where
        return [unquote(case.path_parameters["sourcedId"])] if write.method == "PUT" else []
    pairs = response.json()["sourcedIdPairs"]
    assert [p["suppliedSourcedId"] for p in pairs] == [
        r.get("sourcedId", "") for r in case.body.get(write.wrapper, [])], where
    return [p["allocatedSourcedId"] for p in pairs]
