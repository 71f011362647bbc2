"""A learner's profile: roster facts, the mastery summary by subject and grade level,
placements, interventions, and edits of interests, aspirations, goals and languages."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gateway.learners import learner_facts, learner_profile, save_profile
from gateway.store.learning_tables import learner_profiles
from gateway.store.store import Store
from tests.gateway.learners.factories import (
    add_intervention,
    add_mastery,
    add_placement,
    insert_case,
    math_package,
    reading_package,
    roster,
    state_package,
)


def test_profile_summarizes_mastery_by_subject_and_grade(store: Store, tmp_path: Path) -> None:
    tid = roster(store, tmp_path, students={"u1": "05", "u2": "05"},
                 classes={"k1": ["u1", "u2"], "k2": ["u1"]})
    with store.engine.begin() as conn:
        for package in (math_package(), state_package(), reading_package()):
            insert_case(conn, tid, package)
        add_mastery(conn, tid, "u1", "m-4nfa1", 0.85, "meeting")
        add_mastery(conn, tid, "u1", "m-4nfb3", 0.50, "beginning")
        add_mastery(conn, tid, "u1", "m-5nfa1", 0.70, "approaching")
        add_mastery(conn, tid, "u1", "s-5nf1", 0.95, "exceeding")  # equal to 5.NF.A.1
        add_mastery(conn, tid, "u1", "r-05", 0.91, "exceeding")
        add_mastery(conn, tid, "u1", "gone", 0.91, "exceeding")  # not a standard here
        add_mastery(conn, tid, "u2", "m-4oaa1", 0.2, "beginning")  # someone else's
        add_placement(conn, tid, "u1", "math", "04", struggling=True)
        for day in range(1, 25):
            add_intervention(conn, tid, "u1", f"2026-10-{day:02d}T09:00:00Z",
                             standard="m-4nfb3")
        add_intervention(conn, tid, "u2", "2026-11-01T09:00:00Z")
        facts = learner_facts(conn, tid, "u1")
        assert facts is not None
        profile = learner_profile(conn, tid, facts)
    assert (facts.grades, facts.school, profile.school_name) == (("05",), "s1", "Harbor Middle")
    assert [(c.sourced_id, c.role, c.subjects) for c in profile.classes] == [
        ("k1", "student", ("Mathematics",)), ("k2", "student", ("Mathematics",))]
    ela, math = profile.mastery
    assert (ela.subject, ela.counts.assessed, ela.counts.share_mastered) == (
        "English Language Arts", 1, 1.0)
    assert math.subject == "Mathematics"
    # 5.NF.A.1 and the state's copy count once, at the better (exceeding).
    assert math.counts.levels == {"beginning": 1, "approaching": 0, "meeting": 1,
                                  "exceeding": 1}
    assert (math.counts.assessed, math.counts.mastered, math.counts.share_mastered) == (
        3, 2, 0.6667)
    assert {g: (c.assessed, c.mastered) for g, c in math.by_grade.items()} == {
        "04": (2, 1), "05": (1, 1)}
    assert list(math.by_grade) == ["04", "05"]
    assert [(p.subject, p.grade_level, p.struggling) for p in profile.placements] == [
        ("math", "04", True)]
    assert profile.intervention_total == 24 and len(profile.interventions) == 20
    assert profile.interventions[0].started_at == "2026-10-24T09:00:00Z"  # newest first
    assert profile.standard_codes == {"m-4nfb3": "4.NF.B.3"}
    assert profile.fields == dict.fromkeys(("interests", "aspirations", "goals",
                                            "languages"))


def test_profile_edits_replace_the_fields_sent_and_keep_the_rest(store: Store,
                                                                 tmp_path: Path) -> None:
    tid = roster(store, tmp_path)
    with store.engine.begin() as conn:
        save_profile(conn, tid, "u1", {"interests": ["robots", "soccer"],
                                       "languages": [{"language": "es", "use": "home"}]},
                     "north-it")
    with store.engine.begin() as conn:
        save_profile(conn, tid, "u1", {"goals": [{"text": "Fractions by March"}],
                                       "interests": None}, "coach")
    with store.engine.connect() as conn:
        facts = learner_facts(conn, tid, "u1")
        assert facts is not None
        profile = learner_profile(conn, tid, facts)
        rows = conn.execute(sa.select(sa.func.count()).select_from(learner_profiles)).scalar()
    assert profile.fields == {"interests": None, "aspirations": None,
                              "goals": [{"text": "Fractions by March"}],
                              "languages": [{"language": "es", "use": "home"}]}
    assert profile.updated_by == "coach" and profile.updated_at is not None
    assert rows == 1


def test_a_deleted_or_unknown_user_is_no_learner(store: Store, tmp_path: Path) -> None:
    tid = roster(store, tmp_path)
    other = roster(store, tmp_path, tenant="other", students={"u9": "03"})
    with store.engine.connect() as conn:
        assert learner_facts(conn, tid, "nobody") is None
        assert learner_facts(conn, tid, "u9") is None  # another tenant's
        assert learner_facts(conn, other, "u9") is not None
