"""The test tool connector installed as a plugin, and a small district to resolve its
learners against, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway.learning.tool_vendor import NAME


@pytest.fixture
def tool_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    site = tmp_path / "site"
    info = site / "harbor_test_tool-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: harbor-test-tool\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[harbormaster.connectors]\n{NAME} = tests.gateway.learning.tool_vendor:ToolConnector\n")
    monkeypatch.syspath_prepend(str(site))
    return NAME
