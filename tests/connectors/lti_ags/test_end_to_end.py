"""The push engine through lti-ags to the real test LMS: a school world's mastery pushed as
line items and scores to the courses teachers launched from, a second push that sends
nothing, a learner the LMS does not have, and a column a teacher deleted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.push.run import PushOptions, PushReport, push
from gateway.store.learning_tables import mastery
from gateway.store.store import Store
from tests.connectors.lti_ags.lms import launch_context, link_members
from tests.gateway.lti.platform import User
from tests.gateway.lti.services_live import live_platform
from tests.push.world import STANDARDS, TODAY, World, add_destination, build_world, set_mastery


def do_push(world: World) -> PushReport:
    connection = world.store.connection("district/lms")
    return asyncio.run(push(world.store, connection, PushOptions(today=TODAY)))


def expected(world: World, learner: str, standard: str) -> float:
    with world.store.engine.connect() as conn:
        score = conn.execute(sa.select(mastery.c.score).where(
            mastery.c.user_sourced_id == learner, mastery.c.standard == standard)).scalar_one()
    return round(float(score) * 100, 1)


def gradebook(live: Any) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(course, column label's code, LMS user) -> (scoreGiven, scoreMaximum), latest score
    per user on the columns the LMS still has."""
    columns = {item["id"]: (context.id, item["label"].split(":")[0])
               for context in live.platform.contexts.values()
               for item in context.line_items.values()}
    out = {}
    for score in live.platform.scores:
        if score["lineitem"] in columns:
            course, code = columns[score["lineitem"]]
            out[(course, code, score["userId"])] = (score["scoreGiven"], score["scoreMaximum"])
    return out


def test_mastery_reaches_the_lms_gradebook_once(sqlite_store: Store, tmp_path: Path) -> None:
    world = build_world(sqlite_store, tmp_path)
    with live_platform(sqlite_store) as live:
        for k, members in world.classes.items():
            # The LMS has every student but k2-s3, who is on the roster only.
            lms = [User(f"lms-{u}", name=u, email=f"{u}@example.org") for u in members
                   if u != "k2-s3"]
            live.platform.add_context(f"course-{k}", f"Math 5 {k}", lms)
            asyncio.run(link_members(live, f"course-{k}"))
            launch_context(live, k, f"course-{k}")
        add_destination(world, "lms", "lti-ags", {"registration": live.registration.name})

        report = do_push(world)
        assert report.status == "succeeded", report.message
        assert report.counts["assignments"] == {"created": 4}
        assert report.counts["grades"] == {"written": 10, "skipped": 2}  # k2-s3's two
        assert len(report.problems) == 2
        assert all("learner k2-s3" in p.message and "no linked LMS user" in p.message
                   for p in report.problems)
        held = gradebook(live)
        assert len(held) == 10
        for k, members in world.classes.items():
            for u in members:
                if u != "k2-s3":
                    given, maximum = held[(f"course-{k}", "3.NF.A.1", f"lms-{u}")]
                    assert (given, maximum) == (expected(world, u, STANDARDS[0]), 100)
        made = [item for c in live.platform.contexts.values() for item in c.line_items.values()]
        assert sorted(item["tag"] for item in made) == [f"standard:{s}" for s in STANDARDS
                                                        for _ in range(2)]

        posted = len(live.platform.scores)
        again = do_push(world)
        assert again.counts["assignments"] == {"unchanged": 4}
        assert again.counts["grades"]["unchanged"] == 10
        assert len(live.platform.scores) == posted

        # A teacher deletes course-k1's columns; a changed grade finds them gone.
        live.platform.contexts["course-k1"].line_items.clear()
        set_mastery(world, "k1-s2", STANDARDS[0], 0.44)
        remade = do_push(world)
        assert remade.status == "succeeded", remade.message
        assert remade.counts["assignments"]["recreated"] == 1
        held = gradebook(live)
        assert held[("course-k1", "3.NF.A.1", "lms-k1-s2")] == (44.0, 100)
        assert {u for (c, code, u) in held if (c, code) == ("course-k1", "3.NF.A.1")} == {
            f"lms-{u}" for u in world.classes["k1"]}
