"""The LTI Names and Role Provisioning Services 2.0 client, and reconciling its members with
the canonical roster.

:func:`memberships` reads a context's members (every page) as the LMS sees them;
:func:`reconcile` links each to a canonical user with the identity rules and, when the class
is known, says who is enrolled on one side only: what district IT checks before trusting
grade pushes to that course.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from gateway.errors import ConfigError, RunFatalError
from gateway.lti.identity import IdentityLinks, Link
from gateway.lti.registrations import Registration
from gateway.lti.services import ServiceClient, pages
from gateway.store.tables import stream_tables

__all__ = ["CONTEXT_MEMBERSHIP", "MEMBERSHIP_TYPE", "Member", "Reconciliation", "memberships",
           "reconcile"]

CONTEXT_MEMBERSHIP = ("https://purl.imsglobal.org/spec/lti-nrps/scope/"
                      "contextmembership.readonly")
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclasses.dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    """``Active``, ``Inactive`` or ``Deleted`` (NRPS §2.4)."""
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    lis_person_sourcedid: str | None = None


def _member(data: Any, what: str) -> Member:
    if not isinstance(data, Mapping) or not isinstance(data.get("user_id"), str | int) \
            or not isinstance(data.get("roles"), list):
        raise RunFatalError(f"{what} sent a member without a user_id and a list of roles: "
                            f"{str(data)[:200]}")

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    return Member(user_id=str(data["user_id"]), roles=tuple(str(r) for r in data["roles"]),
                  status=text("status") or "Active", name=text("name"),
                  given_name=text("given_name"), family_name=text("family_name"),
                  email=text("email"), lis_person_sourcedid=text("lis_person_sourcedid"))


async def memberships(services: ServiceClient, registration: Registration,
                      context_memberships_url: str, role: str | None = None, *,
                      limit: int = 500) -> list[Member]:
    """Every member of the context (with ``role`` only, when given), ``limit`` a page."""
    http = services.http(registration, [CONTEXT_MEMBERSHIP])
    params = {"limit": str(limit)}
    if role is not None:
        params["role"] = role
    members: list[Member] = []
    async for response in pages(http, context_memberships_url, accept=MEMBERSHIP_TYPE,
                                params=params, allow=(404,)):
        what = f"{http.name} GET {response.request.url}"
        if response.status_code == 404:
            raise ConfigError(f"{what}: not found (HTTP 404). The course may be deleted in "
                              f"the LMS, or the tool's Names and Role service is off there; "
                              f"launch the link again for a current context_memberships_url")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping) or not isinstance(body.get("members"), list):
            raise RunFatalError(f"{what} did not send an NRPS membership container (a JSON "
                                f"object with a 'members' list); it starts "
                                f"{response.text[:80]!r}. Check that the URL is the launch's "
                                f"context_memberships_url")
        members += [_member(item, what) for item in body["members"]]
    return members


@dataclasses.dataclass(frozen=True, slots=True)
class Reconciliation:
    links: tuple[Link, ...]
    """One per member the LMS did not mark Deleted."""
    class_sourced_id: str | None
    roster_only: tuple[str, ...] = ()
    """Canonical users enrolled in the class whom the LMS does not list as active members."""
    lms_only: tuple[str, ...] = ()
    """LTI user ids of active members linked to a user not enrolled in the class."""

    @property
    def matched(self) -> dict[str, int]:
        """How many members each rule linked (``admin`` for confirmed links)."""
        return dict(Counter(link.matched_by or "" for link in self.links if link.resolved))

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(link.sub for link in self.links if link.status == "unmatched")

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(link.sub for link in self.links if link.status == "conflict")

    def counts(self) -> dict[str, Any]:
        return {"members": len(self.links), "matched": self.matched,
                "unmatched": len(self.unmatched), "conflicts": len(self.conflicts),
                "roster_only": len(self.roster_only), "lms_only": len(self.lms_only)}


def _enrolled(engine: sa.Engine, tenant_id: int, class_sourced_id: str) -> set[str]:
    enrollments = stream_tables["enrollments"]
    with engine.connect() as conn:
        return set(conn.execute(sa.select(enrollments.c.user_sourced_id).where(
            enrollments.c.tenant_id == tenant_id, enrollments.c.status == "active",
            enrollments.c.class_sourced_id == class_sourced_id)).scalars())


def reconcile(links: IdentityLinks, registration: Registration, members: Iterable[Member],
              *, class_sourced_id: str | None = None) -> Reconciliation:
    """Link every member with the identity rules (storing the links, so what cannot be
    decided waits for review) and compare with the class's enrollments when known."""
    resolved: list[tuple[Member, Link]] = []
    for member in members:
        if member.status == "Deleted":
            continue
        link = links.resolve(registration, sub=member.user_id,
                             person_sourcedid=member.lis_person_sourcedid,
                             email=member.email, name=member.name)
        resolved.append((member, link))
    all_links = tuple(link for _, link in resolved)
    if class_sourced_id is None:
        return Reconciliation(all_links, None)
    enrolled = _enrolled(links.engine, registration.tenant_id, class_sourced_id)
    active = [(m, link) for m, link in resolved if m.status == "Active"]
    in_lms = {link.user_sourced_id for _, link in active if link.resolved}
    return Reconciliation(
        all_links, class_sourced_id,
        roster_only=tuple(sorted(enrolled - in_lms)),
        lms_only=tuple(sorted(m.user_id for m, link in active
                              if link.resolved and link.user_sourced_id not in enrolled)))
