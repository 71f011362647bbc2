from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import install_connector
from tests.push.gradebook import NAME, TARGET


@pytest.fixture
def gradebook_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return install_connector(tmp_path, monkeypatch, NAME, TARGET, "harbor-test-gradebook")
