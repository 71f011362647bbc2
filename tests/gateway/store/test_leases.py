"""Leases on both databases: one holder at a time, expiry, renewal, fencing a commit."""

from __future__ import annotations

import time

import pytest

from gateway.store.leases import LeaseLost, Leases
from gateway.store.store import Store


def test_one_holder_at_a_time(store: Store) -> None:
    leases = store.leases
    assert leases.acquire("connection:1", "a", 30)
    assert not leases.acquire("connection:1", "b", 30)
    assert leases.acquire("connection:1", "a", 30), "the holder may take it again (renew)"
    assert leases.acquire("connection:2", "b", 30), "other names are independent"
    info = leases.get("connection:1")
    assert info is not None and info.holder == "a" and not info.expired


def test_an_expired_lease_is_taken_over(store: Store) -> None:
    leases = store.leases
    assert leases.acquire("connection:1", "dead", 0.2)
    time.sleep(0.3)
    assert leases.acquire("connection:1", "alive", 30)
    assert not leases.renew("connection:1", "dead", 30), "the old holder learns it lost it"
    assert leases.renew("connection:1", "alive", 30)


def test_release_frees_only_ones_own_lease(store: Store) -> None:
    leases = store.leases
    assert leases.acquire("scheduler", "a", 30)
    leases.release("scheduler", "b")
    assert not leases.acquire("scheduler", "b", 30)
    leases.release("scheduler", "a")
    assert leases.acquire("scheduler", "b", 30)


def test_fence_refuses_a_commit_after_the_lease_was_lost(store: Store) -> None:
    leases = store.leases
    assert leases.acquire("connection:1", "slow", 0.2)
    with store.engine.begin() as conn:
        Leases.fence(conn, "connection:1", "slow", 30)  # still ours: renewed
    time.sleep(0.1)
    assert not leases.acquire("connection:1", "other", 30), "the fence renewed it"
    leases.release("connection:1", "slow")
    assert leases.acquire("connection:1", "other", 30)
    with pytest.raises(LeaseLost, match="lost the lease"), store.engine.begin() as conn:
        Leases.fence(conn, "connection:1", "slow", 30)
