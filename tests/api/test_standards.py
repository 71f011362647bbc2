"""Standards through the admin API: frameworks (and importing a package), one item with
its place in the graph, and the crosswalk, each scoped to its tenant."""

from __future__ import annotations

from gateway.standards import import_package
from tests.api.conftest import Harbor
from tests.gateway.standards.factories import (
    CCSS_6_RP_A_1_MATCH,
    RP_6_A,
    RP_6_A_1,
    RP_6_A_2,
    ladder,
    rp_package,
)

BASE = "/admin/tenants/north/standards"


def test_frameworks_items_and_their_graph(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    assert harbor.client.get(BASE, headers=it).json() == []
    imported = harbor.client.post(BASE, json=rp_package(), headers=it)
    assert imported.status_code == 200, imported.text
    assert imported.json()["items"]["added"] == 16
    assert any(n["column"] == "CFItems[*]" for n in imported.json()["notices"])
    (framework,) = harbor.client.get(BASE, headers=it).json()
    assert (framework["title"], framework["item_count"]) == ("What Standards Could Be", 16)

    item = harbor.client.get(f"{BASE}/item", params={"identifier": RP_6_A_1}, headers=it).json()
    assert item["code"] == "CCSS.Math.Content.6.RP.A.1" and item["grade_levels"] == ["06"]
    assert item["parent"]["identifier"] == RP_6_A
    assert item["parent"]["code"] == "CCSS.Math.Content.6.RP.A"
    assert [u["identifier"] for u in item["unlocks"]] == [RP_6_A_2]
    assert item["prerequisites"] == []
    # An equal item of a framework this tenant has not imported: named, without text.
    assert item["equivalents"] == [{"identifier": CCSS_6_RP_A_1_MATCH, "code": None,
                                    "statement": None}]
    by_code = harbor.client.get(f"{BASE}/item", headers=it,
                                 params={"identifier": "CCSS.Math.Content.6.RP.A.2"})
    assert [p["identifier"] for p in by_code.json()["prerequisites"]] == [RP_6_A_1]
    cluster = harbor.client.get(f"{BASE}/item", params={"identifier": RP_6_A}, headers=it).json()
    assert cluster["parent"] is None and len(cluster["children"]) == 3


def test_identifiers_that_are_urls_work(harbor: Harbor) -> None:
    package = ladder()
    package["CFItems"][1]["identifier"] = "http://purl.org/ASN/resources/S1"
    package["CFAssociations"] = []
    import_package(harbor.store.engine, harbor.store.tenant("north").id, package, "x")
    response = harbor.client.get(f"{BASE}/item", headers=harbor.as_(harbor.north),
                                 params={"identifier": "http://purl.org/ASN/resources/S1"})
    assert response.status_code == 200 and response.json()["code"] == "3.NF.1"


def test_a_bad_package_is_a_422_listing_each_field(harbor: Harbor) -> None:
    package = ladder()
    del package["CFItems"][2]["fullStatement"]
    response = harbor.client.post(BASE, json=package, headers=harbor.as_(harbor.north))
    assert response.status_code == 422
    assert [p["column"] for p in response.json()["problems"]] == ["CFItems[2].fullStatement"]
    assert harbor.client.get(BASE, headers=harbor.as_(harbor.north)).json() == []


def test_crosswalk_put_and_get(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    harbor.client.post(BASE, json=ladder(), headers=it)
    put = harbor.client.put(f"{BASE}/crosswalk", headers=it, json={
        "system": "mathtool", "code": "FR-12", "standard": "4.NF.1", "strength": 0.7})
    assert put.status_code == 200, put.text
    assert (put.json()["standard"], put.json()["strength"], put.json()["source"]) == (
        "f4", 0.7, "admin")
    listed = harbor.client.get(f"{BASE}/crosswalk", params={"system": "mathtool"},
                               headers=it).json()
    assert [(e["code"], e["standard"]) for e in listed] == [("FR-12", "f4")]
    unknown = harbor.client.put(f"{BASE}/crosswalk", headers=it, json={
        "system": "mathtool", "code": "X", "standard": "9.ZZ"})
    assert unknown.status_code == 422 and "no standard '9.ZZ'" in unknown.json()["detail"]
    too_strong = harbor.client.put(f"{BASE}/crosswalk", headers=it, json={
        "system": "mathtool", "code": "X", "standard": "f4", "strength": 2})
    assert too_strong.status_code == 422


def test_tenants_see_only_their_own(harbor: Harbor) -> None:
    import_package(harbor.store.engine, harbor.store.tenant("north").id, ladder(), "x")
    south = harbor.as_(harbor.south)
    assert harbor.client.get(BASE, headers=south).status_code == 404
    f4 = {"identifier": "f4"}
    assert harbor.client.get(f"{BASE}/item", params=f4, headers=south).status_code == 404
    own = "/admin/tenants/south/standards"
    assert harbor.client.get(f"{own}/item", params=f4, headers=south).status_code == 404
    assert harbor.client.get(own, headers=south).json() == []
    assert harbor.client.get(f"{BASE}/item", params=f4,
                             headers=harbor.as_(harbor.operator)).status_code == 200
