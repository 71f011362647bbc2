"""The crosswalk from vendor skill codes to standards, and the standards a OneRoster
``learningObjectiveSet`` names (on lineItems and results, in every shape it arrives in)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from gateway.errors import ConfigError, SourceDataError
from gateway.model.oneroster import STREAM_MODELS
from gateway.standards import (
    Crosswalk,
    import_package,
    learning_objectives,
    objectives_of,
    stored_objectives,
)
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.gateway.standards.factories import ladder


def test_set_and_lookup_strongest_first(store: Store, tenant: int) -> None:
    with store.engine.begin() as conn:
        Crosswalk.set(conn, tenant, "mathtool", "FR-12", "f4", 0.6, "mapping")
        Crosswalk.set(conn, tenant, "mathtool", "FR-12", "4.NF.1", 0.9, "admin")  # same item
        Crosswalk.set(conn, tenant, "mathtool", "FR-12", "x4", 0.5)
    with store.engine.connect() as conn:
        assert Crosswalk.lookup(conn, tenant, "mathtool", "FR-12") == [("f4", 0.9),
                                                                       ("x4", 0.5)]
        # Another system's code of the same spelling is not this one.
        assert Crosswalk.lookup(conn, tenant, "readtool", "FR-12") == []
        (entry, *_) = Crosswalk.entries(conn, tenant, "mathtool")
    assert (entry.code, entry.standard, entry.strength, entry.source) == (
        "FR-12", "f4", 0.9, "admin")


def test_a_standard_code_or_identifier_needs_no_crosswalk(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    with store.engine.connect() as conn:
        assert Crosswalk.lookup(conn, tenant, "mathtool", "5.NF.1") == [("f5", 1.0)]
        assert Crosswalk.lookup(conn, tenant, "mathtool", "f3") == [("f3", 1.0)]
        assert Crosswalk.lookup_many(conn, tenant, "mathtool", ["3.NF.1", "nope"]) == {
            "3.NF.1": [("f3", 1.0)]}


def test_bad_alignments_are_refused_with_the_fix(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    other = ladder()
    other["CFDocument"]["identifier"] = "doc-copy"
    for item in other["CFItems"]:
        item["identifier"] += "-copy"
    other["CFAssociations"] = []
    import_package(store.engine, tenant, other, "copy.json")
    with store.engine.begin() as conn:
        with pytest.raises(ConfigError, match=r"no standard '9\.ZZ'.*harbor standards import"):
            Crosswalk.set(conn, tenant, "mathtool", "A", "9.ZZ")
        with pytest.raises(ConfigError, match=r"code of 2 standards.*CASE identifier"):
            Crosswalk.set(conn, tenant, "mathtool", "A", "4.NF.1")
        with pytest.raises(ConfigError, match="at most 1"):
            Crosswalk.set(conn, tenant, "mathtool", "A", "f4", 1.5)
        assert Crosswalk.entries(conn, tenant) == []


def test_a_mappings_list_loads_all_or_nothing(store: Store, tenant: int) -> None:
    good = [{"code": "FR-1", "standard": "3.NF.1"}, {"code": "FR-2", "standard": "f4",
                                                      "strength": 0.75}]
    bad = [*good, {"code": "FR-3", "standard": "none"}, {"standard": "f5"},
           {"code": "FR-5", "standard": "f5", "strength": "strong"}]
    with store.engine.begin() as conn:
        with pytest.raises(SourceDataError) as caught:
            Crosswalk.load(conn, tenant, "mathtool", bad, label="mappings/math.yaml crosswalk")
        assert [p.column for p in caught.value.problems] == [
            "mappings/math.yaml crosswalk[2].standard", "mappings/math.yaml crosswalk[3].code",
            "mappings/math.yaml crosswalk[4].strength"]
        assert Crosswalk.entries(conn, tenant) == []
        assert Crosswalk.load(conn, tenant, "mathtool", good) == 2
        Crosswalk.set(conn, tenant, "mathtool", "FR-9", "f5")  # an admin's, kept by replace
        assert Crosswalk.load(conn, tenant, "mathtool", good[1:], replace=True) == 1
        kept = [(e.code, e.standard, e.strength) for e in Crosswalk.entries(conn, tenant)]
    assert kept == [("FR-2", "f4", 0.75), ("FR-9", "f5", 1.0)]


def test_remove(seeded: tuple[Store, int]) -> None:
    store, tenant = seeded
    with store.engine.begin() as conn:
        Crosswalk.set(conn, tenant, "mathtool", "FR-1", "f3")
        Crosswalk.set(conn, tenant, "mathtool", "FR-1", "f4")
        assert Crosswalk.remove(conn, tenant, "mathtool", "FR-1", "f4") == 1
        assert Crosswalk.lookup(conn, tenant, "mathtool", "FR-1") == [("f3", 1.0)]


LINE_ITEM: dict[str, Any] = {
    "sourcedId": "li-1", "status": "active", "dateLastModified": "2026-01-01T00:00:00Z",
    "title": "Fractions quiz", "assignDate": "2026-01-01T00:00:00Z",
    "dueDate": "2026-01-08T00:00:00Z", "class": {"sourcedId": "c1", "type": "class",
                                                  "href": "x"},
    "category": {"sourcedId": "cat", "type": "category", "href": "x"},
    "academicSession": {"sourcedId": "t1", "type": "academicSession", "href": "x"},
    "learningObjectiveSet": [
        {"source": "case", "learningObjectiveIds": ["f3", "f4"]},
        {"source": "Vendor-X", "learningObjectiveIds": ["FR-12"]}]}


def test_objectives_of_rest_json_models_rows_and_metadata() -> None:
    assert objectives_of(LINE_ITEM) == ["f3", "f4"]
    model = STREAM_MODELS["lineItems"].model_validate(LINE_ITEM)
    assert objectives_of(model) == ["f3", "f4"]
    result = {"sourcedId": "r-1", "learningObjectiveSet": [{"source": "CASE",
              "learningObjectiveResults": [{"learningObjectiveId": "f4", "score": 3}]}]}
    assert objectives_of(result) == ["f4"]
    (objective,) = learning_objectives(result)
    assert (objective.identifier, objective.score, objective.is_case) == ("f4", 3.0, True)
    row = {"sourcedId": "x", "lineItemSourcedId": "li-1", "source": "case",
           "learningObjectiveId": "f5"}
    assert objectives_of(row) == ["f5"]
    assert objectives_of({"sourcedId": "y", "source": "unknown",
                          "learningObjectiveId": "FR-1"}) == []
    meta = {"sourcedId": "li-2", "metadata": '{"learningObjectiveSet": [{"source": "case", '
                                             '"learningObjectiveIds": ["f3"]}]}'}
    assert objectives_of(meta) == ["f3"]
    assert objectives_of({"sourcedId": "li-3"}) == []
    vendor = [o for o in learning_objectives(LINE_ITEM) if not o.is_case]
    assert [(o.source, o.identifier) for o in vendor] == [("Vendor-X", "FR-12")]


def test_stored_objectives_of_line_items_and_results(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    base = {"tenant_id": tenant, "status": "active", "date_last_modified": "2026",
            "version": 1, "content_hash": 0, "connection_id": 1}
    with store.engine.begin() as conn:
        conn.execute(sa.insert(stream_tables["lineItemLearningObjectiveIds"]), [
            {**base, "sourced_id": "o1", "line_item_sourced_id": "li-1", "source": "case",
             "learning_objective_id": "f3"},
            {**base, "sourced_id": "o2", "line_item_sourced_id": "li-1", "source": "case",
             "learning_objective_id": "f4", "status": "tobedeleted"}])
        conn.execute(sa.insert(stream_tables["resultLearningObjectiveIds"]), [
            {**base, "sourced_id": "o3", "result_sourced_id": "r-1", "source": "case",
             "learning_objective_id": "f4", "score": "0.8"}])
    with store.engine.connect() as conn:
        items = stored_objectives(conn, tenant, "lineItems", ["li-1", "li-9"])
        results = stored_objectives(conn, tenant, "results", ["r-1"])
    assert [o.identifier for o in items["li-1"]] == ["f3"] and "li-9" not in items
    assert [(o.identifier, o.score) for o in results["r-1"]] == [("f4", 0.8)]
