"""OneRoster results through a real CSV run become evidence through their
learningObjectiveSet, on both databases: evidence and mastery appear, a changed score updates
in place, a deleted (or exempt) result withdraws, an objective the tenant has not imported is
skipped and counted, a repeated sync writes nothing, and a district without objectives gets
no gradebook entry at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.learning import gradebook as gradebook_module
from gateway.standards import import_package
from gateway.store.learning_tables import evidence, mastery
from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, write_export
from tests.helpers import counts, csv_connection, run

STD_A, STD_B = "c0ffee00-nf-5-1", "c0ffee00-nf-5-2"
UNKNOWN = "urn:uuid:00000000-not-imported"
PACKAGE = {
    "CFDocument": {"identifier": "c0ffee00-math", "title": "Harbor Math"},
    "CFItems": [{"identifier": STD_A, "humanCodingScheme": "5.NF.A.1",
                 "fullStatement": "Add fractions.", "educationLevel": ["05"]},
                {"identifier": STD_B, "humanCodingScheme": "5.NF.A.2",
                 "fullStatement": "Solve word problems with fractions.",
                 "educationLevel": ["05"]}],
    "CFAssociations": [],
}


def gradebook() -> dict[str, list[dict[str, Any]]]:
    """The small district with two lineItems naming CASE objectives and three results:
    a 0-4 quiz on STD_A, a percent test on STD_B and an objective nobody imported, whose
    result scores STD_B itself (90, over its overall 80)."""
    files = small_district()
    files["categories"] = [{"sourcedId": "cat1", "title": "Quizzes"}]
    line = {"assignDate": "2026-09-01", "dueDate": "2026-09-08", "classSourcedId": "k1",
            "categorySourcedId": "cat1", "academicSessionSourcedId": "y1",
            "schoolSourcedId": "s1"}
    files["lineItems"] = [
        {"sourcedId": "li1", "title": "Fractions quiz", "resultValueMin": "0",
         "resultValueMax": "4", **line},
        {"sourcedId": "li2", "title": "Fractions test", **line}]
    files["lineItemLearningObjectiveIds"] = [
        {"sourcedId": "lilo1", "lineItemSourcedId": "li1", "source": "case",
         "learningObjectiveId": STD_A},
        {"sourcedId": "lilo2", "lineItemSourcedId": "li2", "source": "CASE",
         "learningObjectiveId": STD_B},
        {"sourcedId": "lilo3", "lineItemSourcedId": "li2", "source": "case",
         "learningObjectiveId": UNKNOWN}]
    files["results"] = [
        {"sourcedId": "r1", "lineItemSourcedId": "li1", "studentSourcedId": "u1",
         "scoreStatus": "fully graded", "score": "3", "scoreDate": "2026-09-09"},
        {"sourcedId": "r2", "lineItemSourcedId": "li1", "studentSourcedId": "u2",
         "scoreStatus": "not submitted", "scoreDate": "2026-09-09"},
        {"sourcedId": "r3", "lineItemSourcedId": "li2", "studentSourcedId": "u1",
         "scoreStatus": "fully graded", "score": "80", "scoreDate": "2026-09-10"}]
    files["resultLearningObjectiveIds"] = [
        {"sourcedId": "rlo1", "resultSourcedId": "r3", "source": "case",
         "learningObjectiveId": STD_B, "score": "90"}]
    return files


class Gradebook:
    def __init__(self, store: Store, path: Path) -> None:
        self.store, self.path = store, path
        self.files = gradebook()
        write_export(path, self.files)
        csv_connection(store, path)
        self.tenant_id = store.tenant("district").id
        import_package(store.engine, self.tenant_id, PACKAGE, "math.json")

    def sync(self, **options: Any) -> dict[str, dict[str, int]]:
        write_export(self.path, self.files)
        report = run(self.store, **options)
        assert report.status == "succeeded", (report.message, report.problems)
        self.report = report
        return counts(report)

    def result(self, sid: str) -> dict[str, Any]:
        return next(r for r in self.files["results"] if r["sourcedId"] == sid)

    def evidence(self) -> dict[str, tuple[Any, ...]]:
        e = evidence
        with self.store.engine.connect() as conn:
            return {r.source_key: (r.system, r.user_sourced_id, r.standard, r.raw_score,
                                   r.scale, r.score, r.observed_at, r.status)
                    for r in conn.execute(sa.select(e))}

    def mastery(self) -> dict[tuple[str, str], tuple[float, int]]:
        with self.store.engine.connect() as conn:
            return {(r.user_sourced_id, r.standard): (r.score, r.evidence_count)
                    for r in conn.execute(sa.select(mastery))}


@pytest.fixture
def book(store: Store, tmp_path: Path) -> Gradebook:
    return Gradebook(store, tmp_path / "sis")


def test_results_become_evidence_and_mastery(book: Gradebook) -> None:
    got = book.sync()
    # r1 on STD_A, r3 on STD_B; r3's unknown objective skipped; r2 was not submitted.
    assert got["gradebookEvidence"] == {"added": 2, "updated": 0, "unchanged": 0,
                                        "deleted": 0, "skipped": 1}
    assert book.evidence() == {
        f"result:r1:{STD_A}": ("sis", "u1", STD_A, "3", "scale:0-4", 0.75,
                               "2026-09-09T00:00:00.000Z", "active"),
        # The result's own score for the objective wins over its overall 80.
        f"result:r3:{STD_B}": ("sis", "u1", STD_B, "90", "percent", 0.9,
                               "2026-09-10T00:00:00.000Z", "active"),
    }
    assert book.mastery() == {("u1", STD_A): (0.75, 1), ("u1", STD_B): (0.9, 1)}
    unknown = [p for p in book.report.problems if p.column == "learningObjectiveId"]
    assert len(unknown) == 1 and UNKNOWN in unknown[0].message


def test_a_second_identical_sync_writes_nothing(book: Gradebook) -> None:
    book.sync()
    before, mastered = book.evidence(), book.mastery()
    again = book.sync(reread=True)  # read every file again, not skipped by its digest
    assert book.report.writes == 0, again
    assert again.get("gradebookEvidence", {}).get("added", 0) == 0
    assert book.evidence() == before and book.mastery() == mastered


def test_a_changed_score_updates_the_evidence_in_place(book: Gradebook) -> None:
    book.sync()
    book.result("r1")["score"] = "4"
    book.result("r1")["scoreDate"] = "2026-09-12"
    got = book.sync()
    assert got["gradebookEvidence"]["updated"] == 1
    assert got["gradebookEvidence"]["added"] == 0
    rows = book.evidence()
    assert len(rows) == 2
    assert rows[f"result:r1:{STD_A}"][5:] == (1.0, "2026-09-12T00:00:00.000Z", "active")
    assert book.mastery()[("u1", STD_A)] == (1.0, 1)


def test_a_graded_result_becomes_evidence_and_a_removed_objective_withdraws(
        book: Gradebook) -> None:
    book.sync()
    # u2 hands in late; li1 now names STD_B instead of STD_A.
    book.result("r2").update(scoreStatus="fully graded", score="2")
    book.files["lineItemLearningObjectiveIds"][0]["learningObjectiveId"] = STD_B
    got = book.sync()
    assert got["gradebookEvidence"]["added"] == 2  # r1 and r2 on STD_B
    assert got["gradebookEvidence"]["deleted"] == 1  # r1 on STD_A
    rows = book.evidence()
    assert rows[f"result:r1:{STD_A}"][-1] == "tobedeleted"
    assert rows[f"result:r2:{STD_B}"][1:3] == ("u2", STD_B)
    assert ("u1", STD_A) not in book.mastery()
    assert book.mastery()[("u2", STD_B)] == (0.5, 1)


def test_a_deleted_or_exempt_result_withdraws_its_evidence(book: Gradebook) -> None:
    book.sync()
    book.result("r1")["status"] = "tobedeleted"
    book.result("r3")["scoreStatus"] = "exempt"
    got = book.sync()
    assert got["results"]["deleted"] == 1
    assert got["gradebookEvidence"]["deleted"] == 2
    assert {k: v[-1] for k, v in book.evidence().items()} == {
        f"result:r1:{STD_A}": "tobedeleted", f"result:r3:{STD_B}": "tobedeleted"}
    assert book.mastery() == {}
    # Graded again: the same row comes back, no duplicate.
    book.result("r3")["scoreStatus"] = "fully graded"
    got = book.sync()
    assert got["gradebookEvidence"]["updated"] == 1
    assert book.evidence()[f"result:r3:{STD_B}"][-1] == "active"
    assert book.mastery() == {("u1", STD_B): (0.9, 1)}


def test_results_without_objectives_get_no_gradebook_entry(store: Store,
                                                           tmp_path: Path) -> None:
    files = gradebook()
    del files["lineItemLearningObjectiveIds"], files["resultLearningObjectiveIds"]
    write_export(tmp_path / "sis", files)
    csv_connection(store, tmp_path / "sis")
    report = run(store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert counts(report)["results"]["added"] == 3
    assert "gradebookEvidence" not in counts(report)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar() == 0


def test_results_read_a_few_at_a_time_give_the_same_evidence(
        book: Gradebook, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gradebook_module, "RESULT_CHUNK", 1)
    assert book.sync()["gradebookEvidence"]["added"] == 2
    assert book.mastery() == {("u1", STD_A): (0.75, 1), ("u1", STD_B): (0.9, 1)}
