"""Reading one feed of a vendor's API page by page, in any of the paging styles mappings
name: ``page_number``, ``offset``, ``cursor`` (a next-cursor in the body), ``link``
(``Link: <...>; rel="next"``) or ``none`` (one response holds everything).

A page is read whole or the feed fails: a body that is not JSON, or that lacks the records
path, is a :class:`~gateway.errors.SourceDataError` naming the URL. With page numbers and
offsets, a page shorter than the first one is the last, and so is an empty page: many APIs
serve fewer records per page than asked for, so a first page shorter than the page size
proves nothing and the next page is asked for (an API that answers it with the same records
again has clamped to its last page). A server that ignores the paging parameters (a full
page, then the same page again) is an error rather than an endless loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from gateway.errors import ConfigError, Problem, RunFatalError, SourceDataError
from gateway.net.policy import HttpClient, error_detail, http_date

from .paths import MISSING
from .shapes import Feed

__all__ = ["FeedReader", "Page"]

MAX_PAGES = 100_000


@dataclass(frozen=True, slots=True)
class Page:
    records: list[Any]
    position: int
    """1-based position of the page's first record in the feed."""
    url: str
    served: datetime | None
    """The server's clock when it answered (``Date``), if it said."""


class FeedReader:
    """The pages of one feed, with the mapping's paging, for one run."""

    def __init__(self, http: HttpClient, feed: Feed, *, page_size: int,
                 headers: Mapping[str, str], refused: str = "") -> None:
        self.http, self.feed, self.page_size, self.headers = http, feed, page_size, headers
        self.refused = refused
        """What a 401 means with this mapping's auth, and what to check."""
        self.pages_read = 0

    async def pages(self, changed_since: str | None = None) -> AsyncIterator[Page]:
        """Every page of the feed in order (only changes after ``changed_since``, the
        incremental parameter's value, when given)."""
        feed, paging, size = self.feed, self.feed.pagination, self.page_size
        params = dict(feed.params)
        if changed_since is not None and feed.incremental is not None:
            params[feed.incremental.param] = changed_since
        if paging.size_param:
            params[paging.size_param] = str(size)
        style = paging.style
        url: str = feed.path
        query: dict[str, str] | None = params
        position, previous = 1, None
        # Servers cap page sizes below what is asked; the first page's length is the size
        # they really serve, so a page shorter than *that* is the last (see the docstring).
        served_size: int | None = None
        asked = 0
        number = paging.start
        offset = 0
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            if style == "page_number":
                assert paging.page_param is not None
                params[paging.page_param] = str(number)
            elif style == "offset":
                assert paging.offset_param is not None
                assert paging.limit_param is not None
                params[paging.offset_param] = str(offset)
                params[paging.limit_param] = str(size)
            elif style == "cursor" and cursor is not None:
                assert paging.cursor_param is not None
                params[paging.cursor_param] = cursor
            response = await self.http.request("GET", url, params=query, headers=self.headers,
                                               allow=(401,))
            if response.status_code == 401:
                why = self.refused or "the credentials were refused"
                raise ConfigError(
                    f"{self.http.name} GET {response.request.url}: {why} (HTTP 401). The "
                    f"server said: {error_detail(response) or 'nothing'}")
            body, page = self._page(response, position)
            self.pages_read += 1
            asked += 1
            if page.records and page.records == previous:
                if asked > 2 or (served_size is not None and served_size < size):
                    # Pages moved on before, or the first was short: the server answers a
                    # page past the end with its last one again.
                    return
                raise RunFatalError(
                    f"{page.url} sent the same records as the page before; the server ignores "
                    f"the paging parameters the mapping's feed {feed.name!r} names ({style}), "
                    f"or it holds exactly one page of records and answers past the end with "
                    f"the last page again. Check pagination in the mapping against the "
                    f"vendor's API documentation; in the second case a different page_size "
                    f"on the connection gets past it. Nothing of this feed was applied.")
            if page.records:
                yield page
            previous = page.records
            position += len(page.records)
            if style == "none" or not page.records:
                return
            if style == "link":
                nxt = _next_link(response)
                if nxt is None:
                    return
                # The next link is followed exactly as sent (None: httpx would drop its query
                # for an empty mapping).
                url, query = nxt, None
                continue
            if style == "cursor":
                assert paging.cursor_path is not None
                found = paging.cursor_path.get(body)
                if found is MISSING or found in (None, "") or str(found) == cursor:
                    return
                cursor = str(found)
                continue
            if served_size is None:
                served_size = len(page.records)
            elif len(page.records) < served_size:
                return
            number += 1
            offset += len(page.records)
        raise RunFatalError(f"{self.http.name}: {feed.path} did not stop after {MAX_PAGES:,} "
                            f"pages; check the mapping's pagination")

    def _page(self, response: httpx.Response, position: int) -> tuple[Any, Page]:
        shown = str(response.request.url)
        try:
            body = response.json()
        except ValueError:
            raise SourceDataError(f"{self.http.name} sent a page that is not JSON ({shown})", [
                Problem(shown, None, None, f"the response body is not JSON (it starts "
                        f"{response.text[:60]!r}); the tool is misbehaving or the base URL "
                        f"points at a web page; nothing of this feed was applied")]) from None
        records = self.feed.records.get(body)
        if not isinstance(records, list):
            if isinstance(body, Mapping):
                seen = ", ".join(map(str, body)) or "an empty object"
            else:
                seen = f"a JSON {type(body).__name__}"
            what = "no value" if records is MISSING else f"a {type(records).__name__}"
            raise SourceDataError(
                f"{self.http.name} sent a page without the records list ({shown})",
                [Problem(shown, None, self.feed.records.text,
                         f"the mapping reads records at {self.feed.records.text}, but the page "
                         f"has {what} there (its top-level keys: {seen}); fix records: in the "
                         f"mapping, or the endpoint path, to match the API")])
        return body, Page(records, position, shown, http_date(response.headers.get("date")))


def _next_link(response: httpx.Response) -> str | None:
    for link in response.links.values():
        if link.get("rel") == "next" and link.get("url"):
            return str(link["url"])
    return None
