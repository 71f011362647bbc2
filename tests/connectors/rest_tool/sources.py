"""The two vendor servers as contract sources: served on loopback, with the configurations
that must work and must fail, new data on demand, and a way to break the feed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.connectors.rest_tool.vendors import Literacy, Math, literacy_app, math_app
from tests.helpers import serve_app


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was just free)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class LiteracySource:
    def __init__(self, url: str, tool: Literacy, tmp: Path) -> None:
        self.url, self.tool, self.tmp = url, tool, tmp

    def config(self) -> dict[str, Any]:
        return {"mapping": "literacy-tool", "base_url": self.url, "page_size": 10,
                "api_key": self.tool.API_KEY}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        good = self.config()
        broken = self.tmp / "broken.yaml"
        broken.write_text("streams:\n  toolEvidence:\n    endpoint: {path: /x}\n"
                          "    records: $.items\n    fields: {learner: id}\n    paging: 3\n")
        return [
            ({**good, "api_key": "not-the-key"}, "was refused"),
            ({k: v for k, v in good.items() if k != "api_key"}, "needs the connection secret"),
            ({**good, "mapping": "no-such-tool"}, "no such file"),
            ({**good, "mapping": str(broken)}, "line 6"),
            ({**good, "base_url": closed_port_url(), "retries": 1}, "could not reach"),
        ]

    def advance(self) -> None:
        self.tool.advance()

    def break_source(self) -> str:
        self.tool.add_unnamed()
        return "has no learner"


class MathSource:
    def __init__(self, url: str, tool: Math) -> None:
        self.url, self.tool = url, tool

    def config(self) -> dict[str, Any]:
        return {"mapping": "math-tool", "base_url": self.url, "page_size": 15,
                "client_id": self.tool.CLIENT_ID, "client_secret": self.tool.CLIENT_SECRET}

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        good = self.config()
        return [
            ({**good, "client_secret": "wrong"}, "refused the client credentials"),
            ({k: v for k, v in good.items() if k != "client_id"}, "set the connection's "
                                                                  "client_id"),
            ({**good, "base_url": closed_port_url(), "retries": 1}, "could not reach"),
        ]

    def advance(self) -> None:
        self.tool.advance()

    def break_source(self) -> str:
        self.tool.add_unnamed()
        return "has no learner"


@contextmanager
def literacy_source(tmp: Path) -> Iterator[LiteracySource]:
    tool = Literacy()
    with serve_app(literacy_app(tool)) as url:
        yield LiteracySource(url, tool, tmp)


@contextmanager
def math_source() -> Iterator[MathSource]:
    tool = Math()
    with serve_app(math_app(tool)) as url:
        yield MathSource(url, tool)
