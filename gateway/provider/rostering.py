"""The OneRoster 1.2 rostering service: which records each path serves.

Paths, the wrapper key of each response (``{"users": [...]}``, ``{"user": {...}}``) and the
OAuth 2 scopes each operation accepts come from the official OpenAPI file (a copy in
``specs/``), so they cannot drift from the standard. What each path *means* in terms of the
store's tables is written here, path by path: ``/schools`` are orgs of type school,
``/classes/{id}/students`` are users actively enrolled in that class as students, and so on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from gateway.provider.service import SPECS, Condition, Endpoint, Parent, Service, Where
from gateway.provider.service import all_of as _all
from gateway.provider.service import eq as _eq
from gateway.provider.service import is_record as _is
from gateway.provider.service import nothing as _nothing
from gateway.provider.service import of_type as _of_type
from gateway.provider.sharing import active, in_list
from gateway.store.tables import stream_tables

__all__ = ["BASE", "ENDPOINTS", "ROSTERING", "SPEC_FILE", "spec"]

BASE = "/ims/oneroster/rostering/v1p2"
SPEC_FILE = SPECS / "onerosterv1p2rostersservice_openapi3_v1p0.json"

def _with_role(role: str, *, org_param: str | None = None) -> Where:
    """Users holding an active ``role`` (at the org named by ``org_param``)."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        r = stream_tables["roles"].alias("role")
        cond = [*active(r, tenant), r.c.role == role]
        if org_param:
            cond.append(r.c.org_sourced_id == params[org_param])
        return [table.c.sourced_id.in_(sa.select(r.c.user_sourced_id).where(*cond))]
    return where


def _enrolled(role: str | None, *, class_param: str,
              school_param: str | None = None) -> Where:
    """Users actively enrolled in the class named by ``class_param`` (as ``role``)."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        e = stream_tables["enrollments"].alias("enr")
        cond = [*active(e, tenant), e.c.class_sourced_id == params[class_param]]
        if role:
            cond.append(e.c.role == role)
        if school_param:
            cond.append(e.c.school_sourced_id == params[school_param])
        return [table.c.sourced_id.in_(sa.select(e.c.user_sourced_id).where(*cond))]
    return where


def _classes_of(user_param: str, role: str | None = None) -> Where:
    """Classes the user named by ``user_param`` is actively enrolled in."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        e = stream_tables["enrollments"].alias("enr")
        cond = [*active(e, tenant), e.c.user_sourced_id == params[user_param]]
        if role:
            cond.append(e.c.role == role)
        return [table.c.sourced_id.in_(sa.select(e.c.class_sourced_id).where(*cond))]
    return where


def _term_of_classes_at(school_param: str) -> Where:
    """Terms that some active class of the school is taught in."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        c = stream_tables["classes"].alias("cls")
        return [table.c.type == "term", sa.exists().where(
            *active(c, tenant), c.c.school_sourced_id == params[school_param],
            in_list(c.c.term_sourced_ids, table.c.sourced_id))]
    return where


def _in_term(term_param: str) -> Where:
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        return [in_list(table.c.term_sourced_ids, params[term_param])]
    return where


SCHOOL = Parent("schoolSourcedId", "orgs", _all(_eq("sourced_id", "schoolSourcedId"),
                                                _of_type("school")))
CLASS = Parent("classSourcedId", "classes", _eq("sourced_id", "classSourcedId"))
TEACHER = Parent("teacherSourcedId", "users", _all(_eq("sourced_id", "teacherSourcedId"),
                                                   _with_role("teacher")))
STUDENT = Parent("studentSourcedId", "users", _all(_eq("sourced_id", "studentSourcedId"),
                                                   _with_role("student")))
USER = Parent("userSourcedId", "users", _eq("sourced_id", "userSourcedId"))
TERM = Parent("termSourcedId", "academicSessions", _all(_eq("sourced_id", "termSourcedId"),
                                                        _of_type("term")))
COURSE = Parent("courseSourcedId", "courses", _eq("sourced_id", "courseSourcedId"))
SCHOOL_CLASS = Parent("classSourcedId", "classes", _all(_eq("sourced_id", "classSourcedId"),
                                                        _eq("school_sourced_id",
                                                            "schoolSourcedId")))

_TABLE: list[Endpoint] = [
    Endpoint("/academicSessions", "academicSessions", _nothing),
    Endpoint("/academicSessions/{sourcedId}", "academicSessions", _is("sourcedId"), True),
    Endpoint("/gradingPeriods", "academicSessions", _of_type("gradingPeriod")),
    Endpoint("/gradingPeriods/{sourcedId}", "academicSessions",
             _is("sourcedId", _of_type("gradingPeriod")), True),
    Endpoint("/terms", "academicSessions", _of_type("term")),
    Endpoint("/terms/{sourcedId}", "academicSessions", _is("sourcedId", _of_type("term")), True),
    Endpoint("/terms/{termSourcedId}/classes", "classes", _in_term("termSourcedId"),
             parents=(TERM,)),
    Endpoint("/terms/{termSourcedId}/gradingPeriods", "academicSessions",
             _all(_of_type("gradingPeriod"), _eq("parent_sourced_id", "termSourcedId")),
             parents=(TERM,)),
    Endpoint("/classes", "classes", _nothing),
    Endpoint("/classes/{sourcedId}", "classes", _is("sourcedId"), True),
    Endpoint("/classes/{classSourcedId}/students", "users",
             _enrolled("student", class_param="classSourcedId"), parents=(CLASS,)),
    Endpoint("/classes/{classSourcedId}/teachers", "users",
             _enrolled("teacher", class_param="classSourcedId"), parents=(CLASS,)),
    Endpoint("/courses", "courses", _nothing),
    Endpoint("/courses/{sourcedId}", "courses", _is("sourcedId"), True),
    Endpoint("/courses/{courseSourcedId}/classes", "classes",
             _eq("course_sourced_id", "courseSourcedId"), parents=(COURSE,)),
    Endpoint("/demographics", "demographics", _nothing),
    Endpoint("/demographics/{sourcedId}", "demographics", _is("sourcedId"), True),
    Endpoint("/enrollments", "enrollments", _nothing),
    Endpoint("/enrollments/{sourcedId}", "enrollments", _is("sourcedId"), True),
    Endpoint("/orgs", "orgs", _nothing),
    Endpoint("/orgs/{sourcedId}", "orgs", _is("sourcedId"), True),
    Endpoint("/schools", "orgs", _of_type("school")),
    Endpoint("/schools/{sourcedId}", "orgs", _is("sourcedId", _of_type("school")), True),
    Endpoint("/schools/{schoolSourcedId}/classes", "classes",
             _eq("school_sourced_id", "schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments", "enrollments",
             _all(_eq("school_sourced_id", "schoolSourcedId"),
                  _eq("class_sourced_id", "classSourcedId")), parents=(SCHOOL, SCHOOL_CLASS)),
    Endpoint("/schools/{schoolSourcedId}/classes/{classSourcedId}/students", "users",
             _enrolled("student", class_param="classSourcedId", school_param="schoolSourcedId"),
             parents=(SCHOOL, SCHOOL_CLASS)),
    Endpoint("/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers", "users",
             _enrolled("teacher", class_param="classSourcedId", school_param="schoolSourcedId"),
             parents=(SCHOOL, SCHOOL_CLASS)),
    Endpoint("/schools/{schoolSourcedId}/courses", "courses",
             _eq("org_sourced_id", "schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/schools/{schoolSourcedId}/enrollments", "enrollments",
             _eq("school_sourced_id", "schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/schools/{schoolSourcedId}/students", "users",
             _with_role("student", org_param="schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/schools/{schoolSourcedId}/teachers", "users",
             _with_role("teacher", org_param="schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/schools/{schoolSourcedId}/terms", "academicSessions",
             _term_of_classes_at("schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/students", "users", _with_role("student")),
    Endpoint("/students/{sourcedId}", "users", _is("sourcedId", _with_role("student")), True),
    Endpoint("/students/{studentSourcedId}/classes", "classes",
             _classes_of("studentSourcedId", "student"), parents=(STUDENT,)),
    Endpoint("/teachers", "users", _with_role("teacher")),
    Endpoint("/teachers/{sourcedId}", "users", _is("sourcedId", _with_role("teacher")), True),
    Endpoint("/teachers/{teacherSourcedId}/classes", "classes",
             _classes_of("teacherSourcedId", "teacher"), parents=(TEACHER,)),
    Endpoint("/users", "users", _nothing),
    Endpoint("/users/{sourcedId}", "users", _is("sourcedId"), True),
    Endpoint("/users/{userSourcedId}/classes", "classes", _classes_of("userSourcedId"),
             parents=(USER,)),
]


def _nul_free(where: Where) -> Where:
    """``where``, except that a path parameter containing NUL (U+0000) names no record: no
    stored id holds one (PostgreSQL text cannot, and binding one fails there, a 500)."""
    def guarded(table: sa.FromClause, tenant: int, params: Mapping[str, str]
                ) -> list[Condition]:
        if any("\x00" in value for value in params.values()):
            return [sa.false()]
        return where(table, tenant, params)
    return guarded


def _guarded(endpoint: Endpoint) -> Endpoint:
    return replace(endpoint, where=_nul_free(endpoint.where),
                   parents=tuple(replace(p, where=_nul_free(p.where))
                                 for p in endpoint.parents))


ROSTERING = Service("rostering", BASE, SPEC_FILE, [_guarded(e) for e in _TABLE])
ENDPOINTS = ROSTERING.endpoints


def spec() -> dict[str, Any]:
    return ROSTERING.spec()
