"""A tenant's academic standards in the admin API: the CASE frameworks imported (and import
of a package), one item with its place in the graph (parent, children, prerequisites,
equals), and the crosswalk from vendor skill codes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.deps import StoreDep, TenantDep
from gateway.api.schemas import ProblemPublic
from gateway.errors import SourceDataError
from gateway.standards import (
    Crosswalk,
    CrosswalkEntry,
    FrameworkRecord,
    StandardRecord,
    children,
    equivalents,
    frameworks,
    import_package,
    parent,
    prerequisites,
    standard,
    standards_by_code,
    unlocks,
)

__all__ = ["router"]

TENANT = "/tenants/{tenant}/standards"
router = APIRouter(tags=["standards"])


class FrameworkPublic(BaseModel):
    identifier: str
    uri: str | None
    title: str
    creator: str | None
    version: str | None
    subject: str | None
    adoption_status: str | None
    last_change: str | None
    source: str | None
    imported_at: str
    item_count: int

    @classmethod
    def of(cls, f: FrameworkRecord) -> FrameworkPublic:
        return cls(identifier=f.identifier, uri=f.uri, title=f.title, creator=f.creator,
                   version=f.version, subject=f.subject, adoption_status=f.adoption_status,
                   last_change=f.last_change, source=f.source, imported_at=f.imported_at,
                   item_count=f.item_count)


class StandardBrief(BaseModel):
    identifier: str
    code: str | None = None
    statement: str | None = None
    """None for an item this tenant has not imported (an exactMatchOf into another
    framework)."""


class StandardPublic(StandardBrief):
    framework: str
    uri: str | None
    item_type: str | None
    subject: str | None
    grade_levels: list[str]
    parent: StandardBrief | None
    children: list[StandardBrief]
    prerequisites: list[StandardBrief]
    unlocks: list[StandardBrief]
    equivalents: list[StandardBrief]


class ImportPublic(BaseModel):
    framework: str
    title: str
    items: dict[str, int]
    associations: dict[str, int]
    notices: list[ProblemPublic]


class CrosswalkPublic(BaseModel):
    system: str
    code: str
    standard: str
    strength: float
    source: str
    updated_at: str

    @classmethod
    def of(cls, e: CrosswalkEntry) -> CrosswalkPublic:
        return cls(system=e.system, code=e.code, standard=e.standard, strength=e.strength,
                   source=e.source, updated_at=e.updated_at)


class CrosswalkPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=100,
                        description="The connection or mapping the code comes from.")
    code: str = Field(min_length=1, max_length=255, description="The vendor's skill code.")
    standard: str = Field(min_length=1, max_length=200,
                          description="The standard's CASE identifier, or a code naming "
                                      "exactly one standard.")
    strength: float = Field(1.0, gt=0, le=1, description="1: the same skill.")


@router.get(TENANT, response_model=list[FrameworkPublic])
def list_frameworks(tenant: TenantDep, store: StoreDep) -> list[FrameworkPublic]:
    """The CASE frameworks imported into the tenant, by title."""
    with store.engine.connect() as conn:
        return [FrameworkPublic.of(f) for f in frameworks(conn, tenant.id)]


@router.post(TENANT, response_model=ImportPublic,
             responses={422: {"description": "the package is not a usable CASE package; "
                                             "nothing was changed"}})
def import_framework(tenant: TenantDep, store: StoreDep,
                     package: Annotated[dict[str, Any], Body(
                         description="A CASE 1.1 CFPackage (CFDocument, CFItems, "
                                     "CFAssociations).")]) -> Any:
    """Import or update a framework from a CFPackage; a bad package changes nothing and
    the answer lists each bad item and field."""
    try:
        report = import_package(store.engine, tenant.id, package, "admin API")
    except SourceDataError as exc:
        return JSONResponse({"detail": exc.args[0], "problems": [
            p.as_dict() for p in exc.problems]}, status.HTTP_422_UNPROCESSABLE_CONTENT)
    return ImportPublic(framework=report.framework, title=report.title, items=report.items,
                        associations=report.associations,
                        notices=[ProblemPublic.of(n) for n in report.notices])


def _briefs(found: dict[str, list[StandardRecord]], identifiers: list[str],
            ) -> list[StandardBrief]:
    out = []
    for identifier in identifiers:
        record = next((r for r in found.get(identifier, []) if r.identifier == identifier),
                      None)
        out.append(StandardBrief(identifier=identifier, code=record.code if record else None,
                                 statement=record.statement if record else None))
    return out


@router.get(f"{TENANT}/item", response_model=StandardPublic)
def get_standard(identifier: Annotated[str, Query(min_length=1, max_length=200, description=(
                     "The CASE identifier, or a code (humanCodingScheme) naming one item."))],
                 tenant: TenantDep, store: StoreDep) -> StandardPublic:
    """One standard with its parent, children, prerequisites, what it unlocks, and its
    equals in other frameworks. The identifier is a query parameter because CASE
    identifiers may be URLs (``http://purl.org/ASN/resources/S114340D``)."""
    with store.engine.connect() as conn:
        item = standard(conn, tenant.id, identifier)
        if item is None:
            matches = standards_by_code(conn, tenant.id, [identifier]).get(identifier, [])
            item = matches[0] if len(matches) == 1 else None
        if item is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND,
                                f"no standard {identifier!r} in tenant {tenant.slug!r} (by "
                                f"CASE identifier or code); GET /admin"
                                f"{TENANT.format(tenant=tenant.slug)} lists the frameworks")
        # One indexed query per relation: an admin looks at one item, no need to read
        # the tenant's whole graph (StandardsGraph) for it.
        up = parent(conn, tenant.id, item.identifier)
        related = {
            "children": children(conn, tenant.id, item.identifier),
            "prerequisites": prerequisites(conn, tenant.id, item.identifier),
            "unlocks": unlocks(conn, tenant.id, item.identifier),
            "equivalents": equivalents(conn, tenant.id, item.identifier),
        }
        wanted = [i for ids in related.values() for i in ids] + ([up] if up else [])
        found = standards_by_code(conn, tenant.id, wanted)
    return StandardPublic(
        identifier=item.identifier, code=item.code, statement=item.statement,
        framework=item.framework, uri=item.uri, item_type=item.item_type,
        subject=item.subject, grade_levels=list(item.grade_levels),
        parent=_briefs(found, [up])[0] if up else None,
        children=_briefs(found, related["children"]),
        prerequisites=_briefs(found, related["prerequisites"]),
        unlocks=_briefs(found, related["unlocks"]),
        equivalents=_briefs(found, related["equivalents"]))


@router.get(f"{TENANT}/crosswalk", response_model=list[CrosswalkPublic])
def list_crosswalk(tenant: TenantDep, store: StoreDep,
                   system: Annotated[str | None, Query(max_length=100)] = None,
                   code: Annotated[str | None, Query(max_length=255)] = None,
                   ) -> list[CrosswalkPublic]:
    """The crosswalk entries (of one system, or one code), by system and code."""
    with store.engine.connect() as conn:
        return [CrosswalkPublic.of(e)
                for e in Crosswalk.entries(conn, tenant.id, system, code)]


@router.put(f"{TENANT}/crosswalk", response_model=CrosswalkPublic)
def put_crosswalk(body: CrosswalkPut, tenant: TenantDep, store: StoreDep) -> CrosswalkPublic:
    """Align a vendor skill code to a standard, or change the alignment's strength; an
    unknown or ambiguous standard is a 422 saying which."""
    with store.engine.begin() as conn:
        entry = Crosswalk.set(conn, tenant.id, body.system, body.code, body.standard,
                              body.strength, "admin")
    return CrosswalkPublic.of(entry)
