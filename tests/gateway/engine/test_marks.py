"""Unchanged sources are skipped, and only when that is provably safe."""

from __future__ import annotations

from pathlib import Path

from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, user, write_export
from tests.helpers import counts, csv_connection, record, run


def test_an_identical_export_is_not_read_again(sqlite_store: Store, tmp_path: Path) -> None:
    path = write_export(tmp_path / "e", small_district())
    csv_connection(sqlite_store, path)
    first = run(sqlite_store)
    assert first.skipped == []
    write_export(path, small_district())  # rewritten, byte for byte the same
    again = run(sqlite_store)
    assert again.status == "succeeded"
    assert again.skipped == ["orgs", "academicSessions", "courses", "classes", "users",
                             "enrollments"]
    assert again.writes == 0
    assert counts(again)["users"]["unchanged"] == 8
    reread = run(sqlite_store, reread=True)
    assert reread.skipped == []
    assert reread.writes == 0
    assert counts(reread)["enrollments"]["unchanged"] == 9


def test_a_changed_file_is_read_and_the_rest_still_skipped(sqlite_store: Store,
                                                           tmp_path: Path) -> None:
    files = small_district()
    path = write_export(tmp_path / "e", files)
    csv_connection(sqlite_store, path)
    run(sqlite_store)
    files["users"][0]["familyName"] = "Changed"
    write_export(path, files)
    report = run(sqlite_store)
    assert "users" not in report.skipped
    assert "enrollments" in report.skipped  # users lost no one: references still hold
    assert counts(report)["users"]["updated"] == 1
    assert record(sqlite_store, "users", "u1")["familyName"] == "Changed"


def test_an_unchanged_file_is_reread_when_what_it_references_shrinks(
        sqlite_store: Store, tmp_path: Path) -> None:
    files = small_district()
    path = write_export(tmp_path / "e", files)
    csv_connection(sqlite_store, path)
    run(sqlite_store)
    files["classes"] = files["classes"][:2]  # k3 gone, its enrollments still listed
    write_export(path, files)
    report = run(sqlite_store, approve_deletions=True)
    assert report.status == "failed"
    assert "enrollments" not in report.skipped
    assert {p.source for p in report.problems} == {"enrollments.csv"}
    assert record(sqlite_store, "classes", "k3")["status"] == "active"


def test_an_unchanged_file_is_reread_when_someone_else_wrote_its_table(
        sqlite_store: Store, tmp_path: Path) -> None:
    path = write_export(tmp_path / "e", small_district())
    csv_connection(sqlite_store, path)
    run(sqlite_store)
    other = write_export(tmp_path / "other", {"users": [
        {**user("u1", "Given1", "FromElsewhere"), "status": "active",
         "dateLastModified": "2026-11-20T00:00:00Z"}]}, modes={"users": "delta"})
    csv_connection(sqlite_store, other, name="other")
    assert run(sqlite_store, "district/other").status == "succeeded"
    report = run(sqlite_store)
    assert "users" not in report.skipped
    assert counts(report)["users"]["updated"] == 1  # the export wins back its record
    assert record(sqlite_store, "users", "u1")["familyName"] == "Family1"


def test_a_dry_run_leaves_the_marks_alone(sqlite_store: Store, tmp_path: Path) -> None:
    files = small_district()
    path = write_export(tmp_path / "e", files)
    csv_connection(sqlite_store, path)
    run(sqlite_store)
    files["users"][0]["familyName"] = "Changed"
    write_export(path, files)
    assert run(sqlite_store, dry_run=True).status == "dry_run"
    write_export(path, small_district())  # back to what was applied
    assert "users" in run(sqlite_store).skipped
