"""``POST /oauth/token``: the OAuth2 client-credentials grant (RFC 6749 §4.4).

The client id is a key's ``hmk_<key id>``, the client secret the part after the dot; they
come in an ``Authorization: Basic`` header or in the form body, not both. Errors use the
RFC's JSON shape (``{"error": "invalid_client", "error_description": ...}``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Header, status
from fastapi.responses import JSONResponse

from gateway.api.auth import REALM, basic_credentials, client_key
from gateway.api.deps import KeysDep, TokensDep
from gateway.api.schemas import TokenResponse
from gateway.api.tokens import scope_of

__all__ = ["router"]

router = APIRouter(tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(error: str, description: str, code: int = status.HTTP_400_BAD_REQUEST,
           ) -> JSONResponse:
    headers = dict(NO_STORE)
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = f"Basic {REALM}"
    return JSONResponse({"error": error, "error_description": description}, code,
                        headers=headers)


@router.post("/oauth/token", response_model=TokenResponse, responses={
    400: {"description": "invalid_request, unsupported_grant_type or invalid_scope"},
    401: {"description": "invalid_client"}})
def token(
    keys: KeysDep, tokens: TokensDep,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    """Exchange a key's client id and secret for an access token valid for an hour."""
    if grant_type is None:
        return _error("invalid_request", "grant_type is required (client_credentials), "
                      "sent as application/x-www-form-urlencoded")
    if grant_type != "client_credentials":
        return _error("unsupported_grant_type", "only grant_type=client_credentials is "
                      "supported")
    basic = basic_credentials(authorization)
    if basic is not None and (client_id is not None or client_secret is not None):
        return _error("invalid_request", "send the client credentials either in the "
                      "Authorization header or in the body, not both")
    cid, secret = basic if basic is not None else (client_id or "", client_secret or "")
    key = client_key(cid, secret, keys)
    if key is None:
        return _error("invalid_client", "unknown client, wrong secret, or revoked key; the "
                      "client id is hmk_<key id> and the secret is the part of the key after "
                      "the dot", status.HTTP_401_UNAUTHORIZED)
    granted = scope_of(key)
    if scope is not None and set(scope.split()) - {granted}:
        return _error("invalid_scope", f"this key can only be granted scope {granted!r}")
    body = TokenResponse(access_token=tokens.issue(key), expires_in=tokens.lifetime,
                         scope=granted)
    return JSONResponse(body.model_dump(), headers=NO_STORE)
