"""What must be refused: each rejection names file, line and column, and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import enrollment, small_district, write_export
from tests.helpers import counts, csv_connection, record, run, snapshot


@pytest.fixture
def loaded(sqlite_store: Store, tmp_path: Path) -> tuple[Store, Path]:
    path = write_export(tmp_path / "export", small_district(students=20))
    csv_connection(sqlite_store, path)
    assert run(sqlite_store).status == "succeeded"
    return sqlite_store, path


def _broken(path: Path, mutate: Any) -> None:
    files = small_district(students=20)
    mutate(files)
    write_export(path, files)


CASES = [
    ("dangling reference", lambda f: f["enrollments"].append(enrollment("e-x", "k404", "u1")),
     "enrollments.csv", 25, "classSourcedId", "'k404' is not the sourcedId"),
    ("duplicate sourcedId", lambda f: f["users"].append(dict(f["users"][3])),
     "users.csv", None, "sourcedId", "appears more than once"),
    ("bad date", lambda f: f["academicSessions"][0].update(startDate="20/08/2026"),
     "academicSessions.csv", 2, "startDate", "is not a date; write it as YYYY-MM-DD"),
    ("bad enum", lambda f: f["enrollments"][2].update(role="learner"),
     "enrollments.csv", 4, "role", "'learner' is not a valid role"),
    ("bad boolean", lambda f: f["users"][0].update(enabledUser="yes"),
     "users.csv", 2, "enabledUser", "write true or false"),
    ("empty required value", lambda f: f["users"][5].update(familyName=""),
     "users.csv", 7, "familyName", "is required but empty"),
    ("dangling self reference", lambda f: f["orgs"][1].update(parentSourcedId="d9"),
     "orgs.csv", 3, "parentSourcedId", "'d9' is not the sourcedId of any active orgs"),
]


@pytest.mark.parametrize(("mutate", "source", "line", "column", "phrase"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejected_with_location_and_store_unchanged(loaded: tuple[Store, Path], mutate: Any,
                                                    source: str, line: int | None, column: str,
                                                    phrase: str) -> None:
    store, path = loaded
    before = snapshot(store)
    _broken(path, mutate)
    report = run(store)
    assert report.status == "failed"
    assert "nothing was applied" in (report.message or "")
    [problem] = report.problems
    assert (problem.source, problem.column) == (source, column)
    if line is not None:
        assert problem.line == line
    assert phrase in problem.message
    assert snapshot(store) == before


def test_missing_required_column(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    before = snapshot(store)
    files = small_district(students=20)
    cols = ["sourcedId", "status", "dateLastModified", "classSourcedId", "userSourcedId", "role"]
    write_export(path, files, headers={"enrollments": cols})
    report = run(store)
    assert report.status == "failed"
    [problem] = report.problems
    assert (problem.source, problem.line, problem.column) == ("enrollments.csv", 1,
                                                              "schoolSourcedId")
    assert "required column schoolSourcedId is missing" in problem.message
    assert snapshot(store) == before


def test_many_problems_are_all_reported(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    files = small_district(students=20)
    for e in files["enrollments"]:
        e["classSourcedId"] = "nope"
    write_export(path, files)
    report = run(store)
    assert report.status == "failed"
    assert report.problem_total == len(files["enrollments"])
    assert {p.line for p in report.problems} == set(range(2, len(files["enrollments"]) + 2))


def test_manifest_names_a_missing_file(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    (path / "classes.csv").unlink()
    report = run(store)
    assert report.status == "failed"
    assert "classes.csv is not in the export" in report.problems[0].message


def test_bad_manifest_version(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    text = (path / "manifest.csv").read_text().replace("oneroster.version,1.2",
                                                       "oneroster.version,2.0")
    (path / "manifest.csv").write_text(text)
    report = run(store)
    assert report.status == "failed"
    assert "supported versions are 1.1 and 1.2" in report.problems[0].message


def test_not_utf8(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    data = (path / "users.csv").read_bytes().replace(b"Given3", b"Gr\xe9goire")
    (path / "users.csv").write_bytes(data)
    report = run(store)
    assert report.status == "failed"
    assert "save or export the file as UTF-8" in report.problems[0].message


def test_delta_without_status_is_rejected(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    write_export(path, {"users": [{"sourcedId": "u1", "givenName": "A", "familyName": "B",
                                   "enabledUser": "true", "username": "a"}]},
                 modes={"users": "delta"})
    report = run(store)
    assert report.status == "failed"
    assert {p.column for p in report.problems} == {"status", "dateLastModified"}


# -- the deletion safeguard ---------------------------------------------------------------

def test_truncated_bulk_export_is_held_not_applied(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    before = snapshot(store)
    files = small_district(students=20)
    files["users"] = files["users"][:5]  # a truncated export: 17 of 22 users missing
    files["enrollments"] = [e for e in files["enrollments"]
                            if e["userSourcedId"] in {u["sourcedId"] for u in files["users"]}]
    write_export(path, files)
    report = run(store)
    assert report.status == "held"
    assert "would soft-delete 17 of 22 active users (77%)" in (report.message or "")
    assert "harbor sync district/sis --approve-deletions" in (report.message or "")
    assert snapshot(store) == before
    approved = run(store, approve_deletions=True)
    assert approved.status == "succeeded"
    assert counts(approved)["users"]["deleted"] == 17
    assert record(store, "users", "u20")["status"] == "tobedeleted"


def test_safeguard_threshold_is_configurable(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    files = small_district(students=20)
    files["users"] = [u for u in files["users"] if u["sourcedId"] not in ("u19", "u20")]
    files["enrollments"] = [e for e in files["enrollments"]
                            if e["userSourcedId"] not in ("u19", "u20")]
    write_export(path, files)
    assert run(store, max_delete_share=0.05).status == "held"
    assert run(store).status == "succeeded"  # 2 of 22 is within the default 20 %


def test_an_empty_bulk_file_never_empties_the_district(loaded: tuple[Store, Path]) -> None:
    store, path = loaded
    files = small_district(students=20)
    files["enrollments"] = []
    write_export(path, files)
    report = run(store)
    assert report.status == "held"
    assert "enrollments" in (report.message or "")
