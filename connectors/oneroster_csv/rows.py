"""From CSV records to canonical rows: header matching, metadata columns, 1.1 differences."""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from operator import itemgetter
from typing import Any

from gateway.abc import Row
from gateway.errors import Problem, SourceDataError
from gateway.model.schema import COMMON_COLUMNS, STREAMS

__all__ = ["BATCH_ROWS", "Layout", "layout_for", "read_rows"]

BATCH_ROWS = 20_000

# OneRoster 1.1 spells a few columns differently; map them onto the 1.2 canonical names.
RENAMED_11: dict[str, dict[str, str]] = {
    "lineItems": {"gradingPeriodSourcedId": "academicSessionSourcedId"},
}
# Columns a reader must accept though the canonical model has no place for them; they are
# kept in the record's metadata so nothing the source sent is lost.
EXTRA_11: dict[str, tuple[str, ...]] = {"users": ("orgSourcedIds", "role")}
LEGACY: dict[str, tuple[str, ...]] = {"users": ("resourceSourcedIds",)}  # 1.2.0 only


@dataclass(frozen=True, slots=True)
class Layout:
    """How one file's header maps onto the canonical row of its stream."""

    getter: Callable[[list[str]], tuple[str, ...]]
    width: int
    """Number of fields a record has in this file."""
    meta: tuple[tuple[int, str], ...]
    """(index, key) of columns kept in metadata (``metadata.*`` and known extras)."""
    extras: dict[str, int]
    """Known non-canonical columns (1.1 users.role, orgSourcedIds) by name -> index."""
    identity: bool
    """The file's columns are exactly the canonical ones, in order."""


def layout_for(stream: str, header: Sequence[str], label: str, version: str) -> Layout:
    """Match ``header`` (any case, any order) to the stream; missing required columns are an
    error naming the file and the column."""
    spec = STREAMS[stream]
    renamed = RENAMED_11.get(stream, {}) if version == "1.1" else {}
    known_extra = (*EXTRA_11.get(stream, ()), *LEGACY.get(stream, ()))
    canonical = {name.lower(): name for name in (*COMMON_COLUMNS, *spec.column_names)}
    canonical.update({old.lower(): new for old, new in renamed.items()})
    extra_names = {name.lower(): name for name in known_extra}
    positions: dict[str, int] = {}
    meta: list[tuple[int, str]] = []
    extras: dict[str, int] = {}
    problems: list[Problem] = []
    for i, raw in enumerate(header):
        h = raw.strip()
        low = h.lower()
        if low in canonical:
            name = canonical[low]
            if name in positions:
                problems.append(Problem(label, 1, h, "this column appears twice in the header; "
                                        "remove the duplicate"))
            positions[name] = i
        elif low in extra_names:
            extras[extra_names[low]] = i
            meta.append((i, extra_names[low]))
        elif low.startswith("metadata."):
            meta.append((i, h[len("metadata."):]))
        elif h:
            # Not in the binding: keep the value rather than drop what the district sent.
            meta.append((i, h))
    if "sourcedId" not in positions:
        problems.append(Problem(label, 1, "sourcedId", "the header has no sourcedId column; "
                                "the first row of the file must be the OneRoster header"))
    problems.extend(
        Problem(label, 1, col.name, f"required column {col.name} is missing from the header; "
                f"add it (see the OneRoster {version} CSV binding for {spec.file})")
        for col in spec.columns
        if col.required and col.name not in positions
        and not _filled_later(stream, col.name, version)
    )
    if problems:
        raise SourceDataError(f"{label}: the header does not match {spec.file}", problems)
    width = len(header)
    pad = width  # records get one '' appended: missing columns read it
    order = [positions.get(name, pad) for name in (*COMMON_COLUMNS, *spec.column_names)]
    order.append(pad)  # metadata slot, filled separately when the file has metadata columns
    identity = order == list(range(width + 1))
    return Layout(itemgetter(*order), width, tuple(meta), extras, identity)


def _filled_later(stream: str, column: str, version: str) -> bool:
    # 1.1 users have no primaryOrgSourcedId etc.; the 1.1 conversion fills what it can.
    return version == "1.1" and stream == "users" and column == "primaryOrgSourcedId"


def read_rows(reader: Any, layout: Layout,
              label: str) -> Iterator[tuple[list[Row], Sequence[int]]]:
    """Batches of canonical rows with the line each record starts on.

    Works a batch at a time with C-level calls (``islice``, ``map``): a record takes about a
    microsecond. Only batches with blank lines, line breaks inside quotes or ragged records
    take the slower per-record path.
    """
    width, get, meta = layout.width, layout.getter, layout.meta
    pad = repeat("")
    start = reader.line_num
    try:
        while recs := list(islice(reader, BATCH_ROWS)):
            end = reader.line_num
            lines: Sequence[int]
            if end - start == len(recs) and set(map(len, recs)) == {width}:
                lines = range(start + 1, end + 1)
            else:
                recs, lines = _careful(recs, start, width, label)
            start = end
            deque(map(list.append, recs, pad), maxlen=0)  # the slot missing columns read
            if meta:
                rows: list[Row] = [(*get(r)[:-1], _metadata(r, meta)) for r in recs]
            elif layout.identity:
                rows = recs  # type: ignore[assignment]  # canonical order already: no copy
            else:
                rows = list(map(get, recs))
            if rows:
                yield rows, lines
    except csv.Error as exc:
        raise SourceDataError(f"{label} is not valid CSV", [Problem(
            label, reader.line_num, None,
            f"{exc}; check the quoting of this record (a field with a comma, quote or line "
            f"break must be enclosed in double quotes, inner quotes doubled)")]) from None


def _careful(recs: list[list[str]], start: int, width: int,
             label: str) -> tuple[list[list[str]], list[int]]:
    out: list[list[str]] = []
    lines: list[int] = []
    line = start
    for rec in recs:
        first = line + 1
        line += 1 + sum(f.count("\n") for f in rec)
        if not rec or rec == [""]:
            continue  # blank line
        if len(rec) != width:
            rec = _fit(rec, width, label, first)
        out.append(rec)
        lines.append(first)
    return out, lines


def _fit(rec: list[str], width: int, label: str, line: int) -> list[str]:
    if len(rec) < width:
        # Some exporters drop trailing empty fields; the missing ones are blank.
        return rec + [""] * (width - len(rec))
    if not any(rec[width:]):
        return rec[:width]
    raise SourceDataError(f"{label}: a record has more fields than the header", [Problem(
        label, line, None, f"{len(rec)} fields but the header has {width}; quote fields "
        f"that contain commas")])


def _metadata(rec: list[str], meta: tuple[tuple[int, str], ...]) -> str:
    data: dict[str, Any] = {key: rec[i] for i, key in meta if rec[i] != ""}
    return json.dumps(data, separators=(",", ":"), sort_keys=True) if data else ""
