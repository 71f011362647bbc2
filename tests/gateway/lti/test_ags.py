"""AGS 2.0 against a real platform: line items made once and again after a delete, scores
through the ledger (repeats, changes, crashes, 429s and 5xx), results read back; and the
platform answers a real one rarely gives (409, garbage) under httpx.MockTransport."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from gateway.errors import ConfigError, RetriableError, RunFatalError, SkippableRecordError
from gateway.lti.ags import (
    LINEITEM,
    LINEITEM_READONLY,
    RESULT_READONLY,
    SCORE,
    AgsClient,
    AgsEndpoint,
    LineItem,
)
from gateway.lti.ledger import Score
from gateway.lti.registrations import Registrations
from gateway.store.store import Store
from gateway.store.tables import lti_line_items, lti_score_ledger
from tests.gateway.lti.services_live import (
    STUDENTS,
    Live,
    add_registration,
    mock_services,
    run,
)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def claim_endpoint(live: Live) -> AgsEndpoint:
    """The AGS claim of a real launch from the course."""
    return AgsEndpoint.from_claim(live.platform.launch_claims(STUDENTS[0], nonce="n"))


def on_platform(live: Live, call: Callable[[AgsClient], Any], **policy: Any) -> Any:
    async def scenario() -> Any:
        async with live.services(**policy) as services:
            return await call(AgsClient(services, live.store.engine))
    return run(scenario())


def make_item(ags: AgsClient, live: Live, resource_id: str = "quiz-1") -> Any:
    return ags.find_or_create_line_item(live.registration, claim_endpoint(live),
                                        label="Quiz 1", score_maximum=10,
                                        resource_id=resource_id, tag="grade")


def posts(live: Live, segment: str = "/scores") -> int:
    return sum(1 for method, path in live.platform.request_log
               if method == "POST" and path.endswith(segment))


def ledger_rows(live: Live) -> list[Any]:
    with live.store.engine.connect() as conn:
        return list(conn.execute(sa.select(lti_score_ledger).order_by(lti_score_ledger.c.id)))


def test_the_launch_claim_says_where_and_what(live: Live) -> None:
    endpoint = claim_endpoint(live)
    assert endpoint.lineitems == live.lineitems_url()
    assert endpoint.scopes == {LINEITEM, LINEITEM_READONLY, RESULT_READONLY, SCORE}
    with pytest.raises(RunFatalError, match=r"AGS claim .* is malformed"):
        AgsEndpoint.from_claim({"scope": "score"})


def test_a_scope_the_launch_did_not_grant_is_refused_before_any_request(live: Live) -> None:
    scores_only = AgsEndpoint(lineitems=live.lineitems_url(), scopes=frozenset({SCORE}))
    seen = len(live.platform.request_log)
    with pytest.raises(ConfigError, match=r"did not grant the scope .*lineitem.readonly"):
        on_platform(live, lambda ags: ags.find_or_create_line_item(
            live.registration, scores_only, label="Quiz", score_maximum=10, tag="q"))
    no_scores = AgsEndpoint(lineitems=live.lineitems_url(), scopes=frozenset({LINEITEM}))
    with pytest.raises(ConfigError, match=r"cannot post scores .*scope/score"):
        on_platform(live, lambda ags: ags.post_score(
            live.registration, "http://x/1", Score("lms-1", 1, 2), endpoint=no_scores))
    assert len(live.platform.request_log) == seen
    read_only = AgsEndpoint(lineitems=live.lineitems_url(),
                            scopes=frozenset({LINEITEM_READONLY}))
    with pytest.raises(ConfigError, match="cannot create the line item 'Quiz'"):
        on_platform(live, lambda ags: ags.find_or_create_line_item(
            live.registration, read_only, label="Quiz", score_maximum=10, tag="q"))


def test_find_or_create_makes_the_line_item_once(live: Live) -> None:
    async def twice(ags: AgsClient) -> list[LineItem]:
        first = await asyncio.gather(make_item(ags, live), make_item(ags, live))
        return [*first, await make_item(ags, live), await make_item(ags, live, "quiz-2")]

    a, b, c, other = on_platform(live, twice)
    assert a == b == c and a.url != other.url
    assert a.label == "Quiz 1" and a.score_maximum == 10 and a.resource_id == "quiz-1"
    assert len(live.platform.contexts["course-1"].line_items) == 2
    assert posts(live, "/lineitems") == 2
    with live.store.engine.connect() as conn:
        rows = conn.execute(sa.select(lti_line_items.c.resource_id,
                                      lti_line_items.c.line_item_url)).all()
    assert sorted(rows) == [("quiz-1", a.url), ("quiz-2", other.url)]


def test_a_line_item_deleted_on_the_platform_is_made_again(live: Live) -> None:
    first = on_platform(live, lambda ags: make_item(ags, live))
    live.platform.contexts["course-1"].line_items.clear()  # a teacher deleted the column
    again = on_platform(live, lambda ags: make_item(ags, live))
    assert again.url != first.url
    assert [i["id"] for i in live.platform.contexts["course-1"].line_items.values()] == [
        again.url]
    with live.store.engine.connect() as conn:
        assert conn.execute(sa.select(lti_line_items.c.line_item_url)).scalars().all() == [
            again.url]


def test_a_score_lands_once_however_often_it_is_pushed(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    score = Score("lms-1", 8, 10, comment="well done")
    first = on_platform(live, lambda ags: ags.post_score(live.registration, item, score,
                                                         endpoint=claim_endpoint(live)))
    assert first.outcome == "sent" and first.entry.response_status == 204
    [landed] = live.platform.scores
    assert landed == {"userId": "lms-1", "scoreGiven": 8.0, "scoreMaximum": 10.0,
                      "activityProgress": "Completed", "gradingProgress": "FullyGraded",
                      "comment": "well done", "timestamp": first.entry.timestamp,
                      "lineitem": item.url}
    assert TIMESTAMP.match(first.entry.timestamp)
    again = on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                         Score("lms-1", 8.0, 10.0,
                                                               comment="well done")))
    assert again.outcome == "already sent" and again.entry.id == first.entry.id
    assert len(live.platform.scores) == 1 and posts(live) == 1


def test_a_changed_grade_is_sent_and_so_is_changing_it_back(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    for given in (8, 6, 8, 8):
        on_platform(live, lambda ags, g=given: ags.post_score(live.registration, item,
                                                              Score("lms-2", g, 10)))
    assert [s["scoreGiven"] for s in live.platform.scores] == [8, 6, 8]
    assert [r.status for r in ledger_rows(live)] == ["sent"] * 3
    [result] = on_platform(live, lambda ags: ags.results(live.registration, item, "lms-2"))
    assert (result.result_score, result.result_maximum) == (8, 10)


def test_a_crash_after_the_post_resends_the_same_timestamp(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    score = Score("lms-3", 7, 10)
    sent = on_platform(live, lambda ags: ags.post_score(live.registration, item, score))
    with live.store.engine.begin() as conn:  # the process died before recording the answer
        conn.execute(lti_score_ledger.update().values(status="pending", sent_at=None,
                                                      response_status=None))
    resent = on_platform(live, lambda ags: ags.post_score(live.registration, item, score))
    assert resent.outcome == "sent" and resent.entry.id == sent.entry.id
    assert resent.entry.attempts == 2
    assert [s["timestamp"] for s in live.platform.scores] == [sent.entry.timestamp] * 2
    results = on_platform(live, lambda ags: ags.results(live.registration, item))
    assert [(r.user_id, r.result_score) for r in results] == [("lms-3", 7)]


def test_429_and_5xx_are_retried_and_the_score_sent_once(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    live.platform.fail_next("/scores", 429, headers={"Retry-After": "3"})
    live.platform.fail_next("/scores", 500, times=2)
    pushed = on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                          Score("lms-4", 5, 10)),
                         backoff_initial=1, backoff_max=10)
    assert pushed.outcome == "sent" and pushed.entry.attempts == 1
    assert live.sleeps[0] == 3.0 and len(live.sleeps) == 3
    assert len(live.platform.scores) == 1 and posts(live) == 4


def test_a_push_that_keeps_failing_stays_pending_and_resumes_unchanged(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    live.platform.fail_next("/scores", 503, times=3)
    with pytest.raises(RetriableError, match="HTTP 503"):
        on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                     Score("lms-5", 9, 10)), attempts=3)
    [row] = ledger_rows(live)
    assert (row.status, row.attempts) == ("pending", 1) and "HTTP 503" in row.message
    later = on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                         Score("lms-5", 9, 10)))
    assert later.outcome == "sent" and later.entry.timestamp == row.timestamp
    assert [s["timestamp"] for s in live.platform.scores] == [row.timestamp]


def test_a_score_the_platform_refuses_says_why_and_stays_pending(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    with pytest.raises(RunFatalError, match=r"HTTP 400.*not a member"):
        on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                     Score("lms-99", 1, 10)))
    [row] = ledger_rows(live)
    assert row.status == "pending" and "not a member" in row.message
    with pytest.raises(SkippableRecordError, match="scoreMaximum above 0"):
        on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                     Score("lms-1", 1)))
    assert len(ledger_rows(live)) == 1


def test_a_score_finding_its_line_item_gone_makes_it_again(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))
    on_platform(live, lambda ags: ags.post_score(live.registration, item, Score("lms-1", 3, 10)))
    live.platform.contexts["course-1"].line_items.clear()
    pushed = on_platform(live, lambda ags: ags.post_score(live.registration, item,
                                                          Score("lms-1", 4, 10)))
    [remade] = live.platform.contexts["course-1"].line_items.values()
    assert pushed.outcome == "sent" and pushed.entry.line_item_url == remade["id"] != item.url
    assert remade["resourceId"] == "quiz-1" and remade["label"] == "Quiz 1"
    assert live.platform.scores[-1]["lineitem"] == remade["id"]
    assert [(r.status, r.response_status) for r in ledger_rows(live)] == [
        ("sent", 204), ("superseded", 404), ("sent", 204)]
    live.platform.contexts["course-1"].line_items.clear()
    with pytest.raises(ConfigError, match="gone from the platform"):  # a bare URL: no remake
        on_platform(live, lambda ags: ags.post_score(live.registration, remade["id"],
                                                     Score("lms-1", 5, 10)))


def test_results_are_read_back_page_by_page(live: Live) -> None:
    item = on_platform(live, lambda ags: make_item(ags, live))

    async def grade_all(ags: AgsClient) -> None:
        for n, student in enumerate(STUDENTS):
            await ags.post_score(live.registration, item, Score(student.sub, n, 10))

    on_platform(live, grade_all)
    results = on_platform(live, lambda ags: ags.results(live.registration, item, limit=2,
                                                        endpoint=claim_endpoint(live)))
    assert sorted((r.user_id, r.result_score) for r in results) == [
        (s.sub, n) for n, s in enumerate(STUDENTS)]
    assert all(r.score_of == item.url for r in results)
    assert sum(1 for m, p in live.platform.request_log if p.endswith("/results")) == 3
    [one] = on_platform(live, lambda ags: ags.results(live.registration, item, "lms-3"))
    assert one.result_score == 2
    listed = on_platform(live, lambda ags: ags.line_items(live.registration,
                                                          live.lineitems_url(), limit=1))
    assert [i.url for i in listed] == [item.url]


def mock_platform(store: Store, answer: Callable[[httpx.Request], httpx.Response],
                  ) -> tuple[AgsClient, Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return answer(request)

    registration = Registrations(store.engine).find("https://lms.example.org", "c")
    if registration is None:
        registration = add_registration(store, issuer="https://lms.example.org",
                                        token_url="https://lms.example.org/token",
                                        client_id="c")
    return AgsClient(mock_services(store, handler), store.engine), registration


def test_409_means_the_platform_keeps_a_later_grade(store: Store) -> None:
    ags, registration = mock_platform(store, lambda r: httpx.Response(409))
    url = "https://lms.example.org/lineitems/1"
    first = run(ags.post_score(registration, url, Score("u", 1, 2)))
    assert first.outcome == "superseded" and "later score" in (first.entry.message or "")
    assert run(ags.post_score(registration, url, Score("u", 1, 2))).outcome == "superseded"
    with store.engine.begin() as conn:
        conn.execute(lti_score_ledger.update().values(status="pending"))
    resent = run(ags.post_score(registration, url, Score("u", 1, 2)))
    assert resent.outcome == "already sent" and resent.entry.status == "sent"


def test_garbage_from_the_platform_is_a_fatal_error_naming_the_url(store: Store) -> None:
    ags, registration = mock_platform(store, lambda r: httpx.Response(200, text="<html>hi"))
    with pytest.raises(RunFatalError, match=r"GET https://lms.example.org/c/lineitems.*not "
                                            r"JSON"):
        run(ags.line_items(registration, "https://lms.example.org/c/lineitems"))
    ags, registration = mock_platform(store, lambda r: httpx.Response(200, json=[{"x": 1}]))
    with pytest.raises(RunFatalError, match="without a userId"):
        run(ags.results(registration, "https://lms.example.org/c/lineitems/1"))


def test_scores_and_results_urls_keep_the_line_items_query(store: Store) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    ags, registration = mock_platform(store, answer)
    url = "https://moodle.example.org/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3"
    run(ags.post_score(registration, url, Score("u", 1, 2)))
    run(ags.results(registration, url, "u"))
    assert seen == [
        "https://moodle.example.org/mod/lti/services.php/2/lineitems/7/lineitem/scores"
        "?type_id=3",
        "https://moodle.example.org/mod/lti/services.php/2/lineitems/7/lineitem/results"
        "?type_id=3&user_id=u"]
