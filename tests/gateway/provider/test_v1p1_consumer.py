"""A OneRoster 1.1 consumer (our REST connector, set to version 1.1) pulls a roster from the
1.1 provider over real HTTP on loopback, signing every request with OAuth 1.0a or using an
OAuth 2 token with the 1.1 scopes, into SQLite and PostgreSQL: what 1.1 can say arrives
unchanged, and the 1.2 roles come back as the 1.1 mapping says."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gateway.engine.run import RunOptions, sync
from gateway.provider.v1p1 import BASE
from gateway.provider.v1p1.roles import role_v1p1
from gateway.sample import write_district
from gateway.secrets import SecretBox
from gateway.store.clients import V1P1, ProviderClients, Sharing
from gateway.store.nonces import Nonces
from gateway.store.store import Store
from tests.connectors.oneroster_rest.live import load_source, serve
from tests.connectors.oneroster_rest.test_contract import ROSTER, roles, rows

SCOPES = [V1P1 + s for s in ("roster.readonly", "roster-core.readonly",
                             "roster-demographics.readonly")]


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(out, 150, gradebook=False)
    return out


@pytest.mark.parametrize(("auth", "signature"), [("oauth1", "HMAC-SHA1"),
                                                 ("oauth1", "HMAC-SHA256"),
                                                 ("oauth2", "HMAC-SHA256")])
def test_a_1p1_consumer_pulls_the_roster(store: Store, tmp_path: Path, district: Path,
                                         auth: str, signature: str) -> None:
    source = Store.open(f"sqlite:///{tmp_path / 'source.db'}", SecretBox(Fernet.generate_key()))
    try:
        tenant_id, _, _ = load_source(source, district)
        _, client_id, secret = ProviderClients(source.engine, source.secrets).create(
            tenant_id, "a 1.1 vendor", SCOPES, Sharing(demographics=True))
        with serve(source) as url:
            store.add_connection("dest", "sis", "oneroster-rest", {
                "base_url": url, "client_id": client_id, "version": "1.1", "auth": auth,
                "signature_method": signature, "page_size": 97, "concurrency": 3},
                {"client_secret": secret})
            report = asyncio.run(sync(store, store.connection("dest/sis"), RunOptions()))
        assert report.status == "succeeded", (report.message, report.problems[:3])
        served = ProviderClients(source.engine, source.secrets).access_log(client_id, 1000)
        assert served and {(e.path.startswith(BASE + "/"), e.status) for e in served} == {
            (True, 200)}
        assert (len(Nonces(source.engine)) >= len(served)) == (auth == "oauth1")
        dest_id = store.tenant("dest").id
        for stream in ROSTER:
            # status and the columns (dateLastModified aside: the provider serves the time
            # of the change where the export left it empty)
            want = {k: v[:1] + v[2:] for k, v in rows(source, tenant_id, stream).items()}
            got = {k: v[:1] + v[2:] for k, v in rows(store, dest_id, stream).items()}
            assert got == want, stream
        # Roles: 1.1 says one role per user, at each of its orgs; administrators come back
        # as district or site administrators by org type (a principal as a site one).
        assert {(user, role_v1p1(role), org) for _, user, _, role, org, _, _ in
                roles(store, dest_id)} == {(user, role_v1p1(role), org) for
                                           _, user, _, role, org, _, _ in
                                           roles(source, tenant_id)}
    finally:
        source.close()
