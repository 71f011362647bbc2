"""LMS courses seen in launches (``lti_contexts``): which roster class each is, and the NRPS
and AGS endpoints its launches carried, so a roster check or a grade push can reach the
course without waiting for someone to launch."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway.clock import utcnow
from gateway.lti.launch import CLAIM
from gateway.lti.registrations import Registration
from gateway.store.tables import lti_contexts, lti_registrations

__all__ = ["AGS_CLAIM", "NRPS_CLAIM", "ContextRecord", "Contexts"]

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


@dataclasses.dataclass(frozen=True, slots=True)
class ContextRecord:
    id: int
    registration_id: int
    context_id: str
    deployment_id: str
    title: str | None
    label: str | None
    class_sourced_id: str | None
    memberships_url: str | None
    lineitems_url: str | None
    ags_scopes: tuple[str, ...]
    last_launch_at: str

    def as_public(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ags_scopes"] = list(self.ags_scopes)
        return data


def _record(row: Any) -> ContextRecord:
    return ContextRecord(
        id=row.id, registration_id=row.registration_id, context_id=row.context_id,
        deployment_id=row.deployment_id, title=row.title, label=row.label,
        class_sourced_id=row.class_sourced_id, memberships_url=row.memberships_url,
        lineitems_url=row.lineitems_url, ags_scopes=tuple(row.ags_scopes or ()),
        last_launch_at=row.last_launch_at)


class Contexts:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(self, registration: Registration, claims: Mapping[str, Any],
               class_sourced_id: str | None) -> ContextRecord | None:
        """Remember the course of a validated launch (None for a launch without one). A
        launch that lacks a service claim keeps what an earlier launch said."""
        context = claims.get(CLAIM + "context") or {}
        if not isinstance(context, dict) or not context.get("id"):
            return None
        nrps = claims.get(NRPS_CLAIM) or {}
        ags = claims.get(AGS_CLAIM) or {}
        values: dict[str, Any] = {
            "deployment_id": str(claims[CLAIM + "deployment_id"]),
            "title": context.get("title"), "label": context.get("label"),
            "last_launch_at": utcnow()}
        if class_sourced_id is not None:
            values["class_sourced_id"] = class_sourced_id
        if isinstance(nrps, dict) and nrps.get("context_memberships_url"):
            values["memberships_url"] = nrps["context_memberships_url"]
        if isinstance(ags, dict) and ags.get("lineitems"):
            values["lineitems_url"] = ags["lineitems"]
            values["ags_scopes"] = [s for s in ags.get("scope") or () if isinstance(s, str)]
        key = {"registration_id": registration.id, "context_id": str(context["id"])}
        with self.engine.begin() as conn:
            insert = (postgresql.insert(lti_contexts) if conn.dialect.name == "postgresql"
                      else sqlite.insert(lti_contexts))
            conn.execute(insert.values(**key, **values).on_conflict_do_update(
                index_elements=["registration_id", "context_id"], set_=values))
            row = conn.execute(sa.select(lti_contexts).where(
                lti_contexts.c.registration_id == registration.id,
                lti_contexts.c.context_id == key["context_id"])).one()
        return _record(row)

    def get(self, registration_id: int, context_id: str) -> ContextRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(lti_contexts).where(
                lti_contexts.c.registration_id == registration_id,
                lti_contexts.c.context_id == context_id)).first()
        return _record(row) if row is not None else None

    def list(self, tenant_id: int) -> builtins.list[ContextRecord]:
        query = (sa.select(lti_contexts)
                 .join(lti_registrations, lti_registrations.c.id == lti_contexts.c.registration_id)
                 .where(lti_registrations.c.tenant_id == tenant_id)
                 .order_by(lti_contexts.c.id))
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]
