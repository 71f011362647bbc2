"""OneRoster JSON records (1.2 and 1.1) into the flat canonical rows the engine takes.

Only the shape is converted here: references to their sourcedIds, lists to comma lists,
booleans and numbers to text. The engine validates and normalizes every value afterwards,
exactly as for a CSV export, so a REST pull and a CSV pull of the same data store the same
rows. A record whose shape is wrong (a reference that is not an object, a list that is a
number) is reported with its position and field, and the pull fails without applying.

Nested data becomes rows of its own stream: a 1.2 user's ``roles`` and ``userProfiles``, a
1.1 user's ``role`` and ``orgs``. REST roles carry no sourcedId, so theirs is made from the
user, org and role (``{user}:{org}:{role}``), stable from one pull to the next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import Problem
from gateway.model._values import format_float
from gateway.model.oneroster import CREDENTIAL_KEYS, PAIR_KEYS, json_field
from gateway.model.schema import STREAMS, Column

__all__ = ["Converted", "Converter"]

# 1.1 field names where they differ from 1.2's.
_FIELDS_11 = {("lineItems", "academicSessionSourcedId"): "gradingPeriod"}


class ShapeError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(slots=True)
class Converted:
    """The rows of one page: the stream's own and the nested streams' (by stream)."""

    rows: list[tuple[str, ...]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    nested: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    nested_positions: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add_nested(self, stream: str, row: tuple[str, ...], position: int) -> None:
        self.nested.setdefault(stream, []).append(row)
        self.nested_positions.setdefault(stream, []).append(position)


def _text(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)  # 85.0 -> "85", as a CSV export writes it
    if isinstance(value, int):
        return str(value)
    raise ShapeError(column, f"expected a text value, got {type(value).__name__}")


def _ref(value: Any, column: str) -> str:
    if type(value) is dict:  # the common case first: JSON objects are dicts
        sid = value.get("sourcedId")
        if type(sid) is str:
            return sid
    if value is None or value == "":
        return ""
    if isinstance(value, Mapping):
        sid = value.get("sourcedId")
        if isinstance(sid, str):
            return sid
    if isinstance(value, str):  # a profileId URI, or a bare id some servers send
        return value.rstrip("/").rpartition("/")[2]
    raise ShapeError(column, "expected a reference object {href, sourcedId, type}")


def _refs(value: Any, column: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, list):
        raise ShapeError(column, "expected a list of reference objects")
    return ",".join(_ref(v, column) for v in value)


def _list(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise ShapeError(column, "expected a list of strings")
    return ",".join(_text(v, column) for v in value)


def _pairs(keys: tuple[str, str]) -> Callable[[Any, str], str]:
    def convert(value: Any, column: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise ShapeError(column, f"expected a list of {{{keys[0]}, {keys[1]}}} objects")
        return ",".join(f"{{{_text(v.get(keys[0]), column)}:{_text(v.get(keys[1]), column)}}}"
                        for v in value)
    return convert


def _reader(stream: str, col: Column) -> Callable[[Any, str], str]:
    keys = PAIR_KEYS.get((stream, col.name))
    if keys is not None:
        return _pairs(keys)
    if col.kind == "ref":
        return _ref
    if col.kind == "refs":
        return _refs
    if col.kind == "list":
        return _list
    return _text


class Converter:
    """Converts the records of one stream, for one OneRoster version."""

    def __init__(self, stream: str, version: str, source: str) -> None:
        self.stream = stream
        self.version = version
        self.source = source
        spec = STREAMS[stream]
        self._fields: list[tuple[str, str, Callable[[Any, str], str]]] = []
        for col in spec.columns:
            name = json_field(stream, col.name)
            if version == "1.1":
                name = _FIELDS_11.get((stream, col.name), name)
            self._fields.append((col.name, name, _reader(stream, col)))
        self.org_types: dict[str, str] = {}
        """1.1: org sourcedId -> type, so an ``administrator`` maps onto the 1.2 role."""

    def page(self, records: Any, first_position: int) -> Converted:
        out = Converted()
        if not isinstance(records, list):
            out.problems.append(Problem(self.source, None, None, "the collection is not a "
                                        "JSON list of records"))
            return out
        for n, record in enumerate(records):
            position = first_position + n
            try:
                if not isinstance(record, Mapping):
                    raise ShapeError("", "the record is not a JSON object")
                out.rows.append(self._row(record, position, out))
                out.positions.append(position)
            except ShapeError as exc:
                sid = record.get("sourcedId") if isinstance(record, Mapping) else None
                what = f"record {sid!r}: " if sid else ""
                out.problems.append(Problem(self.source, position, exc.column or None,
                                            f"{what}{exc}; the source must send OneRoster "
                                            f"{self.version} JSON"))
        return out

    def _row(self, record: Mapping[str, Any], position: int, out: Converted) -> tuple[str, ...]:
        sid = _text(record.get("sourcedId"), "sourcedId")
        status = _text(record.get("status"), "status")
        if status == "inactive":  # OneRoster 1.0/1.1 servers still send it
            status = "tobedeleted"
        values = [sid, status, _text(record.get("dateLastModified"), "dateLastModified")]
        get, append = record.get, values.append
        for column, name, read in self._fields:
            value = get(name)
            # Most values are plain text or absent: skip the call for those.
            if value is None:
                append("")
            elif read is _text and type(value) is str:
                append(value)
            else:
                append(read(value, column))
        meta = record.get("metadata")
        if meta is not None and not isinstance(meta, Mapping):
            raise ShapeError("metadata", "metadata must be a JSON object")
        if self.stream == "users":
            self._user_children(record, sid, status, values, position, out)
        elif self.stream == "orgs":
            self.org_types[sid] = values[3 + 1]  # type
        values.append(json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
                      if meta else "")
        return tuple(values)

    def _user_children(self, record: Mapping[str, Any], sid: str, status: str,
                       values: list[str], position: int, out: Converted) -> None:
        dlm = values[2]
        if self.version == "1.1":
            self._roles_11(record, sid, status, dlm, values, position, out)
            return
        roles = record.get("roles") or []
        if not isinstance(roles, list):
            raise ShapeError("roles", "expected a list of role assignments")
        for role in roles:
            if not isinstance(role, Mapping):
                raise ShapeError("roles", "each role must be an object")
            org = _ref(role.get("org"), "roles.org")
            name = _text(role.get("role"), "roles.role")
            out.add_nested("roles", (
                f"{sid}:{org}:{name}", status, dlm, sid, _text(role.get("roleType"),
                                                                "roles.roleType"),
                name, _text(role.get("beginDate"), "roles.beginDate"),
                _text(role.get("endDate"), "roles.endDate"), org,
                _ref(role.get("userProfile"), "roles.userProfile"), ""), position)
        profiles = record.get("userProfiles") or []
        if not isinstance(profiles, list):
            raise ShapeError("userProfiles", "expected a list of user profiles")
        for profile in profiles:
            if not isinstance(profile, Mapping):
                raise ShapeError("userProfiles", "each user profile must be an object")
            creds = profile.get("credentials") or [{}]
            cred = creds[0] if isinstance(creds, list) and creds else {}
            if not isinstance(cred, Mapping):
                raise ShapeError("userProfiles.credentials", "expected credential objects")
            out.add_nested("userProfiles", (
                _ref(profile.get("profileId"), "userProfiles.profileId"), status, dlm, sid,
                _text(profile.get("profileType"), "userProfiles.profileType"),
                _text(profile.get("vendorId"), "userProfiles.vendorId"),
                _text(profile.get("applicationId"), "userProfiles.applicationId"),
                _text(profile.get("description"), "userProfiles.description"),
                *(_text(cred.get(k), f"userProfiles.credentials.{k}")
                  for k in CREDENTIAL_KEYS.values()), ""), position)

    def _roles_11(self, record: Mapping[str, Any], sid: str, status: str, dlm: str,
                  values: list[str], position: int, out: Converted) -> None:
        """1.1 keeps one ``role`` and a list of ``orgs`` on the user; 1.2 has role records.
        The first org is the primary one (and the user's primaryOrg)."""
        role = _text(record.get("role"), "role")
        orgs = _refs(record.get("orgs"), "orgs")
        org_ids = [o for o in orgs.split(",") if o]
        for n, org in enumerate(org_ids):
            role_12 = role
            if role.lower() == "administrator":
                role_12 = ("districtAdministrator" if self.org_types.get(org) == "district"
                           else "siteAdministrator")
            out.add_nested("roles", (f"{sid}:{org}:{role_12}", status, dlm, sid,
                                     "primary" if n == 0 else "secondary", role_12, "", "",
                                     org, "", ""), position)
        primary = 3 + [c for c, _, _ in self._fields].index("primaryOrgSourcedId")
        if org_ids and not values[primary]:
            values[primary] = org_ids[0]
