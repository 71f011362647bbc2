"""The i-Ready Diagnostic results export (``diagnostic_results_ela.csv``,
``diagnostic_results_math.csv``): its columns with the spellings of other export years, and
the reading of one row into the tool streams (``toolAssessments``, ``toolPlacements``,
``toolEvidence``) as pure functions over rows keyed by canonical column names.

A cell that cannot be read is passed on as written rather than dropped, so the intake skips
that record and reports it with its file, line and field (a bad domain score is a skipped
``toolEvidence`` record; the assessment itself keeps the text in ``domains``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.assessment_files import Columns, read_date, school_year_of, window_of

__all__ = ["ASSESSMENT", "DOMAINS", "GROWTH_FIELDS", "SCALE", "Record", "columns_for",
           "levels_below", "mark_retests", "placement_grade", "placements", "read_row",
           "subject_of", "unique_keys"]

ASSESSMENT = "i-ready"
SCALE = "scale:100-800"
"""i-Ready Diagnostic scale scores run from 100 to 800 (the same scale in every grade)."""

DOMAINS: dict[str, tuple[str, ...]] = {
    "reading": ("Phonological Awareness", "Phonics", "High-Frequency Words", "Vocabulary",
                "Comprehension: Overall", "Comprehension: Literature",
                "Comprehension: Informational Text"),
    "math": ("Number and Operations", "Algebra and Algebraic Thinking",
             "Measurement and Data", "Geometry"),
}
"""The domains of each subject as the export names them (the ``skill_code`` of their
evidence, for the connection's crosswalk)."""

GROWTH_FIELDS: dict[str, tuple[str, ...]] = {
    # canonical (current export) name -> other years' spellings
    "Diagnostic Gain": ("Diagnostic Gain (Note: negative gains = zero. See Export Guide)",),
    "Annual Typical Growth Measure": ("Typical Growth Measure", "Annual Typical Growth"),
    "Annual Stretch Growth Measure": ("Stretch Growth Measure", "Annual Stretch Growth"),
    "Percent Progress to Annual Typical Growth (%)": ("Progress to Annual Typical Growth (%)",
                                                      "Percent Progress to Typical Growth"),
    "Percent Progress to Annual Stretch Growth (%)": ("Progress to Annual Stretch Growth (%)",
                                                      "Percent Progress to Stretch Growth"),
}
"""The vendor's growth fields, kept in ``vendor_growth`` under the current export's names
whatever the file spelled them."""
_FLAGS = {"Baseline Diagnostic (Y/N)": ("Baseline Diagnostic",),
          "Most Recent Diagnostic YTD (Y/N)": ("Most Recent Diagnostic YTD",)}
"""Kept in ``vendor_growth`` too, as ``Y``/``N``: the gain is measured from the baseline."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "student_id": ("Student ID", "StudentID"),
    "completion_date": ("Completion Date", "Diagnostic Completion Date"),
    "scale_score": ("Overall Scale Score", "Scale Score"),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "state_id": ("Student State ID", "State Student ID", "State ID"),
    "last_name": ("Last Name", "Student Last Name"),
    "first_name": ("First Name", "Student First Name"),
    "grade": ("Student Grade", "Grade"),
    "school": ("School", "School Name"),
    "user_name": ("User Name", "Username"),
    "academic_year": ("Academic Year", "School Year"),
    "start_date": ("Start Date", "Diagnostic Start Date"),
    "placement": ("Overall Placement", "Placement"),
    "relative_placement": ("Overall Relative Placement", "Relative Placement"),
    "percentile": ("Percentile", "Overall Percentile", "National Percentile"),
}
_MEASURES = (("lexile(?:measure)?", "lexile"), ("quantile(?:measure)?", "quantile"))
"""``Lexile Measure`` (older: ``Lexile``) and ``Quantile Measure``, read as patterns: a
pattern's column is in a row only when the header has it, which says the subject."""
_PARTS = (("scale_score", "Scale Score"), ("placement", "Placement"),
          ("relative_placement", "Relative Placement"))


def columns_for(subjects: Iterable[str] = ("reading", "math")) -> Columns:
    """The columns of the export (both subjects' domains by default: the subject is known
    once the header is read)."""
    optional: dict[str, tuple[str, ...]] = dict(_OPTIONAL)
    for name, spellings in {**GROWTH_FIELDS, **_FLAGS}.items():
        optional[f"growth:{name}"] = (name, *spellings)
    for subject in subjects:
        for domain in DOMAINS[subject]:
            for part, suffix in _PARTS:
                optional[f"domain:{domain}:{part}"] = (f"{domain} {suffix}",)
    return Columns(required=_REQUIRED, optional=optional, patterns=_MEASURES)


def subject_of(file_name: str, columns: Iterable[str]) -> tuple[str | None, str]:
    """The subject of an export (``reading`` or ``math``) from its Lexile or Quantile
    column (``columns``: the canonical names its header resolved to) and its name, or None
    with the reason a person can act on."""
    present = set(columns)
    by_column = {s for s, col in (("reading", "lexile"), ("math", "quantile")) if col in present}
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
    by_name = {s for s, words in (("reading", ("ela", "reading", "literacy")),
                                  ("math", ("math",)))
               if any(re.search(rf"(?<![a-z]){w}(?![a-z])", base) for w in words)}
    if len(by_column) == 1 and by_name and by_name != by_column:
        return None, (f"its name says {'/'.join(sorted(by_name))} but it has a "
                      f"{'Lexile' if 'reading' in by_column else 'Quantile'} Measure column; "
                      f"check the file is the export its name says")
    found = by_column if len(by_column) == 1 else by_name
    if len(found) == 1:
        return next(iter(found)), ""
    return None, ("neither a Lexile Measure column (ELA) nor a Quantile Measure column (math) "
                  "nor the file's name says the subject; name the file "
                  "diagnostic_results_ela.csv or diagnostic_results_math.csv")


_PLACEMENT = re.compile(r"^(?:(?:early|mid|late)(?:\s+on)?\s+)?(?:(?:grade|level)\s+)?"
                        r"(k|kg|\d{1,2})$", re.I)


def placement_grade(text: str | None) -> str | None:
    """A placement as a grade code: ``Grade 3`` -> ``03``, ``Early On Grade 2`` -> ``02``,
    ``Mid 4`` -> ``04``, ``Late K`` and ``Level K`` -> ``KG``; None for what is no grade
    (``Surpassed Level``, ``Max Score``, ``Not Assessed``)."""
    if text is None:
        return None
    match = _PLACEMENT.match(text.strip())
    if match is None:
        return None
    grade = match.group(1).upper()
    if grade in ("K", "KG"):
        return "KG"
    number = int(grade)
    return f"{number:02d}" if number <= 12 else None


_BELOW = re.compile(r"^(\d+)\s+(?:or\s+more\s+)?grade\s+levels?\s+below$", re.I)


def levels_below(relative: str | None) -> int | None:
    """Grade levels below from a relative placement (``2 Grade Levels Below`` -> 2, ``3 or
    More Grade Levels Below`` -> 3, ``Early On Grade Level`` -> 0); None when unknown."""
    if relative is None:
        return None
    text = " ".join(relative.split())
    match = _BELOW.match(text)
    if match is not None:
        return int(match.group(1))
    lowered = text.lower()
    if "grade level" in lowered and "below" not in lowered:
        return 0  # Early On, Mid or Above, Late On, Above Grade Level
    return None


def _number(text: str | None) -> float | int | str | None:
    """A number as a number (whole numbers as int), or the text as written."""
    if text is None:
        return None
    raw = text.strip().rstrip("%").replace(",", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


@dataclass(slots=True)
class Record:
    """One export row read: its ``toolAssessments`` row and the evidence of its domains."""

    line: int
    assessment: dict[str, Any]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    struggling: bool | None = None


def read_row(row: Mapping[str, str | None], line: int, subject: str, *,
             learner_id_kind: str = "sis_id", cells: Mapping[str, str] | None = None,
             ) -> Record:
    """One export row (canonical column -> cell, nulls already None) as a :class:`Record`.

    ``cells`` (the row as written, by the file's header) is kept as the ``payload``.
    Growth measure is True here; :func:`mark_retests` sets it for the file."""
    student = row.get("student_id")
    completed = row.get("completion_date")
    day = read_date(completed) if completed else None
    administered = day.isoformat() if day is not None else completed
    window = school_year = None
    if day is not None:
        found = window_of(day.isoformat())
        if found is not None:
            window, school_year = found
    year_text = row.get("academic_year")
    if year_text:
        school_year = school_year_of(year_text) or school_year
    grade_text = row.get("grade")
    attributes = {k: v for k, v in (
        ("state_id", row.get("state_id")), ("given_name", row.get("first_name")),
        ("family_name", row.get("last_name")), ("user_name", row.get("user_name")),
        ("grade", grade_text), ("school", row.get("school"))) if v}
    key = f"{student}:{subject}:{administered}"
    relative = row.get("relative_placement")
    domains: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for domain in DOMAINS[subject]:
        parts = {part: row.get(f"domain:{domain}:{part}") for part, _ in _PARTS}
        if not any(parts.values()):
            continue
        entry: dict[str, Any] = {"name": domain}
        score = _number(parts["scale_score"])
        if score is not None:
            entry["scale_score"] = score
        if parts["placement"]:
            entry["placement"] = parts["placement"]
        if parts["relative_placement"]:
            entry["relative_placement"] = parts["relative_placement"]
        domains.append(entry)
        if score is not None:
            evidence.append({
                "source_key": f"{key}:{domain}", "learner": student,
                "learner_id_kind": learner_id_kind, "learner_attributes": attributes,
                "activity": f"i-Ready Diagnostic {'ELA' if subject == 'reading' else 'Math'}",
                "skill_code": domain, "raw_score": score if isinstance(score, str)
                else str(score), "scale": SCALE, "observed_at": administered,
                "payload": {k: v for k, v in entry.items() if k != "name"}})
    growth = {name.removeprefix("growth:"): _number(value) if name.removeprefix(
        "growth:") in GROWTH_FIELDS else value
        for name, value in row.items() if name.startswith("growth:") and value is not None}
    assessment = {
        "source_key": key, "learner": student, "learner_id_kind": learner_id_kind,
        "learner_attributes": attributes, "assessment": ASSESSMENT, "subject": subject,
        "school_year": school_year, "window": window, "administered_at": administered,
        "growth_measure": True, "grade": _grade(grade_text),
        "scale_score": _number(row.get("scale_score")),
        "percentile": _number(row.get("percentile")),
        "performance_level": relative,
        "grade_placement": placement_grade(row.get("placement")),
        "lexile": row.get("lexile") if subject == "reading" else None,
        "quantile": row.get("quantile") if subject == "math" else None,
        "domains": domains or None, "vendor_growth": growth or None,
        "payload": dict(cells) if cells is not None else
        {k: v for k, v in row.items() if v is not None},
    }
    below = levels_below(relative)
    return Record(line, {k: v for k, v in assessment.items() if v is not None}, evidence,
                  None if below is None else below >= 2)


def _grade(text: str | None) -> str | None:
    if text is None:
        return None
    upper = text.strip().upper()
    if upper in ("K", "KG", "KINDERGARTEN"):
        return "KG"
    return f"{int(upper):02d}" if upper.isdigit() and int(upper) <= 13 else text


def mark_retests(records: Sequence[Record]) -> None:
    """Retests in one window: only the latest completed counts for growth (the later row
    of the file on a tie); the others get ``growth_measure`` False."""
    latest: dict[tuple[Any, ...], Record] = {}
    for record in records:
        a = record.assessment
        group = (a.get("learner"), a.get("subject"), a.get("school_year"), a.get("window"))
        kept = latest.get(group)
        if kept is None or str(a.get("administered_at")) >= str(
                kept.assessment.get("administered_at")):
            latest[group] = record
    chosen = {id(r) for r in latest.values()}
    for record in records:
        record.assessment["growth_measure"] = id(record) in chosen


def unique_keys(records: Sequence[Record]) -> None:
    """Two tests of one learner and subject completed the same day share a key; the second
    and later (in file order) get ``#2``, ``#3`` (and so do their domains' evidence)."""
    seen: dict[str, int] = {}
    for record in records:
        key = record.assessment["source_key"]
        n = seen[key] = seen.get(key, 0) + 1
        if n > 1:
            record.assessment["source_key"] = f"{key}#{n}"
            for ev in record.evidence:
                ev["source_key"] = ev["source_key"].replace(key, f"{key}#{n}", 1)


def placements(records: Iterable[Record]) -> list[tuple[int, dict[str, Any]]]:
    """One ``toolPlacements`` row per learner and subject: the latest test's overall
    placement, struggling when two or more grade levels below."""
    latest: dict[tuple[Any, ...], Record] = {}
    for record in records:
        a = record.assessment
        if "grade_placement" not in a or not a.get("learner"):
            continue
        group = (a["learner"], a.get("subject"))
        kept = latest.get(group)
        if kept is None or str(a.get("administered_at")) >= str(
                kept.assessment.get("administered_at")):
            latest[group] = record
    out = []
    for record in sorted(latest.values(), key=lambda r: r.line):
        a = record.assessment
        row = {"learner": a["learner"], "learner_id_kind": a["learner_id_kind"],
               "learner_attributes": a.get("learner_attributes"), "subject": a["subject"],
               "grade_level": a["grade_placement"], "observed_at": a["administered_at"]}
        if record.struggling is not None:
            row["struggling"] = record.struggling
        out.append((record.line, row))
    return out
