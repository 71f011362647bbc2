"""Schemathesis runs of a provider service's GET operations against its official OpenAPI file,
shared by the conformance tests of every OneRoster 1.2 service (``test_conformance``).

:func:`fuzz_read` generates requests for one operation (hypothesis, derandomized):
schema-valid ones (random path ids, random ``filter``/``sort``/``fields`` strings, any
``limit``/``offset`` the schema allows), schema-invalid ones (``limit=0``,
``orderBy=sideways``...), the same with real ids of the tenant as path parameters, and with
query parameters built from the stream's real field names; first, as explicit examples,
each real parameter set with no query (a 200 is required, not left to chance), a NUL in the
path ids and in a filter value. Credentials rotate between a token with every scope of the
service (most requests), a token with only the ``-core`` read scope, a forged token and none.

Checks: Schemathesis's (no 5xx; documented status and content type; the body matches the
documented schema of that status, ``imsx_StatusInfoDType`` for errors so every codeMinor is
from the file's enumeration; schema-invalid requests rejected, schema-valid ones not, except
with 400 for an unusable filter/sort/fields value, which the file documents) and, in
:func:`check_meaning`, the OneRoster meaning of each status: 401 ``unauthorisedrequest``
exactly for a missing or forged token, 403 ``forbidden`` exactly for a scope the operation
does not accept, 404 ``unknownobject``, 400 only with a query-parameter codeMinor; every
collection answer carries ``X-Total-Count`` and ``Link``, and a ``fields`` answer holds only
the fields asked for.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Set
from typing import Any

from fastapi.testclient import TestClient
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
from gateway.provider.service import Endpoint

__all__ = ["CHECKS", "CREDENTIALS", "ODD_IDS", "ODD_TEXT", "STATUS_CODES", "check_meaning",
           "explain", "fuzz_read", "send", "settled", "without_required_fields"]

QUERY_CODES = {"invalid_filter_field", "invalid_selection_field", "invaliddata"}
STATUS_CODES = {401: {"unauthorisedrequest"}, 403: {"forbidden"}, 404: {"unknownobject"},
                400: QUERY_CODES, 422: {"invaliddata"}}
CREDENTIALS = ("all",) * 7 + ("core", "forged", "none")
CHECKS: list[CheckFunction] = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance, response_headers_conformance, positive_data_acceptance,
    negative_data_rejection]
ODD_TEXT = ["a\x00b", "%", "_", "\\", "..", "'", "' OR 1=1 --", "ü", " ", "*", "[(", "x" * 300]
"""Values that have broken SQL before (NUL is an error on PostgreSQL, not a miss)."""
ODD_IDS = [v for v in ODD_TEXT if v.strip(" .")]  # not another path: /users/, /users/..


def settled(max_examples: int) -> Callable[[Any], Any]:
    """The hypothesis settings of every run: derandomized, no deadline, no database."""
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def send(client: TestClient, tokens: dict[str, str], case: Case, who: str
         ) -> tuple[Any, dict[str, str]]:
    """Send ``case`` in-process as ``who`` (a key of ``tokens``, or no token at all)."""
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
    case.headers = {k: v for k, v in (case.headers or {}).items()
                    if k.lower() != "authorization"}
    kwargs = case.as_transport_kwargs(headers=headers)
    response = client.request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                              headers=kwargs.get("headers"), json=kwargs.get("json"),
                              content=kwargs.get("data"))
    return response, headers


def fuzz_read(client: TestClient, tokens: dict[str, str], operation: APIOperation,
              selected: APIOperation, real: list[dict[str, str]], endpoint: Endpoint,
              core: Set[str], max_examples: int) -> list[str]:
    """Run the generated requests of one GET operation; its failures (none or one).
    ``selected`` is the same operation of the file without the records' ``required``
    lists, for answers to ``fields``; ``core`` the scopes of the ``core`` token."""
    names = [p.name for p in operation.path_parameters]
    odd = st.sampled_from(ODD_IDS).flatmap(
        lambda v: operation.as_strategy(path_parameters=dict.fromkeys(names, v)))
    positive = st.one_of([operation.as_strategy(), *([odd] if names else []),
                          *(operation.as_strategy(path_parameters=p) for p in real)])
    known = st.tuples(positive, _known_query(endpoint.stream)).map(_with_query)
    negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    statuses: set[int] = set()

    @settled(max_examples)
    @given(case=st.one_of(positive, known, negative), who=st.sampled_from(CREDENTIALS))
    def conforms(case: Case, who: str) -> None:
        response, headers = send(client, tokens, case, who)
        statuses.add(response.status_code)
        if response.status_code == 200 and "fields" in (case.query or {}):
            case.validate_response(response, headers=headers,
                                   checks=[c for c in CHECKS
                                           if c is not response_schema_conformance])
            selected.Case(path_parameters=case.path_parameters, query=case.query
                          ).validate_response(response, checks=[response_schema_conformance])
        else:
            case.validate_response(response, headers=headers, checks=CHECKS)
        check_meaning(case, who, response, endpoint, core)

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
        return [f"GET {operation.path}: {explain(exc)}"]
    if 200 not in statuses:
        return [f"GET {operation.path}: no request was answered 200 ({sorted(statuses)})"]
    return []


def explain(exc: BaseException) -> str:
    """A failed run's message, with every failure of a group (hypothesis reports distinct
    failures together)."""
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(explain(e) for e in exc.exceptions)
    return str(exc)


def check_meaning(case: Case, who: str, response: Any, endpoint: Endpoint,
                  core: Set[str]) -> None:
    """What the status and body of a GET mean in OneRoster terms, beyond the file's
    schemas."""
    status = response.status_code
    where = f"{status} for GET {response.url} as {who!r}: {response.text[:300]}"
    if not refused_as(case, who, response, core):
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
    status_info(response, where)
    if status == 400:
        assert case.query, f"a 400 without query parameters: {where}"


def refused_as(case: Case, who: str, response: Any, core: Set[str]) -> bool:
    """Check the credential rules (401 for ``none`` and ``forged``, 403 for a ``core`` token
    the operation does not accept); True if the request was refused for its credentials."""
    status = response.status_code
    where = f"{status} for {case.method} {response.url} as {who!r}: {response.text[:300]}"
    scopes = {s for req in case.operation.definition.raw.get("security", [])
              for s in req.get("OAuth2CC", [])}
    if who in ("none", "forged"):
        assert status == 401, where
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
        return True
    if who == "core" and not core & scopes:
        assert status == 403, where
        return True
    return False


def status_info(response: Any, where: str) -> None:
    """An error body: failure/error and one codeMinor that fits the status."""
    info = response.json()
    assert (info["imsx_codeMajor"], info["imsx_severity"]) == ("failure", "error"), where
    [minor] = info["imsx_CodeMinor"]["imsx_codeMinorField"]
    assert minor["imsx_codeMinorFieldValue"] in STATUS_CODES[response.status_code], where


def _selection(case: Case) -> set[str]:
    """The field names a request's ``fields`` asks for (a list, or comma-separated)."""
    value = (case.query or {}).get("fields")
    values = value if isinstance(value, list) else [] if value is None else [value]
    return {name.strip() for v in values for name in str(v).split(",")}


def without_required_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the records of every 200 answer stripped of their ``required`` list.

    The files require ``sourcedId``, ``status``... in every record, and also define
    ``fields`` as returning only the fields asked for: an answer to ``fields`` is checked
    against the same schemas without the records' own ``required`` (nested objects keep
    theirs)."""
    out = copy.deepcopy(doc)
    schemas = out["components"]["schemas"]
    for path in out["paths"].values():
        if "get" not in path:
            continue
        answer = path["get"]["responses"]["200"]["content"]["application/json"]
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
