"""The push engine against the test gradebook over real HTTP: plans, the ledger's
exactly-once promise through lost answers, retries and crashes, deleted assignments,
grading periods and grade conversions. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.push.ledger import grade_statuses
from gateway.push.run import PushOptions, PushReport, push
from gateway.store.push_tables import push_ledger
from gateway.store.store import Store
from tests.helpers import serve_app
from tests.push.gradebook import NAME, Gradebook
from tests.push.world import (
    STANDARDS,
    TODAY,
    World,
    add_activity,
    add_destination,
    build_world,
    set_conversion,
    set_mastery,
)


@pytest.fixture
def world(store: Store, tmp_path: Path, gradebook_plugin: str) -> World:
    return build_world(store, tmp_path)


@pytest.fixture
def lms(world: World) -> Iterator[tuple[Gradebook, str]]:
    gradebook = Gradebook(world.classes)
    with serve_app(gradebook.app) as url:
        yield gradebook, url


def destination(world: World, url: str, **push_block: Any) -> str:
    block = {"items": [{"standard": s} for s in STANDARDS], **push_block}
    add_destination(world, "lms", NAME, {"base_url": url}, secrets={"token": "secret"},
                    push=block)
    return f"{world.tenant}/lms"


def do_push(world: World, name: str = "district/lms", **options: Any) -> PushReport:
    connection = world.store.connection(name)
    return asyncio.run(push(world.store, connection,
                            PushOptions(today=options.pop("today", TODAY), **options)))


def expected(world: World, learner: str, standard: str) -> float:
    from gateway.store.learning_tables import mastery
    with world.store.engine.connect() as conn:
        score = conn.execute(sa.select(mastery.c.score).where(
            mastery.c.user_sourced_id == learner, mastery.c.standard == standard)).scalar_one()
    return round(float(score) * 100, 1)


def lms_grades(gradebook: Gradebook) -> dict[tuple[str, str], float]:
    """(class, learner) per standard title prefix -> grade, over live assignments."""
    out = {}
    for (assignment_id, user), score in gradebook.grades.items():
        a = gradebook.assignments[assignment_id]
        out[(a["course"] + ":" + a["title"].split(":")[0], user)] = score
    return out


def test_a_dry_run_plans_and_writes_nothing(world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    report = do_push(world, dry_run=True)
    assert report.status == "dry_run"
    assert report.counts["assignments"] == {"create": 4}
    assert report.counts["grades"] == {"write": 12}
    assert any("create" in line and "3.NF.A.1" in line and "Q2" in line
               for line in report.plan)
    assert gradebook.assignments == {} and gradebook.writes == 0


def test_first_push_writes_every_grade_and_a_second_writes_nothing(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    report = do_push(world)
    assert report.status == "succeeded", report.message
    assert report.counts["assignments"] == {"created": 4}
    assert report.counts["grades"] == {"written": 12}
    assert len(gradebook.live()) == 4 and max(gradebook.made.values()) == 1
    grades = lms_grades(gradebook)
    for k, members in world.classes.items():
        for u in members:
            assert grades[(f"{k}:3.NF.A.1", u)] == expected(world, u, "m-3nfa1")
    again = do_push(world)
    assert again.status == "succeeded"
    assert again.counts["assignments"] == {"unchanged": 4}
    assert again.counts["grades"] == {"unchanged": 12}
    assert gradebook.writes == 12


def test_only_changed_scores_are_sent(world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    do_push(world)
    set_mastery(world, "k1-s1", "m-3nfa1", 0.91)
    report = do_push(world)
    assert report.counts["grades"] == {"written": 1, "unchanged": 11}
    assert lms_grades(gradebook)[("k1:3.NF.A.1", "k1-s1")] == 91.0
    with world.store.engine.connect() as conn:
        statuses, total = grade_statuses(conn, world.store.connection("district/lms").id,
                                         user_sourced_id="k1-s1")
    assert total == 2 and {s.status for s in statuses} == {"sent"}


def test_lost_answers_and_retries_write_each_grade_once(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url, concurrency=1)
    gradebook.lose_answers(3)  # the first POST lands, its answer is lost; then two PUTs
    gradebook.fail_next(429, 2)
    report = do_push(world)
    assert report.status == "succeeded", report.message
    assert max(gradebook.made.values()) == 1, gradebook.made  # no duplicate assignment
    assert len(gradebook.live()) == 4
    assert len(gradebook.grades) == 12


def test_a_crash_between_write_and_ledger_resends_the_same_value_once(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    do_push(world)
    set_mastery(world, "k2-s3", "m-4nfa1", 0.33)
    # The LMS applies the write; the answer never arrives; every retry fails too: the push
    # ends with the grade pending, as if the worker had died after the write.
    gradebook.lose_answers(1)
    gradebook.fail_next(500, 2)
    first = do_push(world)
    assert first.status == "failed" and first.counts["grades"]["failed"] == 1
    assert lms_grades(gradebook)[("k2:4.NF.A.1", "k2-s3")] == 33.0  # it landed
    with world.store.engine.connect() as conn:
        pending = conn.execute(sa.select(push_ledger.c.timestamp).where(
            push_ledger.c.status == "pending")).scalars().all()
    assert len(pending) == 1
    dry = do_push(world, dry_run=True)
    assert dry.counts["grades"] == {"resend": 1, "unchanged": 11}
    second = do_push(world)
    assert second.status == "succeeded" and second.counts["grades"] == {"written": 1,
                                                                         "unchanged": 11}
    with world.store.engine.connect() as conn:
        rows = conn.execute(sa.select(push_ledger.c.status, push_ledger.c.timestamp,
                                      push_ledger.c.attempts)
                            .where(push_ledger.c.user_sourced_id == "k2-s3")
                            .order_by(push_ledger.c.id)).all()
    # One ledger row for the changed grade, sent on its second attempt with its timestamp.
    assert rows[-1].timestamp == pending[0] and rows[-1].attempts == 2
    assert len(gradebook.grades) == 12


def test_a_pending_assignment_is_found_not_made_twice(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url, concurrency=1)
    gradebook.lose_answers(1)  # the first creation lands, the answer is lost
    gradebook.fail_next(500, 3, reads=True)  # the lookup after it fails: it stays pending
    first = do_push(world)
    assert first.status == "failed"
    second = do_push(world)
    assert second.status == "succeeded", second.message
    assert second.counts["assignments"].get("found") == 1
    assert max(gradebook.made.values()) == 1 and len(gradebook.live()) == 4
    assert len(gradebook.grades) == 12


@pytest.mark.parametrize("policy", ["recreate", "report"])
def test_an_assignment_deleted_in_the_lms(world: World, lms: tuple[Gradebook, str],
                                          policy: str) -> None:
    gradebook, url = lms
    destination(world, url, on_deleted=policy)
    do_push(world)
    victim = next(a for a in gradebook.live() if a["course"] == "k1"
                  and a["title"].startswith("3.NF.A.1"))
    gradebook.delete(victim["id"])
    set_mastery(world, "k1-s2", "m-3nfa1", 0.44)  # a change reveals the deletion
    report = do_push(world)
    if policy == "recreate":
        assert report.status == "succeeded", report.message
        assert report.counts["assignments"]["recreated"] == 1
        assert len(gradebook.live()) == 4
        grades = lms_grades(gradebook)
        assert {u for (t, u) in grades if t == "k1:3.NF.A.1"} == set(world.classes["k1"])
        assert grades[("k1:3.NF.A.1", "k1-s2")] == 44.0
        assert do_push(world).counts["grades"] == {"unchanged": 12}
    else:
        assert report.counts["assignments"]["gone"] == 1
        assert report.counts["grades"]["held"] == 1
        assert any("on_deleted is report" in p.message for p in report.problems)
        assert len(gradebook.live()) == 3
        later = do_push(world)
        assert later.counts["assignments"] == {"gone": 1, "unchanged": 3}
        assert later.counts["grades"]["held"] == 3


def test_grades_go_to_the_open_grading_period_only(world: World,
                                                   lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    from datetime import date
    q1 = do_push(world, today=date(2026, 10, 15))
    assert q1.status == "succeeded"
    assert all(a["title"].endswith("(Q1)") for a in gradebook.live())
    q2 = do_push(world, today=TODAY)
    # Q1 is closed: its assignments get nothing more; Q2's are made and written.
    assert q2.counts["assignments"] == {"created": 4}
    assert sum(a["title"].endswith("(Q2)") for a in gradebook.live()) == 4
    summer = do_push(world, today=date(2027, 7, 1))
    assert summer.counts["assignments"] == {} and summer.counts["grades"] == {}
    assert any("no grading period is open" in p.message for p in summer.problems)


def test_the_lms_locking_a_period_holds_the_grade(world: World,
                                                  lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url)
    do_push(world)
    for a in gradebook.live():
        gradebook.closed.add(a["id"])
    set_mastery(world, "k1-s1", "m-3nfa1", 0.12)
    report = do_push(world)
    assert report.status == "succeeded"
    assert report.counts["grades"] == {"held": 1, "unchanged": 11}
    assert do_push(world).counts["grades"] == {"held": 1, "unchanged": 11}
    assert gradebook.writes == 12


def test_conversion_per_tenant_and_per_course(world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url, items=[{"standard": "3.NF.A.1"}])
    set_conversion(world, {"kind": "levels", "maximum": 4,
                           "levels": {"1": 1, "2": 2, "3": 3, "4": 4}})
    do_push(world)
    assert set(gradebook.grades.values()) <= {1.0, 2.0, 3.0, 4.0}
    assert all(a["points"] == 4 for a in gradebook.live())
    set_conversion(world, {"kind": "levels", "maximum": 100,
                           "levels": {"beginning": 55, "approaching": 70, "meeting": 85,
                                      "exceeding": 100}}, course="c1")
    report = do_push(world)
    # A new maximum makes new assignments: the LMS would refuse 85 on a scale of 4.
    assert report.status == "succeeded", report.message
    assert report.counts["assignments"] == {"created": 2}
    assert set(gradebook.grades.values()) & {55.0, 70.0, 85.0, 100.0}


def test_an_activity_item_pushes_the_latest_score(world: World,
                                                  lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    destination(world, url, items=[{"activity": "Lesson", "system": "mathtool"}])
    add_activity(world, "k1-s1", 0.5)
    add_activity(world, "k1-s1", 0.75)
    report = do_push(world)
    assert report.counts == {"assignments": {"created": 1}, "grades": {"written": 1}}
    assert list(gradebook.grades.values()) == [75.0]


def test_a_learner_the_lms_does_not_know_is_skipped_and_reported(
        world: World, lms: tuple[Gradebook, str]) -> None:
    gradebook, url = lms
    gradebook.courses["k1"].discard("k1-s1")
    destination(world, url)
    report = do_push(world)
    assert report.status == "succeeded"
    assert report.counts["grades"] == {"written": 10, "skipped": 2}
    assert any(p.column == "k1-s1" and "not in the course" in p.message
               for p in report.problems)


def test_an_unknown_after_connection_is_reported(world: World,
                                                 lms: tuple[Gradebook, str]) -> None:
    _, url = lms
    destination(world, url, after=["roster", "sis-typo"])
    report = do_push(world)
    assert report.status == "succeeded"
    assert [p.column for p in report.problems if p.source == "push.after"] == ["sis-typo"]


def test_bad_push_settings_fail_with_the_field_named(world: World,
                                                     lms: tuple[Gradebook, str]) -> None:
    _, url = lms
    destination(world, url, items=[{"standard": "9.ZZ.9"}])
    report = do_push(world)
    assert report.status == "failed"
    assert "push.items[0].standard '9.ZZ.9'" in (report.message or "")
