"""Growth and readiness through HTTP: a learner's and a class's growth, tenant and school
aggregates, the learner profile's growth, benchmarks (validated) and readiness; keys and
tenancy as on every route."""

from __future__ import annotations

import pytest

from gateway.assessments import recompute_growth
from tests.api.conftest import Harbor
from tests.gateway.assessments.factories import add_result
from tests.helpers import run

NORTH = "/api/v1/tenants/north"
BENCHMARKS = "/admin/tenants/north/assessments/benchmarks"


@pytest.fixture
def district(harbor: Harbor) -> Harbor:
    """Both rosters (u1..u6 in grade 5 at s1; k2 holds u1 and u4); north's MAP results:
    u1 1.5 years, u4 0.5, u2 -0.25, u3 tested in fall only; south's u1 3.0."""
    for name in ("north/sis", "south/sis"):
        assert run(harbor.store, name).status == "succeeded"
    north, south = harbor.store.tenant("north").id, harbor.store.tenant("south").id
    with harbor.store.engine.begin() as conn:
        for tenant, learner, fall, spring in ((north, "u1", 200, 212), (north, "u4", 200, 204),
                                              (north, "u2", 200, 198), (south, "u1", 200, 224)):
            add_result(conn, tenant, learner, "map-growth", "fall", "2026-09-10",
                       scale_score=fall, grade="05",
                       vendor_growth={"TypicalFallToSpringGrowth": 8})
            add_result(conn, tenant, learner, "map-growth", "spring", "2027-05-10",
                       scale_score=spring, grade="05", percentile=40 + spring - 200)
        add_result(conn, north, "u3", "map-growth", "fall", "2026-09-10", scale_score=190,
                   grade="05")
        recompute_growth(conn, north)
        recompute_growth(conn, south)
    return harbor


def test_a_learners_growth_and_profile(district: Harbor) -> None:
    headers = district.as_(district.north)
    r = district.client.get(f"{NORTH}/learners/u1/growth", headers=headers)
    assert r.status_code == 200, r.text
    [found] = r.json()["growth"]
    assert (found["years"], found["assessment"], found["subject"], found["school_year"]) == (
        1.5, "map-growth", "math", "2027")
    assert found["method"].startswith("map-growth fall-to-spring")
    assert (found["from_window"], found["to_window"]) == ("fall", "spring")
    r = district.client.get(f"{NORTH}/learners/u3/growth", headers=headers)
    [none] = r.json()["growth"]
    assert none["years"] is None and "tested only in fall" in none["reason"]
    profile = district.client.get(f"{NORTH}/learners/u1", headers=headers).json()
    assert [g["years"] for g in profile["growth"]] == [1.5]
    r = district.client.get(f"{NORTH}/learners/u1/growth", params={"school_year": "2026"},
                            headers=headers)
    assert r.json()["growth"] == []
    r = district.client.get(f"{NORTH}/learners/u1/growth", params={"subject": "art"},
                            headers=headers)
    assert r.status_code == 422 and "subject" in r.json()["detail"]


def test_class_and_tenant_growth(district: Harbor) -> None:
    headers = district.as_(district.north)
    r = district.client.get(f"{NORTH}/classes/k2/growth", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    [summary] = body["summary"]
    assert (summary["count"], summary["median"], summary["share_at_1_0"],
            summary["share_at_1_5"]) == (2, 1.0, 0.5, 0.5)
    assert {s["sourced_id"]: [g["years"] for g in s["growth"]] for s in body["students"]} == {
        "u1": [1.5], "u4": [0.5]}
    r = district.client.get(f"{NORTH}/growth", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    [overall] = body["growth"]
    assert (overall["count"], overall["without_growth"], overall["median"]) == (3, 1, 0.5)
    assert overall["share_at_1_0"] == pytest.approx(1 / 3, abs=1e-4)
    [school] = body["schools"]
    assert (school["school"], school["growth"][0]["count"]) == ("s1", 3)
    r = district.client.get(f"{NORTH}/growth", params={"school": "elsewhere"}, headers=headers)
    assert r.json() == {"school": "elsewhere", "growth": [], "schools": []}
    # south's growth stays south's
    r = district.client.get("/api/v1/tenants/south/growth", headers=district.as_(district.south))
    assert r.json()["growth"][0]["median"] == 3.0


def test_benchmarks_are_validated_and_readiness_counts_the_latest(district: Harbor) -> None:
    headers = district.as_(district.north)
    assert district.client.get(BENCHMARKS, headers=headers).json() == {"benchmarks": []}
    good = {"assessment": "map-growth", "subject": "math", "grade": "5", "window": "spring",
            "cut_score": 204, "label": "on track"}
    for bad, field in (({**good, "grade": "fifth"}, "benchmarks[1].grade"),
                       ({**good, "window": "autumn"}, "benchmarks.1.window"),
                       ({**good, "cut_score": -1}, "benchmarks.1.cut_score"),
                       (good, "benchmarks[1].grade")):  # a second one for grade 5
        r = district.client.put(BENCHMARKS, headers=headers, json={"benchmarks": [good, bad]})
        assert r.status_code == 422, r.text
        assert field in r.json()["detail"], r.json()["detail"]
    assert district.client.get(BENCHMARKS, headers=headers).json() == {"benchmarks": []}
    r = district.client.put(BENCHMARKS, headers=headers, json={"benchmarks": [good]})
    assert r.status_code == 200, r.text
    assert r.json()["benchmarks"][0]["grade"] == "05"
    query = {"assessment": "map-growth", "subject": "math", "school_year": "2027",
             "window": "spring"}
    r = district.client.get(f"{NORTH}/readiness", params=query, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    # spring: u1 212, u4 204 (at the cut: meets), u2 198
    assert (body["tested"], body["benchmarked"], body["meeting"]) == (3, 3, 2)
    assert body["share"] == pytest.approx(2 / 3, abs=1e-4)
    assert body["by_grade"][0]["label"] == "on track"
    r = district.client.put(BENCHMARKS, headers=headers, json={"benchmarks": [
        {**good, "measure": "percentile", "cut_score": 50}]})
    body = district.client.get(f"{NORTH}/readiness", params=query, headers=headers).json()
    assert body["meeting"] == 1  # percentiles 52, 44, 38
    fall = district.client.get(f"{NORTH}/readiness", params={**query, "window": "fall"},
                               headers=headers).json()
    assert (fall["tested"], fall["without_benchmark"], fall["share"]) == (4, 4, None)
    r = district.client.get(f"{NORTH}/readiness", params={**query, "window": "autumn"},
                            headers=headers)
    assert r.status_code == 422 and "window" in r.json()["detail"]
    # south has none of north's benchmarks
    r = district.client.get("/admin/tenants/south/assessments/benchmarks",
                            headers=district.as_(district.south))
    assert r.json() == {"benchmarks": []}


def test_keys_and_tenancy(district: Harbor) -> None:
    for path in (f"{NORTH}/learners/u1/growth", f"{NORTH}/classes/k2/growth",
                 f"{NORTH}/growth", BENCHMARKS):
        assert district.client.get(path).status_code == 401
        r = district.client.get(path, headers=district.as_(district.south))
        assert r.status_code == 404 and "no tenant 'north'" in r.json()["detail"]
    r = district.client.put(BENCHMARKS, headers=district.as_(district.south),
                            json={"benchmarks": []})
    assert r.status_code == 404
    r = district.client.get(f"{NORTH}/classes/nowhere/growth",
                            headers=district.as_(district.north))
    assert r.status_code == 404 and "roster" in r.json()["detail"]
    r = district.client.get(f"{NORTH}/learners/nobody/growth",
                            headers=district.as_(district.north))
    assert r.status_code == 404
    r = district.client.get(f"{NORTH}/growth", headers=district.as_(district.operator))
    assert r.status_code == 200
