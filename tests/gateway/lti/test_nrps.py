"""NRPS 2.0 against a real platform (paging, roles, typed members), its failures under
httpx.MockTransport, and reconciling a course's members with the canonical class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.errors import ConfigError, RunFatalError
from gateway.lti.identity import IdentityLinks
from gateway.lti.nrps import Member, memberships, reconcile
from gateway.store.store import Store
from tests.gateway.lti.platform import INSTRUCTOR, LEARNER, User
from tests.gateway.lti.services_live import (
    STUDENTS,
    Live,
    add_registration,
    add_rows,
    mock_services,
    row,
    run,
)


def members_of(live: Live, context_id: str = "course-1", **kwargs: Any) -> list[Member]:
    async def scenario() -> list[Member]:
        async with live.services() as services:
            return await memberships(services, live.registration,
                                     live.memberships_url(context_id), **kwargs)
    result: list[Member] = run(scenario())
    return result


def test_every_page_of_members_is_read_and_typed(live: Live) -> None:
    teacher = User("lms-t", name="Ms Reyes", given_name="Ana", family_name="Reyes",
                   email="reyes@example.org", roles=[INSTRUCTOR], lis_person_sourcedid="T-1")
    live.platform.contexts["course-1"].members.append(teacher)
    members = members_of(live, limit=2)
    assert [m.user_id for m in members] == [s.sub for s in STUDENTS] + ["lms-t"]
    gets = [p for m, p in live.platform.request_log if p.endswith("/memberships")]
    assert len(gets) == 3
    assert members[-1] == Member(user_id="lms-t", roles=(INSTRUCTOR,), status="Active",
                                 name="Ms Reyes", given_name="Ana", family_name="Reyes",
                                 email="reyes@example.org", lis_person_sourcedid="T-1")
    assert [m.user_id for m in members_of(live, role=INSTRUCTOR)] == ["lms-t"]
    assert live.platform.tokens_issued == 2  # one per client, not per page


def mock(store: Store, answer: Callable[[httpx.Request], httpx.Response]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        assert request.headers["accept"] == (
            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        return answer(request)

    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token", client_id="c")
    url = "https://lms.example.org/courses/7/names_and_roles"
    return run(memberships(mock_services(store, handler), registration, url))


@pytest.mark.parametrize(("answer", "error", "match"), [
    (httpx.Response(200, text="<html>login</html>"), RunFatalError,
     r"GET https://lms.example.org/courses/7/names_and_roles\?limit=500 did not send an NRPS"),
    (httpx.Response(200, json={"members": {"user_id": "x"}}), RunFatalError, "'members' list"),
    (httpx.Response(200, json={"members": [{"user_id": "x"}]}), RunFatalError,
     "without a user_id and a list of roles"),
    (httpx.Response(404), ConfigError, "course may be deleted"),
    (httpx.Response(403, text="no"), ConfigError, "HTTP 403"),
])
def test_what_a_broken_platform_sends_is_named(store: Store, answer: httpx.Response,
                                               error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        mock(store, lambda request: answer)


def test_members_as_real_platforms_send_them(store: Store) -> None:
    body = {"id": "x", "context": {"id": "7"}, "members": [
        {"user_id": 42, "roles": ["Learner"], "status": "Inactive", "email": ""},
        {"user_id": "a", "roles": [LEARNER], "name": "A", "picture": "http://x/p.png"}]}
    members = mock(store, lambda request: httpx.Response(200, json=body))
    assert members == [Member("42", ("Learner",), "Inactive"),
                       Member("a", (LEARNER,), name="A")]


def test_reconcile_counts_each_rule_and_compares_with_the_class(live: Live) -> None:
    t = live.registration.tenant_id
    add_rows(live.store, "users",
             row(t, "u1", identifier="S-1"), row(t, "u2", email="two@district.org"),
             row(t, "u3", email="family@district.org"),
             row(t, "u4", email="family@district.org"),
             row(t, "u5", identifier="S-5"), row(t, "u6", email="six@district.org"))
    add_rows(live.store, "enrollments", *(
        row(t, f"e-{user}", class_sourced_id="c1", user_sourced_id=user, role="student")
        for user in ("u1", "u2", "u3", "u6")),
        row(t, "e-old", status="tobedeleted", class_sourced_id="c1", user_sourced_id="u5"))
    live.platform.add_context("course-2", "Algebra 1", [
        User("m1", lis_person_sourcedid="S-1"),
        User("m2", email="TWO@district.org"),
        User("m3", email="family@district.org"),
        User("m4", email="nobody@district.org"),
        User("m5", lis_person_sourcedid="u5")])
    links = IdentityLinks(live.store.engine)
    members = members_of(live, "course-2")
    report = reconcile(links, live.registration, members, class_sourced_id="c1")
    assert report.counts() == {"members": 5, "matched": {"person_sourcedid": 2, "email": 1},
                               "unmatched": 1, "conflicts": 1, "roster_only": 2,
                               "lms_only": 1}
    assert (report.unmatched, report.conflicts) == (("m4",), ("m3",))
    assert report.roster_only == ("u3", "u6")  # u3's link waits for review
    assert report.lms_only == ("m5",)
    assert [x.sub for x in links.for_review(t)] == ["m3", "m4"]
    without_class = reconcile(links, live.registration, members)
    assert without_class.class_sourced_id is None and without_class.roster_only == ()


def test_reconcile_leaves_deleted_members_out_and_compares_active_ones(store: Store) -> None:
    registration = add_registration(store, issuer="https://lms.example.org",
                                    token_url="https://lms.example.org/token", client_id="c")
    t = registration.tenant_id
    add_rows(store, "users", row(t, "u1", identifier="S-1"), row(t, "u2", identifier="S-2"))
    add_rows(store, "enrollments", row(t, "e1", class_sourced_id="c1", user_sourced_id="u1"))
    members = [Member("gone", ("Learner",), "Deleted", lis_person_sourcedid="S-2"),
               Member("away", ("Learner",), "Inactive", lis_person_sourcedid="S-1")]
    report = reconcile(IdentityLinks(store.engine), registration, members,
                       class_sourced_id="c1")
    assert [x.sub for x in report.links] == ["away"]
    assert report.roster_only == ("u1",) and report.lms_only == ()
