"""The OneRoster gradebook destination against our own provider over real HTTP, on both
databases: check, lineItems by PUT and by POST (found again after a crash), results that
converge and resend without writing, a deleted lineItem, an unknown student, a missing
scope, and an SIS that answers 429 and 500 for a while."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.oneroster_gradebook import OneRosterGradebookConnector
from connectors.oneroster_gradebook.records import CATEGORY_ID, result_id
from gateway.abc import Capability, ConnectorKind
from gateway.errors import ConfigError, SkippableRecordError
from gateway.plugins import connector_class
from gateway.push.destination import AssignmentGone, Learner
from gateway.sample import write_district
from gateway.store.store import Store
from tests.connectors.oneroster_gradebook.sis import SIS, assignment, grade, serve_sis


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("district")
    write_district(out, 20, gradebook=False, demographics=False)
    return out


@pytest.fixture
def sis(store: Store, district: Path) -> Iterator[SIS]:
    with serve_sis(store, district) as served:
        yield served


def test_registered_as_a_push_only_lms_destination(sis: SIS) -> None:
    cls = connector_class("oneroster-gradebook")
    assert cls is OneRosterGradebookConnector
    assert cls.kind is ConnectorKind.LMS
    assert cls.capabilities == frozenset({Capability.CHECK, Capability.PUSH})
    dest, _ = sis.connector()
    assert dest.streams() == ()
    with pytest.raises(ConfigError, match="push-only"):
        dest.pull(None)
    assert "client_secret" in cls.config_model.secret_fields()
    assert dest.config.resolved_scope().split() == [
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput",
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly"]


def test_check_signs_in_and_says_what_to_fix(sis: SIS) -> None:
    good, _ = sis.connector()
    result = asyncio.run(good.check())
    assert result.ok, result.message
    assert "PUT" in result.message and CATEGORY_ID in result.message
    assert sis.version() == asyncio.run(_version_after(sis, good)), "check changes nothing"

    bad, _ = sis.connector(secret="not-the-secret")
    result = asyncio.run(bad.check())
    assert not result.ok and "client id, secret" in result.message

    nowhere, _ = sis.connector(base_url=sis.url + "/nothing-here")
    result = asyncio.run(nowhere.check())
    assert not result.ok and "404" in result.message

    missing, _ = sis.connector(category="no-such-category")
    result = asyncio.run(missing.check())
    assert not result.ok and "'no-such-category'" in result.message
    assert "remove 'category'" in result.message

    # Asking for a scope the client was not granted is refused at sign-in, by name.
    greedy, _ = sis.connector("reader")
    result = asyncio.run(greedy.check())
    assert not result.ok and "invalid_scope" in result.message


async def _version_after(sis: SIS, dest: OneRosterGradebookConnector) -> int:
    await dest.check()
    return sis.version()


def test_put_makes_the_line_item_once_and_finds_it(sis: SIS) -> None:
    work = assignment(sis)

    async def scenario() -> None:
        async with sis.pushing() as dest:
            assert await dest.find_assignment(work) is None
            remote = await dest.create_assignment(work)
            assert remote.id == work.key and remote.extra == {"class": sis.section.sourced_id}
            assert remote.url and remote.url.endswith(f"/lineItems/{work.key}")
            assert await dest.find_assignment(work) == remote
            before = sis.version()
            assert await dest.create_assignment(work) == remote
            assert sis.version() == before, "the same PUT again writes nothing"
        async with sis.pushing() as again:  # the next push: the category is checked, kept
            before = sis.version()
            assert await again.create_assignment(work) == remote
            assert sis.version() == before

    asyncio.run(scenario())
    line = sis.row("lineItems", work.key)
    assert (line["status"], line["title"], line["class_sourced_id"]) == (
        "active", work.title, sis.section.sourced_id)
    assert line["category_sourced_id"] == CATEGORY_ID
    assert line["academic_session_sourced_id"] == sis.period.sourced_id
    assert line["school_sourced_id"] == sis.section.school_sourced_id
    assert line["due_date"].startswith(sis.period.end)
    assert line["assign_date"].startswith(sis.period.start)
    assert (float(line["result_value_min"]), float(line["result_value_max"])) == (0.0, 4.0)
    assert '"harbormaster.key":"hm-0a1b2c3d4e5f"' in line["metadata"]
    assert sis.row("categories", CATEGORY_ID)["title"] == "Harbormaster"
    puts = [r for r in sis.requests() if r[0] == "PUT" and r[1].endswith("/categories/"
                                                                          + CATEGORY_ID)]
    assert len(puts) == 1, "the category is made once, then found"


def test_results_converge_and_a_resend_writes_nothing(sis: SIS) -> None:
    work = assignment(sis)
    grades = [grade(work, learner, score=n + 1.0) for n, learner in enumerate(sis.learners)]

    async def scenario() -> None:
        async with sis.pushing() as dest:
            remote = await dest.create_assignment(work)
            acks = await asyncio.gather(*(dest.put_grade(remote, g) for g in grades))
            assert {a.response_status for a in acks} == {201}
            stored = sis.rows("results", line_item_sourced_id=work.key)
            before = sis.version()
            for g in grades:  # a resend after a crash: the same PUTs
                await dest.put_grade(remote, g)
            assert sis.version() == before
            assert sis.rows("results", line_item_sourced_id=work.key) == stored
            # A new score replaces the learner's one result; the comment is not repeated.
            await dest.put_grade(remote, dataclasses.replace(grades[0], score=4.0,
                                                             comment="Advanced"))
            assert sis.version() == before + 1

    asyncio.run(scenario())
    results = sis.rows("results", line_item_sourced_id=work.key)
    assert len(results) == len(grades)
    first = sis.row("results", result_id(grades[0]))
    assert (float(first["score"]), first["comment"], first["score_status"]) == (
        4.0, "Advanced", "fully graded")
    assert first["student_sourced_id"] == sis.learners[0].sourced_id
    assert first["score_date"] == "2026-10-09" and first["class_sourced_id"] == \
        sis.section.sourced_id
    assert sis.learners[0].sourced_id not in first["sourced_id"], "no learner id in the key"


def test_post_reads_sourced_id_pairs_and_finds_its_line_item_after_a_crash(sis: SIS) -> None:
    work = assignment(sis, key="hm-posted")
    taken = assignment(sis, key="hm-taken")

    async def scenario() -> str:
        async with sis.pushing(write="post") as dest:
            assert (await dest.create_assignment(work)).id == work.key, "a free id is kept"
            # Made by PUT once, deleted by a teacher: the id stays taken (tobedeleted).
            async with sis.pushing() as put:
                await put.create_assignment(taken)
            assert sis.call("DELETE", f"/lineItems/{taken.key}").status_code == 204
            assert await dest.find_assignment(taken) is None
            made = await dest.create_assignment(taken)
            assert made.id != taken.key, "the server allocated its own sourcedId"
            ack = await dest.put_grade(made, grade(taken, sis.learners[0]))
            assert ack.response_status == 201
        # A crash before the ledger saw the answer: the next push finds it by its marker.
        async with sis.pushing(write="post") as after:
            assert await after.find_assignment(taken) == made
            before = sis.version()
            ack = await after.put_grade(made, grade(taken, sis.learners[0]))
            assert ack.response_status == 200 and sis.version() == before
            await after.put_grade(made, grade(taken, sis.learners[0], score=1.0))
            assert sis.version() == before + 1
        return made.id

    allocated = asyncio.run(scenario())
    [result] = sis.rows("results", line_item_sourced_id=allocated)
    assert float(result["score"]) == 1.0 and result["student_sourced_id"] == \
        sis.learners[0].sourced_id
    assert sis.rows("lineItems", sourced_id=allocated)[0]["status"] == "active"


def test_a_deleted_line_item_is_gone_and_put_revives_it(sis: SIS) -> None:
    work = assignment(sis)

    async def scenario() -> None:
        async with sis.pushing() as dest:
            remote = await dest.create_assignment(work)
            await dest.put_grade(remote, grade(work, sis.learners[0]))
            assert sis.call("DELETE", f"/lineItems/{work.key}").status_code == 204
            assert await dest.find_assignment(work) is None
            with pytest.raises(AssignmentGone, match=f"lineItem {work.key}.*deleted"):
                await dest.put_grade(remote, grade(work, sis.learners[1]))
            async with sis.pushing(write="post") as posting:
                for learner in sis.learners[:2]:  # a result it has, and one it has not
                    with pytest.raises(AssignmentGone):
                        await posting.put_grade(remote, grade(work, learner, score=1.0))
            assert await dest.create_assignment(work) == remote
            assert await dest.find_assignment(work) == remote
            await dest.put_grade(remote, grade(work, sis.learners[1]))

    asyncio.run(scenario())
    assert sis.row("lineItems", work.key)["status"] == "active"
    assert len(sis.rows("results", line_item_sourced_id=work.key)) == 2


def test_an_unknown_student_is_skipped_by_name(sis: SIS) -> None:
    work = assignment(sis)
    stranger = Learner("no-such-student", identifier="S-404")

    async def scenario() -> None:
        async with sis.pushing() as dest:
            remote = await dest.create_assignment(work)
            with pytest.raises(SkippableRecordError) as info:
                await dest.put_grade(remote, grade(work, stranger))
            text = str(info.value)
            assert "learner no-such-student" in text and sis.section.sourced_id in text
            assert "enrolled" in text
        async with sis.pushing(student_ids="identifier") as by_number:
            with pytest.raises(SkippableRecordError, match="has no identifier"):
                await by_number.put_grade(remote, grade(work, Learner("x")))
        async with sis.pushing(write="post") as posting:
            with pytest.raises(SkippableRecordError, match="learner no-such-student"):
                await posting.put_grade(remote, grade(work, stranger))

    asyncio.run(scenario())
    assert sis.rows("results", line_item_sourced_id=work.key) == []


def test_a_missing_scope_or_category_stops_the_push_by_name(sis: SIS) -> None:
    async def scenario() -> None:
        async with sis.pushing("reader", scope="https://purl.imsglobal.org/spec/or/v1p2/"
                               "scope/gradebook.readonly") as dest:
            with pytest.raises(ConfigError, match=r"lacks the scope 'gradebook\.createput'"):
                await dest.create_assignment(assignment(sis))
        async with sis.pushing(category="no-such-category") as dest:
            with pytest.raises(ConfigError, match="'no-such-category' is not in the SIS"):
                await dest.create_assignment(assignment(sis))

    asyncio.run(scenario())


def test_rate_limits_and_server_errors_are_waited_out(sis: SIS) -> None:
    work = assignment(sis)
    sis.flaky.failures = [429, 500, 429, 503]

    async def scenario() -> None:
        async with sis.pushing(write="post") as dest:
            remote = await dest.create_assignment(work)
            await asyncio.gather(*(dest.put_grade(remote, grade(work, learner))
                                   for learner in sis.learners))

    asyncio.run(scenario())
    assert [status for status, _ in sis.flaky.failed] == [429, 500, 429, 503]
    assert len(sis.rows("results", line_item_sourced_id=work.key)) == len(sis.learners)
