"""A tiny tool connector for the intake tests, registered as a real plugin (an entry point
in a ``.dist-info`` on ``sys.path``): it reads tool records from a JSON file
(``{stream: [record, ...]}``) and yields them in batches, as a vendor's REST feed would."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from gateway.abc import (
    Batch,
    Checkpoint,
    CheckResult,
    Connector,
    ConnectorConfig,
    ConnectorKind,
    Mode,
    PullItem,
)
from gateway.learning.records import TOOL_STREAMS

NAME = "test-tool"


class ToolConfig(ConnectorConfig):
    path: str
    identity: dict[str, Any] | None = None
    mode: Mode = Mode.DELTA
    batch_size: int = 2


class ToolConnector(Connector[ToolConfig]):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "A reading tool's feed (tests)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.TOOL
    config_model: ClassVar[type[ConnectorConfig]] = ToolConfig
    identity: ClassVar[Mapping[str, Any]] = {"learner_id_kind": "username"}
    """What the tool's mapping says of its ids (the connection's config may override it)."""

    def streams(self) -> Sequence[str]:
        return TOOL_STREAMS

    async def check(self) -> CheckResult:
        return CheckResult(Path(self.config.path).exists(), self.config.path)

    async def pull(self, state: Mapping[str, Any] | None) -> AsyncGenerator[PullItem, bool | None]:
        records = json.loads(Path(self.config.path).read_text())
        size = self.config.batch_size
        for stream in TOOL_STREAMS:
            rows = records.get(stream, [])
            starts = range(0, len(rows), size) if rows else [0]
            for start in starts:
                chunk = rows[start:start + size]
                yield Batch(stream, self.config.mode, f"{self.config.path}:{stream}", chunk,
                            list(range(start + 1, start + 1 + len(chunk))),
                            last=start + size >= len(rows))
            yield Checkpoint({"after": stream})
