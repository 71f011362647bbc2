"""Growth follows the data: a sync of an assessment export recomputes the growth of the
learners whose results it changed, and confirming an identity link gives the learner the
growth of the results that waited on it; no `harbor assessments growth --recompute`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gateway.assessments.growth import growth_of
from gateway.identity.review import confirm
from gateway.mastery import recompute
from gateway.store.learning_tables import assessment_results
from gateway.store.store import Store
from tests.connectors.i_ready.exports import learners, write_export
from tests.gateway.learners.factories import roster
from tests.helpers import run


def test_a_sync_and_a_confirmed_link_bring_growth(store: Store, tmp_path: Path) -> None:
    people = learners(6)
    # The sixth learner is in the roster under another id than i-Ready's Student ID.
    students = {p.student_id: f"{p.grade:02d}" for p in people[:5]}
    roster(store, tmp_path, students={**students, "other-6": f"{people[5].grade:02d}"})
    write_export(tmp_path / "drop", "math", people, windows=("fall", "spring"))
    store.add_connection("district", "iready", "i-ready", {"path": str(tmp_path / "drop")}, {})
    report = run(store, "district/iready")
    assert report.status == "succeeded", (report.message, report.problems)
    tenant_id = store.tenant("district").id
    with store.engine.connect() as conn:
        grown = {g.user_sourced_id for g in growth_of(conn, tenant_id) if g.years is not None}
    assert grown == {p.student_id for p in people[:5]}

    # The sixth learner's results waited for review; an admin says who they are.
    with store.engine.begin() as conn:
        link_id = conn.execute(sa.select(assessment_results.c.identity_link_id).where(
            assessment_results.c.user_sourced_id.is_(None))).scalars().first()
        assert link_id is not None
        confirm(conn, tenant_id, link_id, "other-6", recompute=recompute)
    with store.engine.connect() as conn:
        mine = growth_of(conn, tenant_id, ["other-6"])
    assert mine and mine[0].years is not None
