"""The OneRoster 1.2 gradebook service over HTTP: the reads and writes a push makes.

Everything goes through one :class:`~gateway.net.policy.HttpClient` (token, pacing,
retries). Answers a push acts on are returned, not raised: a ``404`` read is None, and a
refused write comes back as :class:`Refusal` for the connector to name the assignment or
learner it concerns. A ``403`` is a missing scope, which this module names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from gateway.errors import ConfigError, RunFatalError
from gateway.net.policy import HttpClient, error_detail

from .config import CREATEPOST, CREATEPUT, READONLY, SERVICE

__all__ = ["GradebookClient", "Refusal"]

PAGE = 100
_REFUSED = (400, 404, 409, 422)
_SCOPES = {"PUT": CREATEPUT, "POST": CREATEPOST, "GET": READONLY}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A write the server refused: its status and what it said."""

    status: int
    detail: str


def _path(*parts: str) -> str:
    return "/".join([SERVICE, *(quote(p, safe="") for p in parts)])


class GradebookClient:
    """The gradebook endpoints of one server, under one HTTP client."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    async def get(self, collection: str, sourced_id: str) -> dict[str, Any] | None:
        """One record by sourcedId (as served, ``tobedeleted`` included), or None."""
        response = await self._send("GET", _path(collection, sourced_id), allow=(404,))
        if response.status_code == 404:
            return None
        return self._record(response, collection)

    async def probe(self) -> None:
        """Read one category: signs in, and proves the address and the read scope."""
        response = await self._send("GET", _path("categories"), params={"limit": "1"})
        if not isinstance(self._body(response).get("categories"), list):
            raise ConfigError(f"{self.http.name}: GET /{SERVICE}/categories answered without "
                              f"a 'categories' list; check that the base URL is the SIS's "
                              f"OneRoster 1.2 server")

    async def records(self, parts: Sequence[str], wrapper: str, *,
                      filter_: str | None = None) -> list[dict[str, Any]]:
        """Every record of a collection path (paged by ``offset``), or [] if the path's
        parent is unknown (``404``)."""
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            params = {"limit": str(PAGE), "offset": str(offset)}
            if filter_:
                params["filter"] = filter_
            response = await self._send("GET", _path(*parts), params=params, allow=(404,))
            if response.status_code == 404:
                return out
            page = self._body(response).get(wrapper)
            if not isinstance(page, list):
                raise RunFatalError(f"{self.http.name}: GET {'/'.join(parts)} answered "
                                    f"without a '{wrapper}' list; is this a OneRoster 1.2 "
                                    f"gradebook service?")
            out.extend(r for r in page if isinstance(r, dict))
            total = response.headers.get("x-total-count", "")
            offset += len(page)
            if len(page) < PAGE or (total.isdigit() and offset >= int(total)):
                return out

    async def put(self, collection: str, wrapper: str,
                  record: Mapping[str, Any]) -> Refusal | None:
        """PUT ``record`` under its own sourcedId; None when stored."""
        response = await self._send("PUT", _path(collection, record["sourcedId"]),
                                    json_body={wrapper: record}, allow=_REFUSED)
        return self._refusal(response)

    async def post(self, parts: Sequence[str], wrapper: str,
                   records: Sequence[Mapping[str, Any]]) -> dict[str, str] | Refusal:
        """POST a set of records; the sourcedIds the server allocated, by supplied id."""
        response = await self._send("POST", _path(*parts), json_body={wrapper: list(records)},
                                    allow=_REFUSED)
        refused = self._refusal(response)
        if refused is not None:
            return refused
        pairs = self._body(response).get("sourcedIdPairs")
        allocated: dict[str, str] = {}
        for pair in pairs if isinstance(pairs, list) else ():
            if isinstance(pair, dict) and pair.get("allocatedSourcedId"):
                allocated[str(pair.get("suppliedSourcedId"))] = str(pair["allocatedSourcedId"])
        return allocated

    async def _send(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                    json_body: Any = None, allow: Sequence[int] = ()) -> httpx.Response:
        response = await self.http.request(method, path, params=params, json_body=json_body,
                                           allow=(*allow, 403))
        if response.status_code == 403:
            scope = _SCOPES[method].rsplit("/", 1)[1]
            raise ConfigError(
                f"{self.http.name}: {method} /{path} is not allowed (HTTP 403): this client "
                f"lacks the scope {scope!r}. Ask the SIS administrator to grant "
                f"{_SCOPES[method]} to client {self._client_id()}, or set 'scope' in this "
                f"connection to scopes it holds. The server said: {error_detail(response)}")
        return response

    def _client_id(self) -> str:
        return str(getattr(self.http.credentials, "client_id", "?"))

    def _refusal(self, response: httpx.Response) -> Refusal | None:
        if response.status_code < 300:
            return None
        return Refusal(response.status_code, error_detail(response))

    def _body(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RunFatalError(f"{self.http.name} answered {response.request.method} "
                                f"{response.request.url.path} with something other than a "
                                f"JSON object; check the base URL")
        return body

    def _record(self, response: httpx.Response, collection: str) -> dict[str, Any]:
        wrapper = {"categories": "category", "lineItems": "lineItem",
                   "results": "result"}[collection]
        record = self._body(response).get(wrapper)
        if not isinstance(record, dict):
            raise RunFatalError(f"{self.http.name}: GET {collection} answered without a "
                                f"'{wrapper}' object; is this a OneRoster 1.2 gradebook "
                                f"service?")
        return record
