"""Who is calling: an API key or an OAuth2 access token in ``Authorization: Bearer``.

Both security schemes are declared here so that OpenAPI shows them; the bearer value is
read once and resolved by :func:`resolve_bearer`. A failure never says which part was wrong
and never repeats the token.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from fastapi import HTTPException, status
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import HTTPBearer, OAuth2

from gateway.api.tokens import AccessTokens
from gateway.store.keys import PREFIX, ApiKeyRecord, ApiKeys

__all__ = ["REALM", "TOKEN_URL", "basic_credentials", "bearer_scheme", "client_key",
           "invalid_credentials", "missing_credentials", "oauth2_scheme", "resolve_bearer"]

TOKEN_URL = "/oauth/token"  # noqa: S105 (a URL, not a password)
REALM = 'realm="harbormaster"'

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="ApiKey",
    description="An API key (`hmk_<key id>.<secret>`, made with `harbor keys create`) or an "
                "access token from `POST /oauth/token`.")
oauth2_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(
        tokenUrl=TOKEN_URL,
        scopes={"admin": "every tenant (operator key)",
                "tenant:<slug>": "one tenant (tenant key)"})),
    auto_error=False, scheme_name="OAuth2ClientCredentials",
    description="client_id `hmk_<key id>`, client_secret the part of the key after the dot.")


def missing_credentials() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "authentication required: send `Authorization: Bearer <API key or access token>`; "
        "an operator makes keys with `harbor keys create`",
        headers={"WWW-Authenticate": f"Bearer {REALM}"})


def invalid_credentials() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "the API key or access token is not valid (unknown, revoked, expired or mistyped); "
        "get a new access token from POST /oauth/token, or ask an operator for a new key",
        headers={"WWW-Authenticate": f'Bearer {REALM}, error="invalid_token"'})


def resolve_bearer(token: str, keys: ApiKeys, tokens: AccessTokens) -> ApiKeyRecord:
    """The active key behind a bearer value; 401 if there is none."""
    if token.startswith(PREFIX):
        key = keys.verify(token)
    else:
        key_id = tokens.key_id(token)
        key = keys.get(key_id) if key_id is not None else None
        if key is not None:
            key = None if key.revoked else keys.touch(key)
    if key is None:
        raise invalid_credentials()
    return key


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from an ``Authorization: Basic`` header, decoded as
    RFC 6749 §2.3.1 says (form-encoded, then base64); None if there is no such header."""
    if authorization is None:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def client_key(client_id: str, client_secret: str, keys: ApiKeys) -> ApiKeyRecord | None:
    """The active key whose OAuth2 client id (``hmk_<key id>``) and secret these are."""
    if not client_id.startswith(PREFIX) or not client_secret:
        return None
    return keys.check_secret(client_id[len(PREFIX):], client_secret)
