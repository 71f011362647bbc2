"""Reading mappings: the shipped ones load; every mistake names the file and the line of the
offending key, with what to do, and all of a file's mistakes come at once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema_rs
import pytest

from connectors.rest_tool import MAPPING_SCHEMA, load_mapping, resolve_mapping
from connectors.rest_tool.paths import MISSING, JsonPath, PathSyntaxError
from connectors.rest_tool.schema import schema_json
from gateway.errors import ConfigError

GOOD = """\
name: tiny-tool
base_url: https://api.tiny.example
auth: {type: bearer}
streams:
  toolEvidence:
    endpoint: {path: /v1/scores}
    pagination: {style: offset, offset_param: offset, limit_param: limit}
    records: $.items
    fields:
      source_key: id
      learner: who.email
      learner_id_kind: {const: email}
      raw_score: {path: score, scale: percent}
      observed_at: at
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tool.yaml"
    path.write_text(text)
    return str(path)


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_mapping(write(tmp_path, text))
    return str(caught.value)


def test_the_shipped_mappings_load() -> None:
    literacy = load_mapping("literacy-tool")
    assert literacy.file == "mappings/literacy-tool.yaml"
    assert literacy.streams == ["toolEvidence", "toolInterventions", "toolPlacements"]
    assert literacy.auth.type == "api_key" and literacy.auth.secret == "api_key"
    assert literacy.identity["learner_id_kind"] == "sis_id"
    math = load_mapping("math-tool")
    assert [f.name for f in math.feeds] == ["lessons", "diagnostics", "placements"]
    assert math.auth.type == "oauth2_client_credentials"
    assert {"code": "6.RP.A.1", "standard": "b6f61076-aa12-450b-8f9d-b86bc071f85e",
            "strength": 1.0} in math.crosswalk
    lessons = math.feeds[0]
    assert lessons.fields["scale"].const == "percent"  # from raw_score's scale
    assert lessons.fields["learner_id_kind"].const == "username"  # from identity


def test_the_schema_is_a_valid_json_schema() -> None:
    assert jsonschema_rs.meta.is_valid(MAPPING_SCHEMA)
    assert json.loads(schema_json()) == MAPPING_SCHEMA


def test_a_small_mapping_loads_with_defaults(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, GOOD))
    feed = mapping.feeds[0]
    assert feed.name == "toolEvidence" and feed.line == 5
    assert mapping.auth.secret == "token"
    assert feed.fields["source_key"].path == JsonPath.parse("id")


@pytest.mark.parametrize(("change", "line", "phrase"), [
    (("    records: $.items\n", "    recods: $.items\n"), 8, "unknown key 'recods'"),
    (("style: offset", "style: pages"), 7, "is not one of"),
    (("      observed_at: at\n", "      observed_at: {path: at, const: now}\n"), 14,
     "exactly one of path, const or template"),
    (("{path: score, scale: percent}", "score"), 13, "needs its scale"),
    (("scale: percent", "scale: percentage"), 13, "scale 'percentage'"),
    (("learner: who.email", "learner: who..email"), 11, "is not a path"),
    (("{const: email}", "{const: e-mail}"), 12, "'e-mail' is not a learner_id_kind"),
    (("      source_key: id\n", ""), 9, "toolEvidence needs source_key"),
    (("auth: {type: bearer}", "auth: {type: api_key}"), 3, "\"header\" is a required"),
    (("base_url: https://", "base_url: ftp://"), 2, "base_url"),
])
def test_a_mistake_names_the_file_and_line(tmp_path: Path, change: tuple[str, str], line: int,
                                           phrase: str) -> None:
    assert change[0] in GOOD
    message = problems(tmp_path, GOOD.replace(change[0], change[1]))
    assert f"tool.yaml, line {line}:" in message, message
    assert phrase in message, message


def test_every_mistake_comes_at_once(tmp_path: Path) -> None:
    shape = GOOD.replace("records: $.items", "records: $.items\n    paging: 3").replace(
        "style: offset", "style: pages")
    message = problems(tmp_path, shape)
    assert "2 problem(s)" in message
    assert re.search(r"line 7: .*'pages' is not one of", message)
    assert re.search(r"line 9: .*unknown key 'paging'", message)
    meaning = GOOD.replace("{const: email}", "{const: phone}").replace("scale: percent",
                                                                       "scale: percentage")
    message = problems(tmp_path, meaning)
    assert "2 problem(s)" in message
    assert re.search(r"line 12: .*'phone' is not a learner_id_kind", message)
    assert re.search(r"line 13: .*scale 'percentage'", message)


def test_identity_rules_are_checked_where_they_are(tmp_path: Path) -> None:
    text = GOOD + "identity:\n  match:\n    email: [mail_address]\n"
    message = problems(tmp_path, text)
    assert "line 17" in message and "mail_address" in message and "roster field" in message


def test_broken_yaml_names_its_line(tmp_path: Path) -> None:
    message = problems(tmp_path, GOOD.replace("    records: $.items", "    records: [$.items"))
    assert "not valid YAML" in message and "line 9" in message


def test_a_mapping_is_a_path_or_a_name(tmp_path: Path, cli_data_dir: Path) -> None:
    assert resolve_mapping("math-tool").name == "math-tool.yaml"
    (cli_data_dir / "mappings").mkdir(parents=True)
    (cli_data_dir / "mappings" / "math-tool.yaml").write_text(GOOD)  # the district's own wins
    assert resolve_mapping("math-tool") == cli_data_dir / "mappings" / "math-tool.yaml"
    assert resolve_mapping(write(tmp_path, GOOD)) == tmp_path / "tool.yaml"
    with pytest.raises(ConfigError, match=r"no such file.*literacy-tool"):
        resolve_mapping("reading-tool")


def test_json_paths() -> None:
    doc = {"data": {"items": [{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": []}]}}
    assert JsonPath.parse("$.data.items[1].id").get(doc) == 2
    assert JsonPath.parse("data.items[*].id").get(doc) == [1, 2]
    assert JsonPath.parse("data.items[*].tags[*]").all(doc) == ["a", "b"]
    assert JsonPath.parse("$").get(doc) is doc
    assert JsonPath.parse("$[0]").get([7]) == 7
    assert JsonPath.parse("data.nothing.here").get(doc) is MISSING
    assert JsonPath.parse("data.items[5]").get(doc) is MISSING
    for bad in ("data..items", "data.items[x]", "$.a[", ""):
        if bad:
            with pytest.raises(PathSyntaxError):
                JsonPath.parse(bad)
