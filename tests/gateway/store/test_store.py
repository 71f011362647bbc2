"""The store suite: every test runs on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from gateway.errors import ConfigError
from gateway.secrets import SecretBox
from gateway.store import db
from gateway.store.store import Store
from gateway.store.tables import connections, metadata
from tests.connectors.oneroster_csv.factories import small_district, user, write_export
from tests.helpers import counts, csv_connection, record, run, snapshot


def test_migrations_reach_head_and_match_the_tables(store: Store) -> None:
    assert db.current_revision(store.engine) == db.head_revision()
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        live = {c["name"] for c in inspector.get_columns(table.name)}
        assert live == {c.name for c in table.columns}, table.name
        # Indexes too: the provider's lookups depend on them (constraints' own indexes,
        # which PostgreSQL also lists, are the constraints' business).
        indexes = {(i["name"], tuple(i["column_names"]), bool(i["unique"]))
                   for i in inspector.get_indexes(table.name)
                   if "duplicates_constraint" not in i}
        assert indexes == {(i.name, tuple(c.name for c in i.columns), bool(i.unique))
                           for i in table.indexes}, table.name
    store.migrate()  # idempotent


def test_migrations_step_down_and_up_again(store: Store) -> None:
    db.downgrade(store.engine, "0001")
    assert "or_users" not in sa.inspect(store.engine).get_table_names()
    db.downgrade(store.engine, "base")
    assert "tenants" not in sa.inspect(store.engine).get_table_names()
    store.migrate()
    assert db.current_revision(store.engine) == db.head_revision()


def test_load_diff_and_soft_delete(store: Store, tmp_path: Path) -> None:
    files = small_district(students=30)
    path = write_export(tmp_path / "e", files)
    csv_connection(store, path)
    first = run(store)
    assert first.status == "succeeded", (first.message, first.problems)
    assert counts(first)["enrollments"]["added"] == 33
    assert run(store).writes == 0
    files["users"][0]["familyName"] = "Changed"
    files["users"].pop()  # t2
    files["enrollments"] = [e for e in files["enrollments"] if e["userSourcedId"] != "t2"]
    write_export(path, files)
    third = run(store)
    assert third.status == "succeeded", third.message
    assert counts(third)["users"] == {"added": 0, "updated": 1, "unchanged": 30, "deleted": 1,
                                      "skipped": 0}
    assert record(store, "users", "u1")["familyName"] == "Changed"
    assert record(store, "users", "t2")["status"] == "tobedeleted"


def test_change_feed_lists_what_changed_since_a_version(store: Store, tmp_path: Path) -> None:
    files = small_district()
    path = write_export(tmp_path / "e", files)
    csv_connection(store, path)
    first = run(store)
    assert first.version is not None
    write_export(path, {"users": [{**user("u1", "Given1", "Moved"), "status": "active",
                                   "dateLastModified": "2026-11-20T00:00:00Z"}]},
                 modes={"users": "delta"})
    second = run(store)
    tenant = store.tenant("district")
    changes = store.changes_since(tenant.id, "users", first.version)
    assert [c["sourcedId"] for c in changes] == ["u1"]
    assert changes[0]["version"] == second.version
    assert store.changes_since(tenant.id, "users", 0, limit=3)[0]["version"] == first.version
    assert store.changes_since(tenant.id, "orgs", first.version) == []


def test_tenants_are_isolated(store: Store, tmp_path: Path) -> None:
    a = write_export(tmp_path / "a", small_district())
    files = small_district()
    files["users"][0]["givenName"] = "Other"
    b = write_export(tmp_path / "b", files)
    csv_connection(store, a, tenant="alpha")
    csv_connection(store, b, tenant="beta")
    assert run(store, "alpha/sis").status == "succeeded"
    assert run(store, "beta/sis").status == "succeeded"
    assert record(store, "users", "u1", tenant="alpha")["givenName"] == "Given1"
    assert record(store, "users", "u1", tenant="beta")["givenName"] == "Other"
    # A truncated export in one tenant never touches the other.
    write_export(b, files)
    (b / "users.csv").write_text("sourcedId,givenName\n")
    assert run(store, "beta/sis").status == "failed"
    assert record(store, "users", "u1", tenant="alpha")["status"] == "active"


def test_failed_run_rolls_back_everything(store: Store, tmp_path: Path) -> None:
    files = small_district()
    path = write_export(tmp_path / "e", files)
    csv_connection(store, path)
    run(store)
    before = snapshot(store)
    files["users"][0]["familyName"] = "Changed"  # valid change in an early stream ...
    files["enrollments"][0]["role"] = "pupil"  # ... and an error in a later one
    write_export(path, files)
    report = run(store)
    assert report.status == "failed"
    assert snapshot(store) == before


def test_secrets_are_encrypted_at_rest_and_never_listed(store: Store) -> None:
    store.add_connection("district", "vendor", "oneroster-csv", {"path": "/nowhere"},
                         {"client_secret": "s3cr3t-value"})
    with store.engine.connect() as conn:
        raw = conn.execute(sa.select(connections.c.secrets, connections.c.config)).one()
    assert "s3cr3t-value" not in str(raw)
    rec = store.connection("district/vendor")
    assert rec.has_secrets
    assert "s3cr3t-value" not in repr(rec)
    assert store.connection_secrets(rec) == {"client_secret": "s3cr3t-value"}


def test_large_batches_cross_flush_boundaries(store: Store, tmp_path: Path) -> None:
    files = small_district(students=25_000)
    path = write_export(tmp_path / "e", files)
    csv_connection(store, path)
    report = run(store)
    assert report.status == "succeeded", report.message
    assert counts(report)["enrollments"]["added"] == 25_003
    for u in files["users"][::100]:
        u["email"] = "changed@example.org"
    write_export(path, files)
    again = run(store)
    assert counts(again)["users"]["updated"] == 251
    assert store.count(store.tenant("district").id, "users") == 25_002


def test_removals_may_not_leave_stored_records_dangling(store: Store, tmp_path: Path) -> None:
    files = small_district()
    files["roles"] = [{"sourcedId": f"r-{u['sourcedId']}", "userSourcedId": u["sourcedId"],
                       "roleType": "primary", "role": "student", "orgSourcedId": "s1"}
                      for u in files["users"]]
    path = write_export(tmp_path / "e", files)
    csv_connection(store, path)
    assert run(store).status == "succeeded"
    before = snapshot(store)
    delete_u3 = {"sourcedId": "u3", "status": "tobedeleted",
                 "dateLastModified": "2026-11-20T02:00:00Z"}
    write_export(path, {"users": [delete_u3]}, modes={"users": "delta"})
    refused = run(store)
    assert refused.status == "failed"
    assert [p.source for p in refused.problems] == ["enrollments (stored)"]
    assert snapshot(store) == before
    write_export(path, {"users": [delete_u3], "enrollments": [
        {"sourcedId": "e3", "status": "tobedeleted",
         "dateLastModified": "2026-11-20T02:00:00Z"}]},
        modes={"users": "delta", "enrollments": "delta"})
    applied = run(store)
    assert applied.status == "succeeded", (applied.message, applied.problems)
    assert counts(applied)["roles"]["deleted"] == 1  # the user's role goes with it
    assert record(store, "roles", "r-u3")["status"] == "tobedeleted"


def test_identical_files_are_skipped_until_someone_else_writes(store: Store,
                                                               tmp_path: Path) -> None:
    path = write_export(tmp_path / "e", small_district())
    csv_connection(store, path)
    run(store)
    assert "users" in run(store).skipped
    other = write_export(tmp_path / "other", {"users": [
        {**user("u1", "Given1", "Elsewhere"), "status": "active",
         "dateLastModified": "2026-11-20T00:00:00Z"}]}, modes={"users": "delta"})
    csv_connection(store, other, name="other")
    assert run(store, "district/other").status == "succeeded"
    back = run(store)
    assert "users" not in back.skipped
    assert record(store, "users", "u1")["familyName"] == "Family1"


def test_secrets_sealed_under_a_lost_key_can_be_replaced_whole(
        tmp_path: Path, vendor_plugin: str) -> None:
    url = f"sqlite:///{tmp_path / 'harbor.db'}"
    with Store.open(url, SecretBox(Fernet.generate_key())) as old:
        old.add_connection("d", "v", vendor_plugin, {"url": "https://x", "client_id": "h"},
                           {"client_secret": "old-secret"})
    with Store.open(url, SecretBox(Fernet.generate_key())) as new:  # the key file was lost
        conn = new.connection("d/v")
        with pytest.raises(ConfigError, match="cannot be opened with this HARBOR_SECRET_KEY"):
            new.update_connection(conn, secrets={"other": "x"})
        with pytest.raises(ConfigError, match=r"missing: api_token"):
            new.update_connection(conn, secrets={"client_secret": "new-secret"})
        conn = new.update_connection(conn, secrets={"client_secret": "new-secret",
                                                    "api_token": "new-token"})
        assert new.connection_secrets(conn) == {"client_secret": "new-secret",
                                                "api_token": "new-token"}
