"""What a vendor client may see of the gradebook and resources streams.

:func:`gateway.provider.sharing.visible` scopes the rostering streams; this module does the
same for the gradebook and resources services, on top of it (a record is visible when what
it hangs off is visible by the rostering rule). :class:`gateway.provider.reader.Reader` adds
these conditions to every query, so, as in rostering, a record outside the grant answers
exactly like a missing one.

With S schools, C classes and G grades granted (each optional), stream by stream:

- lineItems, scoreScales: of a visible (active) class;
- results: of a visible line item (the result's class is its line item's class, which
  LineItemDType requires; ``result.class`` is optional and only informative) *and* for a
  visible student;
- categories: all of the tenant's. A category row has no class, school or owner (CategoryDType
  is ``title`` and ``weight``): categories are a district-wide vocabulary like
  academicSessions, and carry no personal data;
- resources: linked (by an active classResources, courseResources or userResources row) to
  a visible class, course or user;
- assessmentLineItems: of a visible class, or of no class at all (AssessmentLineItemDType
  makes the class optional: a district-wide assessment such as a fall benchmark is, like a
  category, a title without personal data, so every client of the tenant sees it);
- assessmentResults: of a visible assessment line item *and* for a visible student;
- the nested streams (lineItemScoreScales, resultLearningObjectiveIds, ...) are read only
  through their visible parent.

A client granted the whole tenant sees every record, as in rostering.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.provider.sharing import Grant, active, visible
from gateway.store.tables import stream_tables

__all__ = ["STREAMS", "visible_coursework"]

Condition = sa.ColumnElement[bool]

STREAMS = frozenset({"categories", "scoreScales", "lineItems", "results", "resources",
                     "lineItemLearningObjectiveIds", "lineItemScoreScales",
                     "resultLearningObjectiveIds", "resultScoreScales", "classResources",
                     "courseResources", "userResources", "assessmentLineItems",
                     "assessmentResults"})
"""The streams this module scopes (``sharing.visible`` leaves them unscoped)."""


def _whole(grant: Grant) -> bool:
    return grant.schools is None and grant.classes is None and grant.grades is None


def visible_class(class_id: sa.ColumnElement[str], tenant_id: int,
                  grant: Grant) -> Condition:
    c = stream_tables["classes"].alias("vis_cw_class")
    return sa.exists().where(*active(c, tenant_id), c.c.sourced_id == class_id,
                             *visible("classes", c, tenant_id, grant))


def _visible(stream: str, column: sa.ColumnElement[str], tenant_id: int, grant: Grant,
             alias: str) -> Condition:
    t = stream_tables[stream].alias(alias)
    return sa.exists().where(*active(t, tenant_id), t.c.sourced_id == column,
                             *visible(stream, t, tenant_id, grant))


def _no_class_or_visible(table: sa.FromClause, tenant_id: int, grant: Grant) -> Condition:
    """An assessment line item (an alias of its table) without a class, or of a visible one."""
    return sa.or_(table.c.class_sourced_id.is_(None),
                  visible_class(table.c.class_sourced_id, tenant_id, grant))


def visible_coursework(stream: str, table: sa.FromClause, tenant_id: int,
                       grant: Grant) -> list[Condition]:
    """Conditions keeping ``table`` (an alias of ``stream``'s table) within the grant; none
    for streams that are not gradebook/resources streams or for a whole-tenant grant."""
    if stream not in STREAMS or _whole(grant) or stream == "categories":
        return []
    if stream in ("lineItems", "scoreScales"):
        return [visible_class(table.c.class_sourced_id, tenant_id, grant)]
    if stream == "results":
        li = stream_tables["lineItems"].alias("vis_cw_li")
        return [sa.exists().where(li.c.tenant_id == tenant_id,
                                  li.c.sourced_id == table.c.line_item_sourced_id,
                                  visible_class(li.c.class_sourced_id, tenant_id, grant)),
                _visible("users", table.c.student_sourced_id, tenant_id, grant, "vis_cw_user")]
    if stream == "assessmentLineItems":
        return [_no_class_or_visible(table, tenant_id, grant)]
    if stream == "assessmentResults":
        ali = stream_tables["assessmentLineItems"].alias("vis_cw_ali")
        return [sa.exists().where(ali.c.tenant_id == tenant_id,
                                  ali.c.sourced_id == table.c.assessment_line_item_sourced_id,
                                  _no_class_or_visible(ali, tenant_id, grant)),
                _visible("users", table.c.student_sourced_id, tenant_id, grant, "vis_cw_user")]
    if stream == "resources":
        links = []
        for link, target, column in (("classResources", "classes", "class_sourced_id"),
                                     ("courseResources", "courses", "course_sourced_id"),
                                     ("userResources", "users", "user_sourced_id")):
            r = stream_tables[link].alias(f"vis_cw_{link}")
            links.append(sa.exists().where(
                *active(r, tenant_id), r.c.resource_sourced_id == table.c.sourced_id,
                _visible(target, r.c[column], tenant_id, grant, f"vis_cw_{target}")))
        return [sa.or_(*links)]
    # Nested rows are only ever read for parents already found visible.
    return []
