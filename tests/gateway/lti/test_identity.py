"""Identity links of LMS users: each rule, conflicts and misses landing for review, an
admin's confirmation, and matching an LTI context to a canonical class; on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.lti.identity import IdentityLinks, match_class
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.store.store import Store
from gateway.store.tables import lti_identity_links, stream_tables
from tests.gateway.lti.services_live import add_rows, row


def registration(store: Store, tenant: str = "district", name: str = "lms") -> Registration:
    tenant_id = store.ensure_tenant(tenant).id
    return Registrations(store.engine).add(tenant_id, RegistrationInput(
        name=name, issuer=f"https://{tenant}.lms.example.org", client_id="c",
        auth_login_url="https://lms.example.org/auth",
        auth_token_url="https://lms.example.org/token",
        key_set_url="https://lms.example.org/jwks"))


def district(store: Store) -> Registration:
    """A registration of a tenant with a small roster (and another tenant's lookalikes)."""
    reg = registration(store)
    other = registration(store, "other", "other-lms")
    t, o = reg.tenant_id, other.tenant_id
    add_rows(store, "users",
             row(t, "u1", identifier="S-1001", email="Ann.Lee@District.org", given_name="Ann"),
             row(t, "u2", identifier="S-1002", email="bo@district.org"),
             row(t, "u3", identifier="S-1003", email="family@district.org"),
             row(t, "u4", identifier="S-1004", email="family@district.org"),
             row(t, "u5", status="tobedeleted", identifier="S-1005",
                  email="gone@district.org"),
             row(o, "x1", identifier="S-9001", email="cy@district.org"))
    return reg


def test_person_sourcedid_matches_a_sourced_id_or_an_identifier(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    by_id = links.resolve(reg, sub="a", person_sourcedid="u2")
    by_identifier = links.resolve(reg, sub="b", person_sourcedid="S-1001", name="Ann Lee")
    assert (by_id.status, by_id.user_sourced_id, by_id.matched_by) == (
        "matched", "u2", "person_sourcedid")
    assert (by_identifier.user_sourced_id, by_identifier.name) == ("u1", "Ann Lee")
    assert links.get(reg.id, "b") == by_identifier


def test_email_matches_ignoring_case(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    link = links.resolve(reg, sub="a", email=" ann.lee@district.ORG ")
    assert (link.status, link.user_sourced_id, link.matched_by) == ("matched", "u1", "email")


def test_inactive_users_and_other_tenants_never_match(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    for sub, claims in (("a", {"person_sourcedid": "S-1005"}),
                        ("b", {"email": "gone@district.org"}),
                        ("c", {"person_sourcedid": "x1", "email": "cy@district.org"})):
        link = links.resolve(reg, sub=sub, **claims)
        assert (link.status, link.user_sourced_id) == ("unmatched", None), sub
        assert link.detail and "no active user" in link.detail


def test_a_launch_with_nothing_to_match_on_is_unmatched_and_says_why(store: Store) -> None:
    reg = district(store)
    link = IdentityLinks(store.engine).resolve(reg, sub="a", name="Someone")
    assert link.status == "unmatched" and "neither" in (link.detail or "")


def test_two_users_with_one_email_is_a_conflict_naming_both(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    link = links.resolve(reg, sub="a", email="family@district.org")
    assert (link.status, link.user_sourced_id) == ("conflict", None)
    assert "email matches 2 users: u3, u4" in (link.detail or "")


def test_rules_naming_different_users_is_a_conflict(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    link = links.resolve(reg, sub="a", person_sourcedid="S-1002", email="ann.lee@district.org")
    assert (link.status, link.user_sourced_id) == ("conflict", None)
    assert link.detail == ("the rules disagree: person_sourcedid matches user u2; email "
                           "matches user u1")
    agreeing = links.resolve(reg, sub="b", person_sourcedid="S-1001",
                             email="ann.lee@district.org")
    assert (agreeing.status, agreeing.matched_by) == ("matched", "person_sourcedid")


def test_review_lists_the_tenants_misses_and_conflicts(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    links.resolve(reg, sub="ok", person_sourcedid="u1")
    links.resolve(reg, sub="none", email="nobody@district.org")
    links.resolve(reg, sub="two", email="family@district.org")
    other = Registrations(store.engine).by_name(store.tenant("other").id, "other-lms")
    assert other is not None
    links.resolve(other, sub="elsewhere")
    assert [(x.sub, x.status) for x in links.for_review(reg.tenant_id)] == [
        ("none", "unmatched"), ("two", "conflict")]
    assert [x.sub for x in links.for_review(other.tenant_id)] == ["elsewhere"]


def test_an_admin_confirms_a_conflict_and_it_then_stands(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    conflict = links.resolve(reg, sub="a", email="family@district.org")
    with pytest.raises(ConfigError, match="'u9' is not in this tenant's roster"):
        links.confirm(conflict.id, "u9")
    with pytest.raises(ConfigError, match="'u5' is tobedeleted"):
        links.confirm(conflict.id, "u5")
    with pytest.raises(ConfigError, match="'x1' is not in"):  # another tenant's user
        links.confirm(conflict.id, "x1")
    with pytest.raises(ConfigError, match="no identity link 999"):
        links.confirm(999, "u3")
    confirmed = links.confirm(conflict.id, "u4")
    assert (confirmed.status, confirmed.user_sourced_id, confirmed.matched_by) == (
        "confirmed", "u4", "admin")
    assert "was conflict" in (confirmed.detail or "")
    again = links.resolve(reg, sub="a", email="family@district.org")
    assert again == confirmed
    assert links.for_review(reg.tenant_id) == []


def test_a_link_stands_until_its_user_leaves_the_roster(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    first = links.resolve(reg, sub="a", email="bo@district.org")
    # The same launch again writes nothing; a changed email cannot move a made link.
    assert links.resolve(reg, sub="a", email="bo@district.org") == first
    assert links.resolve(reg, sub="a", email="ann.lee@district.org") == first
    users = stream_tables["users"]
    with store.engine.begin() as conn:
        conn.execute(users.update().where(users.c.sourced_id == "u2")
                     .values(status="tobedeleted"))
    moved = links.resolve(reg, sub="a", email="ann.lee@district.org")
    assert (moved.status, moved.user_sourced_id) == ("matched", "u1")


def test_an_unmatched_user_is_matched_once_the_roster_has_them(store: Store) -> None:
    reg, links = district(store), IdentityLinks(store.engine)
    assert links.resolve(reg, sub="new", email="new@district.org").status == "unmatched"
    add_rows(store, "users", row(reg.tenant_id, "u6", email="new@district.org"))
    link = links.resolve(reg, sub="new", email="new@district.org")
    assert (link.status, link.user_sourced_id) == ("matched", "u6")
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(lti_identity_links)
                            .where(lti_identity_links.c.sub == "new")).scalar_one() == 1


def test_a_context_matches_a_class_by_sourcedid_then_by_a_unique_class_code(
        store: Store) -> None:
    t = store.ensure_tenant("district").id
    add_rows(store, "classes",
             row(t, "c1", title="Algebra 1", class_code="ALG1-P1"),
             row(t, "c2", title="Biology", class_code="BIO"),
             row(t, "c3", title="Biology", class_code="BIO"),
             row(t, "c4", status="tobedeleted", title="Old", class_code="OLD"))
    assert match_class(store.engine, t, course_section_sourcedid="c2",
                       context_label="ALG1-P1") == "c2"
    assert match_class(store.engine, t, course_section_sourcedid="nope",
                       context_label="ALG1-P1") == "c1"
    assert match_class(store.engine, t, course_section_sourcedid=None,
                       context_label="BIO") is None  # two classes: not guessed
    assert match_class(store.engine, t, course_section_sourcedid="c4",
                       context_label="OLD") is None
    assert match_class(store.engine, t + 1, course_section_sourcedid="c1",
                       context_label=None) is None
