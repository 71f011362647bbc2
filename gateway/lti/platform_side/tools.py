"""Vendor tools Harbormaster launches as an LTI 1.3 platform (``lti_tools``): registering
one assigns its client id and deployment id; its URLs say where logins go, where the
id_token is posted and where the tool publishes its keys."""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError
from gateway.store.learning_tables import lti_tools

__all__ = ["ToolExists", "ToolInput", "VendorTool", "VendorTools"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class ToolExists(ConfigError):
    """The tenant has a tool of that name already."""


@dataclasses.dataclass(frozen=True, slots=True)
class ToolInput:
    name: str
    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str | None = None

    def check(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(f"tool name {self.name!r}: use 1 to 63 lowercase letters, "
                              f"digits, '.', '_' or '-' (it names the tool's evidence, "
                              f"lti-tool:<name>)")
        for field in ("login_url", "launch_url", "jwks_url", "deep_link_url"):
            value = getattr(self, field)
            if value is None:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
                raise ConfigError(f"{field} {value!r} is not an absolute http(s) URL "
                                  f"without a fragment")


@dataclasses.dataclass(frozen=True, slots=True)
class VendorTool:
    id: int
    tenant_id: int
    name: str
    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str | None
    created_at: str

    @property
    def system(self) -> str:
        """The evidence ``system`` of the tool's scores."""
        return f"lti-tool:{self.name}"

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """Where an id_token may be posted: the launch URL and the deep-link URL."""
        return tuple(u for u in (self.launch_url, self.deep_link_url) if u)


def _tool(row: Any) -> VendorTool:
    return VendorTool(id=row.id, tenant_id=row.tenant_id, name=row.name,
                      client_id=row.client_id, deployment_id=row.deployment_id,
                      login_url=row.login_url, launch_url=row.launch_url,
                      jwks_url=row.jwks_url, deep_link_url=row.deep_link_url,
                      created_at=row.created_at)


class VendorTools:
    """The ``lti_tools`` table; every lookup by name is scoped by tenant."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(self, tenant_id: int, tool: ToolInput) -> VendorTool:
        tool.check()
        values = dataclasses.asdict(tool)
        # Random, so a client id names nothing about the district or the vendor.
        values.update(tenant_id=tenant_id, client_id=f"hm-{secrets.token_urlsafe(18)}",
                      deployment_id=f"hm-dep-{secrets.token_urlsafe(9)}",
                      created_at=utcnow())
        try:
            with self.engine.begin() as conn:
                tool_id = conn.execute(lti_tools.insert().values(**values)
                                       .returning(lti_tools.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            raise ToolExists(f"this tenant has an LTI tool named {tool.name!r} already; "
                             f"choose another name or remove that one") from None
        found = self.get(tool_id)
        assert found is not None
        return found

    def _one(self, *where: sa.ColumnElement[bool]) -> VendorTool | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_tools).where(*where)).first()
        return _tool(row) if row is not None else None

    def get(self, tool_id: int) -> VendorTool | None:
        return self._one(lti_tools.c.id == tool_id)

    def by_name(self, tenant_id: int, name: str) -> VendorTool | None:
        return self._one(lti_tools.c.tenant_id == tenant_id, lti_tools.c.name == name)

    def by_client_id(self, client_id: str) -> VendorTool | None:
        return self._one(lti_tools.c.client_id == client_id)

    def list(self, tenant_id: int) -> list[VendorTool]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(lti_tools).where(lti_tools.c.tenant_id == tenant_id)
                                .order_by(lti_tools.c.name)).all()
        return [_tool(r) for r in rows]

    def update(self, tool: VendorTool, **changes: str | None) -> VendorTool:
        """New URLs for the tool (its name, client id and deployment id stay)."""
        merged = ToolInput(name=tool.name, **{
            f: changes.get(f, getattr(tool, f))
            for f in ("login_url", "launch_url", "jwks_url", "deep_link_url")})
        merged.check()
        with self.engine.begin() as conn:
            conn.execute(lti_tools.update().where(lti_tools.c.id == tool.id).values(
                login_url=merged.login_url, launch_url=merged.launch_url,
                jwks_url=merged.jwks_url, deep_link_url=merged.deep_link_url))
        found = self.get(tool.id)
        assert found is not None
        return found

    def remove(self, tool: VendorTool) -> None:
        """Forget the tool: its launches and tokens are refused from now on; the evidence
        its scores made stays (it is the learners' record)."""
        with self.engine.begin() as conn:
            conn.execute(lti_tools.delete().where(lti_tools.c.id == tool.id))
