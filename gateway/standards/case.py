"""Read a CASE 1.1 CFPackage (CFDocument, CFItems, CFAssociations) into the rows the
standards tables keep, checking every field we use and naming the item and field at fault.

Real exports are not strict CASE 1.1 (OpenSALT's carry ``educationalLevel`` strings, ASN URIs
as identifiers, string ``sequenceNumber``s), so the official JSON Schema is applied leniently:
what it flags outside the fields we use becomes a notice in the report, not a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import Problem, SourceDataError
from gateway.standards.grades import normalize_grades
from gateway.standards.schema import schema_notices

__all__ = ["AssociationRow", "FrameworkRow", "ItemRow", "ParsedPackage", "parse_package"]

IDENTIFIER_MAX = 100  # standards.identifier, standard_associations.origin/destination


@dataclass(frozen=True, slots=True)
class FrameworkRow:
    identifier: str
    uri: str | None
    title: str
    creator: str | None
    version: str | None
    subject: str | None
    adoption_status: str | None
    last_change: str | None


@dataclass(frozen=True, slots=True)
class ItemRow:
    identifier: str
    uri: str | None
    code: str | None
    statement: str
    item_type: str | None
    subject: str | None
    grade_levels: tuple[str, ...]
    list_order: int | None
    last_change: str | None


@dataclass(frozen=True, slots=True)
class AssociationRow:
    identifier: str
    association_type: str
    origin: str
    destination: str
    sequence: int | None


@dataclass(slots=True)
class ParsedPackage:
    framework: FrameworkRow
    items: list[ItemRow]
    associations: list[AssociationRow]
    notices: list[Problem] = field(default_factory=list)
    """What was ignored or read leniently (nothing that blocks the import)."""


class _Reader:
    """Field access that records a Problem (at ``where``) instead of raising at once, so
    one pass reports every bad field of the package."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[Problem] = []
        self.notices: list[Problem] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(Problem(self.source, None, where, message))

    def notice(self, where: str, message: str) -> None:
        self.notices.append(Problem(self.source, None, where, message))

    def identifier(self, value: Any, where: str, what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(where, f"{what} needs an identifier (a GUID string); the package has "
                              f"{_shown(value)}. Re-export the framework from its CASE tool")
            return None
        found: str = value.strip()
        if len(found) > IDENTIFIER_MAX:
            self.error(where, f"identifier {found[:60]!r}... is {len(found)} characters; "
                              f"identifiers longer than {IDENTIFIER_MAX} are not supported")
            return None
        return found

    def text(self, value: Any, where: str, *, limit: int | None = None,
             required: str | None = None) -> str | None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ", ".join(v for v in value if v) or None  # CASE 1.1 subject lists
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(where, required)
            return None
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                self.error(where, f"expected text, found {_shown(value)}")
                return None
        text: str = value
        if limit is not None and len(text) > limit:
            self.notice(where, f"cut to {limit} characters (it has {len(text)})")
            text = text[:limit]
        return text

    def number(self, value: Any, where: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        self.notice(where, f"sequenceNumber {_shown(value)} is not a whole number; ignored")
        return None


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _node(r: _Reader, assoc: Mapping[str, Any], end: str, where: str) -> str | None:
    """originNodeURI.identifier (CASE 1.0/1.1), or the flat ``originNodeIdentifier`` that
    pre-1.0 exports carry beside it."""
    link = assoc.get(f"{end}NodeURI")
    value = link.get("identifier") if isinstance(link, Mapping) else None
    if value is None:
        value = assoc.get(f"{end}NodeIdentifier")
    return r.identifier(value, f"{where}.{end}NodeURI.identifier", f"the {end} node")


def _list(r: _Reader, package: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = package.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        r.error(key, f"{key} must be a JSON list, found {type(value).__name__}")
        return []
    return value


def parse_package(package: Any, source: str) -> ParsedPackage:
    """Check and read a CFPackage. Raises :class:`SourceDataError` listing every problem
    (``CFItems[12].fullStatement``: what is wrong and how to fix it) when any field we use
    is missing or malformed; otherwise returns the rows and the notices."""
    r = _Reader(source)
    if not isinstance(package, Mapping):
        raise SourceDataError(f"{source} is not a CASE package", [Problem(
            source, None, None, "expected a JSON object with CFDocument, CFItems and "
                                "CFAssociations (a CASE 1.1 CFPackage)")])
    doc = package.get("CFDocument")
    if not isinstance(doc, Mapping):
        raise SourceDataError(f"{source} is not a CASE package", [Problem(
            source, None, "CFDocument", "a CFPackage starts with its CFDocument (the "
                                        "framework); this file has none. Export the whole "
                                        "package (CFPackages/{id}), not a single item")])
    framework = FrameworkRow(
        identifier=r.identifier(doc.get("identifier"), "CFDocument.identifier",
                                "the CFDocument") or "",
        uri=r.text(doc.get("uri"), "CFDocument.uri"),
        title=r.text(doc.get("title"), "CFDocument.title", limit=500,
                     required="the CFDocument needs a title") or "",
        creator=r.text(doc.get("creator"), "CFDocument.creator", limit=500),
        version=r.text(doc.get("version"), "CFDocument.version", limit=100),
        subject=r.text(doc.get("subject"), "CFDocument.subject", limit=200),
        adoption_status=r.text(doc.get("adoptionStatus"), "CFDocument.adoptionStatus",
                               limit=50),
        last_change=r.text(doc.get("lastChangeDateTime"), "CFDocument.lastChangeDateTime",
                           limit=40))
    raw_items = _list(r, package, "CFItems")
    raw_assocs = _list(r, package, "CFAssociations")
    associations = _associations(r, raw_assocs)
    items = _items(r, raw_items, associations)
    if r.errors:
        raise SourceDataError(
            f"{source}: the CASE package {framework.identifier or ''} was not imported "
            f"({len(r.errors)} problems); nothing was changed", r.errors)
    notices = schema_notices(package, source) + r.notices
    return ParsedPackage(framework, items, associations, notices)


def _associations(r: _Reader, raw: Sequence[Any]) -> list[AssociationRow]:
    out: list[AssociationRow] = []
    seen: dict[str, int] = {}
    for n, assoc in enumerate(raw):
        where = f"CFAssociations[{n}]"
        if not isinstance(assoc, Mapping):
            r.error(where, f"expected a JSON object, found {_shown(assoc)}")
            continue
        identifier = r.identifier(assoc.get("identifier"), f"{where}.identifier",
                                  "an association")
        kind = r.text(assoc.get("associationType"), f"{where}.associationType", limit=50,
                      required="the association needs an associationType (isChildOf, "
                               "precedes, exactMatchOf, ...)")
        origin = _node(r, assoc, "origin", where)
        destination = _node(r, assoc, "destination", where)
        sequence = r.number(assoc.get("sequenceNumber"), f"{where}.sequenceNumber")
        if identifier is None or kind is None or origin is None or destination is None:
            continue
        if identifier in seen:
            r.error(f"{where}.identifier", f"identifier {identifier} is also "
                                           f"CFAssociations[{seen[identifier]}]; each "
                                           f"association needs its own")
            continue
        seen[identifier] = n
        out.append(AssociationRow(identifier, kind, origin, destination, sequence))
    return out


def _items(r: _Reader, raw: Sequence[Any], associations: list[AssociationRow],
           ) -> list[ItemRow]:
    # An item's place among its siblings is its isChildOf sequenceNumber when the package
    # gives one, else its position in the package (CASE tools export in outline order).
    order = {a.origin: a.sequence for a in associations
             if a.association_type == "isChildOf" and a.sequence is not None}
    out: list[ItemRow] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(raw):
        where = f"CFItems[{n}]"
        if not isinstance(item, Mapping):
            r.error(where, f"expected a JSON object, found {_shown(item)}")
            continue
        identifier = r.identifier(item.get("identifier"), f"{where}.identifier", "an item")
        statement = r.text(item.get("fullStatement"), f"{where}.fullStatement",
                           required=f"item {identifier or n} has no fullStatement (the text "
                                    f"of the standard); CASE 1.1 requires one")
        level = item.get("educationLevel", item.get("educationalLevel"))
        grades, unknown = normalize_grades(level)
        if unknown:
            r.notice(f"{where}.educationLevel", f"not a grade level we know: "
                                                f"{', '.join(unknown)}; ignored")
        item_type = item.get("CFItemType")
        type_link = item.get("CFItemTypeURI")
        if item_type is None and isinstance(type_link, Mapping):
            item_type = type_link.get("title")
        row_code = r.text(item.get("humanCodingScheme"), f"{where}.humanCodingScheme",
                          limit=200)
        row_type = r.text(item_type, f"{where}.CFItemType", limit=100)
        subject = r.text(item.get("subject"), f"{where}.subject", limit=200)
        if identifier is None or statement is None:
            continue
        if identifier in seen:
            r.error(f"{where}.identifier", f"identifier {identifier} is also "
                                           f"CFItems[{seen[identifier]}]; each item needs "
                                           f"its own")
            continue
        seen[identifier] = n
        out.append(ItemRow(
            identifier=identifier, uri=r.text(item.get("uri"), f"{where}.uri"),
            code=row_code, statement=statement, item_type=row_type, subject=subject,
            grade_levels=tuple(grades), list_order=order.get(identifier, n + 1),
            last_change=r.text(item.get("lastChangeDateTime"), f"{where}.lastChangeDateTime",
                               limit=40)))
    return out
