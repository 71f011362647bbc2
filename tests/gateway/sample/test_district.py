"""The sample district: deterministic, Chicago-shaped, and internally consistent."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from gateway.model.schema import COMMON_COLUMNS, STREAMS
from gateway.sample import DistrictSize, ExportSummary, write_delta, write_district

V11_HEADERS = {
    "users": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
             "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
             "password",
    "lineItems": "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,"
                 "classSourcedId,categorySourcedId,gradingPeriodSourcedId,resultValueMin,"
                 "resultValueMax",
    "results": "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,"
               "scoreStatus,score,scoreDate,comment",
    "categories": "sourcedId,status,dateLastModified,title",
}
V11_REFS = {
    ("orgs", "parentSourcedId"): "orgs",
    ("academicSessions", "parentSourcedId"): "academicSessions",
    ("courses", "schoolYearSourcedId"): "academicSessions",
    ("courses", "orgSourcedId"): "orgs",
    ("classes", "courseSourcedId"): "courses",
    ("classes", "schoolSourcedId"): "orgs",
    ("classes", "termSourcedIds"): "academicSessions",
    ("users", "orgSourcedIds"): "orgs",
    ("demographics", "sourcedId"): "users",
    ("enrollments", "classSourcedId"): "classes",
    ("enrollments", "schoolSourcedId"): "orgs",
    ("enrollments", "userSourcedId"): "users",
    ("lineItems", "classSourcedId"): "classes",
    ("lineItems", "categorySourcedId"): "categories",
    ("lineItems", "gradingPeriodSourcedId"): "academicSessions",
    ("results", "lineItemSourcedId"): "lineItems",
    ("results", "studentSourcedId"): "users",
}


def read(export: Path, stream: str) -> list[dict[str, str]]:
    with (export / f"{stream}.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def header(export: Path, stream: str) -> str:
    with (export / f"{stream}.csv").open(encoding="utf-8") as file:
        return file.readline().rstrip("\n")


def manifest(export: Path) -> dict[str, str]:
    with (export / "manifest.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["propertyName", "value"]
    return dict(rows[1:])


def written(export: Path) -> list[str]:
    return [k[5:] for k, v in manifest(export).items() if k.startswith("file.") and v != "absent"]


def split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def contents(export: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(export.iterdir())}


def schema_refs(stream: str) -> dict[str, str]:
    refs = {c.name: c.ref for c in STREAMS[stream].columns if c.kind in ("ref", "refs") and c.ref}
    if stream == "demographics":
        refs["sourcedId"] = "users"
    return refs


def assert_references_resolve(export: Path, refs: dict[tuple[str, str], str]) -> None:
    present = written(export)
    ids = {s: {r["sourcedId"] for r in read(export, s)} for s in present}
    for (stream, column), target in refs.items():
        if stream not in present:
            continue
        for row in read(export, stream):
            for value in split(row[column]):
                assert value in ids.get(target, set()), f"{stream}.{column}={value} dangles"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> ExportSummary:
    return write_district(tmp_path_factory.mktemp("district"), 2_000)


def test_same_arguments_write_identical_files(tmp_path: Path) -> None:
    first = write_district(tmp_path / "a", 700, seed=7)
    again = write_district(tmp_path / "b", 700, seed=7)
    other = write_district(tmp_path / "c", 700, seed=8)
    assert first.rows == again.rows
    assert contents(first.path) == contents(again.path)
    assert contents(first.path) != contents(other.path)
    delta_a = write_delta(first.path, tmp_path / "da", seed=3)
    delta_b = write_delta(again.path, tmp_path / "db", seed=3)
    assert contents(delta_a.path) == contents(delta_b.path)


def test_sizes_follow_chicago_ratios() -> None:
    chicago = DistrictSize.for_students(400_500)
    assert (chicago.schools, chicago.teachers, chicago.classes) == (658, 22_500, 100_000)
    assert 2_500_000 <= chicago.enrollments <= 2_600_000
    assert DistrictSize.for_students(300).schools == 1
    assert 2 <= DistrictSize.for_students(600).schools <= 3
    assert DistrictSize.for_students(40_050).teachers == 2_250
    with pytest.raises(ValueError, match="at least one student"):
        DistrictSize.for_students(0)


def test_export_has_the_planned_size(district: ExportSummary) -> None:
    size = DistrictSize.for_students(2_000)
    rows = district.rows
    roles = Counter(r["role"] for r in read(district.path, "roles"))
    assert roles["student"] == 2_000
    assert roles["teacher"] == size.teachers
    assert roles["principal"] + roles["districtAdministrator"] == size.administrators
    assert rows["orgs"] == size.schools + 1
    assert rows["users"] == rows["roles"] == 2_000 + size.teachers + size.administrators
    assert rows["demographics"] == 2_000
    assert abs(rows["classes"] - size.classes) <= 0.1 * size.classes
    enrollments = read(district.path, "enrollments")
    per_student = Counter(e["userSourcedId"] for e in enrollments if e["role"] == "student")
    assert set(per_student.values()) == {6}
    teachers = [e for e in enrollments if e["role"] == "teacher"]
    assert sorted(e["classSourcedId"] for e in teachers) == sorted(
        c["sourcedId"] for c in read(district.path, "classes"))
    assert all(e["primary"] == "true" for e in teachers)
    graded = sum(1 for c in read(district.path, "classes") if c["classType"] == "scheduled")
    assert rows["lineItems"] == graded * size.line_items_per_class


def test_schools_cover_every_level_and_grade(district: ExportSummary) -> None:
    names = [o["name"] for o in read(district.path, "orgs") if o["type"] == "school"]
    assert {n.rsplit(" ", 2)[-2] for n in names} == {"Elementary", "Middle", "High"}
    grades = {u["grades"] for u in read(district.path, "users") if u["grades"]}
    assert grades == {"KG", *(f"{g:02d}" for g in range(1, 13))}
    types = Counter(c["classType"] for c in read(district.path, "classes"))
    assert types["homeroom"] > 0
    assert types["scheduled"] > types["homeroom"]


def test_headers_are_the_schema_columns(district: ExportSummary) -> None:
    present = written(district.path)
    assert {"orgs", "academicSessions", "courses", "classes", "users", "roles", "demographics",
            "enrollments", "categories", "lineItems", "results"} == set(present)
    for stream in present:
        assert header(district.path, stream) == ",".join(
            COMMON_COLUMNS + STREAMS[stream].column_names)


def test_manifest_declares_every_stream(district: ExportSummary) -> None:
    declared = manifest(district.path)
    assert declared["manifest.version"] == "1.0"
    assert declared["oneroster.version"] == "1.2"
    assert declared["source.systemName"] == "Harbormaster sample SIS"
    assert declared["source.systemCode"] == "harbor-sample"
    for stream in STREAMS:
        expected = "bulk" if stream in district.rows else "absent"
        assert declared[f"file.{stream}"] == expected
        assert (district.path / f"{stream}.csv").exists() == (expected == "bulk")


def test_references_point_at_existing_rows(district: ExportSummary) -> None:
    refs = {(s, c): t for s in written(district.path) for c, t in schema_refs(s).items()}
    assert ("enrollments", "userSourcedId") in refs
    assert_references_resolve(district.path, refs)


def test_sourced_ids_are_unique_per_file(district: ExportSummary) -> None:
    for stream in written(district.path):
        ids = [r["sourcedId"] for r in read(district.path, stream)]
        assert len(ids) == len(set(ids)), stream
        assert len(ids) == district.rows[stream]


def test_bulk_rows_leave_status_and_modified_blank(district: ExportSummary) -> None:
    for stream in written(district.path):
        assert all(r["status"] == r["dateLastModified"] == "" for r in read(district.path, stream))


def test_people_look_real(district: ExportSummary) -> None:
    users = read(district.path, "users")
    students = [u for u in users if u["sourcedId"].startswith("stu-")]
    assert len({u["username"] for u in users}) == len(users)
    assert len({u["familyName"] for u in students}) > 150
    assert any(not u["givenName"].isascii() for u in students)
    assert all(u["username"].isascii() and "@" in u["email"] for u in users)
    assert all(u["userIds"].startswith("{SIS:") and u["identifier"] for u in students)
    grade = {u["sourcedId"]: u["grades"] for u in students}
    for person in read(district.path, "demographics"):
        born = date.fromisoformat(person["birthDate"])
        age_on_september_1st = 2026 - born.year - ((born.month, born.day) > (9, 1))
        level = grade[person["sourcedId"]]
        assert age_on_september_1st == 5 + (0 if level == "KG" else int(level))
        assert person["sex"] in {"male", "female"}
        assert {person["white"], person["asian"]} <= {"true", "false"}


def test_results_are_graded_scores(district: ExportSummary) -> None:
    results = read(district.path, "results")
    assert all(r["scoreStatus"] == "fully graded" and 0 <= float(r["score"]) <= 100
               for r in results)
    assert all(r["scoreDate"] <= "2026-11-23" for r in results)
    class_of = {li["sourcedId"]: li["classSourcedId"] for li in read(district.path, "lineItems")}
    enrolled = {(e["classSourcedId"], e["userSourcedId"])
                for e in read(district.path, "enrollments")}
    assert all((class_of[r["lineItemSourcedId"]], r["studentSourcedId"]) in enrolled
               for r in results)


def test_gradebook_and_demographics_are_optional(tmp_path: Path) -> None:
    summary = write_district(tmp_path, 300, gradebook=False, demographics=False)
    declared = manifest(tmp_path)
    for stream in ("categories", "lineItems", "results", "demographics"):
        assert stream not in summary.rows
        assert declared[f"file.{stream}"] == "absent"
        assert not (tmp_path / f"{stream}.csv").exists()


def test_version_1_1_shape(tmp_path: Path) -> None:
    summary = write_district(tmp_path, 800, version="1.1")
    declared = manifest(tmp_path)
    assert declared["oneroster.version"] == "1.1"
    assert {k[5:] for k in declared if k.startswith("file.")} == {
        "orgs", "academicSessions", "courses", "classes", "users", "enrollments", "demographics",
        "resources", "classResources", "courseResources", "userResources", "categories",
        "lineItems", "results"}
    assert not (tmp_path / "roles.csv").exists()
    for stream, expected in V11_HEADERS.items():
        assert header(tmp_path, stream) == expected
    assert header(tmp_path, "enrollments") == ",".join(
        COMMON_COLUMNS + STREAMS["enrollments"].column_names)
    users = read(tmp_path, "users")
    assert Counter(u["role"] for u in users)["student"] == 800
    assert {u["role"] for u in users} == {"student", "teacher", "administrator"}
    assert all(li["assignDate"] < li["dueDate"] for li in read(tmp_path, "lineItems"))
    assert_references_resolve(tmp_path, V11_REFS)
    assert summary.version == "1.1"


def counts_by_status(export: Path, stream: str, before: set[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in read(export, stream):
        if row["status"] == "tobedeleted":
            counts["removed"] += 1
        else:
            assert row["status"] == "active"
            assert row["dateLastModified"].endswith("T02:00:00.000Z")
            counts["changed" if row["sourcedId"] in before else "added"] += 1
    return counts


def test_delta_changes_adds_and_removes_a_share(district: ExportSummary, tmp_path: Path) -> None:
    delta = write_delta(district.path, tmp_path, share=0.02)
    before_users = {u["sourcedId"] for u in read(district.path, "users")}
    users = counts_by_status(tmp_path, "users", before_users)
    assert users["removed"] == users["added"] == 40
    assert 0.015 * len(before_users) <= users["changed"] <= 0.025 * len(before_users)
    declared = manifest(tmp_path)
    for stream in STREAMS:
        expected = "delta" if stream in delta.rows else "absent"
        assert declared[f"file.{stream}"] == expected
    assert set(delta.rows) == {"users", "roles", "demographics", "enrollments", "results"}
    removed = {u["sourcedId"] for u in read(tmp_path, "users") if u["status"] == "tobedeleted"}
    for stream, owner in (("enrollments", "userSourcedId"), ("results", "studentSourcedId"),
                          ("roles", "userSourcedId"), ("demographics", "sourcedId")):
        gone = {r[owner] for r in read(tmp_path, stream) if r["status"] == "tobedeleted"}
        assert gone == removed, stream
    before_enrollments = {e["sourcedId"] for e in read(district.path, "enrollments")}
    enrollments = counts_by_status(tmp_path, "enrollments", before_enrollments)
    assert enrollments["added"] == 6 * 40
    assert enrollments["removed"] == 6 * 40
    classes = {c["sourcedId"] for c in read(district.path, "classes")}
    assert all(e["classSourcedId"] in classes for e in read(tmp_path, "enrollments"))


def test_delta_as_bulk_is_the_whole_new_state(district: ExportSummary, tmp_path: Path) -> None:
    delta = write_delta(district.path, tmp_path / "delta", share=0.01)
    bulk = write_delta(district.path, tmp_path / "bulk", share=0.01, mode="bulk")
    assert set(written(bulk.path)) == set(written(district.path))
    assert all(v in {"bulk", "absent"} for k, v in manifest(bulk.path).items()
               if k.startswith("file."))
    changes = {u["sourcedId"]: u for u in read(delta.path, "users")}
    users = {u["sourcedId"]: u for u in read(bulk.path, "users")}
    for sid, change in changes.items():
        if change["status"] == "tobedeleted":
            assert sid not in users
        else:
            assert {k: v for k, v in users[sid].items() if k not in COMMON_COLUMNS} == {
                k: v for k, v in change.items() if k not in COMMON_COLUMNS}
    assert len(users) == district.rows["users"]
    refs = {(s, c): t for s in written(bulk.path) for c, t in schema_refs(s).items()}
    assert_references_resolve(bulk.path, refs)
    assert (bulk.path / "classes.csv").read_bytes() == (district.path / "classes.csv").read_bytes()


def test_delta_of_a_1_1_export(tmp_path: Path) -> None:
    base = write_district(tmp_path / "base", 600, version="1.1")
    delta = write_delta(base.path, tmp_path / "delta", share=0.05)
    assert manifest(delta.path)["oneroster.version"] == "1.1"
    assert header(delta.path, "users") == V11_HEADERS["users"]
    added = [u for u in read(delta.path, "users")
             if u["status"] == "active" and u["role"] == "student" and u["sourcedId"] not in
             {b["sourcedId"] for b in read(base.path, "users")}]
    assert len(added) == 30
    assert all(u["orgSourcedIds"].startswith("sch-") and u["grades"] for u in added)


def test_delta_rejects_bad_arguments(district: ExportSummary, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"):
        write_delta(district.path, tmp_path, mode="sideways")
    with pytest.raises(ValueError, match="share"):
        write_delta(district.path, tmp_path, share=0.9)
    with pytest.raises(ValueError, match="not over it"):
        write_delta(district.path, district.path)
