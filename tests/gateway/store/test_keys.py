"""API keys in the store, on SQLite and PostgreSQL: made once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from gateway.store.keys import ApiKeys, split_token
from gateway.store.store import Store
from gateway.store.tables import api_keys


def test_create_and_verify(store: Store) -> None:
    tenant = store.ensure_tenant("north", "North District")
    keys = ApiKeys(store.engine)
    record, token = keys.create("north-it", tenant.id)
    assert re.fullmatch(r"hmk_[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}", token)
    assert record.client_id == token.partition(".")[0]
    assert (record.name, record.tenant_id, record.tenant) == ("north-it", tenant.id, "north")
    assert not record.operator and not record.revoked and record.last_used_at is None

    found = keys.verify(token)
    assert found is not None and found.id == record.id and found.last_used_at is not None

    secret = token.partition(".")[2]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(api_keys)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in "".join(str(v) for v in row)


def test_operator_key(store: Store) -> None:
    record, token = ApiKeys(store.engine).create("ops", None)
    assert record.operator and record.tenant is None
    assert ApiKeys(store.engine).verify(token) is not None


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
    lambda t: t.partition(".")[0],  # no secret
    lambda t: t.replace("hmk_", "hmx_"),
    lambda t: t.replace(".", ""),
    lambda t: "hmk_." + t.partition(".")[2],
    lambda t: "hmk_nosuchkey12." + t.partition(".")[2],
    lambda t: "",
    lambda t: "hmk_" + "a" * 41 + ".x",
])
def test_verify_refuses_anything_else(store: Store, mangle: object) -> None:
    keys = ApiKeys(store.engine)
    _, token = keys.create("ops", None)
    assert keys.verify(mangle(token)) is None  # type: ignore[operator]


def test_revoke(store: Store) -> None:
    keys = ApiKeys(store.engine)
    record, token = keys.create("ops", None)
    _, other_token = keys.create("ops-2", None)
    assert keys.revoke(record.client_id) is True
    assert keys.verify(token) is None
    assert keys.revoke(record.key_id) is False  # already revoked
    assert keys.revoke("nosuchkey") is False
    assert keys.verify(other_token) is not None
    revoked = keys.get(record.key_id)
    assert revoked is not None and revoked.revoked
    assert [k.name for k in keys.list()] == ["ops", "ops-2"]


def test_list_by_tenant(store: Store) -> None:
    north = store.ensure_tenant("north")
    south = store.ensure_tenant("south")
    keys = ApiKeys(store.engine)
    keys.create("ops", None)
    keys.create("n", north.id)
    keys.create("s", south.id)
    assert [(k.name, k.tenant) for k in keys.list()] == [("ops", None), ("n", "north"),
                                                         ("s", "south")]
    assert [k.name for k in keys.list(tenant_id=south.id)] == ["s"]


def test_last_used_is_written_at_most_once_a_minute(store: Store) -> None:
    keys = ApiKeys(store.engine)
    record, token = keys.create("ops", None)
    first = keys.verify(token)
    assert first is not None and first.last_used_at is not None
    again = keys.verify(token)
    assert again is not None and again.last_used_at == first.last_used_at

    with store.engine.begin() as conn:
        conn.execute(api_keys.update().values(last_used_at="2020-01-01T00:00:00.000Z"))
    later = keys.verify(token)
    assert later is not None and later.last_used_at is not None
    assert later.last_used_at > "2020-01-01T00:00:00.000Z"
    stored = keys.get(record.key_id)
    assert stored is not None and stored.last_used_at > "2020-01-01T00:00:00.000Z"


def test_split_token() -> None:
    assert split_token("hmk_abc.def") == ("abc", "def")
    assert split_token("hmk_abc.def.ghi") == ("abc", "def.ghi")
    assert split_token("hmk_abc") is None
    assert split_token("Bearer hmk_abc.def") is None
