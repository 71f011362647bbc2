"""Pydantic models of the OneRoster 1.2 JSON records, and their mapping to the store's flat rows.

The models follow the component schemas of the official 1.2 OpenAPI files (rostering,
gradebook, resources): camelCase field names, GUIDRef links, booleans written as the strings
``"true"``/``"false"``. ``to_model`` and ``from_model`` convert between a model and the flat,
CSV-binding row that ``gateway.model.schema`` describes and the store keeps, so a CSV pull and a
REST pull feed the same tables and the provider API serves either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel

from ._records import (
    AcademicSession,
    AssessmentLineItem,
    AssessmentResult,
    Category,
    Class,
    ClassResource,
    Course,
    CourseResource,
    Demographics,
    Enrollment,
    LineItem,
    LineItemLearningObjectiveId,
    LineItemScoreScale,
    OneRosterRecord,
    Org,
    Resource,
    Result,
    ResultLearningObjectiveId,
    ResultScoreScale,
    RoleRecord,
    ScoreScale,
    User,
    UserProfileRecord,
    UserResource,
)
from ._refs import REF_TYPES, href
from ._values import (
    format_bool,
    format_datetime,
    format_float,
    format_pairs,
    parse_pairs,
    split_list,
)
from .schema import ALL_STREAMS, COMMON_COLUMNS, Column, Stream

__all__ = ["CREDENTIAL_KEYS", "FAST_JSON_STREAMS", "NESTED_STREAMS", "PAIR_KEYS",
           "STREAM_MODELS", "fast_json", "from_model", "json_field", "to_model"]

Row = Mapping[str, str | None]

STREAM_MODELS: dict[str, type[OneRosterRecord]] = {
    "orgs": Org,
    "academicSessions": AcademicSession,
    "courses": Course,
    "classes": Class,
    "users": User,
    "userProfiles": UserProfileRecord,
    "roles": RoleRecord,
    "demographics": Demographics,
    "enrollments": Enrollment,
    "resources": Resource,
    "classResources": ClassResource,
    "courseResources": CourseResource,
    "userResources": UserResource,
    "categories": Category,
    "scoreScales": ScoreScale,
    "lineItems": LineItem,
    "lineItemLearningObjectiveIds": LineItemLearningObjectiveId,
    "lineItemScoreScales": LineItemScoreScale,
    "results": Result,
    "resultLearningObjectiveIds": ResultLearningObjectiveId,
    "resultScoreScales": ResultScoreScale,
    "assessmentLineItems": AssessmentLineItem,
    "assessmentResults": AssessmentResult,
}
"""The model of each stream of ``schema.ALL_STREAMS``."""

NESTED_STREAMS: dict[str, dict[str, str]] = {
    "users": {"roles": "roles", "userProfiles": "userProfiles", "userResources": "resources"},
    "classes": {"classResources": "resources"},
    "courses": {"courseResources": "resources"},
    "lineItems": {"lineItemLearningObjectiveIds": "learningObjectiveSet",
                  "lineItemScoreScales": "scoreScale"},
    "results": {"resultLearningObjectiveIds": "learningObjectiveSet",
                "resultScoreScales": "scoreScale"},
}
"""Per stream, the streams whose rows the REST binding nests into its records, and the JSON
field they fill (``to_model(..., nested=...)``)."""

_RENAMED = {
    ("users", "preferredGivenName"): "preferredFirstName",
    ("users", "preferredFamilyName"): "preferredLastName",
}
PAIR_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("users", "userIds"): ("type", "identifier"),
    ("scoreScales", "scoreScaleValue"): ("itemValueLHS", "itemValueRHS"),
}
"""Columns holding ``{left:right}`` lists (by stream and column), and the JSON keys of the
two sides of each item."""
CREDENTIAL_KEYS = {"credentialType": "type", "username": "username", "password": "password"}
"""userProfiles rows carry one credential in three columns; JSON nests it in
``credentials``: column -> key of the credential object."""
# RoleDType.userProfile is the profile's ``profileId`` URI, not a GUIDRef.
_PROFILES = "userProfiles"


def _stream(name: str) -> Stream:
    try:
        return ALL_STREAMS[name]
    except KeyError:
        raise KeyError(f"unknown OneRoster stream {name!r}; "
                       f"expected one of {', '.join(ALL_STREAMS)}") from None


@cache  # called for every cell; the answer depends only on the schema
def json_field(stream: str, column: str) -> str:
    """The JSON field of ``stream``'s model that holds the CSV ``column``.

    ``classSourcedId`` -> ``class``, ``termSourcedIds`` -> ``terms``, users'
    ``preferredGivenName`` -> ``preferredFirstName``, the three credential columns of
    ``userProfiles`` -> ``credentials``; other columns keep their name.
    """
    spec = _stream(stream)
    if column in COMMON_COLUMNS or column == "metadata":
        return column
    spec.column(column)  # KeyError for a column the stream does not have
    if stream == "userProfiles" and column in CREDENTIAL_KEYS:
        return "credentials"
    if (stream, column) in _RENAMED:
        return _RENAMED[stream, column]
    if column.endswith("SourcedIds"):
        return column.removesuffix("SourcedIds") + "s"
    return column.removesuffix("SourcedId")


def to_model(
    stream: str,
    row: Row,
    *,
    base_url: str = "",
    nested: Mapping[str, Sequence[Row]] | None = None,
) -> OneRosterRecord:
    """Build the model of one flat row of ``stream`` (keys: CSV column names, ``metadata``).

    References become GUIDRefs whose href is ``{base_url}/{collection}/{sourcedId}``.
    ``nested`` gives rows of the streams in ``NESTED_STREAMS[stream]``, by stream name; a user
    needs its ``roles`` rows (at least one, as UserDType requires). Which rows to pass (say,
    only active ones) is the caller's choice. Keys of ``row`` that are not columns of the
    stream are ignored. Raises KeyError for an unknown stream and ValueError (pydantic's
    ValidationError included) for a row the model rejects.
    """
    spec = _stream(stream)
    sourced_id = _text(row.get("sourcedId"))
    data: dict[str, Any] = {
        "sourcedId": sourced_id,
        "status": _text(row.get("status")),
        "dateLastModified": _text(row.get("dateLastModified")),
        "metadata": _metadata(_text(row.get("metadata"))),
    }
    credential: dict[str, str] = {}
    for column in spec.columns:
        text = _text(row.get(column.name))
        if text is None:
            continue
        if stream == "userProfiles" and column.name in CREDENTIAL_KEYS:
            credential[CREDENTIAL_KEYS[column.name]] = text
        else:
            data[json_field(stream, column.name)] = _decode(stream, column, text, base_url)
    if stream == "userProfiles":
        data["profileId"] = href(base_url, _PROFILES, sourced_id or "")
        if credential:
            data["credentials"] = [credential]
    allowed = NESTED_STREAMS.get(stream, {})
    for child, rows in (nested or {}).items():
        if child not in allowed:
            raise ValueError(f"{child} rows do not nest into {stream}; it takes "
                             f"{', '.join(allowed) or 'none'}")
        records = [_child(child, stream, r, sourced_id, base_url) for r in rows]
        data[allowed[child]] = _nest(child, records)
    return STREAM_MODELS[stream].model_validate(data)


def from_model(stream: str, model: OneRosterRecord) -> dict[str, str | None]:
    """The flat row of ``model``, in the shape the store keeps: sourcedId, status,
    dateLastModified, the stream's columns and ``metadata`` (compact JSON), each value
    normalized text or None. Fields with no column (``User.roles``, ``Org.children``, ...)
    are left out: nested rows belong to their own streams.
    """
    spec = _stream(stream)
    expected = STREAM_MODELS[stream]
    if not isinstance(model, expected):
        raise TypeError(f"a {stream} row comes from a {expected.__name__}, "
                        f"not a {type(model).__name__}")
    values = _by_alias(model)
    credential = None
    if isinstance(model, UserProfileRecord) and model.credentials:
        if len(model.credentials) > 1:
            raise ValueError(f"userProfile {model.sourcedId} has {len(model.credentials)} "
                             f"credentials; a userProfiles row holds one")
        credential = model.credentials[0]
    row: dict[str, str | None] = {
        "sourcedId": model.sourcedId,
        "status": model.status,
        "dateLastModified": format_datetime(model.dateLastModified),
    }
    for column in spec.columns:
        if stream == "userProfiles" and column.name in CREDENTIAL_KEYS:
            value = getattr(credential, CREDENTIAL_KEYS[column.name], None)
        else:
            value = values[json_field(stream, column.name)]
        row[column.name] = _encode(stream, column, value)
    row["metadata"] = (None if model.metadata is None else
                       json.dumps(model.metadata, ensure_ascii=False, separators=(",", ":")))
    return row


FAST_JSON_STREAMS = frozenset({"orgs", "academicSessions", "courses", "classes", "users",
                               "enrollments", "demographics"})
"""Streams :func:`fast_json` serves (the rostering records a provider pages through)."""
_ROLE_KEYS = ("roleType", "role", "org", "userProfile", "beginDate", "endDate")


def fast_json(stream: str, row: Row, *, base_url: str = "",
              nested: Mapping[str, Sequence[Row]] | None = None) -> dict[str, Any] | None:
    """The JSON of a stored, already valid row without building its pydantic model.

    Equal to ``to_model(...).model_dump(mode="json", by_alias=True, exclude_none=True)``
    for the streams of :data:`FAST_JSON_STREAMS` (a test checks every row of a sample
    district), about ten times faster, which is what keeps a page of 100 users cheap.
    Returns None where it does not apply (another stream, float values, user profiles):
    the caller then takes the model path.
    """
    if stream not in FAST_JSON_STREAMS or (nested and set(nested) - {"roles"}):
        return None
    if stream == "users" and not (nested or {}).get("roles"):
        return None  # the model refuses a user without roles; let it say so
    data: dict[str, Any] = {}
    for key in ("sourcedId", "status", "dateLastModified"):
        value = _text(row.get(key))
        if value is not None:
            data[key] = value
    metadata = _metadata(_text(row.get("metadata")))
    if metadata is not None:
        data["metadata"] = metadata
    for column in _stream(stream).columns:
        text = _text(row.get(column.name))
        if text is None:
            continue
        if column.kind == "float":
            return None
        data[json_field(stream, column.name)] = _decode(stream, column, text, base_url)
    if nested:
        roles = []
        for role in nested["roles"]:
            item: dict[str, Any] = {}
            for column in _stream("roles").columns:
                field = json_field("roles", column.name)
                text = _text(role.get(column.name))
                if text is not None and field in _ROLE_KEYS:
                    item[field] = _decode("roles", column, text, base_url)
            roles.append(item)
        data["roles"] = roles
    return data


def _text(value: str | None) -> str | None:
    return value if value else None


def _metadata(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"metadata must be a JSON object, not {text!r}")
    return value


def _by_alias(model: BaseModel) -> dict[str, Any]:
    """Field values keyed by JSON name, including fields kept out of JSON output."""
    return {field.alias or name: getattr(model, name)
            for name, field in type(model).model_fields.items()}


def _child(child: str, parent: str, row: Row, parent_id: str | None,
           base_url: str) -> OneRosterRecord:
    """One nested row, checked to point at the record it is nested into."""
    record = to_model(child, row, base_url=base_url)
    ref = getattr(record, _parent_link(child, parent))
    if ref.sourcedId != parent_id:
        raise ValueError(f"{child} row {record.sourcedId} belongs to {ref.sourcedId}, "
                         f"not to {parent} {parent_id}")
    return record


@cache
def _parent_link(child: str, parent: str) -> str:
    """The attribute of a ``child`` record that references its ``parent`` record."""
    column = next(c.name for c in _stream(child).columns if c.kind == "ref" and c.ref == parent)
    field = json_field(child, column)
    model = STREAM_MODELS[child]
    return next(name for name, f in model.model_fields.items() if (f.alias or name) == field)


def _nest(child: str, records: list[OneRosterRecord]) -> Any:
    """The JSON value that a parent's field takes from its nested rows."""
    if child in ("lineItemScoreScales", "resultScoreScales"):
        if len(records) > 1:
            raise ValueError(f"{len(records)} {child} rows for one record; "
                             f"REST has room for one scoreScale")
        return _by_alias(records[0])["scoreScale"] if records else None
    objectives: dict[str, list[Any]] = {}
    items: list[Any] = []
    for record in records:
        match record:
            case RoleRecord():
                items.append(record.assignment())
            case UserProfileRecord():
                items.append(record.profile())
            case LineItemLearningObjectiveId():
                objectives.setdefault(record.source, []).append(record.learningObjectiveId)
            case ResultLearningObjectiveId():
                objectives.setdefault(record.source, []).append(record.model_dump(
                    include={"learningObjectiveId", "score", "textScore"}, exclude_none=True))
            case _:
                items.append(_by_alias(record)["resource"])
    key = {"lineItemLearningObjectiveIds": "learningObjectiveIds",
           "resultLearningObjectiveIds": "learningObjectiveResults"}.get(child)
    if key is not None:
        return [{"source": source, key: ids} for source, ids in objectives.items()] or None
    return items


def _decode(stream: str, column: Column, text: str, base_url: str) -> Any:
    """The JSON value of one non-empty cell; pydantic parses dates, numbers and booleans."""
    keys = PAIR_KEYS.get((stream, column.name))
    if keys is not None:
        return [dict(zip(keys, pair, strict=True)) for pair in parse_pairs(text, column.name)]
    if column.kind == "list":
        return split_list(text)
    if column.kind in ("ref", "refs"):
        assert column.ref is not None
        refs = [_reference(column.ref, sid, base_url)
                for sid in (split_list(text) if column.kind == "refs" else [text])]
        return refs if column.kind == "refs" else refs[0]
    return text


def _reference(target: str, sourced_id: str, base_url: str) -> dict[str, str] | str:
    if target == _PROFILES:
        return href(base_url, _PROFILES, sourced_id)
    return {"href": href(base_url, target, sourced_id), "sourcedId": sourced_id,
            "type": REF_TYPES[target]}


def _encode(stream: str, column: Column, value: Any) -> str | None:
    """The store's text of one field value, None when empty."""
    if value is None or value == []:
        return None
    keys = PAIR_KEYS.get((stream, column.name))
    if keys is not None:
        pairs = [(getattr(item, keys[0]), getattr(item, keys[1])) for item in value]
        for i, (left, right) in enumerate(pairs):
            # What ``{left:right}`` cannot hold would not read back (the whole stream's reads
            # would fail on it): refused here rather than stored.
            at = f"{json_field(stream, column.name)}[{i}]"
            if not left.strip() or set(left) & set("{}:"):
                raise ValueError(f"{at}.{keys[0]}: {left!r} cannot be stored; it must be "
                                 f"non-blank, without ':', '{{' or '}}'")
            if set(right) & set("{}"):
                raise ValueError(f"{at}.{keys[1]}: {right!r} cannot be stored; it must be "
                                 f"without '{{' or '}}'")
        return format_pairs(pairs)
    match column.kind:
        case "ref" if isinstance(value, str):
            # A profileId URI; its last segment is the profile's sourcedId.
            _, sep, tail = value.rpartition(f"/{_PROFILES}/")
            return unquote(tail) if sep else value
        case "ref":
            return str(value.sourcedId)
        case "refs":
            return ",".join(ref.sourcedId for ref in value)
        case "list":
            return ",".join(value)
        case "bool":
            return format_bool(value)
        case "float":
            return format_float(value)
        case "datetime":
            return format_datetime(value)
        case "date":
            return str(value.isoformat())
    return str(value)
