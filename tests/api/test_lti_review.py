"""LTI records through the admin API: identities to review and their resolution, the LMS
courses seen in launches, and the AGS score ledger, each scoped to its tenant."""

from __future__ import annotations

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.lti.identity import IdentityLinks
from gateway.lti.ledger import Score, ScoreLedger
from gateway.lti.registrations import Registration, RegistrationInput, Registrations
from gateway.store.tables import lti_contexts, stream_tables
from tests.api.conftest import Harbor
from tests.helpers import run

BASE = "/admin/tenants/north/lti"


def _registration(harbor: Harbor, tenant: str = "north") -> Registration:
    return Registrations(harbor.store.engine).add(harbor.store.tenant(tenant).id,
                                                  RegistrationInput(
        name="lms", issuer=f"https://{tenant}.lms.example", client_id="c1",
        auth_login_url="https://lms.example/auth", auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks", deployment_ids=("d1",)))


def _a_north_user(harbor: Harbor) -> str:
    assert run(harbor.store, "north/sis").status == "succeeded"
    users = stream_tables["users"]
    with harbor.store.engine.connect() as conn:
        return str(conn.execute(sa.select(users.c.sourced_id).where(
            users.c.tenant_id == harbor.store.tenant("north").id)
            .order_by(users.c.sourced_id)).scalars().first())


def test_an_unmatched_lms_user_is_reviewed_and_confirmed(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    user = _a_north_user(harbor)
    registration = _registration(harbor)
    link = IdentityLinks(harbor.store.engine).resolve(registration, sub="lms-9",
                                                      email="nobody@nowhere.example")
    listed = harbor.client.get(f"{BASE}/identities", headers=it).json()
    assert [(i["sub"], i["status"]) for i in listed] == [("lms-9", "unmatched")]

    wrong = harbor.client.post(f"{BASE}/identities/{link.id}/confirm",
                               json={"user_sourced_id": "not-a-user"}, headers=it)
    assert wrong.status_code == 422
    assert "'not-a-user' is not in this tenant's roster" in wrong.json()["detail"]

    done = harbor.client.post(f"{BASE}/identities/{link.id}/confirm",
                              json={"user_sourced_id": user}, headers=it)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["user_sourced_id"]) == ("confirmed", user)
    assert harbor.client.get(f"{BASE}/identities", headers=it).json() == []


def test_another_tenants_identity_is_not_found(harbor: Harbor) -> None:
    south = _registration(harbor, "south")
    link = IdentityLinks(harbor.store.engine).resolve(south, sub="lms-1")
    r = harbor.client.post(f"{BASE}/identities/{link.id}/confirm",
                           json={"user_sourced_id": "u1"}, headers=harbor.as_(harbor.north))
    assert r.status_code == 404
    assert IdentityLinks(harbor.store.engine).by_id(link.id) == link


def test_courses_and_score_ledger(harbor: Harbor) -> None:
    it = harbor.as_(harbor.north)
    registration = _registration(harbor)
    with harbor.store.engine.begin() as conn:
        conn.execute(lti_contexts.insert().values(
            registration_id=registration.id, context_id="course-1", deployment_id="d1",
            title="Algebra", lineitems_url="https://lms.example/lineitems",
            ags_scopes=["s"], last_launch_at=utcnow()))
    courses = harbor.client.get(f"{BASE}/courses", headers=it).json()
    assert [(c["context_id"], c["title"], c["ags_scopes"]) for c in courses] == [
        ("course-1", "Algebra", ["s"])]

    ledger = ScoreLedger(harbor.store.engine)
    for user in ("a", "b", "c"):
        entry = ledger.claim(registration.id, "https://lms.example/lineitems/1",
                             Score(user_id=user, score_given=9, score_maximum=10))
        if user != "c":
            ledger.sent(entry, 204)
    url = f"{BASE}/registrations/{registration.id}/scores"
    page = harbor.client.get(url, params={"limit": 2}, headers=it).json()
    assert page["counts"] == {"sent": 2, "pending": 1}
    assert [s["userId"] for s in page["scores"]] == ["a", "b"]
    rest = harbor.client.get(url, params={"after_id": page["next_after_id"]}, headers=it).json()
    assert [(s["userId"], s["status"]) for s in rest["scores"]] == [("c", "pending")]
    assert rest["next_after_id"] is None
    pending = harbor.client.get(url, params={"status": "pending"}, headers=it).json()
    assert [s["userId"] for s in pending["scores"]] == ["c"]
