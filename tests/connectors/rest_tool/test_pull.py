"""What the connector yields from the two vendor servers over loopback: the rows of each tool
stream as docs/learning.md gives them, a full pull first, then only what changed, and a
pull that failed part-way resumes with the stream that failed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.rest_tool import RestToolConnector
from connectors.rest_tool.connector import _Cursors
from gateway.abc import Batch, Checkpoint, Mode, PullItem
from gateway.errors import SourceDataError
from tests.connectors.rest_tool.sources import (
    LiteracySource,
    MathSource,
    literacy_source,
    math_source,
)


@pytest.fixture
def literacy(tmp_path: Path) -> Iterator[LiteracySource]:
    with literacy_source(tmp_path) as source:
        yield source


@pytest.fixture
def math() -> Iterator[MathSource]:
    with math_source() as source:
        yield source


def pull(config: dict[str, Any], state: Any = None) -> list[PullItem]:
    connector = RestToolConnector.from_mapping(config)

    async def go() -> list[PullItem]:
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


def rows(items: list[PullItem], stream: str) -> list[dict[str, Any]]:
    return [dict(r) for i in items if isinstance(i, Batch) and i.stream == stream
            for r in i.rows]  # type: ignore[call-overload]


def last_state(items: list[PullItem]) -> Any:
    return [i for i in items if isinstance(i, Checkpoint)][-1].state


def test_literacy_full_pull(literacy: LiteracySource) -> None:
    items = pull(literacy.config())
    evidence = rows(items, "toolEvidence")
    assert len(evidence) == 36 and len({r["source_key"] for r in evidence}) == 36
    first = evidence[0]
    payload = first.pop("payload")
    assert first == {
        "source_key": "act-000000", "learner": "S1000", "learner_id_kind": "sis_id",
        "learner_attributes": {"id": "stu-0000", "sis_id": "S1000", "first_name": "Kid0",
                               "last_name": "Reader"},
        "activity": "Unit 0: RL.PHON.1", "skill_code": "RL.PHON.1", "raw_score": "F",
        "scale": "levels:A-Z", "observed_at": payload["completed_at"][:-1] + ".000Z",
        "usage_minutes": 10.0}
    assert payload["units_completed"] == 1  # what the tool sent, kept as it sent it
    groups = rows(items, "toolInterventions")
    assert groups[0] == {"source_key": "grp-0:stu-0000", "learner": "S1000",
                         "learner_id_kind": "sis_id", "kind": "small-group",
                         "skill_code": "RL.PHON.2", "given_by": "Ms. Ortiz",
                         "started_at": "2026-11-02T00:00:00.000Z", "minutes": 20.0,
                         "notes": "blending CVC words"}
    placements = rows(items, "toolPlacements")
    assert len(placements) == 12
    assert placements[0]["grade_level"] == "01" and placements[0]["struggling"] is True
    assert placements[1]["struggling"] is False and placements[0]["subject"] == "reading"
    assert {i.mode for i in items if isinstance(i, Batch)} == {Mode.BULK}
    # Page-number paging, 10 a page: 36 records are four pages, the short one the last.
    activity = [u for u in literacy.tool.requests if "/activity" in u]
    assert len(activity) == 4 and "page=4" in activity[-1] and "per_page=10" in activity[0]
    assert all("include=unit" in u for u in activity)
    state = last_state(items)
    assert set(state["cursors"]) == {"activity", "small-groups", "students"}


def test_math_full_pull(math: MathSource) -> None:
    items = pull(math.config())
    evidence = rows(items, "toolEvidence")
    lessons = [r for r in evidence if r["source_key"].startswith("lr-")]
    diagnostics = [r for r in evidence if r["source_key"].startswith("diagnostic:")]
    assert len(lessons) == 40 and len(diagnostics) == 10
    assert lessons[0]["skill_code"] == "6.RP.A.1" and lessons[0]["scale"] == "percent"
    assert lessons[0]["raw_score"] == "40" and lessons[0]["usage_minutes"] == 5.0
    assert lessons[0]["learner"] == "learner0" and lessons[0]["learner_id_kind"] == "username"
    assert diagnostics[0]["scale"] == "scale:100-800" and diagnostics[0]["raw_score"] == "420"
    assert diagnostics[0]["activity"] == "Summit diagnostic"
    placements = rows(items, "toolPlacements")
    assert [(p["grade_level"], p["struggling"]) for p in placements[:4]] == [
        ("04", True), ("05", True), ("06", False), ("07", False)]
    # Cursor paging, 15 a page: 40 lessons in three pages; one token for the whole pull.
    assert len([u for u in math.tool.requests if "/lesson-results" in u]) == 3
    assert math.tool.token_requests == 1
    sources = {i.source for i in items if isinstance(i, Batch) and i.stream == "toolEvidence"}
    assert sources == {f"{math.url}/v1/lesson-results", f"{math.url}/v1/diagnostics"}


@pytest.mark.parametrize("tool", ["literacy", "math"])
def test_an_incremental_pull_reads_only_changes(request: pytest.FixtureRequest,
                                                tool: str) -> None:
    source = request.getfixturevalue(tool)
    state = last_state(pull(source.config()))
    again = pull(source.config(), state)
    assert not [r for i in again if isinstance(i, Batch) for r in i.rows]
    source.advance()
    before = len(source.tool.requests)
    changed = pull(source.config(), state)
    assert {i.mode for i in changed if isinstance(i, Batch)} == {Mode.DELTA}
    if tool == "literacy":
        assert [r["source_key"] for r in rows(changed, "toolEvidence")] == [
            "act-000036", "act-000037"]
        assert [r["source_key"] for r in rows(changed, "toolInterventions")] == [
            "grp-9:stu-0004"]
        assert [(r["learner"], r["struggling"]) for r in rows(changed, "toolPlacements")] == [
            ("S1004", True)]
        asked = [u for u in source.tool.requests[before:] if "/activity" in u]
        assert "updated_since=2026-11-02T19%3A36%3A00Z" in asked[0]
    else:
        assert len([r for r in rows(changed, "toolEvidence")
                    if r["source_key"].startswith("lr-")]) == 3
        assert [r["learner"] for r in rows(changed, "toolPlacements")] == ["learner3"]
        assert any("modified_after=" in u for u in source.tool.requests[before:])
    # And the cursors moved on: the same changes are not read a third time.
    assert not [r for i in pull(source.config(), last_state(changed)) if isinstance(i, Batch)
                for r in i.rows]


def test_a_learner_placed_twice_keeps_the_latest_placement(math: MathSource) -> None:
    math.advance()  # learner 3 re-takes the diagnostic
    placed = [p for p in rows(pull(math.config()), "toolPlacements")
              if p["learner"] == "learner3"]
    newest = max(d["taken_at"] for d in math.tool.collections["diagnostics"]
                 if d["learner"]["username"] == "learner3")
    assert [p["observed_at"] for p in placed] == [newest[:-1] + ".000Z"]


def test_a_failed_pull_resumes_with_the_stream_that_failed(literacy: LiteracySource) -> None:
    literacy.tool.collections["students"][5]["updated_at"] = "last tuesday"
    items: list[PullItem] = []
    connector = RestToolConnector.from_mapping(literacy.config())

    async def go() -> None:
        async for item in connector.pull(None):
            items.append(item)

    with pytest.raises(SourceDataError):
        asyncio.run(go())
    saved = last_state(items)  # evidence and interventions were committed
    assert set(saved["cursors"]) == {"activity", "small-groups"}
    literacy.tool.collections["students"][5]["updated_at"] = "2026-11-02T15:00:00Z"
    resumed = pull(literacy.config(), saved)
    modes = {i.stream: i.mode for i in resumed if isinstance(i, Batch)}
    assert modes == {"toolEvidence": Mode.DELTA, "toolInterventions": Mode.DELTA,
                     "toolPlacements": Mode.BULK}
    assert len(rows(resumed, "toolPlacements")) == 12 and not rows(resumed, "toolEvidence")


def test_state_of_another_server_or_mapping_is_not_reused(literacy: LiteracySource) -> None:
    state = last_state(pull(literacy.config()))
    moved = {**state, "base_url": "https://elsewhere.example"}
    assert len(rows(pull(literacy.config(), moved), "toolEvidence")) == 36


def test_the_cursor_holds_back_by_the_margin_before_the_servers_clock() -> None:
    feed = RestToolConnector.from_mapping({"mapping": "literacy-tool"}).mapping.feeds[0]
    served = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    cursors = _Cursors(None, "literacy-tool", "https://x.example")
    cursors.saw(feed, served - timedelta(minutes=1), served)  # changed while paging
    assert cursors.cursors["activity"] == "2026-11-05T11:50:00.000Z"
    cursors.saw(feed, served - timedelta(days=3), served)  # never backwards
    assert cursors.cursors["activity"] == "2026-11-05T11:50:00.000Z"
    assert cursors.since(feed) == "2026-11-05T11:50:00Z"
    assert feed.incremental is not None
    spelled = {fmt: cursors.since(replace(feed, incremental=replace(feed.incremental,
                                                                    format=fmt)))
               for fmt in ("date", "epoch_seconds", "epoch_millis")}
    stamp = int(datetime(2026, 11, 5, 11, 50, tzinfo=UTC).timestamp())
    assert spelled == {"date": "2026-11-05", "epoch_seconds": str(stamp),
                       "epoch_millis": str(stamp * 1000)}


def test_check_says_what_it_reached(literacy: LiteracySource, math: MathSource) -> None:
    for source in (literacy, math):
        result = asyncio.run(RestToolConnector.from_mapping(source.config()).check())
        assert result.ok, result.message
        assert source.url in result.message and "signed in" in result.message
