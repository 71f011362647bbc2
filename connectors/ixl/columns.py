"""The columns of IXL diagnostic and progress exports: who the student is, the date the
levels are as of, and per subject the diagnostic level, growth, percentile, tier and strand
levels, whatever the year's spelling of a header.

Per-subject columns end in the subject (``Current diagnostic level - Math``, ``Diagnostic
growth - ELA``); IXL has written the language arts subject ``ELA``, ``Language arts`` and
``Reading``, all read as the ``reading`` subject. Any other ``<name> - <subject>`` column
that is not a usage count (time spent, questions answered, skills ...) is a strand level,
kept under its header as written (``Number and operations - Math``) so a crosswalk can name
it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.assessment_files import Columns, normalize_header
from gateway.errors import Problem, SourceDataError

__all__ = ["FILE_COLUMNS", "STRAND", "SUBJECTS", "IxlColumns", "strand_name",
           "subject_column", "vendor_name"]

SUBJECTS: dict[str, tuple[str, ...]] = {
    "math": ("math", "mathematics"),
    "reading": ("ela", "languagearts", "englishlanguagearts", "reading"),
}
"""Our subject -> the normalized header endings IXL has used for it, preferred first."""

_LABEL = {"math": "Math", "reading": "ELA"}
"""How the documented header names each subject (``Diagnostic growth - ELA``)."""

# A per-subject measure: our key -> normalized header beginnings, preferred first.
_MEASURES: dict[str, tuple[str, ...]] = {
    "level": ("currentdiagnosticlevel", "diagnosticlevel", "currentlevel", "overalllevel"),
    "growth": ("diagnosticgrowth", "growth"),
    "start": ("startingdiagnosticlevel", "startinglevel", "initialdiagnosticlevel"),
    "percentile": ("percentile", "nationalpercentile", "overallpercentile"),
    "tier": ("tier", "overalltier"),
}
VENDOR_NAMES = {"growth": "Diagnostic growth - {}", "start": "Starting diagnostic level - {}"}
"""The ``vendor_growth`` key of a measure, in the documented spelling whatever the file's."""

# ``<name> - <subject>`` columns that are not strand levels (progress exports' usage).
_NOT_STRANDS = re.compile(r"time|minute|hour|question|skill|session|smartscore|award|"
                          r"date|score|percent|rank|count|assigned|practiced")

FILE_COLUMNS = Columns(
    required={"student_id": ("Student ID", "Student Id", "StudentID", "Student number"),
              "date": ("Last diagnostic date", "Date", "As of", "As of date",
                       "Diagnostic date")},
    optional={"student": ("Student", "Student name", "Name"),
              "first_name": ("First name",), "last_name": ("Last name",),
              "grade": ("Grade", "Grade level"), "school": ("School", "School name"),
              "email": ("Email", "Email address", "Student email"),
              "username": ("Username", "IXL username"),
              "state_id": ("State ID", "Student state ID", "State student ID"),
              "class": ("Class", "Classroom"), "teacher": ("Teacher",),
              "overall_percentile": ("Overall percentile", "Percentile",
                                     "National percentile"),
              "overall_tier": ("Overall tier", "Tier")},
)


def subject_column(measure: str, subject: str) -> str:
    """The canonical name of a per-subject column: ``level:math``."""
    return f"{measure}:{subject}"


STRAND = "strand:"
"""Canonical names of strand columns: ``strand:math:Number and operations - Math``."""


@dataclass(frozen=True)
class IxlColumns(Columns):
    """:data:`FILE_COLUMNS` plus the per-subject and strand columns, found from the file's
    own header; a file must have a diagnostic level for at least one subject."""

    required: dict[str, Sequence[str]] = field(
        default_factory=lambda: dict(FILE_COLUMNS.required))
    optional: dict[str, Sequence[str]] = field(
        default_factory=lambda: dict(FILE_COLUMNS.optional))

    def resolve(self, header: Sequence[str], source: str) -> dict[int, str]:
        taken = super().resolve(header, source)
        found: dict[str, tuple[int, int]] = {}  # canonical -> (preference, index)
        strands: dict[int, str] = {}
        for index, text in enumerate(header):
            if index in taken:
                continue
            norm = normalize_header(text)
            split = _split(norm)
            if split is None:
                continue
            subject, ending_rank, stem = split
            for measure, stems in _MEASURES.items():
                if stem in stems:
                    rank = ending_rank * 10 + stems.index(stem)
                    key = subject_column(measure, subject)
                    if key not in found or rank < found[key][0]:
                        found[key] = (rank, index)
                    break
            else:
                if stem and not _NOT_STRANDS.search(stem):
                    strands[index] = f"{STRAND}{subject}:{strand_name(text, subject)}"
        if not any(k.startswith("level:") for k in found):
            shown = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
            raise SourceDataError(
                f"{source}: the header has no diagnostic level column (such as "
                f"'Current diagnostic level - Math' or 'Current diagnostic level - ELA'); "
                f"nothing of this file was read. The header has: {shown}",
                [Problem(source, 1, "Current diagnostic level - Math",
                         "required column 'Current diagnostic level - <subject>' is missing "
                         "from the header; export IXL's diagnostic report with the students' "
                         "levels (Analytics > Diagnostic), or check this is an IXL export")])
        taken.update({index: key for key, (_, index) in found.items()})
        taken.update(strands)
        return dict(sorted(taken.items()))


def _split(norm: str) -> tuple[str, int, str] | None:
    """(subject, how preferred its spelling is, the rest) of a per-subject header."""
    best: tuple[str, int, str] | None = None
    for subject, endings in SUBJECTS.items():
        for rank, ending in enumerate(endings):
            # The longest matching ending wins ("englishlanguagearts" over "languagearts").
            if (norm.endswith(ending) and len(norm) > len(ending)
                    and (best is None or len(ending) > len(norm) - len(best[2]))):
                best = (subject, rank, norm[:-len(ending)])
    return best


_SUFFIX = re.compile(r"[\s\-\u2013:_()]*(mathematics|math|english language arts|"
                     r"language arts|ela|reading)[\s)]*$", re.I)


def strand_name(header: str, subject: str) -> str:
    """A strand column's name as IXL writes the strand, with the subject in its documented
    spelling, so a strand keeps its skill code when a year's export renames the subject:
    ``Vocabulary - Language arts`` -> ``Vocabulary - ELA`` (and ``VOCABULARY - ELA`` too)."""
    name = _SUFFIX.sub("", header.strip()).strip()
    if name.isupper() or name.islower():  # an export that shouts: IXL's own sentence case
        name = name[:1].upper() + name[1:].lower()
    return f"{name} - {_LABEL[subject]}"


def vendor_name(measure: str, subject: str) -> str:
    """``Diagnostic growth - Math``, ``Diagnostic growth - ELA``."""
    return VENDOR_NAMES[measure].format(_LABEL[subject])
