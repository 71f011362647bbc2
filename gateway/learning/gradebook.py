"""OneRoster gradebook results as evidence: after a run part applies results or lineItems,
each result whose lineItem or own ``learningObjectiveSet`` names CASE standards of the
tenant becomes one evidence row per standard (withdrawn when the result goes), and the
mastery of the touched pairs is recomputed, all in that part's transaction.

The rules: docs/learning.md, "Gradebook results".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gateway.clock import utcnow
from gateway.engine.apply import StreamCounts
from gateway.errors import Problem, SkippableRecordError
from gateway.learning import records as rec
from gateway.learning.store import COMPARED, upsert_keyed
from gateway.mastery import normalize, recompute
from gateway.store.learning_tables import evidence, standards
from gateway.store.tables import stream_tables

__all__ = ["COUNTS_KEY", "GRADEBOOK_STREAMS", "NOT_EVIDENCE", "GradebookReport",
           "gradebook_evidence", "source_key"]

GRADEBOOK_STREAMS = ("lineItems", "results", "lineItemLearningObjectiveIds",
                     "resultLearningObjectiveIds")
"""A part that writes any of these may change gradebook evidence."""
COUNTS_KEY = "gradebookEvidence"
"""The run's counts entry for the evidence rows written here."""
NOT_EVIDENCE = frozenset({"not submitted", "exempt"})
"""Score statuses that say the learner showed nothing: their evidence is withdrawn."""

_CHUNK = 500
RESULT_CHUNK = 10_000
"""Results read, built and written at a time."""
_PAYLOAD_RESULT = "result"
_Pair = tuple[str, str]


@dataclass(slots=True)
class GradebookReport:
    counts: StreamCounts = field(default_factory=StreamCounts)
    """Evidence rows added, updated, unchanged, withdrawn (``deleted``) and objectives
    ``skipped`` (a standard the tenant does not have, a score the scale cannot read)."""
    unknown: dict[str, int] = field(default_factory=dict)
    """Objective identifier -> results naming it that were skipped for it."""
    problems: list[Problem] = field(default_factory=list)
    recomputed: int = 0


def source_key(result: str, objective: str) -> str:
    """The evidence key of one result's score on one objective."""
    return f"result:{result}:{objective}"


def gradebook_evidence(conn: sa.Connection, tenant_id: int, connection_id: int, system: str,
                       version: int, *, score: Callable[..., float] = normalize,
                       mastery: Callable[[sa.Connection, int, Iterable[_Pair]], object]
                       = recompute) -> GradebookReport | None:
    """Bring the evidence of the results this part changed (their rows, their lineItem, or
    either's learning objectives carry change ``version``) up to date for ``system`` (the
    connection's name). None, after one indexed query, when the tenant has no learning
    objectives and the connection no gradebook evidence: nothing to do."""
    if not _anything(conn, tenant_id, system):
        return None
    report = GradebookReport()
    results = sorted(_changed_results(conn, tenant_id, version))
    own = _objectives(conn, tenant_id, "results", results) if results else {}
    line_items = _LineItems(conn, tenant_id)
    pairs: set[_Pair] = set()
    for i in range(0, len(results), RESULT_CHUNK):  # a first load of millions: bounded memory
        pairs |= _apply_chunk(conn, tenant_id, connection_id, system, results[i:i + RESULT_CHUNK],
                              own, line_items, score, report)
    if pairs:
        mastery(conn, tenant_id, sorted(pairs))
    report.recomputed = len(pairs)
    if report.unknown:
        report.problems.insert(0, _unknown_problem(report.unknown))
    return report


class _LineItems:
    """The lineItems of a part's results with their CASE objectives, and which of those
    standards the tenant has: each read once per part."""

    def __init__(self, conn: sa.Connection, tenant_id: int) -> None:
        self.conn, self.tenant_id = conn, tenant_id
        self.lines: dict[str, dict[str, Any]] = {}
        self.objectives: dict[str, dict[str, str | None]] = {}
        self.known: dict[str, bool] = {}

    def load(self, line_ids: set[str], own: Mapping[str, Mapping[str, Any]]) -> None:
        missing = sorted(line_ids - self.lines.keys())
        if missing:
            self.lines.update(_rows(self.conn, self.tenant_id, "lineItems", missing,
                                    ("status", "title", "result_value_min",
                                     "result_value_max")))
            self.objectives.update(_objectives(self.conn, self.tenant_id, "lineItems",
                                               missing))
        named = {o for line in missing for o in self.objectives.get(line, {})}
        named.update(o for objectives in own.values() for o in objectives)
        unknown = named - self.known.keys()
        if unknown:
            found = _known_standards(self.conn, self.tenant_id, unknown)
            self.known.update((o, o in found) for o in unknown)


def _apply_chunk(conn: sa.Connection, tenant_id: int, connection_id: int, system: str,
                 results: Sequence[str], own: Mapping[str, Mapping[str, str | None]],
                 line_items: _LineItems, score: Callable[..., float],
                 report: GradebookReport) -> set[_Pair]:
    """Upsert and withdraw the evidence of some results; the pairs it touched."""
    rows = _rows(conn, tenant_id, "results", results,
                 ("status", "line_item_sourced_id", "student_sourced_id", "score_status",
                  "score", "score_date", "date_last_modified"))
    line_items.load({r["line_item_sourced_id"] for r in rows.values() if r["line_item_sourced_id"]},
              {sid: own[sid] for sid in rows if sid in own})
    wanted: dict[str, dict[str, Any]] = {}
    for sid, row in rows.items():
        line = line_items.lines.get(row["line_item_sourced_id"])
        if not _counts_as_evidence(row, line):
            continue
        assert line is not None
        overall = _text(row["score"])
        scores: dict[str, str | None] = dict.fromkeys(line_items.objectives.get(line["sourced_id"],
                                                                          {}), overall)
        for objective, own_score in own.get(sid, {}).items():
            scores[objective] = own_score if own_score is not None else overall
        for objective, raw in scores.items():
            if not line_items.known.get(objective):
                report.unknown[objective] = report.unknown.get(objective, 0) + 1
                report.counts.skipped += 1
                continue
            if raw is None:
                continue  # not scored yet: no evidence (any stored one is withdrawn)
            made = _evidence_row(sid, row, line, objective, raw, connection_id, score, report)
            if made is not None:
                wanted[made["source_key"]] = made
    stored = _stored(conn, tenant_id, system, set(rows), wanted,
                     {r["student_sourced_id"] for r in rows.values()})
    send: list[dict[str, Any]] = []
    pairs: set[_Pair] = set()
    for key, new in wanted.items():
        old = stored.get(key)
        if old is not None and all(old[c] == new.get(c) for c in COMPARED["evidence"]):
            report.counts.unchanged += 1
            continue
        send.append(new)
        pairs |= _pairs(new, old)
    for key, old in stored.items():
        if key not in wanted and old["status"] == "active":
            send.append({"source_key": key, **{c: old[c] for c in COMPARED["evidence"]},
                         "status": "tobedeleted"})
            pairs |= _pairs(old, None)
    done = upsert_keyed(conn, evidence, tenant_id, system, send, now=utcnow())
    report.counts.add(StreamCounts(done.added, done.updated, done.unchanged, done.deleted,
                                   done.skipped))
    return pairs


# what changed ------------------------------------------------------------------------------

def _anything(conn: sa.Connection, tenant_id: int, system: str) -> bool:
    """Whether the tenant stores any learning objective or ``system`` any evidence (its
    gradebook evidence: a OneRoster connection has no other): three index probes."""
    lo = stream_tables["lineItemLearningObjectiveIds"]
    ro = stream_tables["resultLearningObjectiveIds"]
    e = evidence
    return bool(conn.execute(sa.select(sa.or_(
        sa.exists().where(lo.c.tenant_id == tenant_id),
        sa.exists().where(ro.c.tenant_id == tenant_id),
        sa.exists().where(e.c.tenant_id == tenant_id, e.c.system == system)))).scalar())


def _written(conn: sa.Connection, tenant_id: int, stream: str, column: str,
             version: int) -> set[str]:
    t = stream_tables[stream]
    q = sa.select(t.c[column]).where(t.c.tenant_id == tenant_id, t.c.version == version)
    return {v for (v,) in conn.execute(q) if v}


def _changed_results(conn: sa.Connection, tenant_id: int, version: int) -> set[str]:
    """Results written in this part, results whose learning objectives were, and every
    result of a lineItem that was or whose objectives were (through the version index)."""
    changed = _written(conn, tenant_id, "results", "sourced_id", version)
    changed |= _written(conn, tenant_id, "resultLearningObjectiveIds", "result_sourced_id",
                        version)
    lines = _written(conn, tenant_id, "lineItems", "sourced_id", version)
    lines |= _written(conn, tenant_id, "lineItemLearningObjectiveIds", "line_item_sourced_id",
                      version)
    r = stream_tables["results"]
    ordered = sorted(lines)
    for i in range(0, len(ordered), _CHUNK):  # ix_or_results_line_item_sourced_id
        changed.update(sid for (sid,) in conn.execute(
            sa.select(r.c.sourced_id).where(r.c.tenant_id == tenant_id,
                                            r.c.line_item_sourced_id.in_(ordered[i:i + _CHUNK]))))
    return changed


# reading ---------------------------------------------------------------------------------

def _rows(conn: sa.Connection, tenant_id: int, stream: str, sourced_ids: Iterable[str],
          columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    t = stream_tables[stream]
    ordered = sorted(sourced_ids)
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ordered), _CHUNK):
        q = sa.select(t.c.sourced_id, *(t.c[c] for c in columns)).where(
            t.c.tenant_id == tenant_id, t.c.sourced_id.in_(ordered[i:i + _CHUNK]))
        out.update((r.sourced_id, dict(r._mapping)) for r in conn.execute(q))
    return out


def _one_of(conn: sa.Connection, column: sa.ColumnElement[Any],
            values: Sequence[str]) -> sa.ColumnElement[bool]:
    """``column IN values`` with one parameter however many values: the learning-objective
    tables have no index on their parent, so each query is one pass over the tenant's rows,
    and one query (not one per chunk) keeps it to one pass."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(sa.Text)))
    each: sa.Select[Any] = sa.select(sa.literal_column("value")).select_from(
        sa.func.json_each(sa.literal(json.dumps(list(values)))))
    return column.in_(each.scalar_subquery())


def _objectives(conn: sa.Connection, tenant_id: int, stream: str,
                owners: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """Per lineItem or result, its active CASE objectives in order, each with the score a
    result gives it (text as stored; None on lineItems and when the result gives none)."""
    if not owners:
        return {}
    single = stream[:-1]
    t = stream_tables[f"{single}LearningObjectiveIds"]
    parent = t.c["line_item_sourced_id" if single == "lineItem" else "result_sourced_id"]
    score = t.c.score if single == "result" else sa.null()
    q = (sa.select(parent, t.c.source, t.c.learning_objective_id, score)
         .where(t.c.tenant_id == tenant_id, t.c.status == "active",
                _one_of(conn, parent, owners))
         .order_by(parent, t.c.sourced_id))
    out: dict[str, dict[str, str | None]] = {}
    for owner, source, ident, value in conn.execute(q):
        if (source or "").strip().lower() == "case" and ident and ident.strip():
            out.setdefault(owner, {})[ident.strip()] = _text(value)
    return out


def _known_standards(conn: sa.Connection, tenant_id: int, identifiers: set[str]) -> set[str]:
    s = standards
    ordered = sorted(identifiers)
    known: set[str] = set()
    for i in range(0, len(ordered), _CHUNK):
        known.update(v for (v,) in conn.execute(sa.select(s.c.identifier).where(
            s.c.tenant_id == tenant_id, s.c.identifier.in_(ordered[i:i + _CHUNK]))))
    return known


def _stored(conn: sa.Connection, tenant_id: int, system: str, results: set[str],
            wanted: Mapping[str, Any], students: set[str]) -> dict[str, dict[str, Any]]:
    """Stored evidence of ``system`` for these results: by the keys wanted now (whoever the
    learner was), and by learner for objectives no longer named (ix_evidence_learner)."""
    e = evidence
    cols = (e.c.source_key, *(e.c[c] for c in COMPARED["evidence"]))
    out: dict[str, dict[str, Any]] = {}
    keys = sorted(wanted)
    for i in range(0, len(keys), _CHUNK):
        out.update((r.source_key, dict(r._mapping)) for r in conn.execute(sa.select(*cols).where(
            e.c.tenant_id == tenant_id, e.c.system == system,
            e.c.source_key.in_(keys[i:i + _CHUNK]))))
    learners = sorted(s for s in students if s)
    for i in range(0, len(learners), _CHUNK):
        for r in conn.execute(sa.select(*cols).where(
                e.c.tenant_id == tenant_id, e.c.user_sourced_id.in_(learners[i:i + _CHUNK]),
                e.c.system == system)):
            payload = r.payload if isinstance(r.payload, Mapping) else {}
            if payload.get(_PAYLOAD_RESULT) in results:
                out.setdefault(r.source_key, dict(r._mapping))
    return out


# building --------------------------------------------------------------------------------

def _counts_as_evidence(row: Mapping[str, Any], line: Mapping[str, Any] | None) -> bool:
    status = (row["score_status"] or "").strip().lower()
    return (row["status"] == "active" and status not in NOT_EVIDENCE
            and line is not None and line["status"] == "active")


def _scale(line: Mapping[str, Any]) -> str:
    """``scale:MIN-MAX`` from the lineItem's result range (MIN 0 when only MAX is given),
    else ``percent``."""
    low, high = _float(line["result_value_min"]), _float(line["result_value_max"])
    if high is None:
        return "percent"
    return f"scale:{low or 0:g}-{high:g}"


def _evidence_row(sid: str, row: Mapping[str, Any], line: Mapping[str, Any], objective: str,
                  raw: str, connection_id: int, score: Callable[..., float],
                  report: GradebookReport) -> dict[str, Any] | None:
    scale = _scale(line)
    try:
        value = score(raw, scale)
    except SkippableRecordError as exc:
        report.counts.skipped += 1
        if len(report.problems) < 200:
            report.problems.append(Problem(
                "results (learningObjectiveSet)", None, "score",
                f"result {sid!r}, objective {objective!r}: {exc}; that objective was "
                f"skipped"))
        return None
    return {"source_key": source_key(sid, objective), "connection_id": connection_id,
            "identity_link_id": None, "user_sourced_id": row["student_sourced_id"],
            "activity": (line["title"] or None) and str(line["title"])[:500],
            "skill_code": None, "standard": objective, "raw_score": raw[:100],
            "scale": scale, "score": value, "observed_at": _observed(row),
            "usage_minutes": None,
            "payload": {_PAYLOAD_RESULT: sid, "lineItem": line["sourced_id"]},
            "status": "active"}


def _observed(row: Mapping[str, Any]) -> str:
    for name in ("score_date", "date_last_modified"):
        if row[name]:
            try:
                return rec.read_time({name: row[name]}, name)
            except rec.FieldError:
                continue
    return utcnow()


def _pairs(row: Mapping[str, Any], old: Mapping[str, Any] | None) -> set[_Pair]:
    return {(r["user_sourced_id"], r["standard"]) for r in (row, old)
            if r is not None and r.get("user_sourced_id") and r.get("standard")}


def _unknown_problem(unknown: Mapping[str, int]) -> Problem:
    names = ", ".join(sorted(unknown)[:5])
    more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
    total = sum(unknown.values())
    return Problem("results (learningObjectiveSet)", None, "learningObjectiveId",
                   f"{total:,} result scores name {len(unknown):,} CASE learning objectives "
                   f"this tenant has not imported ({names}{more}) and were skipped; import "
                   f"the framework (`harbor standards import`) and sync the results again")


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _float(value: Any) -> float | None:
    try:
        return float(value) if _text(value) is not None else None
    except (TypeError, ValueError):
        return None
