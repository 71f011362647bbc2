"""The learner views under /api/v1 through HTTP: a learner's profile and its edits, the
learning path, the class grid and intervention coverage; keys and tenancy as in /admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Harbor
from tests.gateway.learners.factories import (
    add_evidence,
    add_intervention,
    add_mastery,
    add_placement,
    insert_case,
    math_package,
)
from tests.helpers import run

NORTH = "/api/v1/tenants/north"
ROUTES = [("GET", "/learners/u1"), ("PATCH", "/learners/u1/profile"),
          ("GET", "/learners/u1/path"), ("GET", "/classes/k2/mastery"),
          ("GET", "/classes/k2/interventions"), ("GET", "/classes/k2/grades"),
          ("GET", "/learners/u1/growth"), ("GET", "/classes/k2/growth")]
TENANT_ROUTES = 2
"""The tenant's growth and readiness (no learner or class in the path: tests/api/test_growth.py)."""


@pytest.fixture
def district(harbor: Harbor) -> Harbor:
    """Both tenants' rosters loaded (the same sourcedIds in each), and north's learning
    data: u1..u6 are grade 5; k2 holds u1 and u4, k3 u2 and u5, k1 u3 and u6."""
    for name in ("north/sis", "south/sis"):
        assert run(harbor.store, name).status == "succeeded"
    north = harbor.store.tenant("north").id
    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with harbor.store.engine.begin() as conn:
        insert_case(conn, north, math_package())
        for learner, standard, score, level in (
                ("u1", "m-4nfa1", 0.7, "approaching"), ("u1", "m-5nfa1", 0.3, "beginning"),
                ("u4", "m-5nfa1", 0.92, "exceeding")):
            add_evidence(conn, north, learner, standard, score)
            add_mastery(conn, north, learner, standard, score, level)
        add_placement(conn, north, "u4", "math", "04", struggling=True)
        add_intervention(conn, north, "u1", recent, standard="m-5nfa1", given_by="Mr. Ortiz")
    return harbor


def test_the_profile_of_a_learner(district: Harbor) -> None:
    r = district.client.get(f"{NORTH}/learners/u1", headers=district.as_(district.north))
    assert r.status_code == 200, r.text
    body = r.json()
    learner = body["learner"]
    assert (learner["sourced_id"], learner["given_name"], learner["grades"]) == (
        "u1", "Given1", ["05"])
    assert learner["school"] == {"sourced_id": "s1", "name": "North"}
    assert [(c["sourced_id"], c["role"]) for c in learner["classes"]] == [("k2", "student")]
    [math] = body["mastery"]
    assert (math["subject"], math["assessed"], math["mastered"], math["share_mastered"]) == (
        "Mathematics", 2, 0, 0.0)
    assert math["levels"] == {"beginning": 1, "approaching": 1, "meeting": 0, "exceeding": 0}
    assert [(g["grade"], g["assessed"]) for g in math["by_grade"]] == [("04", 1), ("05", 1)]
    [given] = body["interventions"]
    assert (given["given_by"], given["standard_code"], given["kind"]) == (
        "Mr. Ortiz", "5.NF.A.1", "small-group")
    assert body["interests"] == [] and body["updated_by"] is None
    r = district.client.get(f"{NORTH}/learners/u4", headers=district.as_(district.north))
    [placed] = r.json()["placements"]
    assert placed == {"subject": "math", "system": "mathtool", "grade_level": "04",
                      "struggling": True, "observed_at": "2026-11-20T10:00:00.000Z",
                      "below_grade": True}


def test_profile_edits_record_the_key_and_are_validated(district: Harbor) -> None:
    url, headers = f"{NORTH}/learners/u1/profile", district.as_(district.north)
    r = district.client.patch(url, headers=headers, json={
        "interests": ["robots", "Robots", " soccer "],
        "aspirations": ["marine biologist"],
        "goals": [{"text": "Master fractions", "standard": "5.NF.A.1",
                   "target_date": "2027-03-01"}],
        "languages": [{"language": "es", "use": "home"}, {"language": "en", "use": "instruction"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["interests"] == ["robots", "soccer"]
    assert body["goals"] == [{"text": "Master fractions", "subject": None,
                              "standard": "5.NF.A.1", "target_date": "2027-03-01",
                              "status": "active"}]
    assert body["updated_by"] == "north-it" and body["updated_at"]
    r = district.client.patch(url, headers=district.as_(district.operator),
                              json={"aspirations": None})
    body = r.json()
    assert (body["aspirations"], body["interests"], body["updated_by"]) == (
        [], ["robots", "soccer"], "ops")
    assert district.client.get(f"{NORTH}/learners/u1", headers=headers).json()[
        "languages"][0] == {"language": "es", "use": "home", "proficiency": None}
    for bad, where in (({}, "at least one"), ({"interests": ["x" * 101]}, "interests.0"),
                       ({"hobbies": ["chess"]}, "hobbies"),
                       ({"interests": ["a"] * 31}, "interests"),
                       ({"languages": [{"language": "not a tag"}]}, "languages.0.language"),
                       ({"goals": [{"text": "x", "target_date": "March"}]}, "target_date")):
        r = district.client.patch(url, headers=headers, json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert where in r.json()["detail"], (bad, r.json()["detail"])


def test_the_learning_path(district: Harbor) -> None:
    r = district.client.get(f"{NORTH}/learners/u1/path", params={"limit": 3},
                            headers=district.as_(district.north))
    assert r.status_code == 200, r.text
    [path] = r.json()["paths"]
    assert (path["subject"], path["grade"], path["start_grade"], path["more"]) == (
        "Mathematics", "05", "05", True)
    assert [(e["position"], e["standard"]["code"], e["reason"], e["level"])
            for e in path["entries"]] == [
        (1, "3.NF.A.1", "prerequisite", None), (2, "3.NF.A.2", "prerequisite", None),
        (3, "4.NF.A.1", "prerequisite", "approaching")]
    r = district.client.get(f"{NORTH}/learners/u4/path", params={"subject": "math"},
                            headers=district.as_(district.north))
    [path] = r.json()["paths"]
    assert (path["start_grade"], path["placement"]["system"]) == ("04", "mathtool")
    r = district.client.get(f"{NORTH}/learners/u1/path", params={"subject": "Music"},
                            headers=district.as_(district.north))
    assert r.status_code == 422
    assert r.json()["detail"] == ("no standards in subject 'Music' for this tenant; subjects "
                                  "with standards: Mathematics")
    r = district.client.get(f"{NORTH}/learners/u1/path", params={"limit": 0},
                            headers=district.as_(district.north))
    assert r.status_code == 422


def test_the_class_grid(district: Harbor) -> None:
    r = district.client.get(f"{NORTH}/classes/k2/mastery", params={"sort": "-5.NF.A.1"},
                            headers=district.as_(district.north))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["class_sourced_id"], body["title"], body["sort"]) == ("k2", "Class 2",
                                                                       "-5.NF.A.1")
    assert [s["code"] for s in body["standards"]] == ["4.NF.A.1", "5.NF.A.1"]
    assert [(row["sourced_id"], row["mastered"]) for row in body["learners"]] == [
        ("u4", 1), ("u1", 0)]
    assert body["learners"][1]["cells"]["m-4nfa1"] == {"level": "approaching", "score": 0.7,
                                                       "evidence_count": 3}
    r = district.client.get(f"{NORTH}/classes/k2/mastery", params={"sort": "height"},
                            headers=district.as_(district.north))
    assert r.status_code == 422 and "cannot sort by 'height'" in r.json()["detail"]


def test_intervention_coverage_of_a_class(district: Harbor) -> None:
    r = district.client.get(f"{NORTH}/classes/k2/interventions", params={"weeks": 2},
                            headers=district.as_(district.north))
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in ("weeks", "students", "struggling", "covered",
                                 "share_covered", "others_supported")} == {
        "weeks": 2, "students": 2, "struggling": 2, "covered": 1, "share_covered": 0.5,
        "others_supported": 0}
    [covered] = body["covered_learners"]
    assert (covered["sourced_id"], covered["struggling"]) == ("u1", ["beginning:5.NF.A.1"])
    assert covered["interventions"][0]["given_by"] == "Mr. Ortiz"
    [uncovered] = body["uncovered_learners"]
    assert (uncovered["sourced_id"], uncovered["struggling"]) == (
        "u4", ["placement:math (mathtool)"])
    for weeks in (0, 53):
        r = district.client.get(f"{NORTH}/classes/k2/interventions", params={"weeks": weeks},
                                headers=district.as_(district.north))
        assert r.status_code == 422


def test_every_learner_route_needs_a_key_and_stays_in_its_tenant(district: Harbor) -> None:
    for method, path in ROUTES:
        body = {"interests": ["chess"]} if method == "PATCH" else None
        r = district.client.request(method, NORTH + path, json=body)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        # south has the same sourcedIds: a north key still cannot reach them
        r = district.client.request(method, "/api/v1/tenants/south" + path, json=body,
                                    headers=district.as_(district.north))
        assert r.status_code == 404, (path, r.text)
        assert r.json()["detail"].startswith("no tenant 'south' here")
        r = district.client.request(method, "/api/v1/tenants/south" + path, json=body,
                                    headers=district.as_(district.south))
        assert r.status_code == 200, (path, r.text)
        unknown = path.replace("u1", "nobody").replace("k2", "nowhere")
        r = district.client.request(method, NORTH + unknown, json=body,
                                    headers=district.as_(district.north))
        assert r.status_code == 404, (path, r.text)
        assert "in tenant 'north'" in r.json()["detail"] and "roster" in r.json()["detail"]


def test_a_south_profile_edit_does_not_touch_north(district: Harbor) -> None:
    r = district.client.patch("/api/v1/tenants/south/learners/u1/profile",
                              headers=district.as_(district.south), json={"interests": ["art"]})
    assert r.status_code == 200
    r = district.client.get(f"{NORTH}/learners/u1", headers=district.as_(district.north))
    assert r.json()["interests"] == []


def test_access_tokens_work_and_the_routes_declare_their_security(district: Harbor) -> None:
    client_id, _, secret = district.north.partition(".")
    r = district.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    token = r.json()["access_token"]
    r = district.client.get(f"{NORTH}/learners/u1", headers=district.as_(token))
    assert r.status_code == 200 and r.json()["learner"]["sourced_id"] == "u1"
    r = district.client.get("/api/v1/tenants/south/learners/u1", headers=district.as_(token))
    assert r.status_code == 404
    spec = district.client.get("/openapi.json").json()
    routes = [(m, p) for p, ops in spec["paths"].items() if p.startswith("/api/v1")
              for m, op in ops.items() if {"ApiKey": []} in op["security"]]
    assert len(routes) == len(ROUTES) + TENANT_ROUTES
