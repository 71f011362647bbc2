"""Identity links of other systems' people: every rule, conflicts and misses landing for
review, links that stand, the rules a connection declares, and an admin's decisions; on
both databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.identity import (
    IdentityResolver,
    IdentityRules,
    LearnerRef,
    confirm,
    for_review,
    ignore,
    list_links,
    resolve,
)
from gateway.lti.registrations import RegistrationInput, Registrations
from gateway.store.learning_tables import evidence, identity_links
from gateway.store.store import Store
from gateway.store.tables import lti_identity_links, stream_tables

SYSTEM = "reading-tool"


def user(tenant_id: int, sourced_id: str, status: str = "active", **columns: Any,
         ) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "sourced_id": sourced_id, "status": status,
            "date_last_modified": "2026-01-01T00:00:00.000Z", "version": 1,
            "content_hash": 0, "connection_id": 0, **columns}


def roster(store: Store, tenant: str = "district") -> int:
    tenant_id = store.ensure_tenant(tenant).id
    rows = [
        user(tenant_id, "stu-1", username="ana.ruiz1", email="Ana.Ruiz@students.example.org",
             identifier="5550001", user_ids="{SIS:50000001},{state:5550001}", grades="04"),
        user(tenant_id, "stu-2", username="ben.ode2", email="twins@students.example.org",
             identifier="5550002", user_ids="{SIS:50000002},{StateID:5550002}"),
        user(tenant_id, "stu-3", username="cat.ode3", email="TWINS@students.example.org",
             identifier="stu-1"),  # an identifier that is another user's sourcedId
        user(tenant_id, "stu-9", "tobedeleted", username="gone9", email="gone@example.org"),
    ]
    with store.engine.begin() as conn:
        for row in rows:
            conn.execute(stream_tables["users"].insert().values(**row))
    return tenant_id


def one(store: Store, tenant_id: int, external_id: str, kind: str,
        attributes: dict[str, Any] | None = None, rules: IdentityRules | None = None) -> Any:
    with store.engine.begin() as conn:
        return resolve(conn, tenant_id, SYSTEM, external_id, kind, attributes, rules)


def test_each_rule_matches_one_active_user(store: Store) -> None:
    tid = roster(store)
    cases = [("stu-2", "sis_id", "stu-2", "sis_id:sourcedId"),
             ("5550001", "state_id", "stu-1", "state_id:userIds:state"),
             ("5550002", "state_id", "stu-2", "state_id:userIds:StateID"),
             ("ben.ode2", "username", "stu-2", "username:username"),
             ("ana.ruiz@STUDENTS.example.org", "email", "stu-1", "email:email")]
    for external_id, kind, expected, rule in cases:
        link = one(store, tid, external_id, kind)
        assert (link.status, link.user_sourced_id, link.rule) == ("matched", expected, rule)
    assert one(store, tid, "gone@example.org", "email").status == "unmatched"  # inactive


def test_two_users_or_disagreeing_rules_are_a_conflict(store: Store) -> None:
    tid = roster(store)
    twins = one(store, tid, "twins@students.example.org", "email")
    assert (twins.status, twins.user_sourced_id) == ("conflict", None)
    assert "email:email matches 2 users: stu-2, stu-3" in (twins.detail or "")
    # stu-1 is a sourcedId, and also the identifier of stu-3: the rules name two users.
    split = one(store, tid, "stu-1", "sis_id")
    assert split.status == "conflict" and "disagree" in (split.detail or "")
    nobody = one(store, tid, "T-77", "tool_id")
    assert nobody.status == "unmatched" and "only an admin" in (nobody.detail or "")
    with store.engine.connect() as conn:
        waiting = {link.external_id for link in for_review(conn, tid)}
    assert waiting == {"twins@students.example.org", "stu-1", "T-77"}


def test_an_lti_sub_resolves_through_its_lti_link(store: Store) -> None:
    tid = roster(store)
    reg = Registrations(store.engine).add(tid, RegistrationInput(
        name="lms", issuer="https://lms.example.org", client_id="c",
        auth_login_url="https://lms.example.org/a", auth_token_url="https://lms.example.org/t",
        key_set_url="https://lms.example.org/k"))
    with store.engine.begin() as conn:
        conn.execute(lti_identity_links.insert(), [
            {"registration_id": reg.id, "sub": sub, "user_sourced_id": u, "matched_by": "email",
             "status": status, "updated_at": "2026-01-01T00:00:00.000Z"}
            for sub, u, status in (("sub-a", "stu-1", "matched"), ("sub-b", None, "unmatched"))])
    assert one(store, tid, "sub-a", "lti_sub").user_sourced_id == "stu-1"
    assert one(store, tid, "sub-b", "lti_sub").status == "unmatched"


def test_a_confirmed_link_stands_while_its_user_is_active(store: Store) -> None:
    tid = roster(store)
    link = one(store, tid, "T-1", "tool_id")
    with store.engine.begin() as conn:
        confirmed = confirm(conn, tid, link.id, "stu-3", recompute=lambda *a: None)
    assert (confirmed.status, confirmed.rule, confirmed.user_sourced_id) == (
        "confirmed", "admin", "stu-3")
    assert one(store, tid, "T-1", "tool_id").status == "confirmed"
    users = stream_tables["users"]
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.sourced_id == "stu-3")
                     .values(status="tobedeleted"))
    again = one(store, tid, "T-1", "tool_id")
    assert (again.status, again.user_sourced_id) == ("unmatched", None)


def test_confirm_refuses_a_user_not_active_and_another_tenants_link(store: Store) -> None:
    tid = roster(store)
    other = roster(store, "east")
    link = one(store, tid, "T-1", "tool_id")
    with store.engine.begin() as conn:
        with pytest.raises(ConfigError, match="'stu-9' is tobedeleted in this tenant"):
            confirm(conn, tid, link.id, "stu-9", recompute=lambda *a: None)
        with pytest.raises(ConfigError, match="no identity link"):
            confirm(conn, other, link.id, "stu-1", recompute=lambda *a: None)


def test_confirm_backfills_rows_and_recomputes_their_pairs(store: Store) -> None:
    tid = roster(store)
    link = one(store, tid, "T-1", "tool_id")
    with store.engine.begin() as conn:
        conn.execute(evidence.insert(), [{
            "tenant_id": tid, "system": SYSTEM, "source_key": f"e{n}", "identity_link_id": link.id,
            "standard": "std-a", "raw_score": "3.0", "scale": "grade-level",
            "observed_at": "2026-11-01T00:00:00.000Z", "created_at": "2026-11-01T00:00:00.000Z",
            "status": "active"} for n in range(2)])
    calls: list[Any] = []

    def recompute(conn: sa.Connection, tenant_id: int, pairs: Any) -> None:
        calls.append((tenant_id, list(pairs)))

    def normalize(raw: str, scale: str, *, learner_grade: str | None = None) -> float:
        assert learner_grade == "04"
        return 0.75

    with store.engine.begin() as conn:
        confirm(conn, tid, link.id, "stu-1", recompute=recompute, normalize=normalize)
        rows = conn.execute(sa.select(evidence.c.user_sourced_id, evidence.c.score)).all()
    assert rows == [("stu-1", 0.75), ("stu-1", 0.75)]
    assert calls == [(tid, [("stu-1", "std-a")])]
    with store.engine.begin() as conn:
        ignored = ignore(conn, tid, link.id, recompute=recompute)
        assert conn.execute(sa.select(evidence.c.user_sourced_id)).scalars().all() == [None] * 2
    assert ignored.status == "ignored" and calls[-1] == (tid, [("stu-1", "std-a")])
    assert one(store, tid, "T-1", "tool_id").status == "ignored"  # not decided again


def test_attributes_carry_other_kinds_the_rules_try(store: Store) -> None:
    tid = roster(store)
    link = one(store, tid, "T-5", "tool_id", {"email": "ana.ruiz@students.example.org",
                                                "name": "Ana Ruiz"})
    assert (link.status, link.user_sourced_id, link.rule) == ("matched", "stu-1", "email:email")
    assert link.attributes == {"email": "ana.ruiz@students.example.org", "name": "Ana Ruiz"}
    clash = one(store, tid, "ben.ode2", "username", {"email": "ana.ruiz@students.example.org"})
    assert clash.status == "conflict"


def test_a_resolver_decides_each_person_once_per_run(store: Store) -> None:
    tid = roster(store)
    resolver = IdentityResolver(tid, SYSTEM)
    refs = [LearnerRef("ben.ode2", "username"), LearnerRef("ben.ode2", "username"),
            LearnerRef("nobody", "username")]
    with store.engine.begin() as conn:
        links = resolver.resolve_many(conn, refs)
        assert links["ben.ode2"].user_sourced_id == "stu-2"
        resolver.resolve_many(conn, refs)
    assert (resolver.counts.added, resolver.counts.waiting) == (2, 1)
    again = IdentityResolver(tid, SYSTEM)
    with store.engine.begin() as conn:
        again.resolve_many(conn, refs)
        count = conn.execute(sa.select(sa.func.count()).select_from(identity_links)).scalar()
    assert count == 2
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 2)


def test_rules_from_config_replace_a_kinds_fields(store: Store) -> None:
    tid = roster(store)
    rules = IdentityRules.from_config({"learner_id_kind": "sis_id",
                                       "match": {"sis_id": ["identifier"]}})
    assert rules.learner_id_kind == "sis_id" and rules.fields("email") == ("email",)
    assert one(store, tid, "stu-1", "sis_id", rules=rules).user_sourced_id == "stu-3"
    with store.engine.connect() as conn:
        assert list_links(conn, tid, status=None, system="elsewhere") == []


@pytest.mark.parametrize(("config", "message"), [
    ({"match": {"sis_id": ["emial"]}}, r"identity.match.sis_id: 'emial' is not a roster field"),
    ({"match": {"badge": ["email"]}}, r"'badge' is not an id kind"),
    ({"match": {"tool_id": ["email"]}}, r"only through links an admin confirms"),
    ({"learner_id_kind": "ssn"}, r"learner_id_kind: 'ssn' is not an id kind"),
    ({"matches": {}}, r"unknown key\(s\) matches"),
])
def test_bad_rules_name_the_key_and_the_fix(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IdentityRules.from_config(config)


def test_merged_rules_let_a_connection_override_its_mapping() -> None:
    rules = IdentityRules.merged({"learner_id_kind": "email", "match": {"email": ["email"]}},
                                 {"match": {"sis_id": ["userIds:SIS"]}})
    assert rules.learner_id_kind == "email"
    assert rules.fields("sis_id") == ("userIds:SIS",) and rules.fields("email") == ("email",)


def test_a_run_resolves_many_people_in_a_few_statements(sqlite_store: Store) -> None:
    tid = roster(sqlite_store)
    statements: list[str] = []
    sa.event.listen(sqlite_store.engine, "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    resolver = IdentityResolver(tid, SYSTEM)
    refs = [LearnerRef(f"kid{n}", "username") for n in range(1200)]
    refs += [LearnerRef("ben.ode2", "username"), LearnerRef("twins@students.example.org",
                                                            "email")]
    with sqlite_store.engine.begin() as conn:
        links = resolver.resolve_many(conn, refs)
    assert len(links) == 1202 and links["ben.ode2"].user_sourced_id == "stu-2"
    # Stored links looked up in chunks, each roster field read once, new links written in
    # one executemany and read back in chunks: not one query per person.
    assert len(statements) < 20, statements


def test_a_single_lookup_reads_userids_without_wildcards(store: Store) -> None:
    tid = roster(store)
    rules = IdentityRules.from_config({"match": {"sis_id": ["userIds:SIS"]}})
    assert one(store, tid, "50000002", "sis_id", rules=rules).user_sourced_id == "stu-2"
    assert one(store, tid, "5000000%", "sis_id", rules=rules).status == "unmatched"
