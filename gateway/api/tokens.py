"""OAuth2 access tokens: short-lived JWTs (HS256) that stand for an API key.

The signing key is derived from the secret key that seals connection secrets, so there is
no second secret to configure, and rotating that key invalidates every token. A token only
says which key it stands for; whether that key is still active is checked on every use.
"""

from __future__ import annotations

import time

import jwt

from gateway.secrets import SecretBox
from gateway.store.keys import ApiKeyRecord

__all__ = ["AUDIENCE", "ISSUER", "AccessTokens", "scope_of"]

ISSUER = "harbormaster"
AUDIENCE = "harbormaster-admin"
PURPOSE = b"harbormaster oauth2 access tokens"


def scope_of(key: ApiKeyRecord) -> str:
    """The OAuth2 scope a key grants: ``admin`` (every tenant) or ``tenant:<slug>``."""
    return "admin" if key.tenant is None else f"tenant:{key.tenant}"


class AccessTokens:
    def __init__(self, box: SecretBox, *, lifetime: int = 3600) -> None:
        self._key = box.derive_key(PURPOSE)
        self.lifetime = lifetime

    def issue(self, key: ApiKeyRecord) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": key.key_id, "tenant": key.tenant,
                  "scope": scope_of(key), "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def key_id(self, token: str) -> str | None:
        """The key id a valid, unexpired token of ours stands for; None otherwise (bad
        signature, another issuer or audience, expired, malformed)."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER,
                                audience=AUDIENCE,
                                options={"require": ["iss", "aud", "sub", "iat", "exp"]})
        except jwt.InvalidTokenError:
            return None
        sub = claims["sub"]
        return sub if isinstance(sub, str) else None
