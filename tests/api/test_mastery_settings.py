"""A tenant's mastery settings through the admin API: defaults, a validated change that
recomputes stored mastery, and a refusal that saves nothing."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.store.learning_tables import evidence, mastery
from tests.api.conftest import Harbor

URL = "/admin/tenants/north/mastery/settings"


def _evidence(harbor: Harbor, scores: list[float]) -> None:
    tenant_id = harbor.store.tenant("north").id
    with harbor.store.engine.begin() as conn:
        conn.execute(evidence.insert(), [
            {"tenant_id": tenant_id, "system": "tool", "source_key": f"e{n}",
             "user_sourced_id": "u1", "standard": "s1", "raw_score": str(score),
             "scale": "fraction", "score": score, "observed_at": f"2026-10-0{n + 1}T00:00:00Z",
             "created_at": utcnow()} for n, score in enumerate(scores)])


def test_defaults_then_a_change_recomputes(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    defaults = harbor.client.get(URL, headers=it).json()
    assert defaults["method"] == "decaying_average"
    assert [b["level"] for b in defaults["bands"]] == ["beginning", "approaching", "meeting",
                                                       "exceeding"]
    _evidence(harbor, [0.2, 1.0, 0.6])
    r = harbor.client.put(URL, json={"method": "highest"}, headers=it)
    assert r.status_code == 200, r.text
    assert r.json()["method"] == "highest"
    with harbor.store.engine.connect() as conn:  # the background recompute has run
        row = conn.execute(sa.select(mastery.c.score, mastery.c.level, mastery.c.method)).one()
    assert (row.score, row.level, row.method) == (1.0, "exceeding", "highest")
    assert harbor.client.get(URL, headers=it).json()["method"] == "highest"


def test_a_bad_change_names_the_problem_and_saves_nothing(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    r = harbor.client.put(URL, json={"method": "median"}, headers=it)
    assert r.status_code == 422
    assert "decaying_average" in r.json()["detail"]
    gap = [{"level": "low", "from": 0, "to": 0.5}, {"level": "high", "from": 0.6, "to": 1}]
    r = harbor.client.put(URL, json={"method": "mean", "bands": gap}, headers=it)
    assert r.status_code == 422, r.text
    assert harbor.client.get(URL, headers=it).json()["method"] == "decaying_average"
