"""Importing CASE packages into the store, on SQLite and PostgreSQL: upsert by identifier,
re-imports that update in place, and bad packages that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from gateway.errors import SourceDataError
from gateway.standards import frameworks, import_file, import_package, standard
from gateway.store.learning_tables import standard_associations, standards, standards_frameworks
from gateway.store.store import Store
from tests.gateway.standards.factories import (
    CCSS,
    RP,
    RP_6_A_1,
    RP_DOC,
    ladder,
    rp_package,
)


def _snapshot(store: Store) -> dict[str, list[Any]]:
    with store.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(
            sa.select(*(c for c in t.c if c.name not in ("imported_at",))))) for t in
            (standards_frameworks, standards, standard_associations)}


def test_a_package_file_lands_whole_and_reimports_update_in_place(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    first = import_file(store.engine, tenant, RP)
    assert first.framework == RP_DOC
    assert first.items == {"added": 16, "updated": 0, "unchanged": 0, "kept": 0}
    assert first.associations == {"added": 39, "updated": 0, "unchanged": 0, "removed": 0}
    with store.engine.connect() as conn:
        item = standard(conn, tenant, RP_6_A_1)
        (listed,) = frameworks(conn, tenant)
    assert item is not None and item.code == "CCSS.Math.Content.6.RP.A.1"
    assert item.grade_levels == ("06",) and item.framework == RP_DOC
    assert (listed.title, listed.item_count, listed.source) == (
        "What Standards Could Be", 16, str(RP))

    package = rp_package()
    package["CFItems"][2]["fullStatement"] = "Understand ratios (revised)."
    dropped = package["CFAssociations"].pop(0)
    again = import_package(store.engine, tenant, package, "rp-v2.json")
    assert again.items == {"added": 0, "updated": 1, "unchanged": 15, "kept": 0}
    assert again.associations == {"added": 0, "updated": 0, "unchanged": 38, "removed": 1}
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(standards)).scalar() == 16
        gone = conn.execute(sa.select(standard_associations.c.id).where(
            standard_associations.c.identifier == dropped["identifier"])).first()
        assert gone is None
        assert frameworks(conn, tenant)[0].source == "rp-v2.json"


def test_a_bad_package_changes_nothing(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    import_package(store.engine, tenant, ladder(), "ladder.json")
    before = _snapshot(store)
    package = ladder()
    package["CFItems"][1]["fullStatement"] = "changed"
    package["CFItems"].append({"identifier": "f6", "humanCodingScheme": "6.NF"})
    package["CFAssociations"] = []
    with pytest.raises(SourceDataError) as caught:
        import_package(store.engine, tenant, package, "ladder-v2.json")
    assert [p.column for p in caught.value.problems] == ["CFItems[4].fullStatement"]
    assert _snapshot(store) == before


def test_an_item_the_new_export_lacks_is_kept_but_leaves_the_graph(store: Store) -> None:
    tenant = store.ensure_tenant("district").id
    import_package(store.engine, tenant, ladder(), "ladder.json")
    package = ladder()
    package["CFItems"] = [i for i in package["CFItems"] if i["identifier"] != "f5"]
    package["CFAssociations"] = [a for a in package["CFAssociations"]
                                 if "f5" not in (a["originNodeURI"]["identifier"],
                                                 a["destinationNodeURI"]["identifier"])]
    report = import_package(store.engine, tenant, package, "ladder-v2.json")
    assert report.items["kept"] == 1 and report.associations["removed"] == 2
    with store.engine.connect() as conn:
        assert standard(conn, tenant, "f5") is not None  # evidence may still name it


def test_tenants_do_not_share_standards(store: Store) -> None:
    north = store.ensure_tenant("north").id
    south = store.ensure_tenant("south").id
    import_package(store.engine, north, ladder(), "ladder.json")
    report = import_package(store.engine, south, ladder(), "ladder.json")
    assert report.items["added"] == 4  # the same identifiers, another tenant's rows
    with store.engine.connect() as conn:
        assert [f.item_count for f in frameworks(conn, north)] == [4]
        assert [f.item_count for f in frameworks(conn, south)] == [4]


def test_an_import_joins_the_callers_transaction(sqlite_store: Store) -> None:
    tenant = sqlite_store.ensure_tenant("district").id
    with sqlite_store.engine.connect() as conn:
        import_package(conn, tenant, ladder(), "ladder.json")
        conn.rollback()
    with sqlite_store.engine.connect() as conn:
        assert frameworks(conn, tenant) == []


def test_the_full_common_core_imports_and_reimports(sqlite_store: Store) -> None:
    tenant = sqlite_store.ensure_tenant("district").id
    report = import_file(sqlite_store.engine, tenant, CCSS)
    assert report.items["added"] == 703 and report.associations["added"] == 703
    assert any("educationalLevel" in n.message for n in report.notices)
    again = import_file(sqlite_store.engine, tenant, CCSS)
    assert again.items["unchanged"] == 703 and again.associations["unchanged"] == 703
    with sqlite_store.engine.connect() as conn:
        found = conn.execute(sa.select(standards.c.code, standards.c.grade_levels).where(
            standards.c.code == "CCSS.Math.Content.6.RP.A.1")).all()
    assert [(code, list(grades)) for code, grades in found] == [
        ("CCSS.Math.Content.6.RP.A.1", ["06"])]
