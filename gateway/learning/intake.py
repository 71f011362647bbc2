"""The intake of tool records: each ``toolEvidence``, ``toolInterventions``,
``toolPlacements`` and ``toolAssessments`` row gets its learner (identity links), its
standard (the crosswalk) and its normalized score (the scales), and is upserted by its key;
the mastery of the (learner, standard) pairs a run touched is recomputed when the run's part
ends. Assessment results are kept as reported (docs/assessments.md); growth reads them.

A record that cannot be used (no key, a score its scale cannot read, a time that is no
time) is skipped, counted and reported with its position; the rest of the pull goes on and
nothing stored is lost. A record whose learner no rule decides is kept with no user and its
identity link, so an admin's confirmation later gives it one (docs/learning.md, "Intake").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.abc import Batch, Mode
from gateway.clock import utcnow
from gateway.engine.apply import StreamCounts
from gateway.errors import Problem, SafeguardTripped, SkippableRecordError
from gateway.identity import IdentityLink, IdentityResolver, IdentityRules, LearnerRef, relink
from gateway.identity.links import LinkCounts
from gateway.learning import records as rec
from gateway.learning.store import Upserted, soft_delete_missing, upsert_keyed, upsert_placements
from gateway.store.learning_tables import assessment_results, evidence, interventions

__all__ = ["MIN_STRENGTH", "CrosswalkLookup", "IntakeReport", "Normalize", "Recompute",
           "ToolIntake"]

CrosswalkLookup = Callable[[sa.Connection, int, str, Iterable[str]],
                           Mapping[str, Sequence[tuple[str, float]]]]
"""``Crosswalk.lookup_many(conn, tenant_id, system, codes)``: per code, (standard,
strength) strongest first."""
Normalize = Callable[..., float]
"""``gateway.mastery.scales.normalize(raw, scale, *, learner_grade=None)``; raises
SkippableRecordError for a value its scale cannot read."""
Recompute = Callable[[sa.Connection, int, Iterable[tuple[str, str]]], object]
"""``gateway.mastery.recompute(conn, tenant_id, pairs)``."""

MIN_STRENGTH = 0.5
"""Crosswalk alignments weaker than this do not make a record evidence of the standard."""
_KEPT_PROBLEMS = 200
_Pair = tuple[str, str]
_KEYED = {rec.TOOL_EVIDENCE: evidence, rec.TOOL_INTERVENTIONS: interventions,
          rec.TOOL_ASSESSMENTS: assessment_results}
"""The streams upserted by (tenant, system, source_key), and their tables."""
_BULK = {rec.TOOL_EVIDENCE: "evidence records", rec.TOOL_ASSESSMENTS: "assessment results"}
"""The streams whose bulk pull withdraws what it no longer sends (what they are called)."""
_STATUSES = ("active", "tobedeleted")


@dataclass(slots=True)
class IntakeReport:
    counts: dict[str, StreamCounts] = field(default_factory=dict)
    links: LinkCounts = field(default_factory=LinkCounts)
    unresolved: int = 0
    """Records stored with no user: their learner's link waits for review."""
    problems: list[Problem] = field(default_factory=list)
    problem_total: int = 0
    recomputed: int = 0
    """(learner, standard) pairs whose mastery was recomputed."""


def _grade_level_pending(scale: str | None) -> bool:
    # A grade-level equivalent is scored against the learner's grade: while the learner is
    # unknown the score waits (relink scores it once the link is confirmed).
    return scale is not None and scale.strip() == "grade-level"


class ToolIntake:
    """The tool rows of one run part (one transaction), for one connection."""

    def __init__(self, conn: sa.Connection, tenant_id: int, connection_id: int | None,
                 system: str, rules: IdentityRules | None = None, *,
                 crosswalk_lookup: CrosswalkLookup, normalize: Normalize,
                 recompute: Recompute, resolver: IdentityResolver | None = None,
                 min_strength: float = MIN_STRENGTH, max_delete_share: float = 0.2,
                 approve_deletions: bool = False) -> None:
        self.conn = conn
        self.tenant_id = tenant_id
        self.connection_id = connection_id
        self.system = system
        self.resolver = resolver or IdentityResolver(tenant_id, system, rules)
        self.rules = self.resolver.rules
        self.crosswalk_lookup = crosswalk_lookup
        self.normalize = normalize
        self.recompute = recompute
        self.min_strength = min_strength
        self.max_delete_share = max_delete_share
        self.approve_deletions = approve_deletions
        self.now = utcnow()
        self.report = IntakeReport()
        self.pairs: set[_Pair] = set()
        self.growth_users: set[str] = set()
        """Learners whose assessment results this part changed (their growth is recomputed)."""
        self._standards: dict[str, str | None] = {}
        self._relinked: set[int] = set()
        self._bulk_seen: dict[str, set[str]] = {}
        self._links_before = _copy(self.resolver.counts)

    # taking batches ------------------------------------------------------------------------

    def feed(self, batch: Batch) -> None:
        """Take one batch of a tool stream (``batch.rows`` are mappings of the fields of
        :data:`gateway.learning.records.FIELDS`)."""
        parse = {rec.TOOL_EVIDENCE: self._evidence, rec.TOOL_INTERVENTIONS: self._intervention,
                 rec.TOOL_PLACEMENTS: self._placement,
                 rec.TOOL_ASSESSMENTS: self._assessment}[batch.stream]
        parsed: list[tuple[int | None, dict[str, Any], LearnerRef]] = []
        for i, sent in enumerate(batch.rows):
            line: int | None = batch.lines[i] if i < len(batch.lines) else i + 1
            try:
                if not isinstance(sent, Mapping):
                    raise rec.FieldError("", "the record is not an object of named fields")
                # An export's "--" or "N/A" is no value, not a bad one.
                row = (rec.without_null_cells(sent) if batch.stream == rec.TOOL_ASSESSMENTS
                       else sent)
                parsed.append((line, parse(row), self._learner(row)))
            except rec.FieldError as exc:
                self._skip(batch, line, exc.field or None, str(exc))
        links = self.resolver.resolve_many(self.conn, [ref for _, _, ref in parsed])
        self._follow_moved_links()
        rows: list[dict[str, Any]] = []
        for line, values, ref in parsed:
            link = links[ref.external_id]
            values.update(identity_link_id=link.id, user_sourced_id=link.user_sourced_id)
            try:
                if batch.stream == rec.TOOL_EVIDENCE:
                    self._score(values, link)
            except SkippableRecordError as exc:
                self._skip(batch, line, "raw_score", str(exc))
                continue
            if link.user_sourced_id is None:
                self.report.unresolved += 1
            if batch.stream != rec.TOOL_PLACEMENTS:
                values["connection_id"] = self.connection_id
            rows.append(values)
        if batch.stream in (rec.TOOL_EVIDENCE, rec.TOOL_INTERVENTIONS):
            self._align(rows)
        self._write(batch, rows)

    def _skip(self, batch: Batch, line: int | None, column: str | None, message: str) -> None:
        self.report.problem_total += 1
        self._counts(batch.stream).skipped += 1
        if len(self.report.problems) < _KEPT_PROBLEMS:
            self.report.problems.append(Problem(
                f"{batch.source} ({batch.stream})", line, column,
                f"{message}; the record was skipped, the rest of the pull was applied"))

    def _counts(self, stream: str) -> StreamCounts:
        return self.report.counts.setdefault(stream, StreamCounts())

    # reading records -----------------------------------------------------------------------

    def _learner(self, row: Mapping[str, Any]) -> LearnerRef:
        learner = rec.required_text(row, "learner")
        kind = rec.read_text(row, "learner_id_kind", 30) or self.rules.learner_id_kind
        if kind is None:
            raise rec.FieldError("learner_id_kind", "the record does not say which id kind "
                                 "its learner is; set learner_id_kind in the mapping or its "
                                 "identity section")
        if kind not in rec.ID_KINDS:
            raise rec.FieldError("learner_id_kind", f"{kind!r} is not an id kind; use one "
                                 f"of {', '.join(rec.ID_KINDS)}")
        attributes = row.get("learner_attributes")
        return LearnerRef(learner, kind, attributes if isinstance(attributes, Mapping)
                          else None)

    @staticmethod
    def _status(row: Mapping[str, Any]) -> str:
        status = (rec.read_text(row, "status", 12) or "active").lower()
        if status not in _STATUSES:
            raise rec.FieldError("status", f"status {status!r} is neither active nor "
                                           f"tobedeleted")
        return status

    def _evidence(self, row: Mapping[str, Any]) -> dict[str, Any]:
        status = self._status(row)
        raw = row.get("raw_score")
        raw_text = rec.read_text(row, "raw_score", 100) if not isinstance(raw, bool) else None
        if isinstance(raw, bool):
            raise rec.FieldError("raw_score", f"raw score {raw!r} is not a score")
        scale = rec.read_text(row, "scale", 100)
        if raw_text is not None and scale is None:
            raise rec.FieldError("scale", f"raw score {raw_text!r} comes without a scale; "
                                          f"give the mapping's scale")
        payload = row.get("payload")
        return {"source_key": rec.required_text(row, "source_key"),
                "activity": rec.read_text(row, "activity", 500),
                "skill_code": rec.read_text(row, "skill_code"),
                "standard": rec.read_text(row, "standard", 100),
                "raw_score": raw_text, "scale": scale,
                "observed_at": rec.read_time(row, "observed_at"),
                "usage_minutes": rec.read_float(row, "usage_minutes"),
                "payload": payload if isinstance(payload, Mapping | list) else None,
                "status": status}

    def _intervention(self, row: Mapping[str, Any]) -> dict[str, Any]:
        kind = rec.required_text(row, "kind", 30).lower().replace("_", "-").replace(" ", "-")
        if kind not in rec.INTERVENTION_KINDS:
            raise rec.FieldError("kind", f"intervention kind {kind!r} is not one of "
                                         f"{', '.join(rec.INTERVENTION_KINDS)}")
        return {"source_key": rec.required_text(row, "source_key"), "kind": kind,
                "skill_code": rec.read_text(row, "skill_code"),
                "standard": rec.read_text(row, "standard", 100),
                "given_by": rec.read_text(row, "given_by"),
                "started_at": rec.read_time(row, "started_at"),
                "minutes": rec.read_float(row, "minutes"),
                "notes": rec.read_text(row, "notes", 5000)}

    def _placement(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {"subject": rec.required_text(row, "subject", 100),
                "grade_level": rec.read_grade(row, "grade_level"),
                "struggling": rec.read_bool(row, "struggling"),
                "observed_at": rec.read_time(row, "observed_at")}

    def _assessment(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """One administration, every field read (null cells already left out), so a bad
        one skips the record naming the field; the export's row is kept as ``payload``."""
        assessment = rec.required_text(row, "assessment", 30).lower().replace(" ", "-")
        percentile = rec.read_float(row, "percentile")
        if percentile is not None and not 0 <= percentile <= 100:
            raise rec.FieldError("percentile", f"percentile {percentile:g} is not between 0 "
                                               f"and 100")
        error = rec.read_float(row, "standard_error")
        if error is not None and error < 0:
            raise rec.FieldError("standard_error", f"standard error {error:g} is negative")
        growth = rec.read_bool(row, "growth_measure")
        payload = row.get("payload")
        return {"source_key": rec.required_text(row, "source_key"),
                "assessment": assessment, "subject": rec.read_subject(row),
                "school_year": rec.read_school_year(row), "window": rec.read_window(row),
                "administered_at": rec.read_time(row, "administered_at"),
                "growth_measure": True if growth is None else growth,
                "grade": rec.read_grade(row, "grade"),
                "scale_score": rec.read_float(row, "scale_score"),
                "standard_error": error, "percentile": percentile,
                "performance_level": rec.read_text(row, "performance_level", 100),
                "grade_placement": rec.read_placement(row, "grade_placement"),
                "grade_equivalent": rec.read_text(row, "grade_equivalent", 10),
                "lexile": rec.read_text(row, "lexile", 20),
                "quantile": rec.read_text(row, "quantile", 20),
                "domains": rec.read_domains(row),
                "vendor_growth": rec.read_json_object(row, "vendor_growth"),
                "payload": payload if isinstance(payload, Mapping | list) else None,
                "status": self._status(row)}

    def _score(self, values: dict[str, Any], link: IdentityLink) -> None:
        raw, scale, user = values["raw_score"], values["scale"], link.user_sourced_id
        values["score"] = None
        if raw is None or values["status"] != "active":
            return
        if user is None and _grade_level_pending(scale):
            return
        grade = self.resolver.roster(self.conn).grade(user) if user else None
        values["score"] = self.normalize(raw, scale, learner_grade=grade)

    def _align(self, rows: list[dict[str, Any]]) -> None:
        """Each row's standard: its own, else its skill code's strongest alignment at or above
        :attr:`min_strength` (one observation counts once, for the standard it best fits)."""
        codes = {r["skill_code"] for r in rows if r["standard"] is None and r["skill_code"]}
        missing = [c for c in codes if c not in self._standards]
        if missing:
            found = self.crosswalk_lookup(self.conn, self.tenant_id, self.system, missing)
            for code in missing:
                strong = [s for s, strength in found.get(code, ()) if strength >= self.min_strength]
                self._standards[code] = strong[0] if strong else None
        for row in rows:
            if row["standard"] is None and row["skill_code"]:
                row["standard"] = self._standards[row["skill_code"]]

    # writing -------------------------------------------------------------------------------

    def _write(self, batch: Batch, rows: list[dict[str, Any]]) -> None:
        if batch.stream == rec.TOOL_PLACEMENTS:
            done = upsert_placements(self.conn, self.tenant_id, self.system, rows)
        else:
            done = upsert_keyed(self.conn, _KEYED[batch.stream], self.tenant_id, self.system,
                                rows, now=self.now)
        if batch.stream in _BULK and batch.mode is Mode.BULK:
            self._bulk_seen.setdefault(batch.stream, set()).update(
                r["source_key"] for r in rows)
            if batch.last:
                self._withdraw_missing(batch)
        if batch.stream == rec.TOOL_EVIDENCE:
            self._touch(rows, done.before)
        if batch.stream == rec.TOOL_ASSESSMENTS and (done.added or done.updated
                                                     or done.deleted):
            self.growth_users.update(
                r["user_sourced_id"] for r in (*rows, *done.before) if r.get("user_sourced_id"))
        self._add(batch.stream, done)

    def _add(self, stream: str, done: Upserted) -> None:
        counts = self._counts(stream)
        counts.added += done.added
        counts.updated += done.updated
        counts.unchanged += done.unchanged
        counts.deleted += done.deleted
        counts.skipped += done.skipped

    def _touch(self, rows: Iterable[Mapping[str, Any]],
               before: Iterable[Mapping[str, Any]]) -> None:
        for row in (*rows, *before):
            if row.get("user_sourced_id") and row.get("standard"):
                self.pairs.add((row["user_sourced_id"], row["standard"]))

    def _withdraw_missing(self, batch: Batch) -> None:
        """A bulk evidence or assessment stream is the tool's whole record: stored rows it
        no longer sends are withdrawn, unless that is more than the safeguard allows."""
        seen = self._bulk_seen.pop(batch.stream, set())
        table, what = _KEYED[batch.stream], _BULK[batch.stream]
        gone, active = soft_delete_missing(self.conn, self.tenant_id, self.system, seen,
                                           dry=True, table=table)
        if (gone and not self.approve_deletions and active
                and len(gone) > self.max_delete_share * active):
            noun = "evidence" if batch.stream == rec.TOOL_EVIDENCE else "assessment results"
            raise SafeguardTripped(
                f"{self.system}: the bulk {noun} from {batch.source} would withdraw "
                f"{len(gone):,} of {active:,} stored {what} (more than "
                f"{self.max_delete_share:.0%}); check the tool's export, or run again "
                f"approving the deletions", stream=batch.stream, would_delete=len(gone),
                active=active)
        soft_delete_missing(self.conn, self.tenant_id, self.system, seen, table=table,
                            now=self.now)
        self._counts(batch.stream).deleted += len(gone)
        if batch.stream == rec.TOOL_EVIDENCE:
            self._touch(gone, ())

    def _follow_moved_links(self) -> None:
        """Links whose user changed in this run (a match found after the roster was fixed,
        a user no longer active) take their stored rows along."""
        roster = self.resolver.roster(self.conn)
        for link_id, (_, user) in self.resolver.moved.items():
            if link_id in self._relinked:
                continue
            self._relinked.add(link_id)
            self.pairs |= relink(self.conn, self.tenant_id, link_id, user,
                                 normalize=self.normalize, grade=roster.grade)

    def finish(self) -> IntakeReport:
        """Recompute the mastery of every (learner, standard) pair this part touched, and
        say what the part did."""
        if self.pairs:
            self.recompute(self.conn, self.tenant_id, sorted(self.pairs))
        self.report.recomputed = len(self.pairs)
        if self.growth_users:  # their results changed: so may their growth
            from gateway.assessments.growth import recompute_growth

            recompute_growth(self.conn, self.tenant_id, sorted(self.growth_users))
        now, was = self.resolver.counts, self._links_before
        self.report.links = LinkCounts(now.added - was.added, now.updated - was.updated,
                                       now.unchanged - was.unchanged, now.waiting - was.waiting)
        return self.report


def _copy(counts: LinkCounts) -> LinkCounts:
    return LinkCounts(counts.added, counts.updated, counts.unchanged, counts.waiting)
