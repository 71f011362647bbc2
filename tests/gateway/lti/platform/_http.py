"""The platform's HTTP plumbing: refusals, injected faults, the auto-posting form, and
reading requests (Accept, JSON and form bodies, limit/page paging with Link headers)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request


class Refused(Exception):
    """An answer other than success: plain text, or an OAuth-style JSON error."""

    def __init__(self, status: int, message: str, error: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.error, self.headers = status, message, error, headers


@dataclass
class Fault:
    """An answer ``Platform.fail_next`` planned for the requests it matches."""

    path: str
    status: int
    times: int
    headers: dict[str, str]
    method: str | None
    body: str


def auto_post_form(action: str, fields: dict[str, str]) -> str:
    """An HTML page whose form POSTs ``fields`` to ``action`` as soon as it loads."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return ("<!DOCTYPE html><html><head><title>Continue</title></head>"
            '<body onload="document.forms[0].submit()">'
            f'<form method="post" action="{html.escape(action)}">{inputs}'
            '<noscript><button type="submit">Continue</button></noscript></form></body></html>')


def check_accept(request: Request, media_type: str) -> None:
    if media_type not in request.headers.get("accept", ""):
        raise Refused(406, f"Accept must name {media_type}")


async def json_body(request: Request, media_type: str) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").partition(";")[0].strip()
    if content_type != media_type:
        raise Refused(415, f"Content-Type must be {media_type}, not {content_type!r}")
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "the body must be a JSON object")
    return body


def paginate(request: Request, items: list[Any], base_url: str,
             ) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` by the ``limit`` and ``page`` query parameters, and the Link
    header to the next page when there is one."""
    query = dict(request.query_params)
    if "limit" not in query:
        return items, {}
    try:
        limit, page = int(query["limit"]), int(query.get("page", "1"))
    except ValueError:
        raise Refused(400, "limit and page must be integers") from None
    if limit < 1 or page < 1:
        raise Refused(400, "limit and page must be positive")
    chunk = items[(page - 1) * limit:page * limit]
    if page * limit >= len(items):
        return chunk, {}
    query["page"] = str(page + 1)
    return chunk, {"Link": f'<{base_url}?{urlencode(query)}>; rel="next"'}


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


FormData = Annotated[dict[str, str], Depends(read_form)]
