"""The intake on its own, with small stand-ins for the crosswalk, the scales and the mastery
recompute it is given: which standard a record is evidence of, what it counts and reports,
and which (learner, standard) pairs it hands to the recompute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from gateway.abc import Batch, Mode
from gateway.errors import SkippableRecordError
from gateway.learning.intake import ToolIntake
from gateway.store.learning_tables import evidence
from gateway.store.store import Store
from gateway.store.tables import stream_tables

CROSSWALK = {"MIX": [("std-strong", 0.9), ("std-other", 0.8)], "WEAK": [("std-weak", 0.2)]}


def crosswalk(conn: sa.Connection, tenant_id: int, system: str,
              codes: Iterable[str]) -> Mapping[str, Sequence[tuple[str, float]]]:
    return {c: CROSSWALK[c] for c in codes if c in CROSSWALK}


def normalize(raw: str, scale: str, *, learner_grade: str | None = None) -> float:
    if not raw.isdigit():
        raise SkippableRecordError(f"raw score {raw!r} is not a number on scale {scale!r}")
    return int(raw) / 100


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, conn: sa.Connection, tenant_id: int,
                 pairs: Iterable[tuple[str, str]]) -> None:
        self.calls.append(list(pairs))


def _intake(conn: sa.Connection, tenant_id: int, recompute: Recorder) -> ToolIntake:
    return ToolIntake(conn, tenant_id, None, "tool", None, crosswalk_lookup=crosswalk,
                      normalize=normalize, recompute=recompute)


def _batch(*rows: dict[str, Any]) -> Batch:
    return Batch("toolEvidence", Mode.DELTA, "feed", list(rows),  # type: ignore[arg-type]
                 list(range(1, len(rows) + 1)), last=True)


def _record(key: str, learner: str, code: str, raw: str = "70") -> dict[str, Any]:
    return {"source_key": key, "learner": learner, "learner_id_kind": "sis_id",
            "skill_code": code, "raw_score": raw, "scale": "percent",
            "observed_at": "2026-11-02T08:00:00Z"}


def test_the_strongest_alignment_counts_and_a_weak_one_none(sqlite_store: Store) -> None:
    tid = sqlite_store.ensure_tenant("district").id
    with sqlite_store.engine.begin() as conn:
        conn.execute(stream_tables["users"].insert().values(
            tenant_id=tid, sourced_id="stu-1", status="active",
            date_last_modified="2026-01-01T00:00:00.000Z", version=1, content_hash=0,
            connection_id=0))
        recompute = Recorder()
        intake = _intake(conn, tid, recompute)
        intake.feed(_batch(_record("a", "stu-1", "MIX"), _record("b", "stu-1", "WEAK"),
                           _record("c", "stranger", "MIX"), _record("d", "stu-1", "MIX", "x"),
                           "not a record"))  # type: ignore[arg-type]
        report = intake.finish()
        stored = dict(conn.execute(sa.select(evidence.c.source_key, evidence.c.standard)).all())
    assert stored == {"a": "std-strong", "b": None, "c": "std-strong"}
    assert recompute.calls == [[("stu-1", "std-strong")]]
    counts = report.counts["toolEvidence"]
    assert (counts.added, counts.skipped) == (3, 2)
    assert report.unresolved == 1 and report.recomputed == 1
    assert (report.links.added, report.links.waiting) == (2, 1)
    assert sorted((p.line, p.column) for p in report.problems) == [(4, "raw_score"),
                                                                   (5, None)]
    assert report.problems[0].source == "feed (toolEvidence)"
