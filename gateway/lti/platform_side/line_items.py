"""The AGS line items of vendor tools (``lti_tool_line_items``): each belongs to one tool
and one context (a class of the tool's tenant), so a tool sees and changes only its own,
and a line item named under another context is not found there."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.lti.platform_side.tickets import LaunchRefused
from gateway.lti.platform_side.tools import VendorTool
from gateway.store.learning_tables import lti_tool_line_items

__all__ = ["LineItem", "LineItemInput", "LineItems", "line_item_input"]

t = lti_tool_line_items


@dataclasses.dataclass(frozen=True, slots=True)
class LineItemInput:
    label: str
    score_maximum: float
    resource_id: str | None = None
    resource_link_id: str | None = None
    tag: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class LineItem:
    id: int
    tool_id: int
    context_id: str
    label: str
    score_maximum: float
    resource_id: str | None
    resource_link_id: str | None
    tag: str | None
    standard: str | None
    created_at: str

    def json(self, url: str) -> dict[str, Any]:
        """The AGS line item (``url`` is its id)."""
        optional = {"resourceId": self.resource_id, "resourceLinkId": self.resource_link_id,
                    "tag": self.tag}
        return {"id": url, "label": self.label, "scoreMaximum": self.score_maximum,
                **{k: v for k, v in optional.items() if v is not None}}


def _bad(message: str) -> LaunchRefused:
    return LaunchRefused(message, "", 400)


def line_item_input(body: Mapping[str, Any]) -> LineItemInput:
    """A line item as a tool sent it, checked (AGS 2.0 §3.2)."""
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _bad("label is required (a non-empty string)")
    maximum = body.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise _bad(f"scoreMaximum must be a number above 0, not {maximum!r}")
    fields: dict[str, str | None] = {}
    for key, name in (("resourceId", "resource_id"), ("resourceLinkId", "resource_link_id"),
                      ("tag", "tag")):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise _bad(f"{key} must be a string of at most 255 characters")
        fields[name] = value
    return LineItemInput(label=label[:500], score_maximum=float(maximum), **fields)


def _item(row: Any) -> LineItem:
    return LineItem(id=row.id, tool_id=row.tool_id, context_id=row.context_id,
                    label=row.label, score_maximum=row.score_maximum,
                    resource_id=row.resource_id, resource_link_id=row.resource_link_id,
                    tag=row.tag, standard=row.standard, created_at=row.created_at)


class LineItems:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, tool: VendorTool, context_id: str, item: LineItemInput) -> LineItem:
        with self.engine.begin() as conn:
            item_id = conn.execute(t.insert().values(
                tool_id=tool.id, context_id=context_id, created_at=utcnow(),
                **dataclasses.asdict(item)).returning(t.c.id)).scalar_one()
        found = self.get(tool, context_id, item_id)
        assert found is not None
        return found

    def get(self, tool: VendorTool, context_id: str, item_id: int) -> LineItem | None:
        """The tool's line item in this context; None for another tool's or context's."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == item_id, t.c.tool_id == tool.id,
                                                  t.c.context_id == context_id)).first()
        return _item(row) if row is not None else None

    def of_tool(self, tool: VendorTool, item_id: int) -> LineItem | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == item_id,
                                                  t.c.tool_id == tool.id)).first()
        return _item(row) if row is not None else None

    def list(self, tool: VendorTool, context_id: str | None = None, *,
             resource_id: str | None = None, resource_link_id: str | None = None,
             tag: str | None = None) -> list[LineItem]:
        where = [t.c.tool_id == tool.id]
        for column, value in ((t.c.context_id, context_id), (t.c.resource_id, resource_id),
                              (t.c.resource_link_id, resource_link_id), (t.c.tag, tag)):
            if value is not None:
                where.append(column == value)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).where(*where).order_by(t.c.id)).all()
        return [_item(r) for r in rows]

    def replace(self, item: LineItem, new: LineItemInput) -> LineItem:
        """PUT: the tool's new fields; the standard an admin aligned it to stays."""
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == item.id)
                         .values(**dataclasses.asdict(new)))
        return dataclasses.replace(item, **dataclasses.asdict(new))

    def align(self, item: LineItem, standard: str | None) -> LineItem:
        """Set (or clear) the standard the line item's scores are evidence of."""
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.id == item.id).values(standard=standard))
        return dataclasses.replace(item, standard=standard)

    def delete(self, item: LineItem) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.id == item.id))
