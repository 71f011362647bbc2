"""The official CASE 1.1 CFPackage JSON Schema (1EdTech), applied leniently: what it flags
becomes notices grouped by place (``CFItems[*]``: 703 items carry fields CASE 1.1 does not
define ...), because real exports deviate in ways that do not matter to us. The fields we use
are checked strictly in :mod:`gateway.standards.case`."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from gateway.errors import Problem

__all__ = ["SCHEMA_PATH", "schema_notices"]

SCHEMA_PATH = Path(__file__).with_name("specs") / "case-v1p1-cfpackage.schema.json"
_INDEX = re.compile(r"\[\d+\]")
_MAX_NOTICES = 30


@cache
def _validator() -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # an optional speed-up of the report, never needed to import
        return None
    if not SCHEMA_PATH.exists():
        return None
    return jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(package)"


def schema_notices(package: Any, source: str) -> list[Problem]:
    """Where ``package`` departs from the CASE 1.1 schema, one notice per kind and place
    (item indexes folded), with how many records and the first one."""
    validator = _validator()
    if validator is None:
        return []
    groups: dict[tuple[str, str], tuple[str, int, set[str], str]] = {}
    for error in validator.iter_errors(package):
        path = _path(error.instance_path)
        kind = type(error.kind).__name__
        key = (kind, _INDEX.sub("[*]", path))
        first, count, names, message = groups.get(key, (path, 0, set(), error.message))
        if kind == "AdditionalProperties":
            names.update(getattr(error.kind, "unexpected", ()))
        groups[key] = (first, count + 1, names, message)
    notices: list[Problem] = []
    for (kind, place), (first, count, names, message) in groups.items():
        where = place if count > 1 else first
        if kind == "AdditionalProperties":
            text = (f"fields CASE 1.1 does not define, ignored: {', '.join(sorted(names))}")
        else:
            text = f"not CASE 1.1 ({message}); read leniently"
        if count > 1:
            text += f" ({count} records, first {first})"
        notices.append(Problem(source, None, where, text))
    notices.sort(key=lambda p: p.column or "")
    if len(notices) > _MAX_NOTICES:
        rest = len(notices) - _MAX_NOTICES
        notices = notices[:_MAX_NOTICES]
        notices.append(Problem(source, None, None, f"... and {rest} more kinds of departure "
                                                   f"from the CASE 1.1 schema"))
    return notices
