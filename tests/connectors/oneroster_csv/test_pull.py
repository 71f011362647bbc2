"""OneRoster CSV into the store: bulk, delta, 1.1, tolerance of real exports, rejections."""

from __future__ import annotations

import asyncio
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import small_district, user, write_export
from tests.helpers import counts, csv_connection, record, run, snapshot


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_export(tmp_path / "export", small_district())


def test_bulk_load_then_unchanged_resync_writes_nothing(sqlite_store: Store,
                                                        export: Path) -> None:
    csv_connection(sqlite_store, export)
    first = run(sqlite_store)
    assert first.status == "succeeded", first.message
    assert counts(first)["users"]["added"] == 8
    assert counts(first)["enrollments"]["added"] == 9
    second = run(sqlite_store)
    assert second.status == "succeeded"
    assert second.writes == 0
    assert counts(second)["users"] == {"added": 0, "updated": 0, "unchanged": 8, "deleted": 0,
                                       "skipped": 0}
    assert second.version is None  # nothing written, no change version spent


def test_bulk_soft_deletes_vanished_rows_and_revives_them(sqlite_store: Store,
                                                          tmp_path: Path) -> None:
    files = small_district(students=10)
    path = write_export(tmp_path / "e", files)
    csv_connection(sqlite_store, path)
    first = run(sqlite_store)
    gone = files["users"].pop(0)  # u1 leaves the district, with its enrollment
    files["enrollments"] = [e for e in files["enrollments"] if e["userSourcedId"] != "u1"]
    write_export(path, files)
    second = run(sqlite_store)
    assert second.status == "succeeded", second.message
    assert counts(second)["users"]["deleted"] == 1
    u1 = record(sqlite_store, "users", "u1")
    assert u1["status"] == "tobedeleted"
    assert u1["givenName"] == "Given1"  # content kept: soft delete only
    assert u1["dateLastModified"] > record(sqlite_store, "users", "u2")["dateLastModified"]
    assert second.version is not None and first.version is not None
    assert second.version > first.version
    files["users"].insert(0, gone)
    write_export(path, files)
    third = run(sqlite_store)
    assert counts(third)["users"]["updated"] == 1
    assert record(sqlite_store, "users", "u1")["status"] == "active"


def test_delta_applies_only_listed_rows(sqlite_store: Store, tmp_path: Path,
                                        export: Path) -> None:
    csv_connection(sqlite_store, export)
    run(sqlite_store)
    delta = write_export(export, {
        "users": [
            {**user("u2", "Given2", "Renamed"), "status": "active",
             "dateLastModified": "2026-11-20T02:00:00.000Z", "primaryOrgSourcedId": "s1"},
            {**user("u99", "New", "Student"), "status": "active",
             "dateLastModified": "2026-11-20T02:00:00Z"},
            {"sourcedId": "u3", "status": "tobedeleted",
             "dateLastModified": "2026-11-20T02:00:00.000Z"},
            {"sourcedId": "nobody", "status": "tobedeleted",
             "dateLastModified": "2026-11-20T02:00:00.000Z"},
        ],
        "enrollments": [{"sourcedId": "e3", "status": "tobedeleted",
                         "dateLastModified": "2026-11-20T02:00:00.000Z"}],
    }, modes={"users": "delta", "enrollments": "delta"})
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert counts(report)["users"] == {"added": 1, "updated": 1, "unchanged": 0, "deleted": 1,
                                       "skipped": 1}
    assert record(sqlite_store, "users", "u2")["familyName"] == "Renamed"
    assert record(sqlite_store, "users", "u3")["status"] == "tobedeleted"
    assert record(sqlite_store, "users", "u3")["givenName"] == "Given3"
    assert record(sqlite_store, "users", "u4")["status"] == "active"  # untouched
    assert record(sqlite_store, "enrollments", "e1")["status"] == "active"
    assert delta.exists()


def test_real_world_tolerances(sqlite_store: Store, tmp_path: Path) -> None:
    """BOM, CRLF, quoted newlines, header case, shuffled and missing optional columns,
    trailing fields dropped, enum case, metadata columns."""
    path = write_export(tmp_path / "e", small_district())
    users = path / "users.csv"
    users.write_bytes(
        b"\xef\xbb\xbfSOURCEDID,givenname,familyName,enabledUser,username,status,"
        b"dateLastModified,metadata.homeroom,email\r\n"
        + b"".join(f"u{i},Given{i},Family{i},TRUE,u{i},,,H{i},\r\n".encode() for i in
                   range(1, 7))
        + b't1,"Tess\r\nMarie",Teacher,true,t1,,\r\n'
        + b"t2,Tom,Teacher,true,t2,,,,\r\n"
    )
    csv_connection(sqlite_store, path)
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    t1 = record(sqlite_store, "users", "t1")
    assert t1["givenName"] == "Tess\r\nMarie"
    assert t1["enabledUser"] == "true"
    assert json.loads(record(sqlite_store, "users", "u1")["metadata"]) == {"homeroom": "H1"}
    assert record(sqlite_store, "users", "u1")["email"] is None


def test_oneroster_11_export_maps_onto_12(sqlite_store: Store, tmp_path: Path) -> None:
    files = small_district()
    for u in files["users"]:
        del u["primaryOrgSourcedId"]
        u["orgSourcedIds"] = "s1,s2" if u["sourcedId"] == "t1" else "s1"
        u["role"] = "teacher" if u["sourcedId"].startswith("t") else "student"
    files["users"].append({**user("a1", "Ann", "Admin"), "orgSourcedIds": "d1",
                           "role": "administrator"})
    files["categories"] = [{"sourcedId": "cat1", "title": "Homework"}]
    files["lineItems"] = [{"sourcedId": "li1", "title": "Quiz 1", "assignDate": "2026-09-01",
                           "dueDate": "2026-09-08", "classSourcedId": "k1",
                           "categorySourcedId": "cat1", "gradingPeriodSourcedId": "y1",
                           "resultValueMin": "0", "resultValueMax": "100"}]
    files["results"] = [{"sourcedId": "r1", "lineItemSourcedId": "li1",
                         "studentSourcedId": "u1", "scoreStatus": "fully graded",
                         "score": "93.5", "scoreDate": "2026-09-09"}]
    path = write_export(tmp_path / "e11", files, version="1.1")
    csv_connection(sqlite_store, path)
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert counts(report)["roles"]["added"] == 10  # t1 has two orgs
    t1 = record(sqlite_store, "users", "t1")
    assert t1["primaryOrgSourcedId"] == "s1"
    assert json.loads(t1["metadata"]) == {"orgSourcedIds": "s1,s2", "role": "teacher"}
    assert record(sqlite_store, "roles", "t1:s2")["roleType"] == "secondary"
    assert record(sqlite_store, "roles", "a1:d1")["role"] == "districtAdministrator"
    li = record(sqlite_store, "lineItems", "li1")
    assert li["academicSessionSourcedId"] == "y1"
    assert li["schoolSourcedId"] == "s1"  # filled from the class
    assert record(sqlite_store, "results", "r1")["score"] == "93.5"


def test_zip_exports_with_and_without_a_top_folder(sqlite_store: Store, tmp_path: Path,
                                                   export: Path) -> None:
    flat = tmp_path / "flat.zip"
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(flat, "w") as z, zipfile.ZipFile(nested, "w") as n:
        for f in export.iterdir():
            z.write(f, f.name)
            n.write(f, f"oneroster_export/{f.name}")
    csv_connection(sqlite_store, flat, name="flat")
    csv_connection(sqlite_store, nested, name="nested", tenant="other")
    assert run(sqlite_store, "district/flat").status == "succeeded"
    report = run(sqlite_store, "other/nested")
    assert report.status == "succeeded", report.message
    assert counts(report)["users"]["added"] == 8


def test_inbox_applies_exports_in_order_and_remembers(sqlite_store: Store,
                                                      tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    files = small_district()
    write_export(inbox / "2026-11-01T0200", files)
    write_export(inbox / "2026-11-02T0200", {"users": [
        {**user("u1", "Given1", "Changed"), "status": "active",
         "dateLastModified": "2026-11-02T02:00:00.000Z"}]}, modes={"users": "delta"})
    csv_connection(sqlite_store, inbox)
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert counts(report)["users"] == {"added": 8, "updated": 1, "unchanged": 0, "deleted": 0,
                                       "skipped": 0}
    assert sqlite_store.connection("district/sis").state == {"last_export": "2026-11-02T0200"}
    assert run(sqlite_store).counts == {}  # nothing new in the inbox
    broken = write_export(inbox / "2026-11-03T0200", {"users": [
        {"sourcedId": "u1", "status": "gone", "dateLastModified": "2026-11-03T02:00:00Z"}]},
        modes={"users": "delta"})
    report = run(sqlite_store)
    assert report.status == "failed"
    assert report.problems[0].source == "2026-11-03T0200/users.csv"  # which export, too
    assert sqlite_store.connection("district/sis").state == {"last_export": "2026-11-02T0200"}
    assert broken.exists()


def test_dry_run_reports_changes_and_writes_nothing(sqlite_store: Store,
                                                    export: Path) -> None:
    csv_connection(sqlite_store, export)
    run(sqlite_store)
    before = snapshot(sqlite_store)
    files = small_district()
    files["users"][1]["familyName"] = "Renamed"
    files["users"].pop(0)
    files["enrollments"].pop(0)
    write_export(export, files)
    report = run(sqlite_store, dry_run=True)
    assert report.status == "dry_run"
    assert counts(report)["users"]["updated"] == 1
    assert counts(report)["users"]["deleted"] == 1
    change = next(c for c in report.samples if c.kind == "updated")
    assert change.changed == {"familyName": ("Family2", "Renamed")}
    assert snapshot(sqlite_store) == before


def test_runs_are_recorded_with_counts_and_problems(sqlite_store: Store,
                                                    export: Path) -> None:
    csv_connection(sqlite_store, export)
    run(sqlite_store)
    (export / "users.csv").write_text("sourcedId,givenName\nu1,Ada\n")
    failed = run(sqlite_store)
    runs = sqlite_store.list_runs()
    assert [r.status for r in runs] == ["failed", "succeeded"]
    assert runs[1].counts["users"]["added"] == 8
    assert runs[0].problem_count == len(failed.problems) > 0
    problems = sqlite_store.run_problems(runs[0].id)
    assert {p.column for p in problems} >= {"familyName", "username", "enabledUser"}


def test_copying_an_export_elsewhere_keeps_rows_identical(sqlite_store: Store,
                                                          tmp_path: Path,
                                                          export: Path) -> None:
    csv_connection(sqlite_store, export)
    run(sqlite_store)
    moved = tmp_path / "moved"
    shutil.copytree(export, moved)
    sqlite_store.add_connection("district", "moved", "oneroster-csv", {"path": str(moved)}, {})
    report = run(sqlite_store, "district/moved")
    # Same sourcedIds from another connection: taken over as updates, never duplicated.
    assert report.status == "succeeded"
    assert sum(c.added for c in report.counts.values()) == 0


def test_oneroster_11_delta_with_deprecated_inactive_status(sqlite_store: Store,
                                                            tmp_path: Path) -> None:
    files = small_district()
    for u in files["users"]:
        del u["primaryOrgSourcedId"]
        u["orgSourcedIds"], u["role"] = "s1", "student"
    path = write_export(tmp_path / "e11", files, version="1.1")
    csv_connection(sqlite_store, path)
    assert run(sqlite_store).status == "succeeded"
    write_export(path, {"users": [
        {"sourcedId": "u1", "status": "inactive", "dateLastModified": "2026-11-20"},
        {**user("u2", "Given2", "Renamed"), "status": "active",
         "dateLastModified": "2026-11-20", "orgSourcedIds": "s1", "role": "student"},
    ], "enrollments": [{"sourcedId": "e1", "status": "inactive",
                        "dateLastModified": "2026-11-20"}]},
        version="1.1", modes={"users": "delta", "enrollments": "delta"})
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert counts(report)["users"] == {"added": 0, "updated": 1, "unchanged": 0, "deleted": 1,
                                       "skipped": 0}
    assert record(sqlite_store, "users", "u1")["status"] == "tobedeleted"
    assert record(sqlite_store, "users", "u2")["familyName"] == "Renamed"
    # The 1.1 role and org of the changed user come along as a 1.2 roles record; the
    # removed user's role goes with the user.
    assert record(sqlite_store, "roles", "u2:s1")["status"] == "active"
    assert record(sqlite_store, "roles", "u1:s1")["status"] == "tobedeleted"


def test_an_interrupted_run_is_recorded_as_failed(sqlite_store: Store, export: Path) -> None:
    """A run stopped mid-way (Ctrl-C) applies nothing and does not stay 'running'."""
    from gateway.abc import Batch, Mode
    from gateway.engine.run import RunOptions, sync

    class Interrupting:
        async def pull(self, state: object) -> Any:
            yield Batch("orgs", Mode.BULK, "orgs.csv", [["d1", "", "", "D", "district", "",
                                                        "", ""]], [2])
            raise KeyboardInterrupt

    csv_connection(sqlite_store, export)
    rec = sqlite_store.connection("district/sis")
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(sync(sqlite_store, rec, RunOptions(),
                         connector=Interrupting())) # type: ignore[arg-type]
    [last] = sqlite_store.list_runs()
    assert last.status == "failed"
    assert "interrupted" in (last.message or "")
    assert sqlite_store.count(sqlite_store.tenant("district").id, "orgs") == 0


def test_a_delta_may_not_leave_stored_records_dangling(sqlite_store: Store,
                                                       export: Path) -> None:
    """Deleting a user whose enrollment stays active would leave the store inconsistent."""
    csv_connection(sqlite_store, export)
    run(sqlite_store)
    before = snapshot(sqlite_store)
    write_export(export, {"users": [{"sourcedId": "u3", "status": "tobedeleted",
                                     "dateLastModified": "2026-11-20T02:00:00.000Z"}]},
                 modes={"users": "delta"})
    report = run(sqlite_store)
    assert report.status == "failed"
    [problem] = report.problems
    assert (problem.source, problem.column) == ("enrollments (stored)", "userSourcedId")
    assert "active enrollments record 'e3' points at users 'u3'" in problem.message
    assert snapshot(sqlite_store) == before
    assert run(sqlite_store, dry_run=True).status == "failed"  # a dry run says so too


def test_every_oneroster_12_file_loads(sqlite_store: Store, tmp_path: Path) -> None:
    """All 21 data files of the 1.2 CSV binding, cross-referenced, in one export."""
    files = small_district()
    when = "2026-09-01"
    files["userProfiles"] = [{"sourcedId": "up1", "userSourcedId": "u1", "profileType": "lms",
                              "vendorId": "acme", "credentialType": "password",
                              "username": "u1@acme"}]
    files["roles"] = [{"sourcedId": "r1", "userSourcedId": "u1", "roleType": "primary",
                       "role": "student", "orgSourcedId": "s1", "userProfileSourcedId": "up1",
                       "beginDate": "2026-08-20"}]
    files["demographics"] = [{"sourcedId": "u1", "birthDate": "2015-03-02", "sex": "female",
                              "white": "false", "asian": "true"}]
    files["resources"] = [{"sourcedId": "res1", "vendorResourceId": "math-5", "title": "Math",
                           "roles": "student,teacher", "importance": "primary"}]
    files["classResources"] = [{"sourcedId": "cr1", "classSourcedId": "k1",
                                "resourceSourcedId": "res1"}]
    files["courseResources"] = [{"sourcedId": "cor1", "courseSourcedId": "c1",
                                 "resourceSourcedId": "res1"}]
    files["userResources"] = [{"sourcedId": "ur1", "userSourcedId": "u1",
                               "resourceSourcedId": "res1", "classSourcedId": "k1"}]
    files["categories"] = [{"sourcedId": "cat1", "title": "Homework", "weight": "0.4"}]
    files["scoreScales"] = [{"sourcedId": "ss1", "title": "4-point", "type": "rubric",
                             "classSourcedId": "k1",
                             "scoreScaleValue": "{1:Beginning},{4:Mastered}"}]
    files["lineItems"] = [{"sourcedId": "li1", "title": "Fractions quiz", "assignDate": when,
                           "dueDate": "2026-09-08T23:59:00Z", "classSourcedId": "k1",
                           "categorySourcedId": "cat1", "academicSessionSourcedId": "y1",
                           "resultValueMin": "0", "resultValueMax": "4",
                           "schoolSourcedId": "s1"}]
    files["lineItemLearningObjectiveIds"] = [{
        "sourcedId": "lilo1", "lineItemSourcedId": "li1", "source": "case",
        "learningObjectiveId": "urn:uuid:9a1b5e4e-d7cc-11e8-824f-0242ac160002"}]
    files["lineItemScoreScales"] = [{"sourcedId": "liss1", "lineItemSourcedId": "li1",
                                     "scoreScaleSourcedId": "ss1"}]
    files["results"] = [{"sourcedId": "res-r1", "lineItemSourcedId": "li1",
                         "studentSourcedId": "u1", "scoreStatus": "fully graded",
                         "score": "3", "scoreDate": "2026-09-09", "classSourcedId": "k1",
                         "late": "false"}]
    files["resultLearningObjectiveIds"] = [{
        "sourcedId": "rlo1", "resultSourcedId": "res-r1", "source": "case",
        "learningObjectiveId": "urn:uuid:9a1b5e4e-d7cc-11e8-824f-0242ac160002", "score": "3"}]
    files["resultScoreScales"] = [{"sourcedId": "rss1", "resultSourcedId": "res-r1",
                                   "scoreScaleSourcedId": "ss1"}]
    from gateway.model.schema import STREAMS

    assert set(files) == set(STREAMS)
    path = write_export(tmp_path / "all", files)
    csv_connection(sqlite_store, path)
    report = run(sqlite_store)
    assert report.status == "succeeded", (report.message, report.problems)
    assert {s for s, c in counts(report).items() if c["added"]} == set(STREAMS)
    assert record(sqlite_store, "lineItems", "li1")["dueDate"] == "2026-09-08T23:59:00.000Z"
    assert record(sqlite_store, "roles", "r1")["userProfileSourcedId"] == "up1"
    # A result pointing at a line item that is not there is refused like any reference.
    files["results"][0]["lineItemSourcedId"] = "li404"
    write_export(path, files)
    failed = run(sqlite_store)
    assert failed.status == "failed"
    assert failed.problems[0].source == "results.csv"
