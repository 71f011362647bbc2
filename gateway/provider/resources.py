"""The OneRoster 1.2 resources service: which records each path serves.

Every path of the official file is a read. A class's (course's, user's) resources are
those an active classResources (courseResources, userResources) row links it to.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from gateway.provider.service import SPECS, Condition, Endpoint, Parent, Service, Where
from gateway.provider.service import eq as _eq
from gateway.provider.service import is_record as _is
from gateway.provider.service import nothing as _nothing
from gateway.provider.sharing import active
from gateway.store.tables import stream_tables

__all__ = ["BASE", "RESOURCES", "SPEC_FILE"]

BASE = "/ims/oneroster/resources/v1p2"
SPEC_FILE = SPECS / "onerosterv1p2resourcesservice_openapi3_v1p0.json"


def _linked(link: str, column: str, param: str) -> Where:
    """Resources an active ``link`` row ties to the record named by ``param``."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        r = stream_tables[link].alias("link")
        return [sa.exists().where(*active(r, tenant), r.c.resource_sourced_id ==
                                  table.c.sourced_id, r.c[column] == params[param])]
    return where


_TABLE: list[Endpoint] = [
    Endpoint("/classes/{classSourcedId}/resources", "resources",
             _linked("classResources", "class_sourced_id", "classSourcedId"),
             parents=(Parent("classSourcedId", "classes", _eq("sourced_id", "classSourcedId")),)),
    Endpoint("/courses/{courseSourcedId}/resources", "resources",
             _linked("courseResources", "course_sourced_id", "courseSourcedId"),
             parents=(Parent("courseSourcedId", "courses",
                             _eq("sourced_id", "courseSourcedId")),)),
    Endpoint("/resources", "resources", _nothing),
    Endpoint("/resources/{sourcedId}", "resources", _is("sourcedId"), True),
    Endpoint("/users/{userSourcedId}/resources", "resources",
             _linked("userResources", "user_sourced_id", "userSourcedId"),
             parents=(Parent("userSourcedId", "users", _eq("sourced_id", "userSourcedId")),)),
]

RESOURCES = Service("resources", BASE, SPEC_FILE, _TABLE)
