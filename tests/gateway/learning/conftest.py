"""The test tool connector installed as a plugin, and a small district to resolve its
learners against, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import install_connector
from tests.gateway.learning.tool_vendor import NAME


@pytest.fixture
def tool_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return install_connector(tmp_path, monkeypatch, NAME,
                             "tests.gateway.learning.tool_vendor:ToolConnector",
                             "harbor-test-tool")
