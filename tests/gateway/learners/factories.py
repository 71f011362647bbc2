"""Plain functions that put a small learning world in a store: a roster (through the CSV
connector), a small CASE framework, and mastery, evidence, placements and interventions
written straight into their tables, as the intake and mastery modules would."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.store.learning_tables import (
    evidence,
    interventions,
    mastery,
    placements,
    standard_associations,
    standards,
    standards_frameworks,
)
from gateway.store.store import Store
from tests.connectors.oneroster_csv.factories import enrollment, org, user, write_export
from tests.helpers import csv_connection, run

_keys = itertools.count(1)

# A small CASE 1.1 package: grades 3 to 8 of a math framework. Edges, in CASE's reading
# ("origin <type> destination"):
#   3.NF.A is a cluster with children 3.NF.A.1 and 3.NF.A.2
#   3.NF.A precedes 4.NF.A.1 precedes 5.NF.A.1
#   4.NF.B.3 precedes 5.NF.B.3
#   4.OA.A.1 precedes 5.OA.A.1 precedes 6.EE.A.1 precedes 8.EE.A.1
MATH_DOC = "doc-math"
_ITEMS = [  # (identifier, code, grade, list order)
    ("m-3nfa", "3.NF.A", "03", 1), ("m-3nfa1", "3.NF.A.1", "03", 2),
    ("m-3nfa2", "3.NF.A.2", "03", 3),
    ("m-4nfa1", "4.NF.A.1", "04", 1), ("m-4nfb3", "4.NF.B.3", "04", 2),
    ("m-4oaa1", "4.OA.A.1", "04", 3),
    ("m-5nfa1", "5.NF.A.1", "05", 1), ("m-5nfb3", "5.NF.B.3", "05", 2),
    ("m-5oaa1", "5.OA.A.1", "05", 3),
    ("m-6eea1", "6.EE.A.1", "06", 1), ("m-8eea1", "8.EE.A.1", "08", 1),
]
_EDGES = [  # (type, origin, destination)
    ("isChildOf", "m-3nfa1", "m-3nfa"), ("isChildOf", "m-3nfa2", "m-3nfa"),
    ("precedes", "m-3nfa", "m-4nfa1"), ("precedes", "m-4nfa1", "m-5nfa1"),
    ("precedes", "m-4nfb3", "m-5nfb3"), ("precedes", "m-4oaa1", "m-5oaa1"),
    ("precedes", "m-5oaa1", "m-6eea1"), ("precedes", "m-6eea1", "m-8eea1"),
    *(("isChildOf", i[0], MATH_DOC) for i in _ITEMS if i[0] not in ("m-3nfa1", "m-3nfa2")),
]


def math_package() -> dict[str, Any]:
    """The framework above as a CASE 1.1 CFPackage."""
    return {
        "CFDocument": {"identifier": MATH_DOC, "title": "Harbor Math", "subject": ["Mathematics"],
                       "creator": "Harbor Lakes", "lastChangeDateTime": "2026-01-01T00:00:00Z"},
        "CFItems": [{"identifier": ident, "humanCodingScheme": code,
                     "fullStatement": f"Statement of {code}", "educationLevel": [grade],
                     "CFItemType": "Cluster" if ident == "m-3nfa" else "Standard",
                     "listEnumeration": str(order)}
                    for ident, code, grade, order in _ITEMS],
        "CFAssociations": [{"identifier": f"a-{n}", "associationType": kind,
                            "originNodeURI": {"identifier": origin},
                            "destinationNodeURI": {"identifier": destination}}
                           for n, (kind, origin, destination) in enumerate(_EDGES, 1)],
    }


def insert_case(conn: sa.Connection, tenant_id: int, package: dict[str, Any]) -> None:
    """Put a CASE package's document, items and associations into the standards tables."""
    doc = package["CFDocument"]
    framework_id = conn.execute(standards_frameworks.insert().values(
        tenant_id=tenant_id, identifier=doc["identifier"], title=doc["title"],
        subject=", ".join(doc.get("subject", [])) or None, creator=doc.get("creator"),
        imported_at=utcnow()).returning(standards_frameworks.c.id)).scalar_one()
    for item in package["CFItems"]:
        conn.execute(standards.insert().values(
            tenant_id=tenant_id, framework_id=framework_id, identifier=item["identifier"],
            code=item.get("humanCodingScheme"), statement=item["fullStatement"],
            item_type=item.get("CFItemType"), subject=None,
            grade_levels=item.get("educationLevel"),
            list_order=int(item["listEnumeration"]) if "listEnumeration" in item else None))
    for assoc in package["CFAssociations"]:
        conn.execute(standard_associations.insert().values(
            tenant_id=tenant_id, framework_id=framework_id, identifier=assoc["identifier"],
            association_type=assoc["associationType"],
            origin=assoc["originNodeURI"]["identifier"],
            destination=assoc["destinationNodeURI"]["identifier"]))


def state_package() -> dict[str, Any]:
    """A state framework whose one item is the same as 5.NF.A.1 (``exactMatchOf``)."""
    return {
        "CFDocument": {"identifier": "doc-state", "title": "State Math", "subject": ["Math"]},
        "CFItems": [{"identifier": "s-5nf1", "humanCodingScheme": "ST.5.NF.1",
                     "fullStatement": "State's 5.NF.A.1", "educationLevel": ["05"],
                     "listEnumeration": "1"}],
        "CFAssociations": [{"identifier": "sa-1", "associationType": "exactMatchOf",
                            "originNodeURI": {"identifier": "s-5nf1"},
                            "destinationNodeURI": {"identifier": "m-5nfa1"}}],
    }


def reading_package() -> dict[str, Any]:
    return {
        "CFDocument": {"identifier": "doc-ela", "title": "Harbor ELA",
                       "subject": ["English Language Arts"]},
        "CFItems": [{"identifier": f"r-{g}", "humanCodingScheme": f"RL.{int(g)}.1",
                     "fullStatement": f"Reading, grade {g}", "educationLevel": [g],
                     "listEnumeration": "1"} for g in ("02", "05", "08")],
        "CFAssociations": [{"identifier": "ra-1", "associationType": "precedes",
                            "originNodeURI": {"identifier": "r-02"},
                            "destinationNodeURI": {"identifier": "r-05"}}],
    }


def roster(store: Store, tmp_path: Path, *, tenant: str = "district",
           students: dict[str, str] | None = None,
           classes: dict[str, list[str]] | None = None) -> int:
    """Load a roster through the CSV connector: ``students`` (sourcedId -> grades),
    ``classes`` (class sourcedId -> student sourcedIds), a teacher in each class. Returns
    the tenant id."""
    students = students if students is not None else {"u1": "05"}
    classes = classes if classes is not None else {"k1": list(students)}
    store.ensure_tenant(tenant, tenant.title())
    users = [user(sid, f"Given-{sid}", f"Family-{sid}", grades=grades,
                  primaryOrgSourcedId="s1") for sid, grades in students.items()]
    users.append(user("t1", "Tess", "Teacher", primaryOrgSourcedId="s1"))
    enrollments = [enrollment(f"e-{k}-{u}", k, u) for k, members in classes.items()
                   for u in members]
    enrollments += [enrollment(f"e-{k}-t1", k, "t1", "teacher") for k in classes]
    export = write_export(tmp_path / f"roster-{tenant}", {
        "orgs": [org("d1", "District", "district"), org("s1", "Harbor Middle", parent="d1")],
        "academicSessions": [{"sourcedId": "y1", "title": "2026-27", "type": "schoolYear",
                              "startDate": "2026-08-20", "endDate": "2027-06-10",
                              "schoolYear": "2027"}],
        "courses": [{"sourcedId": "c1", "title": "Math", "orgSourcedId": "s1",
                     "schoolYearSourcedId": "y1"}],
        "classes": [{"sourcedId": k, "title": f"Math {k}", "courseSourcedId": "c1",
                     "classType": "scheduled", "schoolSourcedId": "s1", "termSourcedIds": "y1",
                     "subjects": "Mathematics", "grades": "05"} for k in classes],
        "users": users,
        "enrollments": enrollments,
    })
    csv_connection(store, export, tenant=tenant, name="roster")
    report = run(store, f"{tenant}/roster")
    assert report.status == "succeeded", report
    return store.tenant(tenant).id


def add_mastery(conn: sa.Connection, tenant_id: int, learner: str, standard: str,
                score: float, level: str, *, evidence_count: int = 3) -> None:
    conn.execute(mastery.insert().values(
        tenant_id=tenant_id, user_sourced_id=learner, standard=standard, score=score,
        level=level, method="decaying_average", evidence_count=evidence_count,
        last_evidence_at="2026-11-20T10:00:00.000Z", computed_at=utcnow()))


def add_evidence(conn: sa.Connection, tenant_id: int, learner: str, standard: str,
                 score: float, *, system: str = "mathtool", status: str = "active") -> None:
    conn.execute(evidence.insert().values(
        tenant_id=tenant_id, system=system, source_key=f"ev-{next(_keys)}",
        user_sourced_id=learner, activity="Lesson", standard=standard,
        raw_score=str(round(score * 100)), scale="percent", score=score,
        observed_at="2026-11-20T10:00:00.000Z", status=status, created_at=utcnow()))


def add_placement(conn: sa.Connection, tenant_id: int, learner: str, subject: str,
                  grade_level: str | None, *, system: str = "mathtool",
                  struggling: bool | None = None) -> None:
    conn.execute(placements.insert().values(
        tenant_id=tenant_id, identity_link_id=next(_keys), user_sourced_id=learner,
        subject=subject, system=system, grade_level=grade_level, struggling=struggling,
        observed_at="2026-11-20T10:00:00.000Z"))


def add_intervention(conn: sa.Connection, tenant_id: int, learner: str, started_at: str, *,
                     kind: str = "small-group", standard: str | None = None,
                     given_by: str | None = "Ms. Rivera", system: str = "readtool") -> None:
    conn.execute(interventions.insert().values(
        tenant_id=tenant_id, system=system, source_key=f"iv-{next(_keys)}",
        user_sourced_id=learner, kind=kind, skill_code="FLU.3", standard=standard,
        given_by=given_by, started_at=started_at, minutes=20.0, notes=None,
        created_at=utcnow()))
