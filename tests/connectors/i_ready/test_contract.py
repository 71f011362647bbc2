"""The i-Ready connector passes the connector contract suite (the tool streams' shapes):
a drop of ELA and math exports, a spring export appearing, and a file losing its key
column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.testing.contract import ContractSource
from tests.connectors.i_ready.exports import learners, write_export
from tests.connectors.rest_tool.test_contract import ToolContract


class _Drop:
    def __init__(self, folder: Path) -> None:
        self.folder, self.people = folder, learners(12)
        write_export(folder, "reading", self.people, windows=("fall", "winter"))
        write_export(folder, "math", self.people, windows=("fall", "winter"))

    def config(self) -> dict[str, Any]:
        return {"path": str(self.folder)}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        empty = self.folder.parent / "empty"
        empty.mkdir(exist_ok=True)
        return [({"path": str(self.folder / "missing")}, "missing"),
                ({"path": str(empty)}, "no i-Ready Diagnostic export")]

    def advance(self) -> None:
        write_export(self.folder, "math", self.people)

    def break_source(self) -> str:
        write_export(self.folder, "reading", self.people, drop_columns=["Student ID"])
        return "Student ID"


class TestIReadyContract(ToolContract):
    connector_name = "i-ready"

    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return _Drop(tmp_path / "drop")
