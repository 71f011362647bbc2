"""The OneRoster 1.1 read paths: one base path for rostering, gradebook and resources.

Each 1.1 path means what the same path means in 1.2 (``/schools/{id}/students`` are the
users holding an active student role at the school, and so on), so its records, parents
and response wrapper key are those of the 1.2 endpoint; only the base path and the scopes
differ. A 1.1 operation accepts the 1.1 scope URIs of the same names as its 1.2 operation
(``…/or/v1p1/scope/roster-core.readonly`` where 1.2 takes ``…/or/v1p2/scope/…``), less the
scopes 1.1 never had (``gradebook-core.readonly``, ``resource-core.readonly``).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import replace

from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.resources import RESOURCES
from gateway.provider.rostering import ROSTERING
from gateway.provider.service import Endpoint
from gateway.store.clients import SCOPES_V1P1, V1P1, V1P2

__all__ = ["BASE", "ENDPOINTS", "LISTED_ROLES", "PATHS", "listed_role", "v1p1_scopes"]

BASE = "/ims/oneroster/v1p1"

PATHS: tuple[str, ...] = (
    # rostering
    "/academicSessions", "/academicSessions/{sourcedId}",
    "/classes", "/classes/{sourcedId}",
    "/classes/{classSourcedId}/students", "/classes/{classSourcedId}/teachers",
    "/courses", "/courses/{sourcedId}", "/courses/{courseSourcedId}/classes",
    "/demographics", "/demographics/{sourcedId}",
    "/enrollments", "/enrollments/{sourcedId}",
    "/gradingPeriods", "/gradingPeriods/{sourcedId}",
    "/orgs", "/orgs/{sourcedId}",
    "/schools", "/schools/{sourcedId}",
    "/schools/{schoolSourcedId}/classes",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/students",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers",
    "/schools/{schoolSourcedId}/courses", "/schools/{schoolSourcedId}/enrollments",
    "/schools/{schoolSourcedId}/students", "/schools/{schoolSourcedId}/teachers",
    "/schools/{schoolSourcedId}/terms",
    "/students", "/students/{sourcedId}", "/students/{studentSourcedId}/classes",
    "/teachers", "/teachers/{sourcedId}", "/teachers/{teacherSourcedId}/classes",
    "/terms", "/terms/{sourcedId}", "/terms/{termSourcedId}/classes",
    "/terms/{termSourcedId}/gradingPeriods",
    "/users", "/users/{sourcedId}", "/users/{userSourcedId}/classes",
    # gradebook
    "/categories", "/categories/{sourcedId}",
    "/classes/{classSourcedId}/lineItems",
    "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results",
    "/classes/{classSourcedId}/results",
    "/classes/{classSourcedId}/students/{studentSourcedId}/results",
    "/lineItems", "/lineItems/{sourcedId}",
    "/results", "/results/{sourcedId}",
    # resources
    "/classes/{classSourcedId}/resources", "/courses/{courseSourcedId}/resources",
    "/resources", "/resources/{sourcedId}", "/users/{userSourcedId}/resources",
)
"""Every read path of the OneRoster 1.1 REST binding."""

LISTED_ROLES: dict[str, str] = {
    "/students": "student", "/students/{sourcedId}": "student",
    "/teachers": "teacher", "/teachers/{sourcedId}": "teacher",
    "/classes/{classSourcedId}/students": "student",
    "/classes/{classSourcedId}/teachers": "teacher",
    "/schools/{schoolSourcedId}/students": "student",
    "/schools/{schoolSourcedId}/teachers": "teacher",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/students": "student",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers": "teacher",
}
"""Paths that list the users of one role; their users are served with that 1.1 role."""


def v1p1_scopes(scopes: Set[str]) -> frozenset[str]:
    """The 1.1 scope URIs named like the 1.2 ``scopes`` (those 1.1 has)."""
    return frozenset(V1P1 + s.removeprefix(V1P2) for s in scopes
                     if s.startswith(V1P2)) & frozenset(SCOPES_V1P1)


def listed_role(endpoint: Endpoint) -> str | None:
    return LISTED_ROLES.get(endpoint.path)


def _endpoints() -> tuple[Endpoint, ...]:
    by_path: dict[str, Endpoint] = {}
    for service in (ROSTERING, GRADEBOOK, RESOURCES):
        for endpoint in service.endpoints:
            if endpoint.path in PATHS:
                if endpoint.path in by_path:
                    raise RuntimeError(f"{endpoint.path} is in two 1.2 services")
                by_path[endpoint.path] = endpoint
    missing = [p for p in PATHS if p not in by_path]
    if missing:
        raise RuntimeError(f"1.1 paths without a 1.2 equivalent: {', '.join(missing)}")
    return tuple(replace(by_path[p], base=BASE, scopes=v1p1_scopes(by_path[p].scopes))
                 for p in PATHS)


ENDPOINTS: tuple[Endpoint, ...] = _endpoints()
"""The 1.1 read endpoints, in :data:`PATHS` order."""
