"""Harbormaster as an LTI 1.3 platform for vendor tools: the routes under ``/lti/platform``.

``GET /lti/platform/launch/{tool}?class=…&ticket=…`` starts a launch (a signed launch
ticket stands in for a signed-in user, see :mod:`~gateway.lti.platform_side.tickets`);
``/lti/platform/authorize`` answers the tool's OIDC authentication request with the
id_token; ``POST /lti/platform/token`` grants AGS tokens for a JWT client assertion; and
``/lti/platform/contexts/{class}/lineitems…`` is AGS 2.0 for the tool's line items, scores
and results. Tools authenticate by what they sign, so nothing here is under ``/admin``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from gateway.lti import pages
from gateway.lti.config import PlatformKeys
from gateway.lti.platform_side.line_items import line_item_input
from gateway.lti.platform_side.platform import (
    PREFIX,
    TOKEN_PATH,
    Platform,
    lineitems_url,
)
from gateway.lti.platform_side.scores import (
    read_score,
    record_score,
    remove_scores,
    stored_scores,
)
from gateway.lti.platform_side.tickets import LaunchRefused
from gateway.lti.platform_side.tokens import Grant, TokenRefused
from gateway.settings import Settings
from gateway.store.store import Store

__all__ = ["LINEITEM_TYPE", "platform_router"]

log = logging.getLogger("harbormaster.lti.platform")

_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/"
LINEITEM, LINEITEM_READONLY = _SCOPE + "lineitem", _SCOPE + "lineitem.readonly"
RESULT_READONLY, SCORE = _SCOPE + "result.readonly", _SCOPE + "score"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"


def _paged(request: Request, items: list[Any], url: str) -> tuple[list[Any], dict[str, str]]:
    """A page by ``limit`` and ``page``, with a Link to the next one when there is more."""
    query = dict(request.query_params)
    try:
        limit, page = int(query.get("limit", "0")), int(query.get("page", "1"))
    except ValueError:
        raise LaunchRefused("limit and page must be whole numbers", "", 400) from None
    if limit <= 0:
        return items, {}
    chunk = items[(max(page, 1) - 1) * limit:max(page, 1) * limit]
    if max(page, 1) * limit >= len(items):
        return chunk, {}
    query["page"] = str(max(page, 1) + 1)
    return chunk, {"Link": f'<{url}?{urlencode(query)}>; rel="next"'}


async def _body(request: Request, media_type: str) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").partition(";")[0].strip()
    if content_type not in (media_type, "application/json"):
        raise LaunchRefused(f"Content-Type must be {media_type}, not {content_type!r}", "",
                            415)
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise LaunchRefused("the body is not JSON", "", 400) from None
    if not isinstance(body, dict):
        raise LaunchRefused("the body must be a JSON object", "", 400)
    return body


def _refused(exc: TokenRefused | LaunchRefused) -> JSONResponse:
    if isinstance(exc, TokenRefused):
        headers = {"WWW-Authenticate": f'Bearer error="{exc.error}"'} \
            if exc.status in (401, 403) else {}
        return JSONResponse({"error": exc.error, "error_description": exc.description},
                            exc.status, headers)
    return JSONResponse({"error": exc.reason}, exc.status)


def platform_router(store: Store, settings: Settings, *,
                    tool_keys: PlatformKeys | None = None) -> APIRouter:
    """The platform's public routes (see the module docstring). ``tool_keys`` caches the
    tools' JWKS (a test passes one that refetches at once)."""
    p = Platform(store, settings, tool_keys or PlatformKeys(ttl=600.0, min_refetch=10.0))
    router = APIRouter(prefix=PREFIX, tags=["LTI 1.3 platform"])

    async def page(what: str, work: Callable[[], Response]) -> Response:
        try:
            return await run_in_threadpool(work)
        except LaunchRefused as exc:
            reference = secrets.token_hex(4)
            log.warning("LTI platform %s refused [%s]: %s", what, reference, exc.reason)
            return pages.error_page(exc.reason, exc.hint, exc.status, reference)

    async def service(request: Request, scopes: tuple[str, ...],
                      work: Callable[[Grant, dict[str, Any]], Response],
                      body_type: str | None = None) -> Response:
        """Check the bearer token and its scopes first (a caller without one learns
        nothing else), then the body, then do the work."""
        try:
            grant = await run_in_threadpool(p.tokens.check,
                                            request.headers.get("authorization"),
                                            p.issuer(request))
            grant.require(*scopes)
            body = await _body(request, body_type) if body_type else {}
            return await run_in_threadpool(work, grant, body)
        except (TokenRefused, LaunchRefused) as exc:
            return _refused(exc)

    @router.get("/launch/{tool}")
    async def launch(tool: str, request: Request) -> Response:
        """Start a launch of ``tool`` for the ticket's user in ``class``: set the launch
        cookie and send the browser to the tool's OIDC login initiation."""
        query = request.query_params
        issuer = p.issuer(request)
        return await page("launch", lambda: p.start(
            tool, query.get("class", ""), query.get("ticket", ""), issuer,
            issuer.startswith("https://")))

    @router.api_route("/authorize", methods=["GET", "POST"])
    async def authorize(request: Request) -> Response:
        """The OIDC authorization endpoint: answer the tool's authentication request with
        an auto-posting form carrying the id_token."""
        params = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        issuer = p.issuer(request)
        return await page("authorization",
                          lambda: p.authorize(params, dict(request.cookies), issuer))

    @router.post("/token")
    async def token(request: Request) -> Response:
        """client_credentials with a JWT client assertion (private_key_jwt)."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        issuer = p.issuer(request)
        try:
            answer = await run_in_threadpool(p.tokens.grant, fields, issuer + TOKEN_PATH,
                                             issuer)
        except TokenRefused as exc:
            log.warning("LTI platform token refused: %s", exc.description)
            return JSONResponse({"error": exc.error, "error_description": exc.description},
                                exc.status, {"Cache-Control": "no-store"})
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    lineitems = "/contexts/{class_id}/lineitems"

    @router.get(lineitems)
    async def list_line_items(class_id: str, request: Request) -> Response:
        def work(grant: Grant, _: dict[str, Any]) -> Response:
            context = p.context(grant, class_id)
            q = request.query_params
            items = p.line_items.list(grant.tool, context, resource_id=q.get("resource_id"),
                                      resource_link_id=q.get("resource_link_id"),
                                      tag=q.get("tag"))
            url = lineitems_url(p.issuer(request), context)
            chunk, headers = _paged(request, items, url)
            return JSONResponse([i.json(f"{url}/{i.id}") for i in chunk], headers=headers,
                                media_type=CONTAINER_TYPE)
        return await service(request, (LINEITEM, LINEITEM_READONLY), work)

    @router.post(lineitems)
    async def create_line_item(class_id: str, request: Request) -> Response:
        def work(grant: Grant, body: dict[str, Any]) -> Response:
            context = p.context(grant, class_id)
            item = p.line_items.create(grant.tool, context, line_item_input(body))
            url = f"{lineitems_url(p.issuer(request), context)}/{item.id}"
            return JSONResponse(item.json(url), 201, {"Location": url},
                                media_type=LINEITEM_TYPE)
        return await service(request, (LINEITEM,), work, LINEITEM_TYPE)

    @router.get(lineitems + "/{item_id}")
    async def get_line_item(class_id: str, item_id: int, request: Request) -> Response:
        def work(grant: Grant, _: dict[str, Any]) -> Response:
            item = p.item(grant, class_id, item_id)
            url = f"{lineitems_url(p.issuer(request), item.context_id)}/{item.id}"
            return JSONResponse(item.json(url), media_type=LINEITEM_TYPE)
        return await service(request, (LINEITEM, LINEITEM_READONLY), work)

    @router.put(lineitems + "/{item_id}")
    async def put_line_item(class_id: str, item_id: int, request: Request) -> Response:
        def work(grant: Grant, body: dict[str, Any]) -> Response:
            item = p.line_items.replace(p.item(grant, class_id, item_id),
                                        line_item_input(body))
            url = f"{lineitems_url(p.issuer(request), item.context_id)}/{item.id}"
            return JSONResponse(item.json(url), media_type=LINEITEM_TYPE)
        return await service(request, (LINEITEM,), work, LINEITEM_TYPE)

    @router.delete(lineitems + "/{item_id}")
    async def delete_line_item(class_id: str, item_id: int, request: Request) -> Response:
        def work(grant: Grant, _: dict[str, Any]) -> Response:
            item = p.item(grant, class_id, item_id)
            with store.engine.begin() as conn:
                remove_scores(conn, grant.tool, item)
            p.line_items.delete(item)
            return Response(status_code=204)
        return await service(request, (LINEITEM,), work)

    @router.post(lineitems + "/{item_id}/scores")
    async def post_score(class_id: str, item_id: int, request: Request) -> Response:
        def work(grant: Grant, body: dict[str, Any]) -> Response:
            item = p.item(grant, class_id, item_id)
            score = read_score(body)
            user = p.learner(grant, item.context_id, score.user_id)
            with store.engine.begin() as conn:
                record_score(conn, grant.tool, item, user, score)
            log.info("LTI platform score: tenant=%s tool=%s line item=%s", grant.tool.tenant_id,
                     grant.tool.name, item.id)
            return Response(status_code=204)
        return await service(request, (SCORE,), work, SCORE_TYPE)

    @router.get(lineitems + "/{item_id}/results")
    async def results(class_id: str, item_id: int, request: Request) -> Response:
        def work(grant: Grant, _: dict[str, Any]) -> Response:
            item = p.item(grant, class_id, item_id)
            sub = request.query_params.get("user_id")
            user = p.learner(grant, item.context_id, sub) if sub else None
            with store.engine.connect() as conn:
                found = stored_scores(conn, grant.tool, item, user)
            url = f"{lineitems_url(p.issuer(request), item.context_id)}/{item.id}"
            rows = []
            for s in found:
                uid = p.subjects.sub(grant.tool.client_id, s.user_sourced_id)
                row = {"id": f"{url}/results/{uid}", "scoreOf": url, "userId": uid,
                       "resultScore": s.score_given, "resultMaximum": s.score_maximum,
                       "comment": s.comment}
                rows.append({k: v for k, v in row.items() if v is not None})
            chunk, headers = _paged(request, rows, f"{url}/results")
            return JSONResponse(chunk, headers=headers, media_type=RESULTS_TYPE)
        return await service(request, (RESULT_READONLY,), work)

    return router

