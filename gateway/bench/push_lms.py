"""The Canvas test server (:class:`gateway.testing.lms.canvas.CanvasServer`) in a process of
its own, for the grade-push benchmark: a server in the client's process would share its GIL
and slow both.

``python -m gateway.bench.push_lms --capacity C --leak R [--port P]`` serves it on loopback
and prints ``listening on http://127.0.0.1:PORT`` once it accepts connections. Beside
Canvas's API it answers three routes of its own, outside the rate limit:

- ``POST /_bench/seed`` ``{"courses": {sis_id: [student sis_id, ...]}, "assignments":
  [[course sis_id, integration_id], ...]}``: courses, students and assignments made by
  someone else; answers ``{"assignments": {integration_id: id}}``;
- ``POST /_bench/reset``: every counter to zero and every token's bucket empty, as on a
  fresh server (what was created and graded stays);
- ``GET /_bench/counters``: ``requests``, ``grade_writes``, ``throttled``, ``graded`` (the
  submissions holding a grade), ``created`` (assignments made per ``integration_id``),
  ``first`` and ``last`` (``time.monotonic()`` of the first and last metered request since
  the reset; the clock is system-wide on Linux, so the client can compare it with its own).
"""

from __future__ import annotations

import argparse
import socket
import time
from typing import Any

import uvicorn
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.testing.lms.canvas import CanvasServer

__all__ = ["BenchLms", "main"]


class BenchLms:
    """A CanvasServer with the bench's control routes and request timestamps."""

    def __init__(self, *, capacity: float | None, leak: float, cost: float = 1.0) -> None:
        self.server = CanvasServer(capacity=capacity, leak=leak, cost=cost)
        self.first: float | None = None
        self.last: float | None = None
        app = self.server.app
        app.add_api_route("/_bench/seed", self._seed, methods=["POST"])
        app.add_api_route("/_bench/reset", self._reset, methods=["POST"])
        app.add_api_route("/_bench/counters", self._counters, methods=["GET"])
        self._inner: ASGIApp = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_bench/"):
            now = time.monotonic()
            if self.first is None:
                self.first = now
            self.last = now
        await self._inner(scope, receive, send)

    async def _seed(self, request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        s = self.server
        for course, students in (body.get("courses") or {}).items():
            if course not in {c.sis_id for c in s.courses.values()}:
                s.add_course(course)
            for student in students:
                s.add_student(course, student)
        made = {key: s.add_assignment(course, f"bench {key}", integration_id=key,
                                      points=100.0)
                for course, key in body.get("assignments") or []}
        return JSONResponse({"assignments": made})

    async def _reset(self, request: Request) -> JSONResponse:
        s = self.server
        s._buckets.clear()  # a fresh bucket per token, as on a new server
        s.requests = s.grade_writes = s.comment_writes = s.throttled = s.injected = 0
        self.first = self.last = None
        return JSONResponse({"reset": True})

    async def _counters(self, request: Request) -> JSONResponse:
        s = self.server
        graded = sum(1 for sub in s.submissions.values() if sub.score is not None)
        return JSONResponse({"requests": s.requests, "grade_writes": s.grade_writes,
                             "comment_writes": s.comment_writes, "throttled": s.throttled,
                             "graded": graded, "created": dict(s.created),
                             "first": self.first, "last": self.last})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--capacity", type=float, default=50.0)
    parser.add_argument("--leak", type=float, default=100.0, help="requests per second")
    parser.add_argument("--cost", type=float, default=1.0)
    args = parser.parse_args(argv)
    sock = socket.socket()
    # Accepted connections inherit it: without it a response written in two parts waits
    # for the client's delayed ACK (Nagle), 40 ms a request on loopback.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    app = BenchLms(capacity=args.capacity, leak=args.leak, cost=args.cost)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    original = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original(sockets=sockets)
        print(f"listening on http://127.0.0.1:{port}", flush=True)

    server.startup = startup  # type: ignore[method-assign]
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
