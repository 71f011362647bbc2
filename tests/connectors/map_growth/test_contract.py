"""The MAP Growth connector passes the connector contract suite (the tool streams' shapes,
as tests/connectors/rest_tool runs it) over a generated drop: check with good and bad
settings, a full pull applied through the real engine into the intake, a re-sync that
writes nothing, a later cumulative export read from saved state, and an export missing a
key column failing the run naming file and column with the store unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.testing.contract import ContractSource
from tests.connectors.map_growth.exports import drop_column, write_export
from tests.connectors.rest_tool.test_contract import ToolContract


class DropSource:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        write_export(folder, learners=60, windows=("fall",))

    def config(self) -> dict[str, Any]:
        return {"path": str(self.folder)}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        empty = self.folder.parent / "empty"
        empty.mkdir(exist_ok=True)
        return [({"path": str(self.folder.parent / "nowhere")}, "does not exist"),
                ({"path": str(empty)}, "AssessmentResults")]

    def advance(self) -> None:
        write_export(self.folder / "winter", learners=60, windows=("fall", "winter"))

    def break_source(self) -> str:
        results = self.folder / "AssessmentResults.csv"
        write_export(self.folder, learners=60, windows=("fall", "winter"))  # changed: read
        drop_column(results, "TestID")
        return "TestID"


class TestMapGrowthContract(ToolContract):
    connector_name = "map-growth"

    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> ContractSource:
        return DropSource(tmp_path / "drop")
