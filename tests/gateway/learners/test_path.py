"""The learning path on a small CASE framework: unmastered prerequisites below grade level
come first, mastered ones are skipped, a tool's lower placement lowers the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.learners import SubjectPath, learner_facts, learning_path
from gateway.store.store import Store
from tests.gateway.learners.factories import (
    add_mastery,
    add_placement,
    insert_case,
    math_package,
    reading_package,
    roster,
    state_package,
)


def _path(store: Store, tenant_id: int, learner: str, subject: str | None = "Mathematics",
          limit: int = 10) -> list[SubjectPath]:
    with store.engine.connect() as conn:
        facts = learner_facts(conn, tenant_id, learner)
        assert facts is not None
        return learning_path(conn, tenant_id, facts, subject=subject, limit=limit)


def _codes(path: SubjectPath) -> list[tuple[str | None, str]]:
    return [(e.standard.code, e.reason) for e in path.entries]


@pytest.fixture
def world(store: Store, tmp_path: Path) -> tuple[Store, int]:
    tid = roster(store, tmp_path, students={"u5": "05", "u8": "08", "nograde": "",
                                            "ahead": "05"})
    with store.engine.begin() as conn:
        insert_case(conn, tid, math_package())
        insert_case(conn, tid, reading_package())
    return store, tid


def test_unmastered_prerequisites_below_grade_come_first_and_mastered_are_skipped(
        world: tuple[Store, int]) -> None:
    store, tid = world
    with store.engine.begin() as conn:
        add_mastery(conn, tid, "u5", "m-3nfa1", 0.85, "meeting")
        add_mastery(conn, tid, "u5", "m-3nfa2", 0.40, "beginning")
        add_mastery(conn, tid, "u5", "m-4nfa1", 0.70, "approaching")
        add_mastery(conn, tid, "u5", "m-4nfb3", 0.95, "exceeding")
        add_mastery(conn, tid, "u5", "m-5oaa1", 0.82, "meeting")
    [path] = _path(store, tid, "u5", limit=4)
    assert (path.subject, path.grade, path.start_grade, path.placement) == (
        "Mathematics", "05", "05", None)
    # 5.NF.A.1 needs 4.NF.A.1 (approaching), which needs the cluster 3.NF.A: of its two
    # items only 3.NF.A.2 is not mastered. 5.NF.B.3's prerequisite 4.NF.B.3 is mastered,
    # so the walk stops there; 5.OA.A.1 is mastered and is not on the path at all.
    assert _codes(path) == [("3.NF.A.2", "prerequisite"), ("4.NF.A.1", "prerequisite"),
                            ("5.NF.A.1", "grade_level"), ("5.NF.B.3", "grade_level")]
    first, second, third, _ = path.entries
    assert first.prerequisite_of == ("m-4nfa1",) and second.prerequisite_of == ("m-5nfa1",)
    assert first.why == ("prerequisite of 4.NF.A.1 (below grade level); not mastered yet "
                         "(beginning)")
    assert third.why == "at grade level (05); no evidence yet"
    assert first.mastery is not None and first.mastery.score == 0.40
    assert path.more  # grade 6 and 8 follow


def test_the_path_goes_on_above_grade_level_once_grade_level_is_listed(
        world: tuple[Store, int]) -> None:
    store, tid = world
    with store.engine.begin() as conn:
        for standard in ("m-5nfa1", "m-5nfb3", "m-5oaa1"):
            add_mastery(conn, tid, "ahead", standard, 0.92, "exceeding")
    [path] = _path(store, tid, "ahead")
    assert _codes(path) == [("6.EE.A.1", "ahead"), ("8.EE.A.1", "ahead")]
    assert not path.more
    assert path.entries[0].why.startswith("above grade level (06)")


def test_a_lower_placement_starts_a_grade_8_learner_at_grade_4(
        world: tuple[Store, int]) -> None:
    store, tid = world
    with store.engine.begin() as conn:
        add_placement(conn, tid, "u8", "math", "04", system="mathtool", struggling=True)
        add_placement(conn, tid, "u8", "reading", "02", system="readtool")
        add_mastery(conn, tid, "u8", "m-4oaa1", 0.81, "meeting")
    [path] = _path(store, tid, "u8", limit=5)
    assert (path.grade, path.start_grade) == ("08", "04")
    assert path.placement is not None and path.placement.system == "mathtool"
    assert _codes(path) == [("3.NF.A.1", "prerequisite"), ("3.NF.A.2", "prerequisite"),
                            ("4.NF.A.1", "placement"), ("4.NF.B.3", "placement"),
                            ("5.NF.A.1", "placement")]
    assert path.entries[0].prerequisite_of == ("m-4nfa1",)  # through the cluster 3.NF.A
    assert path.entries[2].why == ("below grade level: mathtool placed the learner at grade "
                                   "04 in math; no evidence yet")
    assert path.more
    # The reading placement lowers the ELA path, not the math one.
    [ela] = _path(store, tid, "u8", subject="ela")
    assert (ela.subject, ela.start_grade) == ("English Language Arts", "02")
    assert _codes(ela) == [("RL.2.1", "placement"), ("RL.5.1", "placement"),
                           ("RL.8.1", "grade_level")]


def test_a_higher_placement_does_not_raise_the_start(world: tuple[Store, int]) -> None:
    store, tid = world
    with store.engine.begin() as conn:
        add_placement(conn, tid, "u5", "Mathematics", "07")
    [path] = _path(store, tid, "u5", limit=1)
    assert (path.start_grade, path.placement) == ("05", None)


def test_mastery_of_an_equal_item_counts_and_equal_items_appear_once(
        world: tuple[Store, int]) -> None:
    store, tid = world
    with store.engine.begin() as conn:
        insert_case(conn, tid, state_package())
        add_mastery(conn, tid, "u5", "s-5nf1", 0.9, "exceeding")  # the state's copy
    [path] = _path(store, tid, "u5")
    codes = [code for code, _ in _codes(path)]
    assert "5.NF.A.1" not in codes and "ST.5.NF.1" not in codes
    assert "4.NF.A.1" not in codes  # only 5.NF.A.1 needed it
    [path] = _path(store, tid, "ahead")  # masters neither: one of the two is on the path
    codes = [code for code, _ in _codes(path)]
    assert codes.count("5.NF.A.1") + codes.count("ST.5.NF.1") == 1


def test_every_subject_when_none_is_asked_for(world: tuple[Store, int]) -> None:
    store, tid = world
    paths = _path(store, tid, "u5", subject=None, limit=2)
    assert [p.subject for p in paths] == ["English Language Arts", "Mathematics"]
    assert _codes(paths[0]) == [("RL.2.1", "prerequisite"), ("RL.5.1", "grade_level")]


def test_what_the_path_cannot_start_from_is_said(world: tuple[Store, int]) -> None:
    store, tid = world
    with pytest.raises(ConfigError, match="no grade in the roster"):
        _path(store, tid, "nograde")
    with pytest.raises(ConfigError, match="no grade in the roster"):
        _path(store, tid, "nograde", subject=None)
    with store.engine.begin() as conn:
        add_placement(conn, tid, "nograde", "math", "05")
    # Every subject: only math has a start now.
    assert [p.subject for p in _path(store, tid, "nograde", subject=None)] == ["Mathematics"]
    [path] = _path(store, tid, "nograde")
    placed = [e for e in path.entries if e.reason != "prerequisite"]
    assert (path.start_grade, placed[0].standard.code, placed[0].reason) == (
        "05", "5.NF.A.1", "placement")
    assert placed[0].why.startswith("no grade in the roster; mathtool placed")
    with pytest.raises(ConfigError, match="subjects with standards: English Language Arts, "
                                          "Mathematics"):
        _path(store, tid, "u5", subject="Music")


def test_a_cycle_in_the_data_does_not_hang_the_path(store: Store, tmp_path: Path) -> None:
    tid = roster(store, tmp_path, students={"u1": "04"})
    package = math_package()
    package["CFAssociations"].append({"identifier": "loop", "associationType": "precedes",
                                      "originNodeURI": {"identifier": "m-4nfa1"},
                                      "destinationNodeURI": {"identifier": "m-3nfa1"}})
    with store.engine.begin() as conn:
        insert_case(conn, tid, package)
    [path] = _path(store, tid, "u1")
    codes = [code for code, _ in _codes(path)]
    assert sorted(codes[:5]) == ["3.NF.A.1", "3.NF.A.2", "4.NF.A.1", "4.NF.B.3", "4.OA.A.1"]
    assert len(codes) == len(set(codes))
