"""AGS line items of a vendor tool over HTTP: found by their filters and paged with Link
headers, replaced, and deleted, after which their scores stop counting for mastery."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from gateway.store.learning_tables import mastery
from tests.gateway.lti.platform_side.conftest import (
    STANDARD,
    STANDARD_CODE,
    VendorSetup,
    evidence_rows,
)
from tests.gateway.lti.platform_side.test_refusals import (
    AGS,
    LINEITEM_TYPE,
    bearer,
    lineitems,
    post_score,
)

CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"


def test_line_items_are_filtered_paged_replaced_and_deleted(vendor: VendorSetup) -> None:
    v = vendor
    headers = {**bearer(v, AGS + "lineitem", AGS + "result.readonly", AGS + "score"),
               "Content-Type": LINEITEM_TYPE, "Accept": CONTAINER_TYPE}
    made = [httpx.post(lineitems(v), headers=headers, trust_env=False, json={
        "label": f"Lab {n}", "scoreMaximum": 10, "resourceId": f"lab-{n}",
        "tag": STANDARD_CODE if n == 2 else "warm-up"}).json() for n in (1, 2, 3)]
    listed = httpx.get(lineitems(v), params={"limit": "2"}, headers=headers, trust_env=False)
    assert listed.headers["content-type"].startswith(CONTAINER_TYPE)
    assert [i["label"] for i in listed.json()] == ["Lab 1", "Lab 2"]
    rest = httpx.get(listed.links["next"]["url"], headers=headers, trust_env=False)
    assert [i["label"] for i in rest.json()] == ["Lab 3"] and "next" not in rest.links
    tagged = httpx.get(lineitems(v), params={"tag": STANDARD_CODE}, headers=headers,
                       trust_env=False)
    assert [i["id"] for i in tagged.json()] == [made[1]["id"]]

    replaced = httpx.put(made[0]["id"], headers=headers, trust_env=False,
                         json={"label": "Lab 1 (retake)", "scoreMaximum": 12})
    assert replaced.status_code == 200 and replaced.json()["scoreMaximum"] == 12
    assert httpx.get(made[0]["id"], headers=headers, trust_env=False).json()["label"] == \
        "Lab 1 (retake)"

    learner = v.roster.students[0]
    assert post_score(v, made[1]["id"], learner, 7, "2026-05-01T08:00:00Z").status_code == 204
    results = httpx.get(f"{made[1]['id']}/results", headers=headers, trust_env=False,
                        params={"user_id": v.sub(learner)})
    assert [(r["userId"], r["resultScore"]) for r in results.json()] == [(v.sub(learner), 7)]

    def mastered() -> list[float]:
        with v.store.engine.connect() as conn:
            return list(conn.execute(sa.select(mastery.c.score).where(
                mastery.c.tenant_id == v.tenant_id, mastery.c.user_sourced_id == learner,
                mastery.c.standard == STANDARD)).scalars())

    assert mastered() == [0.7]
    assert httpx.delete(made[1]["id"], headers=headers, trust_env=False).status_code == 204
    assert httpx.get(made[1]["id"], headers=headers, trust_env=False).status_code == 404
    assert mastered() == []
    assert [r.status for r in evidence_rows(v.store, v.tenant_id)] == ["deleted"]
