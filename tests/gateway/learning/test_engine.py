"""Tool records through a real run: a test tool connector (a plugin) over a store holding a
small district, on both databases. Evidence lands resolved and aligned, unknown learners land
unresolved for review, an email two users share is a conflict, confirming a link backfills
its rows, a repeated run changes nothing, and a garbage record is skipped and reported
without losing what is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.identity import confirm, for_review
from gateway.mastery import recompute
from gateway.sample.district import write_district
from gateway.standards.crosswalk import Crosswalk
from gateway.standards.store import import_package
from gateway.store.learning_tables import evidence, interventions, mastery, placements
from gateway.store.store import Store
from gateway.store.tables import stream_tables
from tests.helpers import counts, csv_connection, run

STD_A, STD_B = "b1c2-rl-4-1", "b1c2-rl-4-2"
PACKAGE = {
    "CFDocument": {"identifier": "b1c2-ela", "title": "Harbor ELA"},
    "CFItems": [{"identifier": STD_A, "humanCodingScheme": "RL.4.1", "fullStatement": "Refer "
                 "to details.", "educationLevel": ["04"]},
                {"identifier": STD_B, "humanCodingScheme": "RL.4.2", "fullStatement": "Theme.",
                 "educationLevel": ["04"]}],
    "CFAssociations": [],
}


class District:
    def __init__(self, store: Store, tmp_path: Path, plugin: str) -> None:
        self.store = store
        write_district(tmp_path / "sis", 40, gradebook=False, demographics=False)
        csv_connection(store, tmp_path / "sis")
        assert run(store).status == "succeeded"
        self.tenant_id = store.tenant("district").id
        users = stream_tables["users"]
        with store.engine.begin() as conn:
            self.students = [dict(r._mapping) for r in conn.execute(
                sa.select(users.c.sourced_id, users.c.username, users.c.email,
                          users.c.identifier).where(users.c.sourced_id.like("stu-%"))
                .order_by(users.c.sourced_id).limit(4))]
            # Two users share an email: the rules must not pick one.
            conn.execute(users.update().where(
                users.c.sourced_id == self.students[3]["sourced_id"])
                .values(email=self.students[2]["email"]))
            import_package(conn, self.tenant_id, PACKAGE, "ela.json")
            Crosswalk.set(conn, self.tenant_id, "reader", "READ.DETAILS", STD_A, 1.0)
            Crosswalk.set(conn, self.tenant_id, "reader", "READ.THEME", STD_B, 0.3)
        self.feed = tmp_path / "feed.json"
        store.add_connection("district", "reader", plugin, {"path": str(self.feed)}, {})

    def write(self, records: dict[str, list[dict[str, Any]]]) -> None:
        self.feed.write_text(json.dumps(records))

    def sid(self, n: int) -> str:
        return str(self.students[n]["sourced_id"])


def feed(d: District) -> dict[str, list[dict[str, Any]]]:
    s = d.students
    return {
        "toolEvidence": [
            {"source_key": "e1", "learner": s[0]["username"], "skill_code": "READ.DETAILS",
             "raw_score": "80", "scale": "percent", "observed_at": "2026-11-02T10:00:00Z",
             "usage_minutes": 12, "payload": {"id": "e1"}},
            {"source_key": "e2", "learner": s[1]["identifier"], "learner_id_kind": "state_id",
             "skill_code": "READ.DETAILS", "raw_score": 3, "scale": "rubric:1-4",
             "observed_at": "2026-11-02"},
            {"source_key": "e3", "learner": "T-404", "learner_id_kind": "tool_id",
             "skill_code": "READ.DETAILS", "raw_score": "90", "scale": "percent",
             "observed_at": "2026-11-03T09:00:00+02:00"},
            {"source_key": "e4", "learner": s[2]["email"].upper(), "learner_id_kind": "email",
             "skill_code": "READ.THEME", "raw_score": "50", "scale": "percent",
             "observed_at": "2026-11-03T09:00:00Z"},
            {"source_key": "e5", "learner": s[0]["username"], "raw_score": "lots",
             "scale": "percent", "observed_at": "2026-11-04T09:00:00Z"},
            {"source_key": "e6", "learner": s[0]["username"], "raw_score": "10",
             "scale": "percent"},
        ],
        "toolInterventions": [
            {"source_key": "i1", "learner": s[0]["username"], "kind": "small group",
             "skill_code": "READ.DETAILS", "given_by": "Ms. Rivera",
             "started_at": "2026-11-05T09:00:00Z", "minutes": 20},
        ],
        "toolPlacements": [
            {"learner": s[0]["username"], "subject": "Reading", "grade_level": "3",
             "struggling": "yes", "observed_at": "2026-11-01T00:00:00Z"},
            {"learner": "T-404", "learner_id_kind": "tool_id", "subject": "Reading",
             "grade_level": "K", "struggling": False, "observed_at": "2026-11-01T00:00:00Z"},
        ],
    }


@pytest.fixture
def district(store: Store, tmp_path: Path, tool_plugin: str) -> District:
    return District(store, tmp_path, tool_plugin)


def _evidence(d: District) -> dict[str, tuple[Any, ...]]:
    e = evidence
    with d.store.engine.connect() as conn:
        return {r.source_key: (r.user_sourced_id, r.standard, r.score, r.status)
                for r in conn.execute(sa.select(e))}


def _mastery(d: District) -> dict[tuple[str, str], tuple[float, int]]:
    with d.store.engine.connect() as conn:
        return {(r.user_sourced_id, r.standard): (r.score, r.evidence_count)
                for r in conn.execute(sa.select(mastery))}


def test_a_tool_run_lands_evidence_links_and_problems(district: District) -> None:
    d = district
    d.write(feed(d))
    report = run(d.store, "district/reader")
    assert report.status == "succeeded", report.message
    got = counts(report)
    assert got["toolEvidence"] == {"added": 4, "updated": 0, "unchanged": 0, "deleted": 0,
                                   "skipped": 2}
    assert got["toolInterventions"]["added"] == 1 and got["toolPlacements"]["added"] == 2
    assert got["identityLinks"] == {"added": 4, "updated": 0, "unchanged": 0, "deleted": 0,
                                    "skipped": 2}
    assert _evidence(d) == {
        "e1": (d.sid(0), STD_A, 0.8, "active"),
        "e2": (d.sid(1), STD_A, pytest.approx(2 / 3), "active"),
        "e3": (None, STD_A, 0.9, "active"),  # T-404: nobody yet
        "e4": (None, None, 0.5, "active"),  # a conflict; READ.THEME is aligned too weakly
    }
    problems = sorted((p.line, p.column, p.message) for p in report.problems)
    assert [p[:2] for p in problems] == [(5, "raw_score"), (6, "observed_at")]
    assert "'lots' is not a number" in problems[0][2]
    assert d.store.run(report.run_id).problem_count == 2  # type: ignore[union-attr]
    assert _mastery(d) == {(d.sid(0), STD_A): (0.8, 1),
                           (d.sid(1), STD_A): (pytest.approx(2 / 3), 1)}
    with d.store.engine.connect() as conn:
        waiting = {link.external_id: link for link in for_review(conn, d.tenant_id)}
        placed = conn.execute(sa.select(placements.c.user_sourced_id, placements.c.grade_level,
                                        placements.c.struggling)
                              .order_by(placements.c.grade_level)).all()
        given = conn.execute(sa.select(interventions.c.kind, interventions.c.standard)).all()
    assert set(waiting) == {"T-404", d.students[2]["email"].upper()}
    assert waiting["T-404"].status == "unmatched"
    conflict = waiting[d.students[2]["email"].upper()]
    assert conflict.status == "conflict"
    assert d.sid(2) in (conflict.detail or "") and d.sid(3) in (conflict.detail or "")
    assert placed == [(d.sid(0), "03", True), (None, "KG", False)]
    assert given == [("small-group", STD_A)]


def test_a_repeated_run_changes_nothing_and_confirming_backfills(district: District) -> None:
    d = district
    d.write(feed(d))
    run(d.store, "district/reader")
    before = _evidence(d)
    again = run(d.store, "district/reader")
    got = counts(again)
    assert got["toolEvidence"]["unchanged"] == 4 and got["toolEvidence"]["added"] == 0
    assert got["toolEvidence"]["updated"] == 0
    assert got["toolPlacements"]["unchanged"] == 2 and got["toolInterventions"]["unchanged"] == 1
    assert again.writes == 0 and again.version is None
    assert _evidence(d) == before
    with d.store.engine.begin() as conn:
        link = next(x for x in for_review(conn, d.tenant_id) if x.external_id == "T-404")
        confirm(conn, d.tenant_id, link.id, d.sid(2), recompute=recompute)
    assert _evidence(d)["e3"] == (d.sid(2), STD_A, 0.9, "active")
    assert _mastery(d)[(d.sid(2), STD_A)] == (0.9, 1)
    with d.store.engine.connect() as conn:
        assert conn.execute(sa.select(placements.c.user_sourced_id).where(
            placements.c.grade_level == "KG")).scalar() == d.sid(2)
    third = run(d.store, "district/reader")
    assert counts(third)["toolEvidence"]["unchanged"] == 4 and third.writes == 0


def test_a_garbage_record_is_skipped_and_stored_evidence_kept(district: District) -> None:
    d = district
    records = feed(d)
    d.write(records)
    run(d.store, "district/reader")
    records["toolEvidence"][0] = {**records["toolEvidence"][0], "raw_score": "eighty"}
    records["toolEvidence"][1] = {**records["toolEvidence"][1], "raw_score": "4"}
    d.write(records)
    report = run(d.store, "district/reader")
    assert report.status == "succeeded"
    assert counts(report)["toolEvidence"]["updated"] == 1
    assert (report.problems[0].line, report.problems[0].column) == (1, "raw_score")
    stored = _evidence(d)
    assert stored["e1"] == (d.sid(0), STD_A, 0.8, "active")  # as the first run left it
    assert stored["e2"][2] == 1.0
    assert _mastery(d)[(d.sid(1), STD_A)] == (1.0, 1)


def test_a_withdrawn_record_and_a_bulk_feed(district: District, store: Store) -> None:
    d = district
    records = feed(d)
    d.write(records)
    run(d.store, "district/reader")
    records["toolEvidence"][0] = {**records["toolEvidence"][0], "status": "tobedeleted"}
    d.write(records)
    report = run(d.store, "district/reader")
    assert counts(report)["toolEvidence"]["deleted"] == 1
    assert _evidence(d)["e1"][3] == "tobedeleted"
    assert (d.sid(0), STD_A) not in _mastery(d)
    # A bulk feed is the tool's whole record: what it no longer sends is withdrawn, unless
    # that is too much of it.
    connection = store.connection("district/reader")
    store.update_connection(connection, config={**connection.config, "mode": "bulk"})
    d.write({"toolEvidence": records["toolEvidence"][1:2]})
    held = run(d.store, "district/reader")
    assert held.status == "held" and "would withdraw 2 of 3" in (held.message or "")
    approved = run(d.store, "district/reader", approve_deletions=True)
    assert approved.status == "succeeded"
    assert counts(approved)["toolEvidence"]["deleted"] == 2
    assert {k for k, v in _evidence(d).items() if v[3] == "active"} == {"e2"}


def test_the_connections_identity_section_overrides_the_mapping(district: District,
                                                               store: Store) -> None:
    d = district
    connection = store.connection("district/reader")
    store.update_connection(connection, config={
        **connection.config, "identity": {"learner_id_kind": "sis_id",
                                          "match": {"sis_id": ["sourcedId"]}}})
    d.write({"toolEvidence": [{"source_key": "x1", "learner": d.sid(1),
                               "skill_code": "READ.DETAILS", "raw_score": "70",
                               "scale": "percent", "observed_at": "2026-11-02"}]})
    report = run(d.store, "district/reader")
    assert _evidence(d)["x1"][0] == d.sid(1), report.problems
    store.update_connection(connection, config={
        **connection.config, "identity": {"match": {"sis_id": ["badge"]}}})
    bad = run(d.store, "district/reader")
    assert bad.status == "failed"
    assert "connection district/reader: identity.match.sis_id: 'badge'" in (bad.message or "")


def test_a_learner_added_to_the_roster_is_matched_on_the_next_run(district: District) -> None:
    d = district
    d.write({"toolEvidence": [{"source_key": "n1", "learner": "new.kid", "skill_code":
                               "READ.DETAILS", "raw_score": "60", "scale": "percent",
                               "observed_at": "2026-11-02"}],
             "toolPlacements": [{"learner": "new.kid", "subject": "Reading",
                                 "grade_level": "04", "observed_at": "2026-11-02"}]})
    first = run(d.store, "district/reader")
    assert counts(first)["identityLinks"]["skipped"] == 1 and _evidence(d)["n1"][0] is None
    users = stream_tables["users"]
    with d.store.engine.begin() as conn:  # the SIS fixed the username
        conn.execute(users.update().where(users.c.sourced_id == d.sid(1))
                     .values(username="new.kid"))
    second = run(d.store, "district/reader")
    assert counts(second)["identityLinks"]["updated"] == 1
    assert counts(second)["toolEvidence"]["unchanged"] == 1  # moved along with its link
    assert _evidence(d)["n1"][0] == d.sid(1)
    assert _mastery(d)[(d.sid(1), STD_A)] == (0.6, 1)
    with d.store.engine.connect() as conn:
        assert conn.execute(sa.select(placements.c.user_sourced_id)).scalar() == d.sid(1)
