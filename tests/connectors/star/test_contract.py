"""The Star connector passes the connector contract suite (the tool streams' shapes): a
drop of SR and SM exports and a standards file, a spring window appearing, and a file
losing its key column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.testing.contract import ContractSource
from tests.connectors.rest_tool.test_contract import ToolContract
from tests.connectors.star.exports import learners, write_standards, write_tests


class _Drop:
    def __init__(self, folder: Path) -> None:
        self.folder, self.people = folder, learners(12)
        _, written = write_tests(folder, "reading", self.people, windows=("fall", "winter"))
        write_tests(folder, "math", self.people, windows=("fall", "winter"))
        write_standards(folder, "reading", written)

    def config(self) -> dict[str, Any]:
        return {"path": str(self.folder)}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        empty = self.folder.parent / "empty"
        empty.mkdir(exist_ok=True)
        return [({"path": str(self.folder / "missing")}, "missing"),
                ({"path": str(empty)}, "no Star export")]

    def advance(self) -> None:
        write_tests(self.folder, "math", self.people)

    def break_source(self) -> str:
        write_tests(self.folder, "reading", self.people, drop_columns=("AssessmentID",))
        return "AssessmentID"


class TestStarContract(ToolContract):
    connector_name = "star"

    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return _Drop(tmp_path / "drop")
