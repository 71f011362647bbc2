"""Dynamic registration links: the URL an admin pastes into an LMS, bound to one tenant.

The link carries a signed token (a JWT, HS256, under a key derived from the store's secret
key) naming the tenant and an expiry, so ``/lti/register`` needs no login and cannot be
pointed at another district. A link registers one platform: its id is claimed while the
registration runs and stays claimed once it succeeds (a failure releases it for a retry).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa

from gateway.errors import ConfigError
from gateway.store.store import Store, TenantRecord
from gateway.store.tables import lti_nonces

__all__ = ["DEFAULT_LIFETIME", "MAX_LIFETIME", "LinkError", "RegistrationLink",
           "RegistrationLinks"]

PURPOSE = b"lti-dynamic-registration"
ISSUER = "harbormaster"
AUDIENCE = "harbormaster-lti-registration"
DEFAULT_LIFETIME = timedelta(hours=24)
"""Long enough to hand the link to the LMS admin, short enough not to linger in a mailbox."""
MAX_LIFETIME = timedelta(days=7)

# Used link ids live in the nonce table under an issuer no platform can have (not a URL).
_USED = "urn:harbormaster:lti-registration-link"


class LinkError(ConfigError):
    """A registration link that cannot be used; ``reason`` is expired, invalid or used."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class RegistrationLink:
    token: str = dataclasses.field(repr=False)
    link_id: str
    tenant: str
    tenant_id: int
    name: str | None
    """The registration's name, when the admin chose one."""
    expires_at: datetime


def _remake(what: str) -> str:
    return (f"{what} Make a new link: `harbor lti register-url --tenant TENANT`, or POST "
            f"/admin/tenants/TENANT/lti/dynamic-registration-links, and paste that into the "
            f"LMS.")


class RegistrationLinks:
    """Issues, verifies and claims links; one per store (the key comes from its secrets)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._key = store.secrets.derive_key(PURPOSE)

    def issue(self, tenant: TenantRecord, *, name: str | None = None,
              lifetime: timedelta = DEFAULT_LIFETIME) -> RegistrationLink:
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            raise ConfigError(f"a registration link lasts between one minute and "
                              f"{MAX_LIFETIME.days} days; ask for less than {lifetime}")
        now = int(time.time())
        exp = now + int(lifetime.total_seconds())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "jti": secrets.token_urlsafe(12),
                  "tenant": tenant.slug, "tid": tenant.id, "name": name, "iat": now,
                  "exp": exp}
        return self._link(jwt.encode(claims, self._key, algorithm="HS256"), claims)

    def verify(self, token: str) -> RegistrationLink:
        """The link ``token`` stands for; LinkError if it is not ours, expired, or its
        tenant is gone."""
        options = {"require": ["iss", "aud", "jti", "exp", "tenant", "tid"]}
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER,
                                audience=AUDIENCE, options=options)  # type: ignore[arg-type]
        except jwt.ExpiredSignatureError:
            # The signature was checked before the expiry, so the claims are ours.
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER,
                                audience=AUDIENCE, options={"verify_exp": False})
            when = datetime.fromtimestamp(claims["exp"], UTC).strftime("%Y-%m-%d %H:%M UTC")
            raise LinkError("expired", _remake(
                f"This registration link (for tenant {claims.get('tenant')!r}) expired at "
                f"{when}.")) from None
        except jwt.InvalidTokenError:
            raise LinkError("invalid", _remake(
                "This is not a registration link Harbormaster made, or it was cut short "
                "when copied, or the server's secret key changed since.")) from None
        try:
            tenant = self.store.tenant(str(claims["tenant"]))
        except ConfigError:
            tenant = None
        if tenant is None or tenant.id != claims["tid"]:
            raise LinkError("invalid", _remake(
                f"The tenant this link was made for ({claims['tenant']!r}) no longer exists "
                f"here."))
        return self._link(token, claims)

    @staticmethod
    def _link(token: str, claims: Mapping[str, Any]) -> RegistrationLink:
        name = claims.get("name")
        return RegistrationLink(token=token, link_id=str(claims["jti"]),
                                tenant=str(claims["tenant"]), tenant_id=int(claims["tid"]),
                                name=name if isinstance(name, str) and name else None,
                                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC))

    def claim(self, link: RegistrationLink) -> None:
        """Mark the link as in use; LinkError if it registered a platform already (or is
        registering one right now, in another window)."""
        try:
            with self.store.engine.begin() as conn:
                conn.execute(lti_nonces.insert().values(
                    issuer=_USED, nonce=link.link_id,
                    expires_at=link.expires_at.timestamp()))
        except sa.exc.IntegrityError:
            raise LinkError("used", _remake(
                "This registration link was used already: each link registers one LMS, "
                "once.")) from None

    def release(self, link: RegistrationLink) -> None:
        """Free a claimed link again, after a registration that did not complete."""
        with self.store.engine.begin() as conn:
            conn.execute(lti_nonces.delete().where(lti_nonces.c.issuer == _USED,
                                                   lti_nonces.c.nonce == link.link_id))
