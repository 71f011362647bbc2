"""Field rules on single records: paths, constants, templates, maps and defaults, and the
conversions to the tool streams' shapes (times, numbers, flags, grade levels), with
problems that name the record, the field and where it was read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.rest_tool import load_mapping
from connectors.rest_tool.fields import map_record

MAPPING = """\
streams:
  toolPlacements:
    endpoint: {path: /p}
    records: items
    fields:
      learner: {template: "{school}-{student.number}"}
      learner_id_kind: {const: state_id}
      learner_attributes: profile
      subject: {path: subject, map: {MA: math, RD: reading}, default: other}
      grade_level: grade
      struggling: {path: flag, default: false}
      observed_at: {path: when, format: "%m/%d/%Y %H:%M"}
  toolInterventions:
    endpoint: {path: /i}
    records: items
    fields:
      source_key: id
      learner: who
      learner_id_kind: {const: tool_id}
      kind: {path: size, map: {"1": individual, group: small-group}}
      started_at: start
      minutes: {path: seconds, divide: 60}
"""


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = Path(tmp_path_factory.mktemp("m")) / "fields.yaml"
    path.write_text(MAPPING)
    return {f.stream: f for f in load_mapping(str(path)).feeds}


def placement(feeds: dict[str, Any], **record: Any) -> tuple[Any, list[Any]]:
    base = {"school": "041", "student": {"number": 7}, "profile": {"name": "Ana", "n": [1]},
            "subject": "MA",
            "grade": "K", "when": "11/03/2026 09:30"}
    return map_record(feeds["toolPlacements"], {**base, **record}, 3, "http://t/p?page=1")


def test_rules_and_conversions(feeds: dict[str, Any]) -> None:
    row, problems = placement(feeds)
    assert problems == []
    assert row == {"learner": "041-7", "learner_id_kind": "state_id",
                   "learner_attributes": {"name": "Ana"}, "subject": "math",
                   "grade_level": "KG", "struggling": False,
                   "observed_at": "2026-11-03T09:30:00.000Z"}
    for grade, code in [("3", "03"), (4, "04"), ("Grade 5", "05"), ("pre-k", "PK"),
                        ("12th", "12")]:
        assert placement(feeds, grade=grade)[0]["grade_level"] == code
    assert placement(feeds, subject="SCI")[0]["subject"] == "other"  # the map's default
    assert placement(feeds, flag="yes")[0]["struggling"] is True


def test_interventions_read_maps_and_divide(feeds: dict[str, Any]) -> None:
    record = {"id": 9, "who": "u-1", "size": 1, "start": 1_793_000_000_000, "seconds": 900}
    row, problems = map_record(feeds["toolInterventions"], record, 1, "http://t/i")
    assert problems == []
    assert row == {"source_key": "9", "learner": "u-1", "learner_id_kind": "tool_id",
                   "kind": "individual", "started_at": "2026-10-26T07:33:20.000Z",
                   "minutes": 15.0}


@pytest.mark.parametrize(("change", "field", "phrase"), [
    ({"student": {"name": "no number"}}, "learner", "has no learner (looked at template "
                                                    "{school}-{student.number})"),
    ({"grade": "Sophomore"}, "grade_level", "'Sophomore' is not a grade level"),
    ({"flag": "maybe"}, "struggling", "'maybe' is not true or false; add a map"),
    ({"when": "2026-11-03"}, "observed_at", "is not a time in the format '%m/%d/%Y %H:%M'"),
    ({"profile": "Ana"}, "learner_attributes", "expected a JSON object"),
])
def test_problems_name_the_record_and_field(feeds: dict[str, Any], change: dict[str, Any],
                                            field: str, phrase: str) -> None:
    row, problems = placement(feeds, **change)
    assert row is None
    [problem] = problems
    assert (problem.source, problem.line, problem.column) == ("http://t/p?page=1", 3, field)
    assert phrase in problem.message, problem.message


def test_a_value_missing_from_a_map_without_default(feeds: dict[str, Any]) -> None:
    record = {"id": 1, "who": "u", "size": "trio", "start": "2026-11-03"}
    row, [problem] = map_record(feeds["toolInterventions"], record, 2, "http://t/i")
    assert row is None and problem.column == "kind"
    assert "'trio' is not in the mapping's map (1, group); add it" in problem.message


def test_a_record_that_is_not_an_object(feeds: dict[str, Any]) -> None:
    row, [problem] = map_record(feeds["toolInterventions"], ["x"], 5, "http://t/i")
    assert row is None and "record 5 is list, not a JSON object" in problem.message
