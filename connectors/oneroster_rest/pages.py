"""Reading one OneRoster collection page by page, completely or not at all.

Two paging styles, as servers offer them:

- ``Link: <...>; rel="next"`` (RFC 8288): followed one page after another, exactly as sent;
- ``limit``/``offset`` with ``X-Total-Count``: once the first page says how many records
  there are, the other pages are fetched in parallel (within the connection's bound) and
  handed on in order.

Either way the collection is read whole: when the server said how many records there are
and fewer arrived, that is an error, never a silently partial roster. Records that a page
boundary repeats (the collection changed while it was read) are passed on once. Every page
is asked for ``sort=sourcedId`` so offsets stay stable between requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from gateway.errors import Problem, RunFatalError, SourceDataError
from gateway.net.policy import HttpClient, http_date

__all__ = ["Page", "Pager"]


@dataclass(frozen=True, slots=True)
class Page:
    records: list[Any]
    position: int
    """1-based position of the page's first record in the collection."""
    url: str
    total: int | None
    """``X-Total-Count`` as the server sent it (None if it did not)."""
    served: datetime | None = None
    """The server's clock when it answered (the ``Date`` header), if it said."""


class Pager:
    def __init__(self, http: HttpClient, *, page_size: int, paging: str,
                 slots: asyncio.Semaphore, window: int) -> None:
        self.http = http
        self.window = window
        self.page_size = page_size
        self.paging = paging
        self.slots = slots
        self.pages_read = 0

    async def pages(self, path: str, wrapper: str,
                    filter_: str | None = None) -> AsyncIterator[Page]:
        """Every page of ``path`` (records under the JSON key ``wrapper``), in order."""
        params = {"limit": str(self.page_size), "offset": "0", "sort": "sourcedId"}
        if filter_:
            params["filter"] = filter_
        first = await self._get(path, params, wrapper, 1)
        yield first.page
        total, read = first.page.total, len(first.page.records)
        if first.next_url is not None and self.paging == "auto":
            nxt: str | None = first.next_url
            while nxt is not None:
                got = await self._get(nxt, None, wrapper, read + 1)
                if not got.page.records:
                    break
                yield got.page
                read += len(got.page.records)
                total = got.page.total if got.page.total is not None else total
                nxt = got.next_url
        elif total is not None:
            async for page in self._parallel(path, params, wrapper, total):
                read += len(page.records)
                total = page.total if page.total is not None else total
                yield page
        else:  # neither header: read until a short page
            size = len(first.page.records)
            while size >= self.page_size:
                got = await self._get(path, {**params, "offset": str(read)}, wrapper, read + 1)
                size = len(got.page.records)
                if size:
                    yield got.page
                read += size
        if total is not None and read < total:
            raise RunFatalError(
                f"{self.http.name}: {path} announced {total:,} records (X-Total-Count) but "
                f"sent {read:,}; the list was cut short, so nothing of this pull was applied. "
                f"Run again; if it repeats, the source's paging is broken (try paging: "
                f"offset, or a smaller page_size) and its vendor should be told.")

    async def _parallel(self, path: str, params: Mapping[str, str], wrapper: str,
                        total: int) -> AsyncIterator[Page]:
        offsets = range(self.page_size, total, self.page_size)
        pending: list[asyncio.Task[_Got]] = []
        it = iter(offsets)

        def start(offset: int) -> None:
            pending.append(asyncio.create_task(
                self._get(path, {**params, "offset": str(offset)}, wrapper, offset + 1)))

        try:
            for offset in it:
                start(offset)
                if len(pending) >= self.window:
                    break
            while pending:
                got = await pending.pop(0)
                nxt = next(it, None)
                if nxt is not None:
                    start(nxt)
                yield got.page
        finally:
            for task in pending:
                task.cancel()

    async def _get(self, url: str, params: Mapping[str, str] | None, wrapper: str,
                   position: int) -> _Got:
        async with self.slots:
            response = await self.http.get(url, params)
        self.pages_read += 1
        shown = str(response.request.url)
        try:
            body = response.json()
        except ValueError:
            raise SourceDataError(f"{self.http.name} sent a page that is not JSON", [Problem(
                shown, None, None, f"the response body is not JSON (it starts "
                f"{response.text[:60]!r}); the source is misbehaving, tell its vendor")]) from None
        if not isinstance(body, Mapping) or not isinstance(body.get(wrapper), list):
            keys = ", ".join(map(str, body)) if isinstance(body, Mapping) else type(body).__name__
            raise SourceDataError(f"{self.http.name} sent a page without {wrapper!r}", [Problem(
                shown, None, wrapper, f"expected a JSON object with a {wrapper!r} list, got "
                f"{keys or 'an empty object'}; check the base URL and OneRoster version")])
        return _Got(Page(body[wrapper], position, shown, _total(response),
                         http_date(response.headers.get("date"))),
                    _next(response))


@dataclass(frozen=True, slots=True)
class _Got:
    page: Page
    next_url: str | None


def _total(response: httpx.Response) -> int | None:
    value = response.headers.get("x-total-count")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _next(response: httpx.Response) -> str | None:
    for link in response.links.values():
        if link.get("rel") == "next" and link.get("url"):
            return str(link["url"])
    return None
