"""A small school world to push grades from: a roster with grading periods (through the CSV
connector), the Harbor Math CASE framework, and mastery and activity evidence written
straight into their tables, as the intake and mastery modules would.

Dates (the real clock says 2026-12-03; tests pass ``today`` explicitly):

- school year ``y1`` 2026-08-20 .. 2027-06-10; term ``t1`` (Fall) 2026-08-20 .. 2027-01-15;
- grading periods ``q1`` 2026-08-20 .. 2026-10-30 (closed by ``TODAY``) and ``q2``
  2026-11-02 .. 2027-01-15 (open).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

from gateway.push.conversion import parse_conversion, write_conversion
from gateway.store.store import ConnectionRecord, Store
from tests.connectors.oneroster_csv.factories import enrollment, org, user, write_export
from tests.gateway.learners.factories import add_evidence, add_mastery, insert_case, math_package
from tests.helpers import csv_connection, run

__all__ = ["STANDARDS", "TODAY", "World", "add_destination", "build_world", "set_conversion",
           "set_mastery"]

TODAY = date(2026, 12, 3)
STANDARDS = ("m-3nfa1", "m-4nfa1")
"""Identifiers of two items of the Harbor Math framework (codes 3.NF.A.1 and 4.NF.A.1)."""


@dataclasses.dataclass
class World:
    store: Store
    tenant: str
    tenant_id: int
    classes: dict[str, list[str]]
    """class sourcedId -> student sourcedIds."""

    @property
    def students(self) -> list[str]:
        return [u for members in self.classes.values() for u in members]


def build_world(store: Store, tmp_path: Path, *, tenant: str = "district", classes: int = 2,
                students: int = 3, mastery: bool = True, today: date = TODAY) -> World:
    """Classes ``k1``..``kN`` of course ``c1``, each with its own students ``kN-sM``
    (email ``kN-sM@example.org``) and teacher ``t1``; every student has mastery of both
    :data:`STANDARDS` (scores spread over the bands) when ``mastery``. Session dates move
    with ``today`` (for pushes that judge periods on the real date: a worker process)."""
    shift = today - TODAY

    def day(text: str) -> str:
        return (date.fromisoformat(text) + shift).isoformat()

    store.ensure_tenant(tenant, tenant.title())
    roster = {f"k{c}": [f"k{c}-s{s}" for s in range(1, students + 1)]
              for c in range(1, classes + 1)}
    users = [user(sid, f"Given {sid}", f"Family {sid}", grades="05", primaryOrgSourcedId="s1",
                  email=f"{sid}@example.org", identifier=f"ID-{sid}")
             for members in roster.values() for sid in members]
    users.append(user("t1", "Tess", "Teacher", primaryOrgSourcedId="s1",
                      email="t1@example.org"))
    enrollments = [enrollment(f"e-{k}-{u}", k, u) for k, members in roster.items()
                   for u in members]
    enrollments += [enrollment(f"e-{k}-t1", k, "t1", "teacher") for k in roster]
    export = write_export(tmp_path / f"roster-{tenant}", {
        "orgs": [org("d1", "District", "district"), org("s1", "Harbor Middle", parent="d1")],
        "academicSessions": [
            {"sourcedId": "y1", "title": "2026-27", "type": "schoolYear",
             "startDate": day("2026-08-20"), "endDate": day("2027-06-10"),
             "schoolYear": "2027"},
            {"sourcedId": "t1", "title": "Fall 2026", "type": "term",
             "startDate": day("2026-08-20"), "endDate": day("2027-01-15"),
             "parentSourcedId": "y1",
             "schoolYear": "2027"},
            {"sourcedId": "q1", "title": "Q1", "type": "gradingPeriod",
             "startDate": day("2026-08-20"), "endDate": day("2026-10-30"),
             "parentSourcedId": "t1",
             "schoolYear": "2027"},
            {"sourcedId": "q2", "title": "Q2", "type": "gradingPeriod",
             "startDate": day("2026-11-02"), "endDate": day("2027-01-15"),
             "parentSourcedId": "t1",
             "schoolYear": "2027"}],
        "courses": [{"sourcedId": "c1", "title": "Math 5", "orgSourcedId": "s1",
                     "schoolYearSourcedId": "y1"}],
        "classes": [{"sourcedId": k, "title": f"Math 5 {k}", "courseSourcedId": "c1",
                     "classType": "scheduled", "schoolSourcedId": "s1", "termSourcedIds": "t1",
                     "subjects": "Mathematics", "grades": "05"} for k in roster],
        "users": users,
        "enrollments": enrollments,
    })
    csv_connection(store, export, tenant=tenant, name="roster")
    report = run(store, f"{tenant}/roster")
    assert report.status == "succeeded", report
    tenant_id = store.tenant(tenant).id
    with store.engine.begin() as conn:
        insert_case(conn, tenant_id, math_package())
    world = World(store, tenant, tenant_id, roster)
    if mastery:
        for n, learner in enumerate(world.students):
            for m, standard in enumerate(STANDARDS):
                set_mastery(world, learner, standard, ((n * 7 + m * 3) % 10) / 10 + 0.05)
    return world


def set_mastery(world: World, learner: str, standard: str, score: float) -> None:
    """Replace a learner's mastery of a standard (the level from the default bands)."""
    from gateway.mastery.settings import DEFAULT_SETTINGS
    from gateway.store.learning_tables import mastery

    with world.store.engine.begin() as conn:
        conn.execute(mastery.delete().where(mastery.c.tenant_id == world.tenant_id,
                                            mastery.c.user_sourced_id == learner,
                                            mastery.c.standard == standard))
        add_mastery(conn, world.tenant_id, learner, standard, score,
                    DEFAULT_SETTINGS.level(score))


def add_activity(world: World, learner: str, score: float, *, system: str = "mathtool") -> None:
    """Evidence of activity ``Lesson`` (the latest one counts)."""
    with world.store.engine.begin() as conn:
        add_evidence(conn, world.tenant_id, learner, STANDARDS[0], score, system=system)


def set_conversion(world: World, spec: dict[str, Any], course: str | None = None) -> None:
    with world.store.engine.begin() as conn:
        write_conversion(conn, world.tenant_id, course, parse_conversion(spec))


def add_destination(world: World, name: str, connector: str, config: dict[str, Any], *,
                    secrets: dict[str, str] | None = None,
                    push: dict[str, Any] | None = None) -> ConnectionRecord:
    """A destination connection whose ``push`` block defaults to both standards."""
    block = push if push is not None else {"items": [{"standard": s} for s in STANDARDS]}
    return world.store.add_connection(world.tenant, name, connector,
                                      {**config, "push": block}, secrets or {})


def bulk_mastery(world: World) -> dict[tuple[str, str], float]:
    """Mastery of both :data:`STANDARDS` for every student in one statement (a big world);
    returns ``(learner, standard) -> score``."""
    from gateway.clock import utcnow
    from gateway.mastery.settings import DEFAULT_SETTINGS
    from gateway.store.learning_tables import mastery

    scores = {(u, s): round(((n * 37 + m * 11) % 97) / 96, 4)
              for n, u in enumerate(world.students) for m, s in enumerate(STANDARDS)}
    now = utcnow()
    with world.store.engine.begin() as conn:
        conn.execute(mastery.insert(), [
            {"tenant_id": world.tenant_id, "user_sourced_id": u, "standard": s, "score": v,
             "level": DEFAULT_SETTINGS.level(v), "method": "decaying_average",
             "evidence_count": 2, "last_evidence_at": "2026-11-20T10:00:00.000Z",
             "computed_at": now} for (u, s), v in scores.items()])
    return scores
