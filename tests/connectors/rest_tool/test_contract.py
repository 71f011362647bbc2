"""Both shipped mappings pass the connector contract suite against their vendor servers on
loopback. Tool streams are rows of mappings, not OneRoster tuples, so the shape checks are
the tool streams' own (gateway.learning.records); the rest is the suite as every connector
runs it: check with good and bad configurations, a full pull applied through the real
engine (into the tool intake), a re-sync that writes nothing, an incremental pull from
saved state, and bad input failing with located problems and the store unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.abc import Batch, Checkpoint, ConnectorKind
from gateway.learning.records import FIELDS, REQUIRED, TOOL_STREAMS
from gateway.plugins import connector_class
from gateway.testing.contract import ConnectorContract, ContractSource
from tests.connectors.rest_tool.sources import literacy_source, math_source


class ToolContract(ConnectorContract):
    """The contract suite for a tool connector: same checks, tool stream shapes."""

    connector_name = "rest-tool"

    def test_registered(self) -> None:
        cls = connector_class(self.connector_name)
        assert cls.name == self.connector_name
        assert cls.kind is ConnectorKind.TOOL
        assert set(cls(cls.config_model.model_construct()).streams()) <= set(TOOL_STREAMS)

    def test_full_pull_shapes(self, contract_source: ContractSource) -> None:
        cls = connector_class(self.connector_name)

        async def go() -> list[Any]:
            return [i async for i in cls.from_mapping(contract_source.config()).pull(None)]

        items = asyncio.run(go())
        batches = [i for i in items if isinstance(i, Batch)]
        assert batches, "a full pull yielded no batches"
        ended: set[tuple[str, str]] = set()
        for b in batches:
            assert b.stream in TOOL_STREAMS
            assert len(b.lines) == len(b.rows)
            assert (b.stream, b.source) not in ended, f"{b.stream} continued after last=True"
            for row in b.rows:
                assert isinstance(row, dict)
                assert set(row) <= set(FIELDS[b.stream]), set(row) - set(FIELDS[b.stream])
                assert all(row.get(f) not in (None, "") for f in REQUIRED[b.stream]), row
            if b.last:
                ended.add((b.stream, b.source))
        assert {(b.stream, b.source) for b in batches} == ended, "every stream must end"
        assert any(isinstance(i, Checkpoint) for i in items), "a pull must checkpoint state"


class TestLiteracyToolContract(ToolContract):
    @pytest.fixture
    def contract_source(self, tmp_path: Path) -> Iterator[ContractSource]:
        with literacy_source(tmp_path) as source:
            yield source


class TestMathToolContract(ToolContract):
    @pytest.fixture
    def contract_source(self) -> Iterator[ContractSource]:
        with math_source() as source:
            yield source
