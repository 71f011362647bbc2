"""Property-based conformance of the rostering provider to the official OpenAPI file.

Schemathesis reads ``specs/onerosterv1p2rostersservice_openapi3_v1p0.json`` (the 1EdTech
file, untouched) and generates requests for each of its 41 operations against the provider
of a loaded 400-student district (the ``provider`` fixture of ``test_api``, on SQLite and
PostgreSQL). Each request is sent in-process through the fixture's TestClient and checked
with Schemathesis's checks plus the OneRoster rules the file cannot express.

What is generated, per operation (hypothesis, derandomized, ``MAX_EXAMPLES`` each):

- schema-valid requests (random path ids, random ``filter``/``sort``/``fields`` strings,
  any ``limit``/``offset`` the schema allows) and schema-invalid ones (``limit=0``,
  ``orderBy=sideways``...);
- the same with real ids from the tenant as path parameters (so single records and nested
  lists answer 200 with data), and with query parameters built from the stream's real
  field names (well-formed filters with random values, real sort keys and selections);
- first, as explicit examples: each real parameter set with no query (a 200 for every
  operation is required, not left to chance), a NUL in the path ids and in a filter value;
- under four credentials: a bearer token from the token endpoint for a client holding the
  three rostering scopes on the whole tenant with demographics (most requests), a
  roster-core-only token, a forged token and none.

Checks: no 5xx; the status is documented; the content type is the documented one; the body
matches the documented schema of that status (``imsx_StatusInfoDType`` for errors, so every
codeMinor is from the file's enumeration); schema-invalid requests are rejected and
schema-valid ones are not, except with 400 for an unusable filter/sort/fields value (the
file documents that 400); and per status, the OneRoster meaning: 401 ``unauthorisedrequest``
exactly for a missing or forged token, 403 ``forbidden`` exactly for a scope the operation
does not accept, 404 ``unknownobject``, 400 only with a query-parameter codeMinor, and every
collection answer carries ``X-Total-Count`` and ``Link``, and a ``fields`` answer holds
only the fields asked for.

One exclusion, for a contradiction in the file: its record schemas require ``sourcedId``,
``status``... while ``fields`` returns only the fields asked for, so a 200 answer to a
``fields`` request is checked against the same schemas minus the records' ``required``.
``test_fields_as_the_openapi_file_sends_them`` is an expected failure until the provider
reads every ``fields`` parameter (the file's array is exploded: ``fields=a&fields=b``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.provider.query import field_map
from gateway.provider.rostering import BASE, ENDPOINTS, SPEC_FILE
from gateway.provider.service import Endpoint
from gateway.store.clients import SHORT_NAMES
from tests.gateway.provider.test_api import Provider, _school_ids, district, provider

__all__ = ["district", "provider"]  # the fixtures, imported for pytest

MAX_EXAMPLES = 20
"""Generated examples per operation and backend (41 operations): about 20 s per backend."""

CORE_SCOPE = SHORT_NAMES["roster-core.readonly"]
QUERY_CODES = {"invalid_filter_field", "invalid_selection_field", "invaliddata"}
STATUS_CODES = {401: {"unauthorisedrequest"}, 403: {"forbidden"}, 404: {"unknownobject"},
                400: QUERY_CODES}
CREDENTIALS = ("all",) * 7 + ("core", "forged", "none")
CHECKS: list[CheckFunction] = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance, response_headers_conformance, positive_data_acceptance,
    negative_data_rejection]
ODD_TEXT = ["a\x00b", "%", "_", "\\", "..", "'", "' OR 1=1 --", "ü", " ", "*", "[(", "x" * 300]
"""Values that have broken SQL before (NUL is an error on PostgreSQL, not a miss)."""
ODD_IDS = [v for v in ODD_TEXT if v.strip(" .")]  # not another path: /users/, /users/..


def test_every_operation_conforms_to_the_official_openapi(provider: Provider) -> None:
    config = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {
        # The file documents 400 for a filter, sort or fields value the provider cannot use
        # ("invalid_filter_field", "invalid_selection_field"), and a schema-valid string is
        # mostly such a value; _check_meaning requires those 400s to carry one of the
        # query parameters' codes.
        "expected-statuses": ["200", "400", "401", "403", "404"]}}})
    doc = json.loads(SPEC_FILE.read_text())
    schema = schemathesis.openapi.from_dict(doc, config=config)
    # The file requires sourcedId, status... in every record, and also defines `fields` as
    # returning only the fields asked for: an answer to `fields` is checked against the
    # same schemas without the records' own `required` lists (nested objects keep theirs).
    selected = schemathesis.openapi.from_dict(_without_required_fields(doc), config=config)
    for loaded in (schema, selected):
        loaded.config.update(base_url="http://testserver" + BASE)
    tokens = {"all": provider.token("all"), "core": provider.token("core"),
              "forged": provider.token("all")[:-4] + "AAAA"}
    real = _real_parameters(provider)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        failures += _fuzz(provider, tokens, operation, selected[operation.path]["GET"],
                          real[operation.path])
    assert not failures, "\n\n".join(failures)


def _fuzz(provider: Provider, tokens: dict[str, str], operation: APIOperation,
          selected: APIOperation, real: list[dict[str, str]]) -> list[str]:
    """Run the generated requests of one operation; its failures (none or one)."""
    endpoint = next(e for e in ENDPOINTS if e.path == operation.path)
    names = [p.name for p in operation.path_parameters]
    odd = st.sampled_from(ODD_IDS).flatmap(
        lambda v: operation.as_strategy(path_parameters=dict.fromkeys(names, v)))
    positive = st.one_of([operation.as_strategy(), *([odd] if names else []),
                          *(operation.as_strategy(path_parameters=p) for p in real)])
    known = st.tuples(positive, _known_query(endpoint.stream)).map(_with_query)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    statuses: set[int] = set()

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate, Phase.shrink),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])
    @given(case=st.one_of(positive, known, negative), who=st.sampled_from(CREDENTIALS))
    def conforms(case: Case, who: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
        case.headers = {k: v for k, v in (case.headers or {}).items()
                        if k.lower() != "authorization"}
        kwargs = case.as_transport_kwargs(headers=headers)
        response = provider.client.request(kwargs["method"], kwargs["url"],
                                           params=kwargs.get("params"),
                                           headers=kwargs.get("headers"))
        statuses.add(response.status_code)
        if response.status_code == 200 and "fields" in (case.query or {}):
            case.validate_response(response, headers=headers,
                                   checks=[c for c in CHECKS
                                           if c is not response_schema_conformance])
            selected.Case(path_parameters=case.path_parameters, query=case.query
                          ).validate_response(response, checks=[response_schema_conformance])
        else:
            case.validate_response(response, headers=headers, checks=CHECKS)
        _check_meaning(case, who, response, endpoint)

    # Explicit examples first: every real parameter set, plainly (so 200s are certain), and
    # NUL in a path id (404) and in a filter value (400), which PostgreSQL cannot bind.
    plain = [operation.Case(path_parameters=params) for params in real or [{}]]
    if names:
        plain.append(operation.Case(path_parameters=dict.fromkeys(names, "a%00b")))
    if not endpoint.single:
        plain.append(operation.Case(path_parameters=(real or [{}])[0],
                                    query={"filter": "sourcedId='a\x00b'"}))
    for case in plain:
        conforms = example(case=case, who="all")(conforms)
    try:
        conforms()
    except (Exception, BaseExceptionGroup) as exc:
        return [f"GET {operation.path}: {exc}"]
    if 200 not in statuses:
        return [f"GET {operation.path}: no request was answered 200 ({sorted(statuses)})"]
    return []


def test_fields_as_the_openapi_file_sends_them(provider: Provider) -> None:
    """``fields`` is an array of style form, exploded (the OpenAPI default): a client built
    from the file sends ``fields=sourcedId&fields=givenName``, and gets both fields."""
    answer = provider.client.get(BASE + "/users", params=[
        ("fields", "sourcedId"), ("fields", "givenName"), ("limit", "3")],
        headers={"Authorization": f"Bearer {provider.token('all')}"})
    assert answer.status_code == 200, answer.text
    assert [set(u) for u in answer.json()["users"]] == [{"sourcedId", "givenName"}] * 3


def _check_meaning(case: Case, who: str, response: Any, endpoint: Endpoint) -> None:
    """What the status and body mean in OneRoster terms, beyond the file's schemas."""
    status = response.status_code
    where = f"{status} for GET {response.url} as {who!r}: {response.text[:300]}"
    scopes = {s for req in case.operation.definition.raw.get("security", [])
              for s in req.get("OAuth2CC", [])}
    if who in ("none", "forged"):
        assert status == 401, where
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
    elif who == "core" and CORE_SCOPE not in scopes:
        assert status == 403, where
    else:
        assert status in (200, 400, 404), where
    if status == 200:
        body = response.json()[endpoint.wrapper]
        if not endpoint.single:
            assert int(response.headers["X-Total-Count"]) >= len(body), where
            assert 'rel="first"' in response.headers["Link"], where
        asked = _selection(case)
        if asked and asked <= field_map(endpoint.stream).selectable:
            for record in [body] if endpoint.single else body:
                assert set(record) <= asked, where
        return
    info = response.json()
    assert (info["imsx_codeMajor"], info["imsx_severity"]) == ("failure", "error"), where
    [minor] = info["imsx_CodeMinor"]["imsx_codeMinorField"]
    assert minor["imsx_codeMinorFieldValue"] in STATUS_CODES[status], where
    if status == 400:
        assert case.query, f"a 400 without query parameters: {where}"


def _selection(case: Case) -> set[str]:
    """The field names a request's ``fields`` asks for (a list, or comma-separated)."""
    value = (case.query or {}).get("fields")
    values = value if isinstance(value, list) else [] if value is None else [value]
    return {name.strip() for v in values for name in str(v).split(",")}


def _without_required_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the records of every 200 answer stripped of their ``required`` list."""
    out = copy.deepcopy(doc)
    schemas = out["components"]["schemas"]
    for operation in out["paths"].values():
        answer = operation["get"]["responses"]["200"]["content"]["application/json"]
        [wrapper] = schemas[answer["schema"]["$ref"].rsplit("/", 1)[1]]["properties"].values()
        record = wrapper.get("items", wrapper)["$ref"].rsplit("/", 1)[1]
        schemas[record].pop("required", None)
    return out


def _with_query(drawn: tuple[Case, dict[str, str]]) -> Case:
    case, query = drawn
    case.query = {**(case.query or {}), **query}
    return case


def _known_query(stream: str) -> st.SearchStrategy[dict[str, str]]:
    """``filter``, ``sort`` and ``fields`` built from the stream's own field names, with
    random values: well-formed requests that reach the SQL rather than the parser."""
    fields = field_map(stream)
    names = sorted(fields.fields)
    value = st.one_of(st.text(max_size=12), st.sampled_from(
        ["active", "2026-08-24", "2026-08-24T02:00:00Z", "true", "9", "O'Brien", "", *ODD_TEXT]))
    predicate = st.builds(lambda f, op, v: f"{f}{op}'{v.replace(chr(39), chr(39) * 2)}'",
                          st.sampled_from(names),
                          st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~"]), value)
    filters = st.lists(st.tuples(predicate, st.sampled_from([" AND ", " OR "])),
                       min_size=1, max_size=3).map(
        lambda items: "".join(p + j for p, j in items)[:-len(items[-1][1])])
    sorts = st.lists(st.sampled_from(sorted(fields.sortable()) or ["sourcedId"]),
                     min_size=1, max_size=2).map(",".join)
    selections = st.lists(st.sampled_from(sorted(fields.selectable)), min_size=1,
                          max_size=4).map(",".join)
    return st.fixed_dictionaries({}, optional={
        "filter": filters, "sort": sorts, "orderBy": st.sampled_from(["asc", "desc"]),
        "fields": selections, "limit": st.integers(1, 30).map(str),
        "offset": st.integers(0, 500).map(str)})


def _real_parameters(p: Provider) -> dict[str, list[dict[str, str]]]:
    """Per path, a few sets of path parameters naming real records of the tenant (a school
    with one of its classes, a student of a class...), so nested lists and single records
    are generated with data behind them too."""
    def ids(path: str, n: int = 3, **params: Any) -> list[str]:
        return sorted(p.ids("all", path, **params))[:n]

    schools = sorted(_school_ids(p.store, p.tenant_id))[:2]
    pairs = [(s, c) for s in schools for c in ids(f"/schools/{s}/classes", 2)]
    classes = [c for _, c in pairs]
    students = sorted({u for c in classes for u in ids(f"/classes/{c}/students", 2)})
    teachers = sorted({u for c in classes for u in ids(f"/classes/{c}/teachers", 1)})
    values: Mapping[str, list[str]] = {
        "schoolSourcedId": schools, "classSourcedId": classes, "studentSourcedId": students,
        "teacherSourcedId": teachers, "userSourcedId": students[:2] + teachers[:2],
        "termSourcedId": ids("/terms"), "courseSourcedId": ids("/courses")}
    out: dict[str, list[dict[str, str]]] = {}
    for endpoint in ENDPOINTS:
        names = [n.strip("{}") for n in endpoint.path.split("/") if n.startswith("{")]
        found: list[dict[str, str]]
        if names == ["sourcedId"]:
            collection = endpoint.path.removesuffix("/{sourcedId}")
            found = [{"sourcedId": i} for i in ids(collection, limit=3)]
        elif names == ["schoolSourcedId", "classSourcedId"]:
            found = [{"schoolSourcedId": s, "classSourcedId": c} for s, c in pairs]
        else:
            [name] = names or [None]
            found = [] if name is None else [{name: v} for v in values[name]]
        assert found or not names, f"no real parameters for {endpoint.path}"
        out[endpoint.path] = found
    return out

