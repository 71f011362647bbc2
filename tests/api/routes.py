"""Every keyed route of an app (``/admin``, and the learner views under ``/api/v1``), with
its path filled in, so that no route escapes a test."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/admin/tenants/{tenant}/mastery/settings"): {"method": "mean"},
    ("POST", "/admin/tenants"): {"slug": "east", "name": "East District"},
    ("POST", "/admin/tenants/{tenant}/connections"):
        {"name": "new", "connector": "oneroster-csv", "config": {"path": "/tmp/x"}},
    ("PATCH", "/admin/tenants/{tenant}/connections/{name}"): {"config": {"path": "/tmp/y"}},
    ("PUT", "/admin/tenants/{tenant}/connections/{name}/schedule"): {"cron": "0 4 * * *"},
    ("POST", "/admin/tenants/{tenant}/connections/{name}/runs"): {"dry_run": True},
    ("POST", "/admin/tenants/{tenant}/lti/registrations"): {
        "name": "lms", "issuer": "https://lms.example", "client_id": "c1",
        "auth_login_url": "https://lms.example/auth", "auth_token_url": "https://lms.example/token",
        "key_set_url": "https://lms.example/jwks"},
    ("PATCH", "/admin/tenants/{tenant}/lti/registrations/{registration_id}"):
        {"deployment_ids": ["d1"]},
    ("POST", "/admin/tenants/{tenant}/lti/dynamic-registration-links"): {},
    ("POST", "/admin/tenants/{tenant}/lti/identities/{link_id}/confirm"):
        {"user_sourced_id": "u1"},
    ("POST", "/admin/tenants/{tenant}/identities/{link_id}/confirm"): {"user_sourced_id": "u1"},
    ("POST", "/admin/tenants/{tenant}/lti/tools"): {
        "name": "math-tool", "login_url": "https://tool.example/login",
        "launch_url": "https://tool.example/launch", "jwks_url": "https://tool.example/jwks"},
    ("PATCH", "/admin/tenants/{tenant}/lti/tools/{tool_id}"):
        {"launch_url": "https://tool.example/launch2"},
    ("POST", "/admin/tenants/{tenant}/lti/tools/{tool_id}/launch-tickets"):
        {"user_sourced_id": "u1", "class_sourced_id": "c1"},
    ("PATCH", "/admin/tenants/{tenant}/lti/tools/{tool_id}/line-items/{line_item_id}"):
        {"standard": None},
    ("PATCH", "/api/v1/tenants/{tenant}/learners/{sourcedId}/profile"): {"interests": ["chess"]},
    ("PUT", "/admin/tenants/{tenant}/grade-conversions/default"): {"kind": "percent"},
    ("PUT", "/admin/tenants/{tenant}/grade-conversions/courses/{course}"): {"kind": "percent"},
    ("PUT", "/admin/tenants/{tenant}/assessments/benchmarks"): {"benchmarks": [
        {"assessment": "map-growth", "subject": "math", "grade": "5", "window": "spring",
         "cut_score": 221}]},
}
"""A valid body for each route that takes one, so a refusal is not a validation error."""

KEYED = ("/admin", "/api/v1")
"""The prefixes whose routes need a key and are scoped by tenant."""

KNOWN = {"sourcedId": "u1", "course": "c1"}
"""Path parameters every test fills the same way (a learner or class of the roster)."""


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    """``(method, path template)`` of every route under ``/admin`` and ``/api/v1``, as the
    app routes them (included routers resolved), hidden ones too."""
    found = sorted((method, route.path) for route in iter_route_contexts(app.routes)
                   if isinstance(route.original_route, APIRoute)
                   and route.path and route.path.startswith(KEYED)
                   for method in route.methods or ())
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert {r for r in found if r[0] != "HEAD"} >= {r for r in documented
                                                    if r[1].startswith(KEYED)}
    assert len(found) >= 17, found
    return found


def fill(path: str, **params: Any) -> str:
    """The path with its parameters; a new parameter fails here until the tests know it."""
    return path.format(**{**KNOWN, **params})
