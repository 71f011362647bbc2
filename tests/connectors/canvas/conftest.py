"""A Canvas server on loopback per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.testing.lms.canvas import CanvasServer
from tests.helpers import serve_app

from .factories import Canvas


@pytest.fixture
def canvas() -> Iterator[Canvas]:
    """Course C1 with students S1 and S2 (logins s1@d.org, s2@d.org) and course C2 with S3."""
    server = CanvasServer(retry_after=0)
    server.add_course("C1", "Math 5")
    server.add_student("C1", "S1", login="s1@d.org")
    server.add_student("C1", "S2", login="s2@d.org")
    server.add_course("C2", "Science 5")
    server.add_student("C2", "S3")
    with serve_app(server.app) as url:
        yield Canvas(server, url)
