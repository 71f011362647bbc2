"""LTI 1.3 platform registrations: which LMS installs may launch Harbormaster, per tenant.

A registration is what a platform and a tool agree on once: the platform's issuer and the
client id it gave the tool, the platform's OIDC authorization, token and key set URLs, and
the deployment ids under which the tool was placed. ``(issuer, client_id)`` is unique
across tenants, so a launch finds its tenant from its own claims and no tenant can answer
for another's LMS.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.store.tables import lti_registrations, tenants

__all__ = ["Registration", "RegistrationExists", "RegistrationInput", "Registrations"]


class RegistrationExists(ConfigError):
    """The issuer and client id are registered already, or the tenant has the name."""


@dataclasses.dataclass(frozen=True, slots=True)
class Registration:
    id: int
    tenant_id: int
    tenant: str
    """The tenant's slug."""
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    """The platform's OIDC authorization endpoint (where the login step redirects)."""
    auth_token_url: str
    """The platform's OAuth 2 token endpoint (client-credentials with a signed JWT)."""
    auth_audience: str | None
    """The ``aud`` of our token-request JWT, where the platform wants other than the token
    URL (Moodle, D2L)."""
    key_set_url: str
    """The platform's JWKS, for verifying id_tokens."""
    deployment_ids: tuple[str, ...]
    source: str
    platform: Mapping[str, Any] | None
    created_at: str
    updated_at: str

    def as_public(self) -> dict[str, Any]:
        """What the admin API shows (a registration holds no secret of ours)."""
        return {"id": self.id, "tenant": self.tenant, "name": self.name,
                "issuer": self.issuer, "client_id": self.client_id,
                "auth_login_url": self.auth_login_url, "auth_token_url": self.auth_token_url,
                "auth_audience": self.auth_audience, "key_set_url": self.key_set_url,
                "deployment_ids": list(self.deployment_ids), "source": self.source,
                "platform": dict(self.platform) if self.platform else None,
                "created_at": self.created_at, "updated_at": self.updated_at}


@dataclasses.dataclass(frozen=True, slots=True)
class RegistrationInput:
    """What an admin (or dynamic registration) supplies to make a registration."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...] = ()
    auth_audience: str | None = None
    source: str = "manual"
    platform: Mapping[str, Any] | None = None

    def check(self) -> None:
        """ConfigError naming the field and the fix, for what a launch could never use."""
        if not self.name.strip():
            raise ConfigError("registration name is empty; give it the LMS's name, e.g. "
                              "'canvas-production'")
        if not self.issuer.strip():
            raise ConfigError("issuer is empty; copy the platform's issuer (the 'iss' of "
                              "its launches, e.g. https://canvas.instructure.com)")
        if not self.client_id.strip():
            raise ConfigError("client_id is empty; copy the client id the LMS showed when "
                              "the tool was registered")
        for field in ("auth_login_url", "auth_token_url", "key_set_url"):
            value = getattr(self, field)
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"{field} {value!r} is not an http(s) URL; copy it from "
                                  f"the LMS's developer key or tool registration page")
        if self.auth_audience is not None and not self.auth_audience.strip():
            raise ConfigError("auth_audience is empty; leave it out to use the token URL")
        if any(not d.strip() for d in self.deployment_ids):
            raise ConfigError("a deployment id is empty; copy each deployment id the LMS "
                              "shows for the tool, or leave them out")


def _record(row: Any) -> Registration:
    return Registration(
        id=row.id, tenant_id=row.tenant_id, tenant=row.slug, name=row.name,
        issuer=row.issuer, client_id=row.client_id, auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url, auth_audience=row.auth_audience,
        key_set_url=row.key_set_url, deployment_ids=tuple(row.deployment_ids or ()),
        source=row.source, platform=row.platform, created_at=row.created_at,
        updated_at=row.updated_at)


class Registrations:
    """The ``lti_registrations`` table."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @staticmethod
    def _query() -> sa.Select[Any]:
        return (sa.select(lti_registrations, tenants.c.slug)
                .join(tenants, tenants.c.id == lti_registrations.c.tenant_id))

    def _one(self, *where: sa.ColumnElement[bool]) -> Registration | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._query().where(*where)).first()
        return _record(row) if row is not None else None

    def add(self, tenant_id: int, data: RegistrationInput) -> Registration:
        data.check()
        if self.find(data.issuer, data.client_id) is not None:
            raise RegistrationExists(f"issuer {data.issuer!r} with client id "
                                     f"{data.client_id!r} is registered already; update that "
                                     f"registration instead")
        now = utcnow()
        with self.engine.begin() as conn:
            duplicate = conn.execute(sa.select(lti_registrations.c.id).where(
                lti_registrations.c.tenant_id == tenant_id,
                lti_registrations.c.name == data.name)).first()
            if duplicate is not None:
                raise RegistrationExists(f"this tenant has a registration named "
                                         f"{data.name!r} already; choose another name")
            new_id = conn.execute(lti_registrations.insert().values(
                tenant_id=tenant_id, name=data.name, issuer=data.issuer.strip(),
                client_id=data.client_id.strip(), auth_login_url=data.auth_login_url,
                auth_token_url=data.auth_token_url, auth_audience=data.auth_audience,
                key_set_url=data.key_set_url, deployment_ids=list(data.deployment_ids),
                source=data.source, platform=dict(data.platform) if data.platform else None,
                created_at=now, updated_at=now,
            ).returning(lti_registrations.c.id)).scalar_one()
        registration = self.get(new_id)
        assert registration is not None
        return registration

    def get(self, registration_id: int) -> Registration | None:
        return self._one(lti_registrations.c.id == registration_id)

    def find(self, issuer: str, client_id: str | None = None) -> Registration | None:
        """The registration of ``issuer`` and ``client_id``; without a client id, the
        issuer's only registration (None if it has none, or several)."""
        if client_id is not None:
            return self._one(lti_registrations.c.issuer == issuer,
                             lti_registrations.c.client_id == client_id)
        found = self.list(issuer=issuer)
        return found[0] if len(found) == 1 else None

    def by_name(self, tenant_id: int, name: str) -> Registration | None:
        return self._one(lti_registrations.c.tenant_id == tenant_id,
                         lti_registrations.c.name == name)

    def list(self, tenant_id: int | None = None, *,
             issuer: str | None = None) -> builtins.list[Registration]:
        query = self._query().order_by(lti_registrations.c.id)
        if tenant_id is not None:
            query = query.where(lti_registrations.c.tenant_id == tenant_id)
        if issuer is not None:
            query = query.where(lti_registrations.c.issuer == issuer)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def update(self, registration: Registration, **changes: Any) -> Registration:
        """Change fields of ``registration`` (``deployment_ids`` as any iterable)."""
        allowed = {f.name for f in dataclasses.fields(RegistrationInput)} - {"source"}
        unknown = set(changes) - allowed
        if unknown:
            raise ConfigError(f"cannot change {', '.join(sorted(unknown))} of a registration")
        if "deployment_ids" in changes:
            changes["deployment_ids"] = tuple(changes["deployment_ids"])
        merged = RegistrationInput(**{
            f.name: changes.get(f.name, getattr(registration, f.name))
            for f in dataclasses.fields(RegistrationInput)})
        merged.check()
        self._check_unique(registration, merged)
        values = {k: (list(v) if k == "deployment_ids" else v) for k, v in changes.items()}
        with self.engine.begin() as conn:
            conn.execute(lti_registrations.update()
                         .where(lti_registrations.c.id == registration.id)
                         .values(**values, updated_at=utcnow()))
        updated = self.get(registration.id)
        assert updated is not None
        return updated

    def _check_unique(self, registration: Registration, merged: RegistrationInput) -> None:
        same = self.find(merged.issuer, merged.client_id)
        if same is not None and same.id != registration.id:
            raise RegistrationExists(f"issuer {merged.issuer!r} with client id "
                                     f"{merged.client_id!r} is registered already")
        named = self.by_name(registration.tenant_id, merged.name)
        if named is not None and named.id != registration.id:
            raise RegistrationExists(f"this tenant has a registration named {merged.name!r} "
                                     f"already; choose another name")

    def add_deployment(self, registration: Registration, deployment_id: str) -> Registration:
        if deployment_id in registration.deployment_ids:
            return registration
        return self.update(registration,
                           deployment_ids=(*registration.deployment_ids, deployment_id))

    def remove(self, registration: Registration) -> None:
        with self.engine.begin() as conn:
            conn.execute(lti_registrations.delete()
                         .where(lti_registrations.c.id == registration.id))

    def set_deployments(self, registration: Registration,
                        deployment_ids: Iterable[str]) -> Registration:
        return self.update(registration, deployment_ids=tuple(deployment_ids))
