"""From the math tool's API to mastery, through a real run: a district's roster, the CASE
items of 6.RP/7.RP, the mapping's crosswalk, and Summit Math on loopback. Every lesson and
diagnostic lands as evidence of a resolved learner, lessons aligned to their CASE item and
scored through their scale; placements land; mastery is computed; the next run takes only
the changes, and a run with nothing new writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.rest_tool import RestToolConnector
from gateway.sample.district import write_district
from gateway.standards.store import import_package
from gateway.store.learning_tables import evidence, mastery, placements
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.connectors.rest_tool.vendors import Math, math_app
from tests.helpers import SHARED, counts, csv_connection, run, serve_app

CASE = SHARED / "fixtures" / "case" / "what-standards-could-be_opensalt_20c5134f.json"
RATIO_CONCEPT = "b6f61076-aa12-450b-8f9d-b86bc071f85e"  # CCSS.Math.Content.6.RP.A.1


@pytest.fixture
def district(store: Store, tmp_path: Path) -> Iterator[tuple[Store, Math]]:
    write_district(tmp_path / "sis", 40, gradebook=False, demographics=False)
    csv_connection(store, tmp_path / "sis")
    assert run(store).status == "succeeded"
    tenant_id = store.tenant("district").id
    users = stream_tables["users"]
    with store.engine.begin() as conn:
        names = [r.username for r in conn.execute(
            sa.select(users.c.username).where(users.c.sourced_id.like("stu-%"))
            .order_by(users.c.sourced_id).limit(8))]
        import_package(conn, tenant_id, json.loads(CASE.read_text()), CASE.name)
    tool = Math(usernames=names)
    with serve_app(math_app(tool)) as url:
        config = {"mapping": "math-tool", "base_url": url, "client_id": tool.CLIENT_ID,
                  "page_size": 20}
        connector = RestToolConnector.from_mapping({**config,
                                                    "client_secret": tool.CLIENT_SECRET})
        assert isinstance(connector, RestToolConnector)
        store.add_connection("district", "math", "rest-tool", config,
                             {"client_secret": tool.CLIENT_SECRET})
        yield store, tool


def rows(store: Store, table: Any) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_lessons_and_diagnostics_become_evidence_and_mastery(
        district: tuple[Store, Math]) -> None:
    store, tool = district
    report = run(store, "district/math")
    assert report.status == "succeeded", (report.message, report.problems[:3])
    found = {r.source_key: r for r in rows(store, evidence)}
    assert len(found) == 8 * 4 + 8
    assert all(r.user_sourced_id and r.user_sourced_id.startswith("stu-")
               for r in found.values())
    first = found["lr-000000"]
    assert (first.skill_code, first.standard, first.scale) == ("6.RP.A.1", RATIO_CONCEPT,
                                                               "percent")
    assert first.score == pytest.approx(0.40) and first.usage_minutes == 5.0
    diagnostic = found["diagnostic:dx-00000"]
    assert diagnostic.scale == "scale:100-800" and diagnostic.standard is None
    assert diagnostic.score == pytest.approx((420 - 100) / 700)
    assert {(p.subject, p.grade_level) for p in rows(store, placements)} >= {("math", "04")}
    assert len(rows(store, placements)) == 8
    learned = {(m.user_sourced_id, m.standard) for m in rows(store, mastery)}
    assert (first.user_sourced_id, RATIO_CONCEPT) in learned

    again = run(store, "district/math")
    assert again.status == "succeeded" and again.writes == 0, counts(again)

    tool.advance()
    changed = run(store, "district/math")
    assert changed.status == "succeeded", changed.message
    assert counts(changed)["toolEvidence"]["added"] == 4  # 3 lessons and a diagnostic
    assert len(rows(store, evidence)) == 8 * 4 + 8 + 4
