"""Class views: the mastery grid and intervention coverage numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.learners import coverage, mastery_grid
from gateway.store.store import Store
from tests.gateway.learners.factories import (
    add_evidence,
    add_intervention,
    add_mastery,
    add_placement,
    insert_case,
    math_package,
    reading_package,
    roster,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def klass(store: Store, tmp_path: Path) -> tuple[Store, int]:
    # amy, ben, cal and dee are in k1; eve is in k2 only.
    tid = roster(store, tmp_path,
                 students=dict.fromkeys(("amy", "ben", "cal", "dee", "eve"), "05"),
                 classes={"k1": ["amy", "ben", "cal", "dee"], "k2": ["eve"]})
    with store.engine.begin() as conn:
        insert_case(conn, tid, math_package())
        insert_case(conn, tid, reading_package())
        for learner, standard, score, level in (
                ("amy", "m-5nfa1", 0.95, "exceeding"), ("amy", "m-4nfa1", 0.85, "meeting"),
                ("ben", "m-5nfa1", 0.40, "beginning"), ("cal", "m-4nfa1", 0.65, "approaching"),
                ("cal", "r-05", 0.30, "beginning"), ("eve", "m-8eea1", 0.9, "exceeding")):
            add_evidence(conn, tid, learner, standard, score)
            add_mastery(conn, tid, learner, standard, score, level)
        add_evidence(conn, tid, "dee", "m-6eea1", 0.5, status="tobedeleted")  # withdrawn
    return store, tid


def test_the_grid_has_the_class_students_by_the_standards_they_have_evidence_on(
        klass: tuple[Store, int]) -> None:
    store, tid = klass
    with store.engine.connect() as conn:
        grid = mastery_grid(conn, tid, "k1")
    assert [s.code for s in grid.standards] == ["4.NF.A.1", "5.NF.A.1", "RL.5.1"]
    assert [r.learner.sourced_id for r in grid.rows] == ["amy", "ben", "cal", "dee"]
    amy, ben, cal, dee = grid.rows
    assert {k: (c.level, c.score) for k, c in amy.cells.items()} == {
        "m-5nfa1": ("exceeding", 0.95), "m-4nfa1": ("meeting", 0.85)}
    assert (amy.mastered, amy.average) == (2, 0.9)
    assert (ben.mastered, ben.average, cal.mastered, cal.average) == (0, 0.4, 0, 0.475)
    assert (dee.cells, dee.mastered, dee.average) == ({}, 0, None)


@pytest.mark.parametrize(("sort", "order"), [
    ("name", ["amy", "ben", "cal", "dee"]),
    ("-name", ["dee", "cal", "ben", "amy"]),
    ("average", ["ben", "cal", "amy", "dee"]),  # who needs help first; no value last
    ("-average", ["amy", "cal", "ben", "dee"]),
    ("-mastered", ["amy", "ben", "cal", "dee"]),
    ("5.NF.A.1", ["ben", "amy", "cal", "dee"]),
    ("-m-4nfa1", ["amy", "cal", "ben", "dee"]),
])
def test_the_grid_sorts(klass: tuple[Store, int], sort: str, order: list[str]) -> None:
    store, tid = klass
    with store.engine.connect() as conn:
        grid = mastery_grid(conn, tid, "k1", sort=sort)
    assert [r.learner.sourced_id for r in grid.rows] == order


def test_the_grid_by_subject_and_a_bad_sort(klass: tuple[Store, int]) -> None:
    store, tid = klass
    with store.engine.connect() as conn:
        grid = mastery_grid(conn, tid, "k1", subject="reading")
        assert [s.code for s in grid.standards] == ["RL.5.1"]
        assert mastery_grid(conn, tid, "nowhere").rows == []
        with pytest.raises(ConfigError, match="cannot sort by 'shoe size': use one of name"):
            mastery_grid(conn, tid, "k1", sort="shoe size")


def test_coverage_counts_struggling_students_who_got_an_intervention(
        klass: tuple[Store, int]) -> None:
    store, tid = klass
    with store.engine.begin() as conn:
        add_placement(conn, tid, "dee", "reading", "03", system="readtool", struggling=True)
        add_placement(conn, tid, "amy", "math", "05", struggling=False)
        add_intervention(conn, tid, "ben", _ago(3))  # ben: beginning on 5.NF.A.1
        add_intervention(conn, tid, "ben", _ago(40))
        add_intervention(conn, tid, "cal", _ago(50))  # cal: beginning on RL.5.1, long ago
        add_intervention(conn, tid, "amy", _ago(10))  # amy is doing fine
        add_intervention(conn, tid, "eve", _ago(1))  # not in the class
        # dee: flagged by the reading tool; helped 27 days ago, on a date without a time
        add_intervention(conn, tid, "dee", (NOW - timedelta(days=27)).date().isoformat())
    with store.engine.connect() as conn:
        four = coverage(conn, tid, "k1", weeks=4, now=NOW)
        eight = coverage(conn, tid, "k1", weeks=8, now=NOW)
        math = coverage(conn, tid, "k1", weeks=4, now=NOW, subject="Mathematics")
    assert (four.students, four.struggling, len(four.covered), four.share) == (4, 3, 2, 0.6667)
    assert [r.learner.sourced_id for r in four.covered] == ["ben", "dee"]
    assert [r.learner.sourced_id for r in four.uncovered] == ["cal"]
    ben, dee = four.covered
    assert ben.struggling == ["beginning:5.NF.A.1"]
    assert [i.started_at for i in ben.interventions] == [_ago(3)]  # the window's only
    assert dee.struggling == ["placement:reading (readtool)"]
    assert four.uncovered[0].struggling == ["beginning:RL.5.1"]
    assert four.others_supported == 1  # amy
    assert four.since == NOW - timedelta(weeks=4)
    assert (eight.struggling, len(eight.covered), eight.share) == (3, 3, 1.0)
    assert [r.learner.sourced_id for r in math.covered + math.uncovered] == ["ben"]


def test_coverage_of_a_class_with_nobody_struggling(klass: tuple[Store, int]) -> None:
    store, tid = klass
    with store.engine.begin() as conn:
        add_intervention(conn, tid, "eve", _ago(1))
    with store.engine.connect() as conn:
        found = coverage(conn, tid, "k2", weeks=2, now=NOW)
    assert (found.students, found.struggling, found.share, found.others_supported) == (
        1, 0, None, 1)
