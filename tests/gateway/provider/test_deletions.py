"""Deletions for delta consumers, on both databases: after a CSV delta removes students
(with their enrollments), ``filter=dateLastModified>'…'`` serves them with ``status:
tobedeleted`` to every client whose grant held them (judged by what the deleted records
stored, their roles and enrollments being deleted too), and to no other; without such a
filter a collection serves active records only; a deleted record stays readable by its id.
OneRoster 1.2 and 1.1 alike."""

from __future__ import annotations

import asyncio
import csv
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import utcnow
from gateway.engine.run import RunOptions, sync
from gateway.sample import write_delta
from gateway.store.clients import SCOPES_V1P1, Sharing
from tests.gateway.provider.test_api import (  # noqa: F401 - fixtures
    ALL,
    Provider,
    _school_ids,
    district,
    provider,
)
from tests.helpers import csv_connection

V1P1_USERS = "/ims/oneroster/v1p1/users"


@dataclass
class Delta:
    since: str
    users: dict[str, set[str]]
    """Each deleted user and the schools of its (deleted) enrollments."""
    enrollments: dict[str, tuple[str, str, str]]
    """Each deleted enrollment: (school, class, user)."""
    school: str
    """The school most of the deleted users were at."""
    other: str
    """Another school."""


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def delta(provider: Provider, district: Path, tmp_path: Path) -> Delta:  # noqa: F811
    since = utcnow()
    time.sleep(0.002)  # the delta's stamp is later than the consumer's last sync
    out = tmp_path / "delta"
    write_delta(district, out, share=0.05, mode="delta")
    users = {r["sourcedId"] for r in _csv(out / "users.csv") if r["status"] == "tobedeleted"}
    enrollments = {r["sourcedId"]: (r["schoolSourcedId"], r["classSourcedId"], r["userSourcedId"])
                   for r in _csv(out / "enrollments.csv") if r["status"] == "tobedeleted"}
    schools: dict[str, set[str]] = defaultdict(set)
    for school, _, user in enrollments.values():
        schools[user].add(school)
    assert users and set(schools) <= users
    csv_connection(provider.store, out, name="delta")
    report = asyncio.run(sync(provider.store, provider.store.connection("district/delta"),
                              RunOptions()))
    assert report.status == "succeeded", report.message
    at: dict[str, int] = defaultdict(int)
    for user in users:
        for school in schools[user]:
            at[school] += 1
    school = max(sorted(at), key=lambda s: at[s])
    other = sorted(_school_ids(provider.store, provider.tenant_id) - {school})[0]
    return Delta(since, {u: schools[u] for u in users}, enrollments, school, other)


def _grant(p: Provider, who: str, sharing: Sharing, scopes: list[str] = ALL) -> None:
    _, client_id, secret = p.clients.create(p.tenant_id, who, scopes, sharing)
    p.secrets[who] = (client_id, secret)


def _records(p: Provider, who: str, path: str, **params: Any) -> dict[str, dict[str, Any]]:
    """Every page of ``path``, by sourcedId."""
    out: dict[str, dict[str, Any]] = {}
    total = None
    while total is None or len(out) < total:
        answer = p.get(who, path, limit=500, offset=len(out), **params)
        assert answer.status_code == 200, answer.text
        total = int(answer.headers["X-Total-Count"])
        [(_, records)] = answer.json().items()
        assert records or len(out) == total
        out.update((r["sourcedId"], r) for r in records)
    return out


def _deleted(records: dict[str, dict[str, Any]], ids: Any) -> set[str]:
    """Which of ``ids`` ``records`` holds; each of them must be served as tobedeleted."""
    found = set(records) & set(ids)
    assert all(records[i]["status"] == "tobedeleted" for i in found)
    return found


def test_a_delta_consumer_learns_of_deletions(provider: Provider,  # noqa: F811
                                               delta: Delta) -> None:
    changed = {"filter": f"dateLastModified>'{delta.since}'"}
    users = _records(provider, "all", "/users", **changed)
    assert _deleted(users, delta.users) == set(delta.users)
    # Served with the roles the user had, so a consumer sees whom it removes.
    assert all(users[u]["roles"] for u in delta.users)
    enrollments = _records(provider, "all", "/enrollments", **changed)
    assert _deleted(enrollments, delta.enrollments) == set(delta.enrollments)
    # Asked for outright.
    gone = _records(provider, "all", "/users", filter="status='tobedeleted'")
    assert set(delta.users) <= set(gone) and all(
        u["status"] == "tobedeleted" for u in gone.values())
    # A branch of the filter without dateLastModified or status matches active users only.
    [first] = sorted(delta.users)[:1]
    name = users[first]["familyName"]
    either = _records(provider, "all", "/users",
                      filter=f"familyName='{name}' OR dateLastModified>'2999-01-01'")
    assert first not in either


def test_without_such_a_filter_only_active_records_are_served(
        provider: Provider, delta: Delta) -> None:  # noqa: F811
    users = _records(provider, "all", "/users")
    assert not set(users) & set(delta.users)
    assert all(u["status"] == "active" for u in users.values())
    enrollments = _records(provider, "all", "/enrollments")
    assert not set(enrollments) & set(delta.enrollments)
    [first] = sorted(delta.users)[:1]
    family = provider.get("all", f"/users/{first}").json()["user"]["familyName"]
    assert first not in _records(provider, "all", "/users", filter=f"familyName='{family}'")


def test_deletions_stay_within_the_clients_grant(provider: Provider,  # noqa: F811
                                                 delta: Delta) -> None:
    _grant(provider, "at-school", Sharing(schools=frozenset({delta.school})))
    _grant(provider, "elsewhere", Sharing(schools=frozenset({delta.other})))
    [(enrollment, (_, cls, _))] = sorted(delta.enrollments.items())[:1]
    _grant(provider, "one-class", Sharing(classes=frozenset({cls})))
    changed = {"filter": f"dateLastModified>'{delta.since}'"}
    at_school = {u for u, schools in delta.users.items() if delta.school in schools}
    in_class = {u for _, c, u in delta.enrollments.values() if c == cls}

    users = _records(provider, "at-school", "/users", **changed)
    assert _deleted(users, delta.users) == at_school
    enrollments = _records(provider, "at-school", "/enrollments", **changed)
    assert _deleted(enrollments, delta.enrollments) == {
        e for e, (school, _, _) in delta.enrollments.items() if school == delta.school}

    # Another school's client: its own deleted students, none of the first school's.
    at_other = {u for u, schools in delta.users.items() if delta.other in schools}
    assert at_school - at_other
    assert _deleted(_records(provider, "elsewhere", "/users", **changed),
                    delta.users) == at_other
    assert _deleted(_records(provider, "elsewhere", "/enrollments", **changed),
                    delta.enrollments) == {
        e for e, (school, _, _) in delta.enrollments.items() if school == delta.other}

    assert _deleted(_records(provider, "one-class", "/users", **changed),
                    delta.users) == in_class
    assert _deleted(_records(provider, "one-class", "/enrollments", **changed),
                    delta.enrollments) == {
        e for e, (_, c, _) in delta.enrollments.items() if c == cls}

    # By its id: served with its status to a client whose grant held it, unknown elsewhere.
    [user] = sorted(at_school - at_other)[:1]
    for who in ("all", "at-school"):
        answer = provider.get(who, f"/users/{user}")
        assert answer.status_code == 200 and answer.json()["user"]["status"] == "tobedeleted"
    assert provider.get("elsewhere", f"/users/{user}").status_code == 404
    assert provider.get("one-class", f"/enrollments/{enrollment}").json()[
        "enrollment"]["status"] == "tobedeleted"
    elsewhere = provider.get("elsewhere", f"/enrollments/{enrollment}").status_code
    assert elsewhere == (200 if delta.enrollments[enrollment][0] == delta.other else 404)


def test_oneroster_1p1_serves_deletions_the_same_way(provider: Provider,  # noqa: F811
                                                     delta: Delta) -> None:
    _grant(provider, "v1p1", Sharing(schools=frozenset({delta.school})), list(SCOPES_V1P1))
    headers = {"Authorization": f"Bearer {provider.token('v1p1')}"}
    at_school = {u for u, schools in delta.users.items() if delta.school in schools}

    def users(**params: str) -> dict[str, dict[str, Any]]:
        answer = provider.client.get(V1P1_USERS, params={"limit": "500", **params},
                                     headers=headers)
        assert answer.status_code == 200, answer.text
        return {u["sourcedId"]: u for u in answer.json()["users"]}

    changed = users(filter=f"dateLastModified>'{delta.since}'")
    assert _deleted(changed, delta.users) == at_school
    assert not set(users()) & set(delta.users)
