"""The LTI Assignment and Grade Services 2.0 client: line items, scores, results.

Line items are found or made idempotently by ``(resourceId, tag)`` and recorded in
``lti_line_items``; scores go through the :mod:`~gateway.lti.ledger`, so a push retried,
repeated or resumed after a crash writes each grade once; a line item deleted in the LMS is
made again when a score finds it gone. The AGS claim of a launch (:class:`AgsEndpoint`)
says which services the platform granted; a call outside them is refused before any request.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError, HarborError, RetriableError, RunFatalError
from gateway.lti.ledger import Score, ScoreEntry, ScoreLedger
from gateway.lti.registrations import Registration
from gateway.lti.services import ServiceClient, pages
from gateway.store.tables import lti_line_items

__all__ = ["AGS_CLAIM", "LINEITEM", "LINEITEM_READONLY", "RESULT_READONLY", "SCORE",
           "AgsClient", "AgsEndpoint", "GoneFromPlatform", "LineItem", "Result", "ScorePush"]

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
LINEITEM = _SCOPE + "lineitem"
LINEITEM_READONLY = _SCOPE + "lineitem.readonly"
RESULT_READONLY = _SCOPE + "result.readonly"
SCORE = _SCOPE + "score"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"


class GoneFromPlatform(ConfigError):
    """The platform answers 404 for an AGS URL the gateway holds (a line item given as a
    bare URL, a context's line items): deleted in the LMS. A ``ConfigError`` to callers that
    do not tell it apart; a caller that can make the line item again catches it."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


@dataclasses.dataclass(frozen=True, slots=True)
class AgsEndpoint:
    """Where a context's line items are and what the platform lets the tool do there."""

    lineitems: str | None = None
    lineitem: str | None = None
    scopes: frozenset[str] | None = None
    """The scopes the launch granted; None when not from a launch (the platform decides)."""

    @classmethod
    def from_claim(cls, claim: Mapping[str, Any]) -> AgsEndpoint:
        """From the AGS claim's value, or from the launch's claims holding it."""
        value = claim.get(AGS_CLAIM, claim)
        scopes = value.get("scope") if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping) or not isinstance(scopes, list) or not all(
                isinstance(s, str) for s in scopes) or not all(
                isinstance(value.get(k), str | None) for k in ("lineitems", "lineitem")):
            raise RunFatalError(f"the launch's AGS claim ({AGS_CLAIM}) is malformed: it needs "
                                f"'scope' as a list of strings and 'lineitems'/'lineitem' as "
                                f"URLs; the LMS sent {str(value)[:200]}")
        return cls(lineitems=value.get("lineitems"), lineitem=value.get("lineitem"),
                   scopes=frozenset(scopes))

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def require(self, scope: str, what: str) -> None:
        """ConfigError unless the launch granted ``scope``."""
        if not self.allows(scope):
            granted = ", ".join(sorted(self.scopes or ())) or "none"
            raise ConfigError(f"cannot {what}: the platform did not grant the scope {scope} "
                              f"in this launch (granted: {granted}); enable it for the tool "
                              f"in the LMS (e.g. the developer key's or tool's AGS settings)")


@dataclasses.dataclass(frozen=True, slots=True)
class LineItem:
    url: str
    """The line item's ``id``: where its scores and results live."""
    label: str
    score_maximum: float
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    lineitems_url: str | None = None
    """The container it was found in or made in (to make it again if the LMS deletes it)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    id: str | None
    user_id: str
    result_score: float | None
    result_maximum: float | None
    comment: str | None
    score_of: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ScorePush:
    """What became of one score: ``sent`` now, ``already sent`` by an earlier push (nothing
    was sent), or ``superseded`` (the platform holds a later grade, which stays)."""

    outcome: Literal["sent", "already sent", "superseded"]
    entry: ScoreEntry


def _under(url: str, segment: str) -> str:
    """The scores or results URL of a line item: its path plus ``/segment``, query kept
    (Moodle's line item URLs carry one)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + segment))


def _body(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RunFatalError(f"{what} answered with a body that is not JSON (it starts "
                            f"{response.text[:80]!r}); the platform's AGS service is broken "
                            f"or the URL is not an AGS endpoint") from None


def _line_item(data: Any, lineitems_url: str | None, what: str) -> LineItem:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        raise RunFatalError(f"{what} sent a line item without an 'id' URL: {str(data)[:200]}")
    try:
        maximum = float(data.get("scoreMaximum") or 0)
    except (TypeError, ValueError):
        raise RunFatalError(f"{what} sent line item {data['id']} with scoreMaximum "
                            f"{data.get('scoreMaximum')!r}, not a number") from None
    return LineItem(url=data["id"], label=str(data.get("label") or ""), score_maximum=maximum,
                    resource_id=data.get("resourceId"), tag=data.get("tag"),
                    resource_link_id=data.get("resourceLinkId"), lineitems_url=lineitems_url)


def _result(data: Any, what: str) -> Result:
    if not isinstance(data, Mapping) or not isinstance(data.get("userId"), str | int):
        raise RunFatalError(f"{what} sent a result without a userId: {str(data)[:200]}")

    def number(key: str) -> float | None:
        value = data.get(key)
        return float(value) if isinstance(value, int | float) else None

    return Result(id=data.get("id"), user_id=str(data["userId"]),
                  result_score=number("resultScore"), result_maximum=number("resultMaximum"),
                  comment=data.get("comment"), score_of=data.get("scoreOf"))


class AgsClient:
    """AGS calls for any registration, over a :class:`ServiceClient`, with the line item
    records and score ledger in ``engine``."""

    def __init__(self, services: ServiceClient, engine: sa.Engine) -> None:
        self.services = services
        self.engine = engine
        self.ledger = ScoreLedger(engine)
        # Two pushes of one assignment at once must not both make it (in this process; a
        # push run holds its connection's lock across processes).
        self._making: dict[tuple[Any, ...], asyncio.Lock] = {}

    async def line_items(self, registration: Registration, endpoint: AgsEndpoint | str, *,
                         resource_id: str | None = None, tag: str | None = None,
                         resource_link_id: str | None = None,
                         limit: int | None = None) -> list[LineItem]:
        """The context's line items with these ``resourceId``, ``tag`` and
        ``resourceLinkId`` (each when given), every page (``limit`` a page, if given)."""
        endpoint = AgsEndpoint(lineitems=endpoint) if isinstance(endpoint, str) else endpoint
        url = endpoint.lineitems
        if url is None:
            raise ConfigError("the launch's AGS claim has no 'lineitems' URL: the LMS lets "
                              "this link post scores to its own line item only")
        if not endpoint.allows(LINEITEM):
            endpoint.require(LINEITEM_READONLY, f"read the line items at {url}")
        scope = LINEITEM if endpoint.allows(LINEITEM) else LINEITEM_READONLY
        wanted = {"resource_id": resource_id, "tag": tag, "resource_link_id": resource_link_id}
        params = {k: v for k, v in wanted.items() if v is not None}
        if limit is not None:
            params["limit"] = str(limit)
        http = self.services.http(registration, [scope])
        found: list[LineItem] = []
        async for response in pages(http, url, accept=CONTAINER_TYPE, params=params,
                                    allow=(404,)):
            what = f"{http.name} GET {response.request.url}"
            if response.status_code == 404:
                raise GoneFromPlatform(f"{what}: the platform has no such line items "
                                       f"container (HTTP 404); the course may be deleted in "
                                       f"the LMS, or the tool removed from it: launch the "
                                       f"tool from the course again for a current lineitems "
                                       f"URL", url)
            body = _body(response, what)
            if not isinstance(body, list):
                raise RunFatalError(f"{what} sent {type(body).__name__}, not a list of line "
                                    f"items")
            found += [_line_item(item, url, what) for item in body]
        # Filtered here too: a platform may ignore the query parameters.
        return [item for item in found if (resource_id is None or item.resource_id ==
                                           resource_id) and (tag is None or item.tag == tag)
                and (resource_link_id is None or item.resource_link_id == resource_link_id)]

    async def find_or_create_line_item(
            self, registration: Registration, endpoint: AgsEndpoint | str, *, label: str,
            score_maximum: float, resource_id: str | None = None, tag: str | None = None,
            resource_link_id: str | None = None, retry_create: bool = True) -> LineItem:
        """The context's line item for ``(resource_id, tag)``, made if the platform has none;
        recorded in ``lti_line_items``. An existing one is reused as it is.

        ``retry_create=False`` sends the creating POST once (the HTTP policy retries it only
        when it surely was not processed): after a 5xx or a timeout the line items are
        looked up again, and the RetriableError is raised only if it did not land, so a
        POST the platform processed before failing never makes a second column."""
        if resource_id is None and tag is None:
            raise ValueError("a line item is found again by its resource_id or tag; give one")
        endpoint = AgsEndpoint(lineitems=endpoint) if isinstance(endpoint, str) else endpoint
        key = (registration.id, endpoint.lineitems, resource_id, tag)
        async with self._making.setdefault(key, asyncio.Lock()):
            matches = await self.line_items(registration, endpoint, resource_id=resource_id,
                                            tag=tag)
            recorded = self._recorded(registration.id, endpoint.lineitems, resource_id, tag)
            if matches:
                item = next((m for m in matches if m.url == recorded), matches[0])
            else:
                try:
                    item = await self._create(registration, endpoint, label=label,
                                              score_maximum=score_maximum,
                                              resource_id=resource_id, tag=tag,
                                              resource_link_id=resource_link_id,
                                              idempotent=retry_create)
                except RetriableError:
                    if retry_create:
                        raise
                    landed = await self.line_items(registration, endpoint,
                                                   resource_id=resource_id, tag=tag)
                    if not landed:
                        raise
                    item = landed[0]
            self._record(registration.id, item)
            return item

    async def _create(self, registration: Registration, endpoint: AgsEndpoint, *, label: str,
                      score_maximum: float, resource_id: str | None, tag: str | None,
                      resource_link_id: str | None, idempotent: bool = True) -> LineItem:
        url = endpoint.lineitems
        assert url is not None
        endpoint.require(LINEITEM, f"create the line item {label!r} at {url}")
        if score_maximum <= 0:
            raise ConfigError(f"line item {label!r}: scoreMaximum must be above 0 (got "
                              f"{score_maximum})")
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum,
                                "resourceId": resource_id, "tag": tag,
                                "resourceLinkId": resource_link_id}
        http = self.services.http(registration, [LINEITEM])
        response = await http.request(
            "POST", url, json_body={k: v for k, v in body.items() if v is not None},
            headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
            idempotent=idempotent)
        what = f"{http.name} POST {url}"
        return _line_item(_body(response, what), url, what)

    def _recorded(self, registration_id: int, lineitems_url: str | None,
                  resource_id: str | None, tag: str | None) -> str | None:
        t = lti_line_items
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c.line_item_url).where(
                t.c.registration_id == registration_id, t.c.lineitems_url == lineitems_url,
                t.c.resource_id.is_not_distinct_from(resource_id),
                t.c.tag.is_not_distinct_from(tag)).order_by(t.c.id.desc())).scalar()

    def _record(self, registration_id: int, item: LineItem) -> None:
        t = lti_line_items
        values = {"line_item_url": item.url, "label": item.label,
                  "score_maximum": item.score_maximum,
                  "resource_link_id": item.resource_link_id}
        where = (t.c.registration_id == registration_id,
                 t.c.lineitems_url == item.lineitems_url,
                 t.c.resource_id.is_not_distinct_from(item.resource_id),
                 t.c.tag.is_not_distinct_from(item.tag))
        with self.engine.begin() as conn:
            if conn.execute(t.update().where(*where).values(**values)).rowcount == 0:
                conn.execute(t.insert().values(
                    registration_id=registration_id, lineitems_url=item.lineitems_url,
                    resource_id=item.resource_id, tag=item.tag, created_at=utcnow(),
                    **values))

    async def post_score(self, registration: Registration, line_item: LineItem | str,
                         score: Score, *, endpoint: AgsEndpoint | None = None) -> ScorePush:
        """Send ``score`` to ``line_item`` once, through the ledger (see its module doc).
        A line item the platform deleted is made again (when it came from
        :meth:`find_or_create_line_item`) and the score sent there."""
        url = line_item.url if isinstance(line_item, LineItem) else line_item
        if endpoint is not None:
            endpoint.require(SCORE, f"post scores to {url}")
        entry = self.ledger.claim(registration.id, url, score)
        if entry.status == "sent":
            return ScorePush("already sent", entry)
        if entry.status == "superseded":
            return ScorePush("superseded", entry)
        http = self.services.http(registration, [SCORE])
        try:
            response = await http.request("POST", _under(url, "scores"),
                                          json_body=entry.body(), allow=(404, 409),
                                          headers={"Content-Type": SCORE_TYPE})
        except HarborError as exc:
            self.ledger.failed(entry, str(exc))
            raise
        status = response.status_code
        if status == 404:
            return await self._gone(registration, line_item, score, entry, endpoint)
        if status == 409 and entry.attempts > 1:
            # A resend with the stored timestamp: most likely an earlier send landed
            # before a crash; either way the platform holds this score or a later one.
            return ScorePush("already sent", self.ledger.sent(
                entry, status, "the platform already held this score (or a later one)"))
        if status == 409:
            return ScorePush("superseded", self.ledger.superseded(
                entry, "the platform holds a later score for this user (entered in the LMS, "
                "or by another tool) and kept it", status))
        return ScorePush("sent", self.ledger.sent(entry, status))

    async def _gone(self, registration: Registration, line_item: LineItem | str, score: Score,
                    entry: ScoreEntry, endpoint: AgsEndpoint | None) -> ScorePush:
        if not isinstance(line_item, LineItem) or line_item.lineitems_url is None or (
                line_item.resource_id is None and line_item.tag is None):
            message = (f"the line item {entry.line_item_url} is gone from the platform (HTTP "
                       f"404); it was deleted in the LMS: launch the link again, or let the "
                       f"gateway make its line items (find_or_create_line_item)")
            self.ledger.failed(entry, message, 404)
            raise GoneFromPlatform(f"LTI registration {registration.name!r}: {message}",
                                   entry.line_item_url)
        where = (dataclasses.replace(endpoint, lineitems=line_item.lineitems_url)
                 if endpoint is not None else AgsEndpoint(lineitems=line_item.lineitems_url))
        remade = await self.find_or_create_line_item(
            registration, where, label=line_item.label, score_maximum=line_item.score_maximum,
            resource_id=line_item.resource_id, tag=line_item.tag,
            resource_link_id=line_item.resource_link_id)
        if remade.url == line_item.url:
            message = (f"the platform lists line item {remade.url} but answers 404 for its "
                       f"scores; ask the LMS administrator whether the assignment is deleted")
            self.ledger.failed(entry, message, 404)
            raise RunFatalError(f"LTI registration {registration.name!r}: {message}")
        self.ledger.superseded(entry, f"the line item was deleted in the LMS; made again as "
                                      f"{remade.url}", 404)
        return await self.post_score(registration, remade, score, endpoint=endpoint)

    async def results(self, registration: Registration, line_item: LineItem | str,
                      user_id: str | None = None, *, endpoint: AgsEndpoint | None = None,
                      limit: int | None = None) -> list[Result]:
        """The line item's results (one per user with a score), every page (``limit`` a
        page, if given)."""
        url = line_item.url if isinstance(line_item, LineItem) else line_item
        if endpoint is not None:
            endpoint.require(RESULT_READONLY, f"read the results of {url}")
        http = self.services.http(registration, [RESULT_READONLY])
        found: list[Result] = []
        wanted = {"user_id": user_id, "limit": None if limit is None else str(limit)}
        params = {k: v for k, v in wanted.items() if v is not None}
        async for response in pages(http, _under(url, "results"), accept=RESULTS_TYPE,
                                    params=params, allow=(404,)):
            what = f"{http.name} GET {response.request.url}"
            if response.status_code == 404:
                raise ConfigError(f"{what}: the line item is gone from the platform (HTTP "
                                  f"404); it was deleted in the LMS")
            body = _body(response, what)
            if not isinstance(body, list):
                raise RunFatalError(f"{what} sent {type(body).__name__}, not a list of "
                                    f"results")
            found += [_result(item, what) for item in body]
        return found
