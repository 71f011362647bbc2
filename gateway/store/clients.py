"""Provider clients: the vendors that read (and write grades to) one district's data.

A client belongs to one tenant. It has OneRoster OAuth 2 scopes (what it may call) and a
sharing rule (which records it sees: the whole tenant, or some schools, classes or grades,
with or without demographics). Its secret is shown once, when the client is made, and kept
twice: as a SHA-256, checked in constant time for OAuth 2 client credentials; and sealed with
the store's :class:`~gateway.secrets.SecretBox`, because an OAuth 1.0a HMAC signature can only
be checked with the secret itself (:meth:`ProviderClients.plain_secret`).

Scopes are the URIs of the official OneRoster OpenAPI files (``SCOPES``); a short name such as
``roster-core.readonly`` stands for the OneRoster 1.2 URI. OneRoster 1.1 defined the same
names under ``.../or/v1p1/scope/``; those URIs are accepted too (spelled out in full).
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.secrets import SecretBox
from gateway.store import db
from gateway.store.tables import provider_access_log, provider_clients, tenants

__all__ = [
    "SCOPES",
    "SCOPES_V1P1",
    "SCOPES_V1P2",
    "SHORT_NAMES",
    "AccessLogEntry",
    "ProviderClientRecord",
    "ProviderClients",
    "Sharing",
    "expand_scopes",
]

V1P2 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"

SCOPES_V1P2: dict[str, str] = {
    # onerosterv1p2rostersservice_openapi3_v1p0.json
    V1P2 + "roster.readonly": "Support for all of the read operations (excluding "
        "demographics) to enable information about collections or a single object to be "
        "obtained.",
    V1P2 + "roster-core.readonly": "The core set of read operations to enable information "
        "about collections or a single object to be obtained.",
    V1P2 + "roster-demographics.readonly": "The read operations to provide all demographics "
        "or a single demographics object to be obtained.",
    # onerosterv1p2gradebookservice_openapi3_v1p0.json
    V1P2 + "gradebook.readonly": "Access to ALL of the gradebook read operations.",
    V1P2 + "gradebook-core.readonly": "Access to the set of core read operations i.e. "
        "reading of all objects or a single object.",
    V1P2 + "gradebook.createput": "Access to all of the gradebook write operations that "
        "permit the creation of a new single object in which the 'sourcedId' is supplied.",
    V1P2 + "gradebook.createpost": "Access to the set of write operations that permit the "
        "creation of objects where the server allocates the 'sourcedIds'.",
    V1P2 + "gradebook.delete": "Access to the set of gradebook operations that permit an "
        "object to be deleted.",
    V1P2 + "assessment.readonly": "Access to ALL of the assessment read operations.",
    V1P2 + "assessment.createput": "Access to all of the write assessment operations that "
        "permit the creation of a new single object in which the 'sourcedId' is supplied.",
    V1P2 + "assessment.delete": "Access to the set of assessment operations that permit an "
        "object to be deleted.",
    # onerosterv1p2resourcesservice_openapi3_v1p0.json
    V1P2 + "resource.readonly": "To enable access to ALL of the endpoints for the resources "
        "service.",
    V1P2 + "resource-core.readonly": "The core set of scopes to enable information about all "
        "resources or a single resource to be obtained.",
}
"""The OneRoster 1.2 scopes, exactly as the official OpenAPI files list them
(``components.securitySchemes.OAuth2CC.flows.clientCredentials.scopes``)."""

SCOPES_V1P1: dict[str, str] = {
    V1P1 + "roster-core.readonly": "OneRoster 1.1: the core rostering read operations.",
    V1P1 + "roster.readonly": "OneRoster 1.1: all rostering read operations except "
        "demographics.",
    V1P1 + "roster-demographics.readonly": "OneRoster 1.1: reading demographics.",
    V1P1 + "resource.readonly": "OneRoster 1.1: all resources read operations.",
    V1P1 + "gradebook.readonly": "OneRoster 1.1: all gradebook read operations.",
    V1P1 + "gradebook.createput": "OneRoster 1.1: creating and replacing gradebook objects "
        "whose sourcedId the client supplies.",
    V1P1 + "gradebook.delete": "OneRoster 1.1: deleting gradebook objects.",
}
"""The OneRoster 1.1 OAuth 2 scopes (the 1.1 REST binding's OAuth 2 update), same names
under ``v1p1``; 1.1 has no ``-core`` gradebook/resource scopes, no createpost, no assessment."""

SCOPES: dict[str, str] = {**SCOPES_V1P2, **SCOPES_V1P1}
"""Every scope a client may be given: URI -> description."""

SHORT_NAMES: dict[str, str] = {uri.removeprefix(V1P2): uri for uri in SCOPES_V1P2}
"""``roster-core.readonly`` -> its OneRoster 1.2 URI; accepted wherever scopes are given."""

"""``last_used_at`` is rewritten at most this often, so a busy client does not write per call."""

_DUMMY_HASH = hashlib.sha256(b"no such client").hexdigest()
_SHARING_KEYS = ("schools", "classes", "grades", "demographics")


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scope URIs for ``scopes`` (URIs or short names, or one space-separated string);
    ConfigError naming the valid ones for anything unknown, or for none at all."""
    if isinstance(scopes, str):
        scopes = scopes.split()
    out: set[str] = set()
    unknown: list[str] = []
    for scope in scopes:
        for word in scope.split():
            uri = SHORT_NAMES.get(word, word)
            if uri in SCOPES:
                out.add(uri)
            else:
                unknown.append(word)
    if unknown:
        raise ConfigError(
            f"unknown scope(s): {', '.join(unknown)}; valid are the short names "
            f"{', '.join(SHORT_NAMES)} (OneRoster 1.2) or the full URIs under {V1P2} and, "
            f"for OneRoster 1.1, {', '.join(uri.removeprefix(V1P1) for uri in SCOPES_V1P1)} "
            f"under {V1P1}")
    if not out:
        raise ConfigError("a client needs at least one scope, e.g. roster-core.readonly")
    return frozenset(out)


# Sharing -------------------------------------------------------------------------------------

def _id_set(field: str, value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigError(f"sharing {field} must be a list of sourcedIds, or null for all")
    ids: set[str] = set()
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"sharing {field} must hold non-empty strings, not {item!r}")
        item = item.strip()
        if "," in item or len(item) > 255:
            raise ConfigError(f"sharing {field}: {item[:60]!r} is not a sourcedId "
                              "(at most 255 characters, no commas)")
        ids.add(item)
    if not ids:
        raise ConfigError(f"sharing {field} is empty, which would share nothing; leave it "
                          f"out (null) to share every one of the tenant's {field}")
    return frozenset(ids)


@dataclasses.dataclass(frozen=True, slots=True)
class Sharing:
    """Which of a tenant's records a client sees.

    Each of ``schools``, ``classes`` and ``grades`` narrows the grant (None: no limit on that
    side); a record is shared when it passes all of them (see
    :mod:`gateway.provider.sharing`). Demographics are shared only when ``demographics``.
    Values are sourcedIds (schools, classes) or grade codes (``09``, ``KG``).
    """

    schools: frozenset[str] | None = None
    classes: frozenset[str] | None = None
    grades: frozenset[str] | None = None
    demographics: bool = False

    def __post_init__(self) -> None:
        for field in ("schools", "classes", "grades"):
            object.__setattr__(self, field, _id_set(field, getattr(self, field)))
        if not isinstance(self.demographics, bool):
            raise ConfigError("sharing demographics must be true or false")

    @property
    def whole_tenant(self) -> bool:
        return self.schools is None and self.classes is None and self.grades is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (sorted lists, null for no limit)."""
        def listed(ids: frozenset[str] | None) -> list[str] | None:
            return sorted(ids) if ids is not None else None
        return {"schools": listed(self.schools), "classes": listed(self.classes),
                "grades": listed(self.grades), "demographics": self.demographics}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Sharing:
        """The rule ``data`` (as :meth:`to_json` writes it; missing keys are no limit, no
        demographics); ConfigError for anything else."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ConfigError("sharing must be an object with schools, classes, grades and "
                              "demographics")
        unknown = sorted(set(data) - set(_SHARING_KEYS))
        if unknown:
            raise ConfigError(f"unknown sharing field(s): {', '.join(map(str, unknown))}; "
                              f"known are {', '.join(_SHARING_KEYS)}")
        return cls(schools=data.get("schools"), classes=data.get("classes"),
                   grades=data.get("grades"), demographics=data.get("demographics", False))


# Records -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True)
class ProviderClientRecord:
    id: int
    client_id: str
    tenant_id: int
    tenant: str
    """The tenant's slug."""
    name: str
    scopes: frozenset[str]
    """Scope URIs."""
    sharing: Sharing
    created_at: str
    revoked_at: str | None
    last_used_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        """Whether the client holds ``scope`` (a URI or a 1.2 short name)."""
        return SHORT_NAMES.get(scope, scope) in self.scopes


@dataclasses.dataclass(frozen=True, slots=True)
class AccessLogEntry:
    id: int
    client_id: int
    """The client's row id (``ProviderClientRecord.id``)."""
    at: str
    method: str
    path: str
    query: str | None
    status: int
    records: int


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ConfigError("a client's name must be 1 to 100 characters")
    return name


class ProviderClients:
    """Provider clients in the store. ``client_id`` arguments are the public client ids."""

    def __init__(self, engine: sa.Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.secrets = secrets

    def create(self, tenant_id: int, name: str, scopes: Iterable[str],
               sharing: Sharing) -> tuple[ProviderClientRecord, str, str]:
        """Make a client; returns its record, its client id and its secret (which nothing
        can show again)."""
        name = _name(name)
        uris = expand_scopes(scopes)
        # 16 URL-safe characters, never starting with "-": a vendor pastes it into command
        # lines (`harbor clients revoke ID`), where a leading dash reads as an option.
        client_id = secrets.token_urlsafe(12).replace("-", "_")
        secret = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            if conn.execute(sa.select(tenants.c.id).where(tenants.c.id == tenant_id)).first() \
                    is None:
                raise ConfigError(f"there is no tenant with id {tenant_id}")
            conn.execute(provider_clients.insert().values(
                client_id=client_id, secret_hash=_hash(secret),
                secret_sealed=self.secrets.seal({"client_secret": secret}),
                tenant_id=tenant_id, name=name, scopes=" ".join(sorted(uris)),
                sharing=sharing.to_json(), created_at=utcnow()))
        record = self.get(client_id)
        assert record is not None
        return record, client_id, secret

    def check_secret(self, client_id: str, secret: str) -> ProviderClientRecord | None:
        """The active client ``client_id`` if ``secret`` is its secret, else None (unknown,
        wrong secret, revoked); notes the client as used."""
        with self.engine.connect() as conn:
            row = conn.execute(self._query().where(
                provider_clients.c.client_id == client_id)).first()
        # Hash and compare even for an unknown id, so timing does not tell ids apart.
        stored = row.secret_hash if row is not None else _DUMMY_HASH
        matches = hmac.compare_digest(_hash(secret), stored)
        if row is None or not matches or row.revoked_at is not None:
            return None
        return self.touch(_record(row))

    def plain_secret(self, client_id: str) -> str | None:
        """The secret of the active client ``client_id``, for OAuth 1.0a signatures (a
        ``lookup_secret`` for :func:`gateway.provider.oauth1.verify`); None when unknown,
        revoked or kept without a sealed copy."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(provider_clients.c.secret_sealed).where(
                provider_clients.c.client_id == client_id,
                provider_clients.c.revoked_at.is_(None))).first()
        if row is None or not row.secret_sealed:
            return None
        return self.secrets.open(row.secret_sealed).get("client_secret")

    def get(self, client_id: str) -> ProviderClientRecord | None:
        """The client ``client_id``, revoked or not."""
        with self.engine.connect() as conn:
            row = conn.execute(self._query().where(
                provider_clients.c.client_id == client_id)).first()
        return _record(row) if row is not None else None

    def list(self, tenant_id: int | None = None) -> builtins.list[ProviderClientRecord]:
        """Every client (of ``tenant_id``), revoked ones included, oldest first."""
        q = self._query().order_by(provider_clients.c.id)
        if tenant_id is not None:
            q = q.where(provider_clients.c.tenant_id == tenant_id)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(q)]

    def revoke(self, client_id: str) -> bool:
        """Revoke a client at once; False when there is no such active client."""
        with self.engine.begin() as conn:
            return bool(conn.execute(
                provider_clients.update().where(provider_clients.c.client_id == client_id,
                                                provider_clients.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())).rowcount)

    def update_sharing(self, client_id: str, sharing: Sharing) -> ProviderClientRecord:
        return self._update(client_id, sharing=sharing.to_json())

    def update_scopes(self, client_id: str, scopes: Iterable[str]) -> ProviderClientRecord:
        return self._update(client_id, scopes=" ".join(sorted(expand_scopes(scopes))))

    def _update(self, client_id: str, **values: Any) -> ProviderClientRecord:
        with self.engine.begin() as conn:
            done = conn.execute(provider_clients.update().where(
                provider_clients.c.client_id == client_id).values(**values)).rowcount
        record = self.get(client_id) if done else None
        if record is None:
            raise ConfigError(f"there is no provider client {client_id!r}")
        return record

    def touch(self, record: ProviderClientRecord) -> ProviderClientRecord:
        """Note that ``record`` was used now, unless that was noted less than a minute ago
        (or a sync holds SQLite's write lock: then it is skipped)."""
        now = utcnow()
        if db.touch_last_used(self.engine, provider_clients, record.id, record.last_used_at, now):
            return dataclasses.replace(record, last_used_at=now)
        return record

    def log_access(self, client: ProviderClientRecord | int, method: str, path: str,
                   query: str | None, status: int, records: int, *, at: str | None = None,
                   wait_ms: int | None = None) -> None:
        """Record one request of ``client`` (its record or row id): a single insert. The
        method and path are cut to their column widths. With ``wait_ms``, SQLite waits at
        most that long for the write lock and raises OperationalError instead."""
        values = {"client_id": client if isinstance(client, int) else client.id,
                  "at": at or utcnow(), "method": method.upper()[:8], "path": path[:500],
                  "query": query or None, "status": status, "records": records}
        with self.engine.begin() as conn:
            if wait_ms is None:
                conn.execute(provider_access_log.insert().values(**values))
                return
            with db.short_wait(conn, wait_ms):
                conn.execute(provider_access_log.insert().values(**values))

    def access_log(self, client_id: str, limit: int = 100) -> builtins.list[AccessLogEntry]:
        """The latest ``limit`` requests of ``client_id``, newest first."""
        log = provider_access_log
        q = (sa.select(log).join(provider_clients, provider_clients.c.id == log.c.client_id)
             .where(provider_clients.c.client_id == client_id)
             .order_by(log.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [AccessLogEntry(r.id, r.client_id, r.at, r.method, r.path, r.query,
                                   r.status, r.records) for r in conn.execute(q)]

    @staticmethod
    def _query() -> sa.Select[Any]:
        return sa.select(provider_clients, tenants.c.slug.label("tenant")).join(
            tenants, tenants.c.id == provider_clients.c.tenant_id)


def _record(row: Any) -> ProviderClientRecord:
    return ProviderClientRecord(
        row.id, row.client_id, row.tenant_id, row.tenant, row.name,
        frozenset(row.scopes.split()), Sharing.from_json(row.sharing), row.created_at,
        row.revoked_at, row.last_used_at)
