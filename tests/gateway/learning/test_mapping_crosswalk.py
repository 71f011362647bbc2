"""A tool run writes its mapping's crosswalk before aligning evidence: entries naming an
imported standard are loaded (and replace the mapping's earlier ones), the others are left
out and reported, and the run goes on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.learning.runs import ToolRun
from gateway.standards import import_package
from gateway.standards.crosswalk import Crosswalk
from gateway.store.store import Store
from tests.helpers import SHARED

CASE = SHARED / "fixtures" / "case" / "what-standards-could-be_opensalt_20c5134f.json"
RATIO_CONCEPT = "b6f61076-aa12-450b-8f9d-b86bc071f85e"  # CCSS.Math.Content.6.RP.A.1


@dataclass
class MappedTool:
    crosswalk: list[dict[str, Any]] = field(default_factory=list)


def test_known_standards_load_and_unknown_ones_are_reported(sqlite_store: Store) -> None:
    store = sqlite_store
    store.ensure_tenant("district")
    connection = store.add_connection("district", "math", "rest-tool", {"mapping": "x"}, {})
    tenant_id = connection.tenant_id
    with store.engine.begin() as conn:
        import_package(conn, tenant_id, json.loads(CASE.read_text()), CASE.name)
    tool = MappedTool([{"code": "RATIO-1", "standard": "CCSS.Math.Content.6.RP.A.1"},
                       {"code": "PHON-2", "standard": "CCSS.ELA-Literacy.RF.2.3",
                        "strength": 0.8}])
    with store.engine.begin() as conn:
        intake = ToolRun(connection, tool).intake(conn)
        assert Crosswalk.lookup(conn, tenant_id, "math", "RATIO-1") == [(RATIO_CONCEPT, 1.0)]
        assert Crosswalk.lookup(conn, tenant_id, "math", "PHON-2") == []
    [notice] = intake.report.problems
    assert "1 crosswalk entries name a standard this tenant does not have" in notice.message
    assert "PHON-2 -> CCSS.ELA-Literacy.RF.2.3" in notice.message

    # The mapping changed: its old entry goes, an admin's entry stays.
    with store.engine.begin() as conn:
        Crosswalk.set(conn, tenant_id, "math", "ADMIN-1", RATIO_CONCEPT, 0.9, "admin")
        ToolRun(connection, MappedTool([{"code": "RATIO-2", "standard": RATIO_CONCEPT}])
                ).intake(conn)
        codes = sorted(conn.execute(sa.text("SELECT code FROM crosswalk")).scalars())
    assert codes == ["ADMIN-1", "RATIO-2"]
