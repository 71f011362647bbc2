"""Signing in to Google as a service account acting for a Workspace user.

Google's domain-wide delegation is the JWT bearer grant (RFC 7523): the service account
signs an RS256 assertion with its key (``iss`` the account's email, ``sub`` the user to act
as, ``scope``, ``aud`` the token URL, one hour at most) and trades it at the token URL for
an access token. :class:`DelegatedToken` is that grant on the policy's token cache, so a
push fetches one token however many writes wait for it and renews it before it expires.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from jwcrypto import jwk, jwt

from gateway.errors import ConfigError
from gateway.net.auth import CachedToken

from .config import ServiceAccountKey

__all__ = ["ASSERTION_LIFETIME", "JWT_BEARER", "DelegatedToken"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
"""Seconds the assertion is valid: the most Google accepts."""
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-.]*")
"""A JWT or the start of one (our assertion echoed in an error body)."""
_ANSWER = re.compile(r"\(HTTP \d{3}: .*\)")


class DelegatedToken(CachedToken):
    """An access token for ``scopes``, for the service account acting as ``subject``."""

    def __init__(self, key: ServiceAccountKey, subject: str, scopes: tuple[str, ...],
                 token_url: str, *, refresh_margin: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        super().__init__(token_url, refresh_margin=refresh_margin, clock=clock)
        self.client_email = key.client_email
        self.client_id = key.client_id
        self.key_id = key.private_key_id
        self.subject = subject
        self.scopes = scopes
        self._wall_clock = wall_clock
        try:
            self._signing_key = jwk.JWK.from_pem(key.private_key.encode())
        except (ValueError, TypeError):
            raise ConfigError(f"service_account {key.client_email}: its private_key is not a "
                              f"readable RSA key; paste the key file exactly as Google "
                              f"downloaded it") from None

    def __repr__(self) -> str:  # never show the key, the assertion or the token
        return (f"DelegatedToken({self.client_email!r} as {self.subject!r}, "
                f"token_url={self.token_url!r})")

    def assertion(self) -> str:
        now = int(self._wall_clock())
        header = {"alg": "RS256", "typ": "JWT"}
        if self.key_id:
            header["kid"] = self.key_id
        token = jwt.JWT(header=header,
                        claims={"iss": self.client_email, "sub": self.subject,
                                "scope": " ".join(self.scopes), "aud": self.token_url,
                                "iat": now, "exp": now + ASSERTION_LIFETIME})
        token.make_signed_token(self._signing_key)
        return str(token.serialize())

    def _request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        return {"grant_type": JWT_BEARER, "assertion": self.assertion()}, None

    async def _fetch(self) -> None:
        try:
            await super()._fetch()
        except ConfigError as exc:
            said = _JWT.sub("[JWT]", str(exc))
            # The policy's words name the endpoint and quote Google; keep just the quote.
            quoted = _ANSWER.search(said)
            answer = quoted.group(0) if quoted else f"({said.rstrip('.')})"
            raise ConfigError(f"Google refused to sign in the service account "
                              f"{self.client_email} as {self.subject} at {self.token_url} "
                              f"{answer}. {self._advice(said)}") from None

    def _advice(self, said: str) -> str:
        text = said.lower()
        client = f"client id {self.client_id}" if self.client_id else "its client id"
        delegation = (f"In the Admin console (Security, Access and data control, API controls, "
                      f"Domain-wide delegation) give the service account's {client} the "
                      f"scope {' '.join(self.scopes)}.")
        if "unauthorized_client" in text:
            return f"Domain-wide delegation is missing or lacks the scope. {delegation}"
        if "signature" in text or "invalid_client" in text or "not found" in text:
            return ("The key is not (or no longer) a key of this service account: use the "
                    "current JSON key file (a key deleted or rotated in the Cloud console is "
                    "refused), and check that service_account and token_url belong together.")
        if "email" in text or "user" in text or "sub" in text:
            return (f"Check that subject ({self.subject}) is an existing user of the "
                    f"district's Google Workspace domain (a teacher or a Classroom admin), "
                    f"spelled as the Admin console shows it.")
        return (f"Check the key file (service_account), the subject ({self.subject}) and "
                f"the delegation. {delegation}")
