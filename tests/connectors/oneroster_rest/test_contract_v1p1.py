"""The REST consumer against our provider's OneRoster 1.1 service over loopback, signing
with OAuth 1.0a, in both paging styles, and refused with a wrong secret. What 1.1 can carry
arrives intact; what it cannot (1.2-only user fields, several roles of one user) is
documented in docs/oneroster-rest.md."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.store.store import Store
from tests.connectors.oneroster_rest.live import LiveProvider
from tests.connectors.oneroster_rest.test_contract import (
    assert_same,
    district,
    live,
    pull,
    rest_connection,
    rows,
)

__all__ = ["district", "live"]  # fixtures

SAME_IN_11 = ("orgs", "academicSessions", "courses", "classes", "enrollments")
# users columns 1.1 serves (the rest are 1.2-only, or derived: primaryOrg from orgs[0])
USER_11 = ("enabledUser", "username", "userIds", "givenName", "familyName", "middleName",
           "identifier", "email", "sms", "phone", "grades")


@pytest.mark.parametrize("paging", ["auto", "offset"])
def test_full_pull_over_oneroster_11_both_paging_styles(store: Store, live: LiveProvider,
                                                        paging: str) -> None:
    # Each auth and signature method against the 1.1 service (with the provider's access
    # log and nonces): tests/gateway/provider/test_v1p1_consumer.py.
    rest_connection(store, live, version="1.1", auth="oauth1", signature_method="HMAC-SHA1",
                    paging=paging, base_url=live.url + "/ims/oneroster/v1p1")
    report = pull(store)
    assert report.status == "succeeded", (report.message, report.problems[:3])
    assert_same(live.store, live.tenant_id, store, SAME_IN_11, roles_too=False)
    _same_users(live, store)
    assert report.counts["roles"].added >= report.counts["users"].added


def _same_users(live: LiveProvider, store: Store) -> None:
    from gateway.model.schema import STREAMS

    names = STREAMS["users"].column_names
    keep = [2 + names.index(c) for c in USER_11]  # after status and dateLastModified

    def pick(table: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        return {k: tuple(v[i] for i in keep) for k, v in table.items() if v[0] == "active"}

    assert pick(rows(store, store.tenant("dest").id, "users")) == \
        pick(rows(live.store, live.tenant_id, "users"))


def test_oauth1_with_a_wrong_secret_is_refused_with_a_message(store: Store,
                                                               live: LiveProvider) -> None:
    store.add_connection("dest", "sis", "oneroster-rest", {
        "base_url": live.url, "client_id": live.client_id, "version": "1.1",
        "auth": "oauth1"}, {"client_secret": "wrong"})
    report = pull(store)
    assert report.status == "failed"
    assert "HTTP 401" in (report.message or "") and "signature" in (report.message or "")
