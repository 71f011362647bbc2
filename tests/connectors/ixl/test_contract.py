"""The IXL connector passes the connector contract suite on a folder of generated exports:
check with good and bad settings, a full pull applied through the real engine into the tool
intake, a re-sync writing nothing, a new export read alone from saved state, and a file
missing its Student ID column failing the run with the store unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.ixl.exports import students, write_window
from tests.connectors.rest_tool.test_contract import ToolContract


class IxlSource:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.drop = tmp / "ixl"
        self.drop.mkdir()
        self.pupils = students(40)
        write_window(self.drop / "IXL_fall.csv", self.pupils, "fall", old=True, seed=1)
        write_window(self.drop / "IXL_winter.csv", self.pupils, "winter", seed=2)

    def config(self) -> dict[str, Any]:
        return {"path": str(self.drop)}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        empty = self.tmp / "empty"
        empty.mkdir(exist_ok=True)
        other = self.tmp / "other"
        other.mkdir(exist_ok=True)
        (other / "roster.csv").write_text("Student ID,Date,Name\nS1,2026-10-06,Ana\n")
        return [
            ({"path": str(self.tmp / "nowhere")}, "does not exist"),
            ({"path": str(empty)}, "holds no IXL export files"),
            ({"path": str(other)}, "Current diagnostic level - Math"),
            ({"path": str(self.drop), "learner_id_kind": "badge"}, "is not an id kind"),
            ({"path": str(self.drop), "identity": {"match": {"sis_id": ["shoe size"]}}},
             "not a roster field"),
            ({}, "set exactly one of path"),
        ]

    def advance(self) -> None:
        write_window(self.drop / "IXL_spring.csv", self.pupils, "spring", seed=3)

    def break_source(self) -> str:
        path = write_window(self.tmp / "broken.csv", self.pupils, "spring", seed=4)
        text = path.read_text().replace("Student ID", "Learner", 1)
        (self.drop / "IXL_spring_broken.csv").write_text(text)
        return "Student ID"


class TestIxlContract(ToolContract):
    connector_name = "ixl"

    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> IxlSource:
        return IxlSource(tmp_path)
