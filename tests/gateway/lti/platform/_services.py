"""The services a launched tool calls back: the token endpoint (client_credentials with a JWT
assertion), NRPS memberships and AGS line items, scores and results, each behind a bearer
token and the checks of what a tool sends."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.exceptions import LtiException
from lti1p3platform.score import ActivityProgress, GradeProgress

from ._http import FormData, Refused, check_accept, json_body, paginate
from ._library import Config
from ._model import (
    ASSERTION_TYPE,
    LINEITEM_MEDIA,
    LINEITEMS_MEDIA,
    MEMBERSHIPS_MEDIA,
    RESULTS_MEDIA,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCORE_MEDIA,
    Context,
    User,
)

if TYPE_CHECKING:
    from ._platform import Platform


# Checks of what tools send.

def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_line_item(body: dict[str, Any]) -> None:
    if not isinstance(body.get("label"), str) or not body["label"].strip():
        raise Refused(400, "label is required")
    if not _number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
        raise Refused(400, "scoreMaximum must be a positive number")


def _check_score(body: dict[str, Any], context: Context) -> datetime:
    for name in ("userId", "activityProgress", "gradingProgress", "timestamp"):
        if body.get(name) in (None, ""):
            raise Refused(400, f"{name} is required")
    if body["activityProgress"] not in {p.value for p in ActivityProgress}:
        raise Refused(400, f"activityProgress {body['activityProgress']!r} is not known")
    if body["gradingProgress"] not in {p.value for p in GradeProgress}:
        raise Refused(400, f"gradingProgress {body['gradingProgress']!r} is not known")
    try:
        timestamp = datetime.fromisoformat(str(body["timestamp"]))
    except ValueError:
        raise Refused(400, "timestamp must be ISO 8601") from None
    if timestamp.tzinfo is None:
        raise Refused(400, "timestamp must have a time zone")
    if body.get("scoreGiven") is not None:
        if not _number(body["scoreGiven"]) or body["scoreGiven"] < 0:
            raise Refused(400, "scoreGiven must be a number, 0 or more")
        if not _number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
            raise Refused(400, "scoreGiven needs a positive scoreMaximum")
    if all(m.sub != body["userId"] for m in context.members):
        raise Refused(400, f"userId {body['userId']} is not a member of {context.id}")
    return timestamp


def _check_bearer(p: Platform, request: Request, *scopes: str) -> None:
    """Refuse a request without a valid platform access token holding one of ``scopes``."""
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "bearer" or not token:
        raise Refused(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        if token in p._revoked:
            raise LtiException("the token was revoked")
        allowed = Config(p).validate_token(token, list(scopes))
    except (LtiException, jwt.PyJWTError) as exc:
        raise Refused(401, f"invalid token: {exc}", headers={
            "WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    if not allowed:
        raise Refused(403, f"the token needs one of the scopes {' '.join(scopes)}", headers={
            "WWW-Authenticate": 'Bearer error="insufficient_scope"'})


# The routes.

def token_routes(p: Platform) -> APIRouter:
    router = APIRouter(tags=["token"])

    @router.post("/token")
    def token(form: FormData) -> Response:  # sync: lti1p3platform fetches JWKS with requests
        return JSONResponse(_grant(p, form), headers={"Cache-Control": "no-store"})

    return router


def _grant(p: Platform, form: dict[str, str]) -> dict[str, Any]:
    """An access token for a client_credentials request with a JWT client assertion."""
    tool = p.tool
    if tool is None:
        raise Refused(401, "no tool is registered", "invalid_client")
    if form.get("grant_type") != "client_credentials":
        raise Refused(400, "grant_type must be client_credentials", "unsupported_grant_type")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise Refused(400, f"client_assertion_type must be {ASSERTION_TYPE}", "invalid_request")
    if not form.get("client_assertion"):
        raise Refused(400, "client_assertion is missing", "invalid_request")
    config = Config(p)
    try:
        claims = config.tool_validate_and_decode(form["client_assertion"])
    except (LtiException, jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise Refused(401, f"client_assertion: {exc}", "invalid_client") from None
    for name in ("iss", "sub", "aud", "exp", "iat", "jti"):
        if name not in claims:
            raise Refused(401, f"client_assertion has no {name}", "invalid_client")
    if claims["iss"] != tool.client_id or claims["sub"] != tool.client_id:
        raise Refused(401, "client_assertion iss and sub must be the client_id",
                      "invalid_client")
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if p.token_url not in aud and p.issuer not in aud:
        raise Refused(401, "client_assertion aud must be the token endpoint", "invalid_client")
    with p.lock:
        if claims["jti"] in p._jtis:
            raise Refused(401, "client_assertion jti was used before", "invalid_client")
        p._jtis.add(claims["jti"])
    granted = [s for s in form.get("scope", "").split() if s in LTI_1P3_ACCESS_TOKEN_SCOPES
               and (tool.scopes is None or s in tool.scopes)]
    if not granted:
        raise Refused(400, "no requested scope can be granted", "invalid_scope")
    answer = dict(config.get_access_token({**form, "scope": " ".join(granted)}))
    with p.lock:
        p.tokens_issued += 1
        p._tokens.add(answer["access_token"])
    return answer


def _context(p: Platform, context_id: str) -> Context:
    if context_id not in p.contexts:
        raise Refused(404, f"no context {context_id}")
    return p.contexts[context_id]


def _line_item(context: Context, number: int) -> dict[str, Any]:
    if number not in context.line_items:
        raise Refused(404, f"no line item {number} in {context.id}")
    return context.line_items[number]


def _member(user: User) -> dict[str, Any]:
    member = {"status": "Active", "user_id": user.sub, "roles": user.roles, "name": user.name,
              "given_name": user.given_name, "family_name": user.family_name,
              "email": user.email, "lis_person_sourcedid": user.lis_person_sourcedid}
    return {k: v for k, v in member.items() if v is not None}


def _has_role(user: User, role: str | None) -> bool:
    return role is None or any(r == role or r.endswith(f"#{role}") for r in user.roles)


def service_routes(p: Platform) -> APIRouter:
    router = APIRouter(prefix="/contexts/{context_id}", tags=["services"])

    @router.get("/memberships")
    async def memberships(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_NRPS)
        check_accept(request, MEMBERSHIPS_MEDIA)
        context = _context(p, context_id)
        role = request.query_params.get("role")
        members = [m for m in context.members if _has_role(m, role)]
        url = f"{p.url}/contexts/{context_id}/memberships"
        page, headers = paginate(request, members, url)
        body = {"id": str(request.url),
                "context": {"id": context.id, "label": context.label or context.id,
                            "title": context.title},
                "members": [_member(m) for m in page]}
        return JSONResponse(body, headers=headers, media_type=MEMBERSHIPS_MEDIA)

    @router.get("/lineitems")
    async def line_items(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        check_accept(request, LINEITEMS_MEDIA)
        context = _context(p, context_id)
        query = request.query_params
        wanted = {"resourceLinkId": query.get("resource_link_id"),
                  "resourceId": query.get("resource_id"), "tag": query.get("tag")}
        items = [i for i in context.line_items.values()
                 if all(v is None or i.get(k) == v for k, v in wanted.items())]
        page, headers = paginate(request, items, f"{p.url}/contexts/{context_id}/lineitems")
        return JSONResponse(page, headers=headers, media_type=LINEITEMS_MEDIA)

    @router.post("/lineitems")
    async def create_line_item(context_id: str, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        body = await json_body(request, LINEITEM_MEDIA)
        item = p._create_line_item(_context(p, context_id), body)
        return JSONResponse(item, 201, {"Location": item["id"]}, media_type=LINEITEM_MEDIA)

    @router.get("/lineitems/{number}")
    async def get_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
        check_accept(request, LINEITEM_MEDIA)
        item = _line_item(_context(p, context_id), number)
        return JSONResponse(item, media_type=LINEITEM_MEDIA)

    @router.put("/lineitems/{number}")
    async def put_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        body = await json_body(request, LINEITEM_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        check_line_item(body)
        context.line_items[number] = {**body, "id": item["id"]}
        return JSONResponse(context.line_items[number], media_type=LINEITEM_MEDIA)

    @router.delete("/lineitems/{number}")
    async def delete_line_item(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_LINEITEM)
        context = _context(p, context_id)
        _line_item(context, number)
        del context.line_items[number]
        return Response(status_code=204)

    @router.post("/lineitems/{number}/scores")
    async def score(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_SCORE)
        body = await json_body(request, SCORE_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        timestamp = _check_score(body, context)
        key = (context.id, number, str(body["userId"]))
        with p.lock:
            last = p._latest.get(key)
            if last is not None and timestamp < last[0]:
                raise Refused(400, f"timestamp {body['timestamp']} is earlier than the last "
                                   "score's for this user and line item")
            p._latest[key] = (timestamp, body)
            p.scores.append({**body, "lineitem": item["id"]})
        return Response(status_code=204)

    @router.get("/lineitems/{number}/results")
    async def results(context_id: str, number: int, request: Request) -> Response:
        _check_bearer(p, request, SCOPE_RESULT_READONLY)
        check_accept(request, RESULTS_MEDIA)
        context = _context(p, context_id)
        item = _line_item(context, number)
        user_id = request.query_params.get("user_id")
        found = [_result(item, uid, body) for (cid, n, uid), (_, body) in p._latest.items()
                 if cid == context.id and n == number and user_id in (None, uid)]
        page, headers = paginate(request, found, f"{item['id']}/results")
        return JSONResponse(page, headers=headers, media_type=RESULTS_MEDIA)

    return router


def _result(item: dict[str, Any], user_id: str, score: dict[str, Any]) -> dict[str, Any]:
    result = {"id": f"{item['id']}/results/{user_id}", "scoreOf": item["id"],
              "userId": user_id, "resultScore": score.get("scoreGiven"),
              "resultMaximum": score.get("scoreMaximum"), "comment": score.get("comment")}
    return {k: v for k, v in result.items() if v is not None}
