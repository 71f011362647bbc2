"""The connector contract suite, run on the OneRoster CSV connector (inbox of exports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.sample import write_delta, write_district
from gateway.testing import ConnectorContract


class CsvInbox:
    """An SIS drop folder: a bulk export, then nightly deltas."""

    def __init__(self, root: Path) -> None:
        self.inbox = root / "inbox"
        self.first = self.inbox / "2026-11-01T0200"
        write_district(self.first, 300)

    def config(self) -> dict[str, Any]:
        return {"path": self.inbox}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        empty = self.inbox.parent / "empty"
        empty.mkdir(exist_ok=True)
        return [
            ({"path": self.inbox.parent / "missing"}, "does not exist"),
            ({"path": empty}, "holds no export"),
            ({}, "path: Field required"),
            ({"path": self.inbox, "colour": "blue"}, "colour: Extra inputs are not permitted"),
        ]

    def advance(self) -> None:
        write_delta(self.first, self.inbox / "2026-11-02T0200", share=0.05)

    def break_source(self) -> str:
        bad = self.inbox / "2026-11-03T0200"
        write_delta(self.first, bad, share=0.05)
        enrollments = (bad / "enrollments.csv").read_text().splitlines()
        enrollments.append(enrollments[-1].replace(",cls-", ",missing-cls-", 1))
        (bad / "enrollments.csv").write_text("\n".join(enrollments) + "\n")
        return "enrollments.csv"


class TestOneRosterCsvContract(ConnectorContract):
    connector_name = "oneroster-csv"

    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> CsvInbox:
        return CsvInbox(tmp_path)
