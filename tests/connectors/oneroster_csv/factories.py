"""Plain functions that write small OneRoster CSV exports for tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from gateway.model.schema import COMMON_COLUMNS, STREAMS

USERS_11 = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
            "username", "userIds", "givenName", "familyName", "middleName", "identifier",
            "email", "sms", "phone", "agentSourcedIds", "grades", "password"]
LINE_ITEMS_11 = ["sourcedId", "status", "dateLastModified", "title", "description",
                 "assignDate", "dueDate", "classSourcedId", "categorySourcedId",
                 "gradingPeriodSourcedId", "resultValueMin", "resultValueMax"]
RESULTS_11 = ["sourcedId", "status", "dateLastModified", "lineItemSourcedId",
              "studentSourcedId", "scoreStatus", "score", "scoreDate", "comment"]


def header(stream: str, version: str = "1.2") -> list[str]:
    if version == "1.1":
        special = {"users": USERS_11, "lineItems": LINE_ITEMS_11, "results": RESULTS_11,
                   "categories": ["sourcedId", "status", "dateLastModified", "title"]}
        if stream in special:
            return special[stream]
    return [*COMMON_COLUMNS, *STREAMS[stream].column_names]


def write_export(path: Path, files: dict[str, list[dict[str, Any]]], *, version: str = "1.2",
                 modes: dict[str, str] | None = None,
                 headers: dict[str, list[str]] | None = None) -> Path:
    """Write ``files`` (stream -> rows as dicts keyed by header name) with a manifest.
    Streams not given are ``absent``; ``modes`` overrides bulk per stream."""
    path.mkdir(parents=True, exist_ok=True)
    modes = modes or {}
    with (path / "manifest.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["propertyName", "value"])
        w.writerow(["manifest.version", "1.0"])
        w.writerow(["oneroster.version", version])
        for stream in STREAMS:
            w.writerow([f"file.{stream}", modes.get(stream, "bulk") if stream in files
                        else "absent"])
    for stream, rows in files.items():
        cols = (headers or {}).get(stream) or header(stream, version)
        with (path / f"{stream}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for row in rows:
                w.writerow([row.get(c, "") for c in cols])
    return path


def org(sid: str, name: str, type_: str = "school", parent: str = "") -> dict[str, Any]:
    return {"sourcedId": sid, "name": name, "type": type_, "parentSourcedId": parent}


def user(sid: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
    return {"sourcedId": sid, "enabledUser": "true", "username": sid, "givenName": given,
            "familyName": family, **extra}


def enrollment(sid: str, cls: str, usr: str, role: str = "student",
               school: str = "s1") -> dict[str, Any]:
    return {"sourcedId": sid, "classSourcedId": cls, "schoolSourcedId": school,
            "userSourcedId": usr, "role": role}


def small_district(students: int = 6) -> dict[str, list[dict[str, Any]]]:
    """A district with 2 schools, 3 classes, ``students`` students and 2 teachers."""
    users = [user(f"u{i}", f"Given{i}", f"Family{i}", email=f"u{i}@example.org",
                  grades="05", primaryOrgSourcedId="s1") for i in range(1, students + 1)]
    users += [user("t1", "Tess", "Teacher", primaryOrgSourcedId="s1"),
              user("t2", "Tom", "Teacher", primaryOrgSourcedId="s2")]
    enrollments = [enrollment(f"e{i}", f"k{1 + i % 3}", f"u{i}")
                   for i in range(1, students + 1)]
    enrollments += [enrollment("et1", "k1", "t1", "teacher"),
                    enrollment("et2", "k2", "t1", "teacher"),
                    enrollment("et3", "k3", "t2", "teacher", school="s2")]
    return {
        "orgs": [org("d1", "District", "district"), org("s1", "North", parent="d1"),
                 org("s2", "South", parent="d1")],
        "academicSessions": [{"sourcedId": "y1", "title": "2026-27", "type": "schoolYear",
                              "startDate": "2026-08-20", "endDate": "2027-06-10",
                              "schoolYear": "2027"}],
        "courses": [{"sourcedId": "c1", "title": "Math 5", "orgSourcedId": "s1",
                     "schoolYearSourcedId": "y1"},
                    {"sourcedId": "c2", "title": "Reading 5", "orgSourcedId": "s2"}],
        "classes": [{"sourcedId": f"k{i}", "title": f"Class {i}", "courseSourcedId":
                     "c1" if i < 3 else "c2", "classType": "scheduled",
                     "schoolSourcedId": "s1" if i < 3 else "s2", "termSourcedIds": "y1"}
                    for i in (1, 2, 3)],
        "users": users,
        "enrollments": enrollments,
    }
