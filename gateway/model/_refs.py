"""GUID references: the ``{href, sourcedId, type}`` objects OneRoster 1.2 JSON links with."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "REF_TYPES",
    "AcadSessionRef",
    "AssessmentLineItemRef",
    "CategoryRef",
    "ClassRef",
    "CourseRef",
    "GUIDRef",
    "LineItemRef",
    "OrgRef",
    "RefType",
    "ResourceRef",
    "ResultRef",
    "ScoreScaleRef",
    "UserRef",
    "href",
]

# "result" is ours: the spec never links to a result, but rows of resultScoreScales and
# resultLearningObjectiveIds do, and their models link the same way as the rest.
RefType = Literal[
    "academicSession", "assessmentLineItem", "category", "class", "course", "lineItem", "org",
    "resource", "result", "scoreScale", "user",
]

REF_TYPES: dict[str, RefType] = {
    "academicSessions": "academicSession",
    "assessmentLineItems": "assessmentLineItem",
    "categories": "category",
    "classes": "class",
    "courses": "course",
    "lineItems": "lineItem",
    "orgs": "org",
    "resources": "resource",
    "results": "result",
    "scoreScales": "scoreScale",
    "users": "user",
}
"""The ``type`` of a reference to a record of each stream; the stream name is also the REST
collection the ``href`` points into."""


class GUIDRef(BaseModel):
    """A link to another record (the spec's ``*GUIDRefDType``)."""

    # additionalProperties is false for every GUIDRef in the spec.
    model_config = ConfigDict(extra="forbid")

    href: str
    sourcedId: str = Field(min_length=1)
    type: RefType


def href(base_url: str, collection: str, sourced_id: str) -> str:
    """``{base_url}/{collection}/{sourcedId}``, with the id escaped so the result stays a URI."""
    if not _UNRESERVED(sourced_id):  # most ids need no escaping; quote() costs 4 us each
        sourced_id = quote(sourced_id, safe="")
    return f"{base_url.rstrip('/')}/{collection}/{sourced_id}"


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]+").fullmatch
"""What ``quote(..., safe="")`` leaves as it is (RFC 3986 unreserved characters)."""


def _typed(expected: RefType) -> AfterValidator:
    # The spec has one GUIDRef schema per target (OrgGUIDRefDType, ...) whose ``type`` enum
    # has a single value; one model plus this check keeps that rule without nine classes.
    def check(ref: GUIDRef) -> GUIDRef:
        if ref.type != expected:
            raise ValueError(f"must reference a {expected}, not a {ref.type}")
        return ref

    return AfterValidator(check)


AcadSessionRef = Annotated[GUIDRef, _typed("academicSession")]
AssessmentLineItemRef = Annotated[GUIDRef, _typed("assessmentLineItem")]
CategoryRef = Annotated[GUIDRef, _typed("category")]
ClassRef = Annotated[GUIDRef, _typed("class")]
CourseRef = Annotated[GUIDRef, _typed("course")]
LineItemRef = Annotated[GUIDRef, _typed("lineItem")]
OrgRef = Annotated[GUIDRef, _typed("org")]
ResourceRef = Annotated[GUIDRef, _typed("resource")]
ResultRef = Annotated[GUIDRef, _typed("result")]
ScoreScaleRef = Annotated[GUIDRef, _typed("scoreScale")]
UserRef = Annotated[GUIDRef, _typed("user")]
