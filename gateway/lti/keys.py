"""The tool's signing keys: RS256 keys in the database, published at ``/.well-known/jwks.json``.

A key is ``active`` (signs deep-linking responses and service token requests), ``next``
(published, not yet signing) or ``retired`` (published for a grace period after it stopped
signing). Rolling over without breaking a platform that caches our JWKS takes two steps:
``prepare()`` publishes the next key, and ``rotate()``, a cache lifetime later, makes it
sign; during the rollover the JWKS holds both. Private keys are sealed with the store's key.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gateway.clock import utcnow
from gateway.secrets import SecretBox
from gateway.store.tables import lti_keys

__all__ = ["RETIRED_GRACE", "ToolKey", "ToolKeys"]

RETIRED_GRACE = timedelta(days=2)
"""How long a retired key stays in the JWKS: longer than any token it signed lives, and
than a platform's JWKS cache."""


@dataclasses.dataclass(frozen=True, slots=True)
class ToolKey:
    kid: str
    state: str
    private_pem: bytes = dataclasses.field(repr=False)
    created_at: str
    activated_at: str | None
    retired_at: str | None

    def public_jwk(self) -> dict[str, Any]:
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return jwk


def _new_private_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class ToolKeys:
    """The ``lti_keys`` table."""

    def __init__(self, engine: sa.Engine, secrets_box: SecretBox) -> None:
        self.engine = engine
        self.box = secrets_box
        self._lock = threading.Lock()

    def _insert(self, conn: sa.Connection, state: str) -> None:
        now = utcnow()
        sealed = self.box.seal({"pem": _new_private_pem().decode()})
        conn.execute(lti_keys.insert().values(
            kid=secrets.token_urlsafe(12), private_key=sealed, state=state, created_at=now,
            activated_at=now if state == "active" else None))

    def _record(self, row: Any) -> ToolKey:
        pem = self.box.open(row.private_key)["pem"].encode()
        return ToolKey(kid=row.kid, state=row.state, private_pem=pem,
                       created_at=row.created_at, activated_at=row.activated_at,
                       retired_at=row.retired_at)

    def list(self) -> builtins.list[ToolKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(lti_keys).order_by(lti_keys.c.id)).all()
        return [self._record(row) for row in rows]

    def signing_key(self) -> ToolKey:
        """The active key, made on first use."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_keys).where(lti_keys.c.state == "active")
                               .order_by(lti_keys.c.id.desc())).first()
        if row is not None:
            return self._record(row)
        with self._lock, self.engine.begin() as conn:
            if conn.execute(sa.select(lti_keys.c.id)
                            .where(lti_keys.c.state == "active")).first() is None:
                self._insert(conn, "active")
        return self.signing_key()

    def published(self, now: datetime | None = None) -> builtins.list[ToolKey]:
        """The keys in the JWKS: active, next, and retired ones still in their grace."""
        horizon = (now or datetime.now(UTC)) - RETIRED_GRACE
        self.signing_key()
        return [key for key in self.list()
                if key.state != "retired"
                or (key.retired_at is not None and _parse(key.retired_at) > horizon)]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published()]}

    def prepare(self) -> ToolKey:
        """Publish the next key (idempotent): platforms see it before it signs."""
        self.signing_key()
        with self._lock, self.engine.begin() as conn:
            if conn.execute(sa.select(lti_keys.c.id)
                            .where(lti_keys.c.state == "next")).first() is None:
                self._insert(conn, "next")
        return next(key for key in self.list() if key.state == "next")

    def rotate(self) -> ToolKey:
        """Make the next key sign (preparing one if none is published) and retire the
        active one; returns the new active key."""
        self.prepare()
        now = utcnow()
        with self._lock, self.engine.begin() as conn:
            conn.execute(lti_keys.update().where(lti_keys.c.state == "active")
                         .values(state="retired", retired_at=now))
            conn.execute(lti_keys.update().where(lti_keys.c.state == "next")
                         .values(state="active", activated_at=now))
        return self.signing_key()
