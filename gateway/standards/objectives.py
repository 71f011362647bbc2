"""OneRoster 1.2 ``learningObjectiveSet``: the standards a lineItem or result names.

It arrives in three shapes, all read here: the REST JSON of a lineItem
(``learningObjectiveSet: [{source, learningObjectiveIds: [...]}]``) or a result
(``[{source, learningObjectiveResults: [{learningObjectiveId, score, textScore}]}]``), the
stored rows of the ``lineItemLearningObjectiveIds`` and ``resultLearningObjectiveIds``
streams (``source``, ``learningObjectiveId``), and a record whose ``metadata`` carries the
set. A source of ``case`` (any case) means the ids are CASE identifiers; other sources are a
vendor's codes, for the crosswalk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.store.tables import stream_tables

__all__ = ["LearningObjective", "learning_objectives", "objectives_of", "stored_objectives"]


@dataclass(frozen=True, slots=True)
class LearningObjective:
    source: str
    """``case``, ``unknown`` or a vendor's name, as the record gave it."""
    identifier: str
    score: float | None = None
    text_score: str | None = None

    @property
    def is_case(self) -> bool:
        return self.source.strip().lower() == "case"


def _as_mapping(record: Any) -> Mapping[str, Any]:
    if isinstance(record, Mapping):
        return record
    dump = getattr(record, "model_dump", None)  # the pydantic LineItem / Result models
    if callable(dump):
        value = dump(by_alias=True, exclude_none=True)
        if isinstance(value, Mapping):
            return value
    return {}


def _number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _from_set(entries: Any) -> list[LearningObjective]:
    out: list[LearningObjective] = []
    if not isinstance(entries, list):
        return out
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("source"), str):
            continue
        source = entry["source"]
        out.extend(LearningObjective(source, ident.strip())
                   for ident in entry.get("learningObjectiveIds") or ()
                   if isinstance(ident, str) and ident.strip())
        for result in entry.get("learningObjectiveResults") or ():
            if isinstance(result, Mapping) and isinstance(result.get("learningObjectiveId"),
                                                          str):
                text = result.get("textScore")
                out.append(LearningObjective(source, result["learningObjectiveId"].strip(),
                                             _number(result.get("score")),
                                             text if isinstance(text, str) else None))
    return out


def learning_objectives(record: Any) -> list[LearningObjective]:
    """Every learning objective ``record`` names, with the per-objective score a result may
    carry, in the record's order (duplicates dropped)."""
    data = _as_mapping(record)
    found = _from_set(data.get("learningObjectiveSet"))
    ident = data.get("learningObjectiveId")
    if isinstance(ident, str) and ident.strip() and isinstance(data.get("source"), str):
        text = data.get("textScore")
        found.append(LearningObjective(data["source"], ident.strip(),
                                       _number(data.get("score")),
                                       text if isinstance(text, str) else None))
    meta = data.get("metadata")
    if isinstance(meta, str) and "learningObjectiveSet" in meta:
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = None
    if isinstance(meta, Mapping):
        found += _from_set(meta.get("learningObjectiveSet"))
    return list(dict.fromkeys(found))


def objectives_of(record: Any) -> list[str]:
    """The CASE identifiers of the standards a lineItem or result (JSON, stored row or
    model) names through ``learningObjectiveSet``; ``[]`` when it names none."""
    return list(dict.fromkeys(o.identifier for o in learning_objectives(record) if o.is_case))


def stored_objectives(conn: sa.Connection, tenant_id: int, stream: str,
                      sourced_ids: Iterable[str]) -> dict[str, list[LearningObjective]]:
    """The objectives stored for lineItems (``stream="lineItems"``) or results
    (``"results"``) by their sourcedIds, from the store's learning-objective streams."""
    if stream not in ("lineItems", "results"):
        raise ValueError(f"learning objectives belong to lineItems or results, not {stream}")
    single = stream[:-1]
    t = stream_tables[f"{single}LearningObjectiveIds"]
    parent = t.c[f"{'line_item' if single == 'lineItem' else 'result'}_sourced_id"]
    extra = ([t.c.score, t.c.text_score] if single == "result"
             else [sa.null().label("score"), sa.null().label("text_score")])
    wanted = list(dict.fromkeys(sourced_ids))
    out: dict[str, list[LearningObjective]] = {}
    for start in range(0, len(wanted), 500):
        query = (sa.select(parent, t.c.source, t.c.learning_objective_id, *extra)
                 .where(t.c.tenant_id == tenant_id, t.c.status == "active",
                        parent.in_(wanted[start:start + 500]))
                 .order_by(parent, t.c.sourced_id))
        for owner, source, ident, score, text in conn.execute(query):
            out.setdefault(owner, []).append(LearningObjective(
                source or "unknown", ident, _number(score), text))
    return out
