"""Matching an export's header to the columns a vendor connector reads, whatever the year's
spelling: case, spaces, underscores, hyphens and punctuation are ignored, and each column
may have several accepted names (vendors rename columns between export versions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.errors import Problem, SourceDataError

__all__ = ["NULLS", "Columns", "cell", "normalize_header"]

NULLS = frozenset({"", "--", "N/A", "NA"})
"""Cells (stripped, compared upper-cased) that mean "no value" in vendor exports."""

_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalize_header(text: str) -> str:
    """The header's letters and digits, lower-cased: ``"Test RIT Score"`` and
    ``"test_rit-score"`` both give ``"testritscore"``; a BOM or stray quotes vanish too."""
    return _NOT_ALNUM.sub("", text.replace("\ufeff", "")).lower()


def cell(text: str) -> str | None:
    """A cell as the connector should see it: stripped, None when it means no value."""
    value = text.strip()
    return None if value.upper() in NULLS else value


@dataclass(frozen=True)
class Columns:
    """The columns one kind of export file must and may have.

    ``required`` and ``optional`` map a canonical name (what the connector calls the column)
    to the header spellings accepted for it, most preferred first: a file holding two of
    them is read from the first. ``patterns`` are ``(regex, template)`` pairs for families
    of columns (MAP's growth block per term pair, ``Goal1RitScore`` ...): the regex must
    match the whole normalized header and the template (``re.Match.expand``: ``\\1``,
    ``\\g<name>``) gives the canonical name. A header claimed by a required or optional
    column is not offered to the patterns.
    """

    required: Mapping[str, Sequence[str]]
    optional: Mapping[str, Sequence[str]] = field(default_factory=dict)
    patterns: Sequence[tuple[str, str]] = ()

    def resolve(self, header: Sequence[str], source: str) -> dict[int, str]:
        """Column index -> canonical name for ``header``.

        Raises :class:`~gateway.errors.SourceDataError` naming ``source`` and every missing
        required column (with the spellings accepted for it) and listing the headers the
        file has, so a person can see the export is of the wrong kind or version.
        """
        normalized = [normalize_header(h) for h in header]
        taken: dict[int, str] = {}
        missing: list[tuple[str, Sequence[str]]] = []
        for names, is_required in ((self.required, True), (self.optional, False)):
            for canonical, spellings in names.items():
                index = _first(normalized, spellings or (canonical,), taken)
                if index is not None:
                    taken[index] = canonical
                elif is_required:
                    missing.append((canonical, spellings or (canonical,)))
        if missing:
            found = ", ".join(h.strip() for h in header if h.strip()) or "nothing"
            problems = [
                Problem(source, 1, spellings[0],
                        f"required column {spellings[0]!r} is missing from the header"
                        + (f" (also accepted: {', '.join(map(repr, spellings[1:]))})"
                           if len(spellings) > 1 else "")
                        + "; export the file again with this column included (the vendor's "
                        "standard export layout has it), or check this is the right file")
                for _canonical, spellings in missing]
            lacking = ", ".join(spellings[0] for _c, spellings in missing)
            raise SourceDataError(
                f"{source}: the header lacks required column(s) {lacking}; nothing of this file "
                f"was read. The header has: {found}", problems)
        if self.patterns:
            compiled = [(re.compile(regex), template) for regex, template in self.patterns]
            for index, norm in enumerate(normalized):
                if index in taken or not norm:
                    continue
                for regex, template in compiled:
                    match = regex.fullmatch(norm)
                    if match is not None:
                        taken[index] = match.expand(template)
                        break
        return dict(sorted(taken.items()))


def _first(normalized: Sequence[str], spellings: Sequence[str],
           taken: Mapping[int, str]) -> int | None:
    for spelling in spellings:
        wanted = normalize_header(spelling)
        for index, norm in enumerate(normalized):
            if norm == wanted and index not in taken:
                return index
    return None
