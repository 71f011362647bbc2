"""Property-based conformance of the provider to the official OpenAPI files, per service.

Schemathesis reads each 1EdTech file (untouched) and generates requests for every operation
against the provider of a loaded tenant, on SQLite and PostgreSQL, sent in-process through
a TestClient and checked with Schemathesis's checks plus the OneRoster rules the files cannot
express:

- rostering: its 41 GET operations on a 400-student district (``test_api``'s ``provider``);
- gradebook and resources: 24 GET operations, and the gradebook's 16 writes (6 PUT, 6 DELETE,
  4 POST), on a 400-student district with its gradebook, resources, score scales and
  assessments (``gradebook_tenant``). The writes run first (the deletions last of them, so
  the others can still reference what they delete), so the reads then also serve whatever
  the generated writes stored.

How reads are generated and checked is in :mod:`tests.gateway.provider.conformance`, writes
in :mod:`tests.gateway.provider.conformance_writes`, with the few exceptions the files
force, each where it is made. ``test_fields_as_the_openapi_file_sends_them`` pins that
``fields`` is read as the file's exploded array (``fields=a&fields=b``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import BaseSchema

from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.resources import RESOURCES
from gateway.provider.rostering import BASE, ENDPOINTS, SPEC_FILE
from gateway.store.clients import SHORT_NAMES, Sharing
from gateway.store.store import Store
from tests.gateway.provider.conformance import fuzz_read, without_required_fields
from tests.gateway.provider.conformance_writes import World, fuzz_write
from tests.gateway.provider.gradebook_tenant import Api, Ids, serve, write_gradebook_district
from tests.gateway.provider.test_api import Provider, _school_ids, district, provider

__all__ = ["district", "provider"]  # the fixtures, imported for pytest

MAX_EXAMPLES = 20
"""Generated examples per rostering operation and backend (41 operations): about 12 s each."""
GRADEBOOK_EXAMPLES = 12
"""Per gradebook and resources read operation and backend (24 operations)."""

READ_STATUSES = ["200", "400", "401", "403", "404"]
"""What a schema-valid read may be answered with: the files document 400 for a filter, sort
or fields value the provider cannot use, and a schema-valid string is mostly such a value.
What each status means is checked per operation."""
WRITE_STATUSES = ["201", "204", "422"]
"""And a schema-valid write: 404 or 422 for one naming records that do not exist (a
schema-valid reference is mostly a random id)."""
ORDER = {"PUT": 0, "POST": 0, "DELETE": 1, "GET": 2}


def _load(doc: dict[str, Any], base: str, statuses: list[str]) -> BaseSchema:
    config = schemathesis.Config.from_dict({"checks": {"positive_data_acceptance": {
        "expected-statuses": statuses}}})
    schema = schemathesis.openapi.from_dict(doc, config=config)
    schema.config.update(base_url="http://testserver" + base)
    return schema


def _tokens(token: Callable[[str], str]) -> dict[str, str]:
    return {"all": token("all"), "core": token("core"), "forged": token("all")[:-4] + "AAAA"}


# rostering --------------------------------------------------------------------------------

def test_every_operation_conforms_to_the_official_openapi(provider: Provider) -> None:
    doc = json.loads(SPEC_FILE.read_text())
    schema = _load(doc, BASE, READ_STATUSES)
    selected = _load(without_required_fields(doc), BASE, READ_STATUSES)
    tokens = _tokens(provider.token)
    core = {SHORT_NAMES["roster-core.readonly"]}
    real = _real_parameters(provider)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        endpoint = next(e for e in ENDPOINTS if e.path == operation.path)
        failures += fuzz_read(provider.client, tokens, operation,
                              selected[operation.path]["GET"], real[operation.path], endpoint,
                              core, MAX_EXAMPLES)
    assert not failures, "\n\n".join(failures)


def test_fields_as_the_openapi_file_sends_them(provider: Provider) -> None:
    """``fields`` is an array of style form, exploded (the OpenAPI default): a client built
    from the file sends ``fields=sourcedId&fields=givenName``, and gets both fields."""
    answer = provider.client.get(BASE + "/users", params=[
        ("fields", "sourcedId"), ("fields", "givenName"), ("limit", "3")],
        headers={"Authorization": f"Bearer {provider.token('all')}"})
    assert answer.status_code == 200, answer.text
    assert [set(u) for u in answer.json()["users"]] == [{"sourcedId", "givenName"}] * 3


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


# gradebook and resources ------------------------------------------------------------------

@pytest.fixture(scope="module")
def gradebook_district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ids]:
    out = tmp_path_factory.mktemp("gradebook_district")
    return out, write_gradebook_district(out)


@pytest.fixture
def gradebook(store: Store, gradebook_district: tuple[Path, Ids]) -> Iterator[Api]:
    with serve(store, *gradebook_district) as api:
        yield api


def test_gradebook_and_resources_conform_to_the_official_openapi(gradebook: Api) -> None:
    api = gradebook
    _, client_id, secret = api.clients.create(
        api.tenant_id, "core", ["gradebook-core.readonly", "resource-core.readonly"],
        Sharing())
    api.secrets["core"] = (client_id, secret)
    tokens = _tokens(api.token)
    core = {SHORT_NAMES["gradebook-core.readonly"], SHORT_NAMES["resource-core.readonly"]}
    world = World.of(api)
    failures: list[str] = []
    for service in (GRADEBOOK, RESOURCES):
        schema = _load(service.spec(), service.base, READ_STATUSES + WRITE_STATUSES)
        selected = _load(without_required_fields(service.spec()), service.base, READ_STATUSES)
        operations = sorted((r.ok() for r in schema.get_all_operations()),
                            key=lambda o: ORDER[o.method.upper()])
        for operation in operations:
            real = world.parameters(operation.path)
            if operation.method.upper() == "GET":
                endpoint = next(e for e in service.endpoints if e.path == operation.path)
                failures += fuzz_read(api.client, tokens, operation,
                                      selected[operation.path]["GET"], real, endpoint, core,
                                      GRADEBOOK_EXAMPLES)
            else:
                failures += fuzz_write(api, tokens, schema, service, operation, real, world)
    assert not failures, "\n\n".join(failures)
