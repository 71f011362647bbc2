"""Provider clients in the store, on SQLite and PostgreSQL: secrets, scopes, sharing, log."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.store.clients import (
    SCOPES,
    SCOPES_V1P1,
    SCOPES_V1P2,
    SHORT_NAMES,
    ProviderClients,
    Sharing,
    expand_scopes,
)
from gateway.store.store import Store
from gateway.store.tables import metadata, provider_access_log, provider_clients
from tests.helpers import SHARED

SPECS = SHARED / "specs" / "oneroster"
CORE = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
DEMOGRAPHICS = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"


@pytest.fixture
def clients(store: Store) -> ProviderClients:
    # The provider tables come with migration 0005; create_all is a no-op where it ran.
    metadata.create_all(store.engine, tables=[provider_clients, provider_access_log])
    return ProviderClients(store.engine, store.secrets)


@pytest.fixture
def tenant_id(store: Store) -> int:
    return store.ensure_tenant("north", "North District").id


# Scopes ----------------------------------------------------------------------------------------

def test_scopes_are_those_of_the_official_openapi_files() -> None:
    found: dict[str, str] = {}
    for path in sorted(SPECS.glob("onerosterv1p2*_openapi3_v1p0.json")):
        doc: dict[str, Any] = json.loads(path.read_text())
        flow = doc["components"]["securitySchemes"]["OAuth2CC"]["flows"]["clientCredentials"]
        found.update({uri: text.strip() for uri, text in flow["scopes"].items()})
    assert len(found) == 13
    assert found == SCOPES_V1P2


def test_scope_tables() -> None:
    assert len(SCOPES_V1P1) == 7 and set(SCOPES) == set(SCOPES_V1P2) | set(SCOPES_V1P1)
    assert SHORT_NAMES["roster-core.readonly"] == CORE
    assert len(SHORT_NAMES) == 13
    assert all(uri.startswith("https://purl.imsglobal.org/spec/or/v1p1/scope/")
               for uri in SCOPES_V1P1)


def test_expand_scopes() -> None:
    v1p1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"
    assert expand_scopes(["roster-core.readonly", CORE, v1p1]) == {CORE, v1p1}
    assert expand_scopes("roster-core.readonly  roster-demographics.readonly") == {
        CORE, DEMOGRAPHICS}
    with pytest.raises(ConfigError, match=r"unknown scope\(s\): roster\.write, bogus; valid "
                                          r"are the short names roster\.readonly, "):
        expand_scopes(["roster.write", "roster-core.readonly", "bogus"])
    with pytest.raises(ConfigError, match="at least one scope"):
        expand_scopes([])


# Sharing ---------------------------------------------------------------------------------------

def test_sharing_round_trips_through_json() -> None:
    sharing = Sharing(schools=frozenset({"s2", "s1"}), grades=frozenset({"09", "KG"}),
                      demographics=True)
    data = sharing.to_json()
    assert data == {"schools": ["s1", "s2"], "classes": None, "grades": ["09", "KG"],
                    "demographics": True}
    assert Sharing.from_json(json.loads(json.dumps(data))) == sharing
    assert Sharing.from_json({}) == Sharing.from_json(None) == Sharing()
    assert Sharing().whole_tenant and not sharing.whole_tenant


def test_sharing_accepts_lists_and_trims() -> None:
    sharing = Sharing(classes=[" c1 ", "c2", "c1"])  # type: ignore[arg-type]
    assert sharing.classes == frozenset({"c1", "c2"})


@pytest.mark.parametrize(("data", "message"), [
    ({"schools": []}, "sharing schools is empty, which would share nothing"),
    ({"classes": "c1"}, "sharing classes must be a list of sourcedIds"),
    ({"grades": [9]}, "sharing grades must hold non-empty strings, not 9"),
    ({"grades": [" "]}, "sharing grades must hold non-empty strings"),
    ({"schools": ["a,b"]}, "no commas"),
    ({"schools": ["x" * 256]}, "at most 255 characters"),
    ({"demographics": "yes"}, "sharing demographics must be true or false"),
    ({"school": ["s1"]}, "unknown sharing field.*: school; known are schools, classes"),
    (["s1"], "sharing must be an object"),
])
def test_sharing_validation(data: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Sharing.from_json(data)


# Clients ---------------------------------------------------------------------------------------

def test_create_and_check_secret(store: Store, clients: ProviderClients, tenant_id: int) -> None:
    sharing = Sharing(schools=frozenset({"s1"}))
    record, client_id, secret = clients.create(tenant_id, " Acme Reading ",
                                               ["roster-core.readonly"], sharing)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", client_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    assert (record.client_id, record.name, record.tenant_id, record.tenant) == (
        client_id, "Acme Reading", tenant_id, "north")
    assert record.scopes == {CORE} and record.sharing == sharing
    assert record.has_scope("roster-core.readonly") and record.has_scope(CORE)
    assert not record.has_scope("roster.readonly")
    assert not record.revoked and record.last_used_at is None

    found = clients.check_secret(client_id, secret)
    assert found is not None and found.id == record.id and found.last_used_at is not None
    assert clients.check_secret(client_id, secret + "x") is None
    assert clients.check_secret("nosuchclient0000", secret) is None
    assert clients.plain_secret(client_id) == secret
    assert clients.plain_secret("nosuchclient0000") is None

    with store.engine.connect() as conn:
        row = conn.execute(sa.select(provider_clients)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in "".join(str(v) for v in row)  # sealed, not stored in the clear
    assert row.scopes == CORE
    assert store.secrets.open(row.secret_sealed) == {"client_secret": secret}


def test_create_refuses_bad_input(clients: ProviderClients, tenant_id: int) -> None:
    with pytest.raises(ConfigError, match="unknown scope"):
        clients.create(tenant_id, "x", ["roster.everything"], Sharing())
    with pytest.raises(ConfigError, match="name must be 1 to 100"):
        clients.create(tenant_id, " ", ["roster.readonly"], Sharing())
    with pytest.raises(ConfigError, match="no tenant with id"):
        clients.create(tenant_id + 100, "x", ["roster.readonly"], Sharing())
    assert clients.list() == []


def test_revoke(clients: ProviderClients, tenant_id: int) -> None:
    _, client_id, secret = clients.create(tenant_id, "a", ["roster.readonly"], Sharing())
    _, other_id, other_secret = clients.create(tenant_id, "b", ["roster.readonly"], Sharing())
    assert clients.revoke(client_id) is True
    assert clients.revoke(client_id) is False
    assert clients.revoke("nosuchclient0000") is False
    assert clients.check_secret(client_id, secret) is None
    assert clients.plain_secret(client_id) is None
    revoked = clients.get(client_id)
    assert revoked is not None and revoked.revoked
    assert clients.check_secret(other_id, other_secret) is not None
    assert clients.plain_secret(other_id) == other_secret


def test_list_by_tenant(store: Store, clients: ProviderClients, tenant_id: int) -> None:
    south = store.ensure_tenant("south").id
    clients.create(tenant_id, "n1", ["roster.readonly"], Sharing())
    clients.create(south, "s1", ["roster.readonly"], Sharing())
    clients.create(tenant_id, "n2", ["roster.readonly"], Sharing())
    assert [(c.name, c.tenant) for c in clients.list()] == [
        ("n1", "north"), ("s1", "south"), ("n2", "north")]
    assert [c.name for c in clients.list(tenant_id=south)] == ["s1"]
    assert [c.name for c in clients.list(tenant_id)] == ["n1", "n2"]


def test_update_sharing_and_scopes(clients: ProviderClients, tenant_id: int) -> None:
    _, client_id, _ = clients.create(tenant_id, "a", ["roster-core.readonly"], Sharing())
    narrowed = Sharing(classes=frozenset({"c1"}), demographics=True)
    assert clients.update_sharing(client_id, narrowed).sharing == narrowed
    record = clients.update_scopes(client_id, ["roster-core.readonly",
                                               "roster-demographics.readonly"])
    assert record.scopes == {CORE, DEMOGRAPHICS}
    got = clients.get(client_id)
    assert got is not None and got.sharing == narrowed and got.scopes == {CORE, DEMOGRAPHICS}
    with pytest.raises(ConfigError, match="unknown scope"):
        clients.update_scopes(client_id, ["nope"])
    with pytest.raises(ConfigError, match="no provider client 'missing'"):
        clients.update_sharing("missing", Sharing())


def test_access_log(clients: ProviderClients, tenant_id: int) -> None:
    record, client_id, _ = clients.create(tenant_id, "a", ["roster.readonly"], Sharing())
    _, other_id, _ = clients.create(tenant_id, "b", ["roster.readonly"], Sharing())
    clients.log_access(record, "get", "/ims/oneroster/rostering/v1p2/users", "limit=5", 200, 5)
    clients.log_access(record.id, "GET", "/x" * 300, None, 403, 0)
    other = clients.get(other_id)
    assert other is not None
    clients.log_access(other, "PUT", "/ims/oneroster/gradebook/v1p2/results/r1", "", 201, 1)

    log = clients.access_log(client_id)
    assert [(e.method, e.status, e.records, e.query) for e in log] == [
        ("GET", 403, 0, None), ("GET", 200, 5, "limit=5")]
    assert len(log[0].path) == 500 and log[1].path == "/ims/oneroster/rostering/v1p2/users"
    assert all(e.client_id == record.id and e.at for e in log)
    assert len(clients.access_log(client_id, limit=1)) == 1
    assert [e.method for e in clients.access_log(other_id)] == ["PUT"]
    assert clients.access_log("nosuchclient0000") == []


def test_removing_the_tenant_removes_its_clients(store: Store, clients: ProviderClients,
                                                 tenant_id: int) -> None:
    record, client_id, _ = clients.create(tenant_id, "a", ["roster.readonly"], Sharing())
    clients.log_access(record, "GET", "/x", None, 200, 1)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM tenants WHERE id = :id"), {"id": tenant_id})
    assert clients.get(client_id) is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(provider_access_log)
                            ).scalar() == 0


def test_plain_secret_checks_oauth1_signatures(clients: ProviderClients, tenant_id: int) -> None:
    from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

    from gateway.provider.oauth1 import MemoryNonceStore, OAuth1Error, verify

    _, client_id, secret = clients.create(tenant_id, "a", ["roster.readonly"], Sharing())
    url = "https://sis.example.org/ims/oneroster/v1p1/users?limit=5"
    signer = Client(client_id, client_secret=secret, signature_method=SIGNATURE_HMAC_SHA256)
    url, headers, _ = signer.sign(url)
    assert verify("GET", url, headers, None, clients.plain_secret, MemoryNonceStore()) == client_id
    clients.revoke(client_id)
    with pytest.raises(OAuth1Error, match="not a known, active client"):
        verify("GET", url, headers, None, clients.plain_secret, MemoryNonceStore())
