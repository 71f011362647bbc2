"""The OneRoster 1.2 gradebook service: which records each read path serves.

Paths, wrapper keys and scopes come from the official OpenAPI file (a copy in ``specs/``),
as for rostering. The writes (PUT, DELETE, POST) are in :mod:`.writes`.

The four ``/assessmentLineItems`` and ``/assessmentResults`` paths are the assessment
profile (AssessmentLineItemDType, AssessmentResultDType, their own ``assessment.*`` scopes).
No CSV binding carries it, so what they serve is what vendors wrote (see :mod:`.writes`);
who sees which record is in :mod:`.coursework`.

A result belongs to the class of its line item (LineItemDType requires ``class``;
``result.class`` is optional), so ``/classes/{id}/results`` are the results of the class's
line items.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from gateway.provider.service import SPECS, Condition, Endpoint, Parent, Service, Where
from gateway.provider.service import all_of as _all
from gateway.provider.service import eq as _eq
from gateway.provider.service import is_record as _is
from gateway.provider.service import nothing as _nothing
from gateway.provider.service import of_type as _of_type
from gateway.store.tables import stream_tables

__all__ = ["BASE", "GRADEBOOK", "SPEC_FILE"]

BASE = "/ims/oneroster/gradebook/v1p2"
SPEC_FILE = SPECS / "onerosterv1p2gradebookservice_openapi3_v1p0.json"


def _of_class_line_items(class_param: str) -> Where:
    """Results whose line item is taught in the class named by ``class_param``."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        li = stream_tables["lineItems"].alias("li")
        return [sa.exists().where(li.c.tenant_id == tenant,
                                  li.c.sourced_id == table.c.line_item_sourced_id,
                                  li.c.class_sourced_id == params[class_param])]
    return where


def _used_in_class(class_param: str) -> Where:
    """Categories some active line item of the class is filed under."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        li = stream_tables["lineItems"].alias("li")
        return [sa.exists().where(li.c.tenant_id == tenant, li.c.status == "active",
                                  li.c.category_sourced_id == table.c.sourced_id,
                                  li.c.class_sourced_id == params[class_param])]
    return where


def _at_school(school_param: str) -> Where:
    """Score scales of the school's org, or of a class taught at the school."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        c = stream_tables["classes"].alias("cls")
        school = params[school_param]
        return [sa.or_(table.c.org_sourced_id == school, sa.exists().where(
            c.c.tenant_id == tenant, c.c.sourced_id == table.c.class_sourced_id,
            c.c.school_sourced_id == school))]
    return where


CLASS = Parent("classSourcedId", "classes", _eq("sourced_id", "classSourcedId"))
SCHOOL = Parent("schoolSourcedId", "orgs", _all(_eq("sourced_id", "schoolSourcedId"),
                                                _of_type("school")))
STUDENT = Parent("studentSourcedId", "users", _eq("sourced_id", "studentSourcedId"))
CLASS_LINE_ITEM = Parent("lineItemSourcedId", "lineItems",
                         _all(_eq("sourced_id", "lineItemSourcedId"),
                              _eq("class_sourced_id", "classSourcedId")))

_TABLE: list[Endpoint] = [
    Endpoint("/assessmentLineItems", "assessmentLineItems", _nothing),
    Endpoint("/assessmentLineItems/{sourcedId}", "assessmentLineItems", _is("sourcedId"), True),
    Endpoint("/assessmentResults", "assessmentResults", _nothing),
    Endpoint("/assessmentResults/{sourcedId}", "assessmentResults", _is("sourcedId"), True),
    Endpoint("/categories", "categories", _nothing),
    Endpoint("/categories/{sourcedId}", "categories", _is("sourcedId"), True),
    Endpoint("/classes/{classSourcedId}/categories", "categories",
             _used_in_class("classSourcedId"), parents=(CLASS,)),
    Endpoint("/classes/{classSourcedId}/lineItems", "lineItems",
             _eq("class_sourced_id", "classSourcedId"), parents=(CLASS,)),
    Endpoint("/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results", "results",
             _eq("line_item_sourced_id", "lineItemSourcedId"),
             parents=(CLASS, CLASS_LINE_ITEM)),
    Endpoint("/classes/{classSourcedId}/results", "results",
             _of_class_line_items("classSourcedId"), parents=(CLASS,)),
    Endpoint("/classes/{classSourcedId}/scoreScales", "scoreScales",
             _eq("class_sourced_id", "classSourcedId"), parents=(CLASS,)),
    Endpoint("/classes/{classSourcedId}/students/{studentSourcedId}/results", "results",
             _all(_eq("student_sourced_id", "studentSourcedId"),
                  _of_class_line_items("classSourcedId")), parents=(CLASS, STUDENT)),
    Endpoint("/lineItems", "lineItems", _nothing),
    Endpoint("/lineItems/{sourcedId}", "lineItems", _is("sourcedId"), True),
    Endpoint("/results", "results", _nothing),
    Endpoint("/results/{sourcedId}", "results", _is("sourcedId"), True),
    Endpoint("/schools/{schoolSourcedId}/scoreScales", "scoreScales",
             _at_school("schoolSourcedId"), parents=(SCHOOL,)),
    Endpoint("/scoreScales", "scoreScales", _nothing),
    Endpoint("/scoreScales/{sourcedId}", "scoreScales", _is("sourcedId"), True),
]

GRADEBOOK = Service("gradebook", BASE, SPEC_FILE, _TABLE)
