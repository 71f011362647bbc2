"""fast_json gives exactly the validated model's JSON, for every row of a sample district."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.model.oneroster import FAST_JSON_STREAMS, fast_json, to_model
from gateway.sample import write_district
from gateway.store.store import Store
from gateway.store.tables import record_select
from tests.helpers import csv_connection, run

BASE = "https://harbor.example.org/ims/oneroster/rostering/v1p2"


def test_fast_json_equals_the_model_path(sqlite_store: Store, tmp_path: Path) -> None:
    write_district(tmp_path / "district", 300, gradebook=False)
    csv_connection(sqlite_store, tmp_path / "district")
    assert run(sqlite_store).status == "succeeded"
    with sqlite_store.engine.connect() as conn:
        roles: dict[str, list[dict[str, object]]] = {}
        for r in conn.execute(record_select("roles")):
            roles.setdefault(r.userSourcedId, []).append(dict(r._mapping))
        compared = 0
        for stream in sorted(FAST_JSON_STREAMS):
            for r in conn.execute(record_select(stream)):
                row = {k: v for k, v in r._mapping.items() if k != "password"}
                nested = {"roles": roles[row["sourcedId"]]} if stream == "users" else None
                fast = fast_json(stream, row, base_url=BASE, nested=nested)
                slow = to_model(stream, row, base_url=BASE, nested=nested).model_dump(
                    mode="json", by_alias=True, exclude_none=True)
                assert fast == slow, (stream, row["sourcedId"])
                compared += 1
    assert compared > 2000


def test_fast_json_steps_aside_where_it_does_not_apply() -> None:
    """Stored rows are normalized (dates as the store writes them); these are too."""
    row = {"sourcedId": "li1", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
           "title": "Quiz", "resultValueMax": "10"}
    assert fast_json("lineItems", row) is None, "not a fast stream"
    user = {"sourcedId": "u1", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
            "enabledUser": "true", "username": "u1", "givenName": "A", "familyName": "B"}
    assert fast_json("users", user) is None, "a user without roles: the model refuses it"
    assert fast_json("users", user, nested={"roles": [], "userProfiles": []}) is None
    org = {"sourcedId": "o1", "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
           "name": "North", "type": "school", "metadata": json.dumps({"ext:code": "N"})}
    assert fast_json("orgs", org) == to_model("orgs", org).model_dump(
        mode="json", by_alias=True, exclude_none=True)
