"""The crosswalk: which standard a vendor's skill code stands for, per system (a mapping's or
connection's name), with a strength (1.0: the same skill; less: partly aligned).

A code no crosswalk row names may still be a standard itself, by its ``humanCodingScheme``
(``CCSS.Math.Content.6.RP.A.1``) or its CASE identifier: :meth:`Crosswalk.lookup` answers
those at strength 1.0, so tools that already report CASE codes need no crosswalk at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.errors import ConfigError, Problem, SourceDataError
from gateway.standards.store import StandardRecord, standards_by_code, upsert_rows
from gateway.store.learning_tables import crosswalk

__all__ = ["SOURCES", "Crosswalk", "CrosswalkEntry"]

SOURCES = ("mapping", "admin", "learningObjectiveSet")


@dataclass(frozen=True, slots=True)
class CrosswalkEntry:
    system: str
    code: str
    standard: str
    strength: float
    source: str
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"system": self.system, "code": self.code, "standard": self.standard,
                "strength": self.strength, "source": self.source,
                "updated_at": self.updated_at}


def _resolve(found: Mapping[str, list[StandardRecord]], standard: str) -> str:
    """The identifier ``standard`` (an identifier or a human code) names; LookupError
    with a sentence saying why when it names none or several."""
    matches = found.get(standard, [])
    exact = [m for m in matches if m.identifier == standard]
    if exact:
        return exact[0].identifier
    if len(matches) == 1:
        return matches[0].identifier
    if not matches:
        raise LookupError(f"no standard {standard!r} in this tenant (by CASE identifier or "
                          f"code); import its framework first (harbor standards import) or "
                          f"check the spelling")
    listed = ", ".join(f"{m.identifier} ({m.framework})" for m in matches[:5])
    raise LookupError(f"{standard!r} is the code of {len(matches)} standards ({listed}); give "
                      f"the CASE identifier instead")


def _strength(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"strength {value!r} is not a number")
    try:
        strength = float(value)
    except ValueError:
        raise ValueError(f"strength {value!r} is not a number") from None
    if math.isnan(strength) or not 0.0 < strength <= 1.0:
        raise ValueError(f"strength {value!r} must be more than 0 and at most 1 (1: the same "
                         f"skill)")
    return strength


def _row(r: Any) -> CrosswalkEntry:
    return CrosswalkEntry(r.system, r.code, r.standard, float(r.strength), r.source,
                          r.updated_at)


class Crosswalk:
    """Reads and writes of the ``crosswalk`` table; every call takes the connection (inside
    the caller's transaction) and the tenant."""

    @staticmethod
    def set(conn: sa.Connection, tenant_id: int, system: str, code: str,
            standard_identifier: str, strength: float = 1.0,
            source: str = "admin") -> CrosswalkEntry:
        """Align ``code`` of ``system`` to a standard (its identifier, or a code naming
        exactly one), replacing the strength of an existing alignment. Raises
        :class:`ConfigError` for an unknown standard or a strength outside (0, 1]."""
        if not system or not code:
            raise ConfigError("a crosswalk entry needs a system (the connection or mapping "
                              "name) and the vendor's code")
        if source not in SOURCES:
            raise ConfigError(f"crosswalk source {source!r} is not one of {', '.join(SOURCES)}")
        try:
            value = _strength(strength)
            standard = _resolve(standards_by_code(conn, tenant_id, [standard_identifier]),
                                standard_identifier)
        except (LookupError, ValueError) as exc:
            raise ConfigError(f"crosswalk {system}/{code}: {exc}") from None
        now = utcnow()
        upsert_rows(conn, crosswalk, [{
            "tenant_id": tenant_id, "system": system, "code": code, "standard": standard,
            "strength": value, "source": source, "updated_at": now}],
            ("tenant_id", "system", "code", "standard"))
        return CrosswalkEntry(system, code, standard, value, source, now)

    @staticmethod
    def load(conn: sa.Connection, tenant_id: int, system: str,
             entries: Sequence[Mapping[str, Any]], *, source: str = "mapping",
             label: str = "crosswalk", replace: bool = False) -> int:
        """Write a list of ``{code, standard, strength}`` (a mapping's ``crosswalk:``;
        ``strength`` defaults to 1.0, ``standard`` is an identifier or a code), all or
        nothing: any bad entry raises :class:`SourceDataError` naming ``label[index].field``
        and nothing is written. With ``replace``, this system's rows from ``source`` that
        the list no longer has are removed (rows an admin set stay). Returns the count."""
        problems: list[Problem] = []
        wanted = [str(e.get("standard", "")) for e in entries if isinstance(e, Mapping)]
        found = standards_by_code(conn, tenant_id, [w for w in wanted if w])
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for n, item in enumerate(entries):
            where = f"{label}[{n}]"
            if not isinstance(item, Mapping):
                problems.append(Problem(label, None, where, "expected {code, standard, "
                                                            "strength}"))
                continue
            code = item.get("code", item.get("skill_code"))
            if not isinstance(code, str | int) or not str(code).strip():
                problems.append(Problem(label, None, f"{where}.code", "the vendor's skill "
                                                                       "code is missing"))
                continue
            try:
                standard = _resolve(found, str(item.get("standard") or ""))
            except LookupError as exc:
                problems.append(Problem(label, None, f"{where}.standard", str(exc)))
                continue
            try:
                strength = _strength(item.get("strength", 1.0))
            except ValueError as exc:
                problems.append(Problem(label, None, f"{where}.strength", str(exc)))
                continue
            rows.append({"tenant_id": tenant_id, "system": system, "code": str(code).strip(),
                         "standard": standard, "strength": strength, "source": source,
                         "updated_at": now})
        if problems:
            raise SourceDataError(f"{label}: the crosswalk for {system} was not loaded "
                                  f"({len(problems)} problems); nothing was changed", problems)
        unique = list({(r["code"], r["standard"]): r for r in rows}.values())
        if replace:
            keep = {(r["code"], r["standard"]) for r in unique}
            t = crosswalk
            for r in conn.execute(sa.select(t.c.id, t.c.code, t.c.standard).where(
                    t.c.tenant_id == tenant_id, t.c.system == system, t.c.source == source)):
                if (r.code, r.standard) not in keep:
                    conn.execute(sa.delete(t).where(t.c.id == r.id))
        upsert_rows(conn, crosswalk, unique, ("tenant_id", "system", "code", "standard"))
        return len(unique)

    @staticmethod
    def lookup(conn: sa.Connection, tenant_id: int, system: str,
               code: str) -> list[tuple[str, float]]:
        """``(standard identifier, strength)`` for a vendor code, strongest first; the
        standards the code itself names (identifier or ``humanCodingScheme``) at 1.0 when
        no crosswalk row exists; ``[]`` when nothing matches."""
        return Crosswalk.lookup_many(conn, tenant_id, system, [code]).get(code, [])

    @staticmethod
    def lookup_many(conn: sa.Connection, tenant_id: int, system: str,
                    codes: Iterable[str]) -> dict[str, list[tuple[str, float]]]:
        """:meth:`lookup` for many codes in a few queries (for a batch of evidence)."""
        wanted = list(dict.fromkeys(codes))
        out: dict[str, list[tuple[str, float]]] = {}
        t = crosswalk
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            query = (sa.select(t.c.code, t.c.standard, t.c.strength)
                     .where(t.c.tenant_id == tenant_id, t.c.system == system,
                            t.c.code.in_(chunk))
                     .order_by(t.c.code, t.c.strength.desc(), t.c.standard))
            for code, standard, strength in conn.execute(query):
                out.setdefault(code, []).append((standard, float(strength)))
        direct = standards_by_code(conn, tenant_id, [c for c in wanted if c not in out])
        for code, records in direct.items():
            out[code] = [(r.identifier, 1.0) for r in records]
        return out

    @staticmethod
    def entries(conn: sa.Connection, tenant_id: int, system: str | None = None,
                code: str | None = None) -> list[CrosswalkEntry]:
        """The tenant's crosswalk rows (of one system, or one code), by system and code."""
        t = crosswalk
        query = sa.select(t).where(t.c.tenant_id == tenant_id)
        if system is not None:
            query = query.where(t.c.system == system)
        if code is not None:
            query = query.where(t.c.code == code)
        query = query.order_by(t.c.system, t.c.code, t.c.strength.desc(), t.c.standard)
        return [_row(r) for r in conn.execute(query)]

    @staticmethod
    def remove(conn: sa.Connection, tenant_id: int, system: str, code: str,
               standard_identifier: str | None = None) -> int:
        """Drop the alignments of a code (or only the one to ``standard_identifier``)."""
        t = crosswalk
        query = sa.delete(t).where(t.c.tenant_id == tenant_id, t.c.system == system,
                                   t.c.code == code)
        if standard_identifier is not None:
            query = query.where(t.c.standard == standard_identifier)
        return int(conn.execute(query).rowcount)
