"""Years of growth per year by each vendor's method, on constructed cases (missing windows,
retests, negative gains, partial years) and on the shared vendor samples, stored in
growth_results and recomputed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gateway.assessments import growth_of, recompute_growth
from gateway.store.learning_tables import growth_results
from gateway.store.store import Store
from tests.gateway.assessments.factories import add_result, sample_rows, us_date


def _by_learner(store: Store, tenant_id: int) -> dict[tuple[str, str], object]:
    with store.engine.begin() as conn:
        recompute_growth(conn, tenant_id)
    with store.engine.connect() as conn:
        return {(g.user_sourced_id, g.assessment): g for g in growth_of(conn, tenant_id)}


def test_map_growth_prefers_fall_to_spring_and_falls_back(store: Store) -> None:
    t = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        # u1: the vendor's FallToSpring block on the spring row; a fall retest not counted
        add_result(conn, t, "u1", "map-growth", "fall", "2026-09-10", scale_score=200,
                   vendor_growth={"TypicalFallToSpringGrowth": 8})
        add_result(conn, t, "u1", "map-growth", "fall", "2026-09-20", scale_score=150,
                   growth_measure=False)
        add_result(conn, t, "u1", "map-growth", "winter", "2027-01-15", scale_score=205)
        add_result(conn, t, "u1", "map-growth", "spring", "2027-05-10", scale_score=212,
                   vendor_growth={"FallToSpringObservedGrowth": "12",
                                  "TypicalFallToSpringGrowth": "8"})
        # u2: no spring; fall-to-winter from the RIT difference over the typical F-W growth
        add_result(conn, t, "u2", "map-growth", "fall", "2026-09-10", scale_score=200,
                   vendor_growth={"TypicalFallToWinterGrowth": 4})
        add_result(conn, t, "u2", "map-growth", "winter", "2027-01-15", scale_score=199)
        # u3: winter to spring, only a Fall-to-Spring typical: prorated by 15 weeks / 30
        add_result(conn, t, "u3", "map-growth", "winter", "2027-01-18", scale_score=210,
                   vendor_growth={"TypicalFallToSpringGrowth": 10})
        add_result(conn, t, "u3", "map-growth", "spring", "2027-05-03", scale_score=216)
        # u4: fall only
        add_result(conn, t, "u4", "map-growth", "fall", "2026-09-10", scale_score=190)
    found = _by_learner(store, t)
    u1 = found[("u1", "map-growth")]
    assert (u1.years, u1.from_window, u1.to_window) == (1.5, "fall", "spring")
    assert u1.method == "map-growth fall-to-spring: observed growth 12 RIT / typical growth 8 RIT"
    assert u1.detail["observed_source"] == "FallToSpringObservedGrowth"
    u2 = found[("u2", "map-growth")]
    assert (u2.years, u2.from_window, u2.to_window) == (-0.25, "fall", "winter")  # kept
    assert u2.detail["observed_source"] == "TestRITScore difference"
    u3 = found[("u3", "map-growth")]
    assert u3.detail["typical_source"] == "TypicalFallToSpringGrowth prorated"
    assert u3.detail["weeks"] == 15.0 and u3.years == pytest.approx(6 / (10 * 0.5), abs=1e-3)
    u4 = found[("u4", "map-growth")]
    assert u4.years is None and "tested only in fall (2026-09-10)" in (u4.reason or "")


def test_i_ready_gain_over_typical_prorated_by_weeks(store: Store) -> None:
    t = store.ensure_tenant("district").id
    yes = {"Baseline Diagnostic (Y/N)": "Y"}
    with store.engine.begin() as conn:
        # u1: a full year (38 weeks: counts as one year, not more)
        add_result(conn, t, "u1", "i-ready", "fall", "2026-08-31", scale_score=450,
                   payload=yes, vendor_growth={"Annual Typical Growth Measure": 20})
        add_result(conn, t, "u1", "i-ready", "spring", "2027-05-24", scale_score=480,
                   vendor_growth={"Diagnostic Gain": 30, "Annual Typical Growth Measure": 20})
        # u2: 15 weeks, a score drop the export reports as a gain of 0: negative, prorated
        add_result(conn, t, "u2", "i-ready", "fall", "2026-09-07", scale_score=500,
                   payload=yes, vendor_growth={"Annual Typical Growth Measure": 16})
        add_result(conn, t, "u2", "i-ready", "winter", "2026-12-21", scale_score=496,
                   vendor_growth={"Diagnostic Gain": 0, "Annual Typical Growth Measure": 16})
        # u3: 4 weeks apart: too short
        add_result(conn, t, "u3", "i-ready", "fall", "2026-09-07", scale_score=500,
                   payload=yes, vendor_growth={"Annual Typical Growth Measure": 16})
        add_result(conn, t, "u3", "i-ready", "fall", "2026-10-05", scale_score=520)
        # u4: baseline only; u5: a withdrawn later test does not count
        add_result(conn, t, "u4", "i-ready", "fall", "2026-09-07", scale_score=500, payload=yes)
        add_result(conn, t, "u5", "i-ready", "fall", "2026-09-07", scale_score=500, payload=yes)
        add_result(conn, t, "u5", "i-ready", "spring", "2027-05-07", scale_score=560,
                   status="tobedeleted", vendor_growth={"Annual Typical Growth Measure": 16})
    found = _by_learner(store, t)
    u1 = found[("u1", "i-ready")]
    assert (u1.years, u1.detail["share_of_year"]) == (1.5, 1.0)
    assert u1.method.startswith("i-ready: diagnostic gain 30 / annual typical growth 20")
    u2 = found[("u2", "i-ready")]
    assert u2.detail["reported_gain"] == 0 and u2.detail["gain"] == -4
    assert u2.years == pytest.approx(-4 / 16 / 0.5, abs=1e-3)
    assert (u2.from_window, u2.to_window) == ("fall", "winter")
    u3 = found[("u3", "i-ready")]
    assert u3.years is None and "4.0 weeks after the baseline" in (u3.reason or "")
    assert "at least 8 weeks" in (u3.reason or "")
    assert "only the baseline" in (found[("u4", "i-ready")].reason or "")
    assert found[("u5", "i-ready")].years is None


def test_i_ready_from_the_vendor_samples(store: Store) -> None:
    t = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        for subject, name in (("math", "math"), ("reading", "ela")):
            for row in sample_rows(f"i_ready/diagnostic_results_{name}_sample.csv"):
                add_result(conn, t, row["Student ID"], "i-ready", "fall", us_date(
                    row["Completion Date"]), subject=subject, school_year="2026",
                    scale_score=float(row["Overall Scale Score"]), payload=row,
                    vendor_growth={k: row[k] for k in ("Diagnostic Gain",
                                                       "Annual Typical Growth Measure")})
    with store.engine.begin() as conn:
        recompute_growth(conn, t)
    with store.engine.connect() as conn:
        found = {(g.user_sourced_id, g.subject): g for g in growth_of(conn, t)}
    # 605002 math: 496 on 8/28/2025 to 507 on 4/22/2026 (34 weeks: a year), typical 13
    assert found[("605002", "math")].years == pytest.approx(11 / 13, abs=1e-3)
    # 605001 math: 404 on 1/14 to 432 on 5/20/2026, 18 weeks = 0.6 of a year, typical 27
    assert found[("605001", "math")].years == pytest.approx(28 / 27 / 0.6, abs=1e-3)
    assert found[("605001", "reading")].detail["baseline_date"] == "2026-01-13"


def test_star_grade_equivalent_over_grade_placement(store: Store) -> None:
    t = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        add_result(conn, t, "u1", "star", "fall", "2026-09-15", grade_equivalent="4.2",
                   payload={"GradePlacement": "5.1"}, subject="reading")
        add_result(conn, t, "u1", "star", "winter", "2027-01-12", grade_equivalent="4.9",
                   payload={"GradePlacement": "5.5"}, subject="reading")
        add_result(conn, t, "u1", "star", "spring", "2027-05-11", grade_equivalent="5.6",
                   payload={"Grade Placement": "5.8"}, subject="reading")
        # u2: pre-primer to 1.4 over 0.7 of placement; u3: 5.0 to ">12.9" (at the ceiling)
        add_result(conn, t, "u2", "star", "fall", "2026-09-15", grade_equivalent="PP",
                   vendor_growth={"GradePlacement": 1.1}, subject="reading")
        add_result(conn, t, "u2", "star", "spring", "2027-05-11", grade_equivalent="1.4",
                   vendor_growth={"GradePlacement": 1.8}, subject="reading")
        add_result(conn, t, "u3", "star", "fall", "2026-09-15", grade_equivalent="12.0",
                   payload={"GradePlacement": "9.1"}, subject="reading")
        add_result(conn, t, "u3", "star", "spring", "2027-05-11", grade_equivalent=">12.9",
                   payload={"GradePlacement": "9.8"}, subject="reading")
        # u4: lower in spring; u5: three weeks apart; u6: once
        add_result(conn, t, "u4", "star", "fall", "2026-09-15", grade_equivalent="6.0",
                   payload={"GradePlacement": "6.1"})
        add_result(conn, t, "u4", "star", "spring", "2027-05-11", grade_equivalent="5.3",
                   payload={"GradePlacement": "6.8"})
        add_result(conn, t, "u5", "star", "fall", "2026-09-15", grade_equivalent="6.0",
                   payload={"GradePlacement": "6.1"})
        add_result(conn, t, "u5", "star", "fall", "2026-10-06", grade_equivalent="6.4",
                   payload={"GradePlacement": "6.2"})
        add_result(conn, t, "u6", "star", "fall", "2026-09-15", grade_equivalent="6.0")
    found = _by_learner(store, t)
    u1 = found[("u1", "star")]
    assert (u1.years, u1.from_window, u1.to_window) == (2.0, "fall", "spring")
    assert found[("u2", "star")].years == 2.0
    u3 = found[("u3", "star")]
    assert u3.years == pytest.approx(1.0 / 0.7, abs=1e-3) and u3.detail["at_ceiling"]
    assert found[("u4", "star")].years == -1.0
    assert "two school months" in (found[("u5", "star")].reason or "")
    assert "tested only once" in (found[("u6", "star")].reason or "")


def test_ixl_diagnostic_growth_over_100(store: Store) -> None:
    t = store.ensure_tenant("district").id
    with store.engine.begin() as conn:
        add_result(conn, t, "u1", "ixl", "fall", "2026-09-20",
                   vendor_growth={"Diagnostic growth - Math": "40"})
        add_result(conn, t, "u1", "ixl", "spring", "2027-05-20",
                   vendor_growth={"Diagnostic growth - Math": "160"})
        add_result(conn, t, "u2", "ixl", "spring", "2027-05-20", subject="reading",
                   vendor_growth={"Diagnostic growth - Math": "90",
                                  "Diagnostic growth - ELA": "-20"})
        add_result(conn, t, "u3", "ixl", "spring", "2027-05-20",
                   vendor_growth={"Diagnostic growth - Math": "--"})
    found = _by_learner(store, t)
    u1 = found[("u1", "ixl")]
    assert (u1.years, u1.method, u1.from_window, u1.to_window) == (
        1.6, "ixl: diagnostic growth 160 / 100", "fall", "spring")
    assert found[("u2", "ixl")].years == -0.2
    assert "no Diagnostic growth" in (found[("u3", "ixl")].reason or "")


def test_recompute_replaces_only_the_learners_asked_for(store: Store) -> None:
    t = store.ensure_tenant("district").id
    other = store.ensure_tenant("other").id
    with store.engine.begin() as conn:
        for tenant in (t, other):
            for learner in ("u1", "u2"):
                add_result(conn, tenant, learner, "ixl", "spring", "2027-05-20",
                           vendor_growth={"Diagnostic growth - Math": 100})
        add_result(conn, t, None, "ixl", "spring", "2027-05-20",  # not resolved yet
                   vendor_growth={"Diagnostic growth - Math": 100})
        assert recompute_growth(conn, t) == 2
        assert recompute_growth(conn, other) == 2
        conn.execute(sa.text("UPDATE assessment_results SET vendor_growth = :v WHERE "
                             "tenant_id = :t"), {"v": '{"Diagnostic growth - Math": 250}',
                                                 "t": t})
        assert recompute_growth(conn, t, users=["u2"]) == 1
        years = dict(conn.execute(sa.select(growth_results.c.user_sourced_id,
                                            growth_results.c.years)
                                  .where(growth_results.c.tenant_id == t)).all())
        assert years == {"u1": 1.0, "u2": 2.5}
        assert len(growth_of(conn, other)) == 2
