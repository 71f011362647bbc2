"""The JSON Schema of a tool mapping (``mappings/*.yaml``), and the canonical fields of each
tool stream with the type the connector hands on.

The schema checks the shape (keys, types, allowed words); :mod:`.mapping` adds what a
schema says badly (exactly one of ``path``/``const``/``template``, the fields a stream must
have, scale specs). ``harbor`` never needs the schema as a file, but vendors' editors do:
:func:`schema_json` writes it out.
"""

from __future__ import annotations

import json
from typing import Any, Literal

__all__ = ["FIELDS", "ID_KINDS", "MAPPING_SCHEMA", "REQUIRED", "STREAMS", "FieldType",
           "schema_json"]

FieldType = Literal["string", "number", "boolean", "datetime", "grade_level", "id_kind",
                    "intervention_kind", "status", "object"]

STREAMS = ("toolEvidence", "toolInterventions", "toolPlacements")
"""The tool streams of docs/learning.md, in the order a pull sends them."""

ID_KINDS = ("sis_id", "state_id", "username", "email", "lti_sub", "tool_id")

_LEARNER: dict[str, FieldType] = {"learner": "string", "learner_id_kind": "id_kind",
                                  "learner_attributes": "object"}

FIELDS: dict[str, dict[str, FieldType]] = {
    "toolEvidence": {
        "source_key": "string", **_LEARNER, "activity": "string", "skill_code": "string",
        "standard": "string", "raw_score": "string", "scale": "string",
        "observed_at": "datetime", "usage_minutes": "number", "status": "status",
    },
    "toolInterventions": {
        "source_key": "string", **_LEARNER, "kind": "intervention_kind",
        "skill_code": "string", "standard": "string", "given_by": "string",
        "started_at": "datetime", "minutes": "number", "notes": "string",
    },
    "toolPlacements": {
        **_LEARNER, "subject": "string", "grade_level": "grade_level",
        "struggling": "boolean", "observed_at": "datetime",
    },
}
"""Canonical fields per stream (docs/learning.md, :mod:`gateway.learning.records`) and what
the connector turns each into; ``payload`` (the record as the tool sent it) is added to
evidence rows by the connector. ``standard`` is a CASE identifier a tool reports itself,
``learner_attributes`` an object of what the tool knows of the person (name, email), and
``status`` ``tobedeleted`` withdraws an evidence record."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "toolEvidence": ("source_key", "learner", "learner_id_kind", "observed_at"),
    "toolInterventions": ("source_key", "learner", "learner_id_kind", "kind", "started_at"),
    "toolPlacements": ("learner", "learner_id_kind", "subject", "observed_at"),
}
"""Fields a stream's mapping must give (``learner_id_kind`` may come from ``identity``)."""

_NAME = {"type": "string", "minLength": 1}

_FIELD_SPEC: dict[str, Any] = {
    "type": ["string", "object"],
    "description": "A JSON path in the record (shorthand), or an object with one of "
                   "path, const or template, and optional transforms.",
    "properties": {
        "path": _NAME,
        "const": {"type": ["string", "number", "boolean", "null"]},
        "template": {"type": "string", "description": "e.g. '{student.id}-{unit.id}'"},
        "map": {"type": "object", "description": "source value -> canonical value",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
        "default": {"type": ["string", "number", "boolean", "null"]},
        "divide": {"type": "number", "exclusiveMinimum": 0},
        "multiply": {"type": "number"},
        "scale": {"type": "string", "description": "the scale of this raw_score (a scale "
                                                   "spec, e.g. percent, levels:A,B,C)"},
        "format": {"type": "string", "description": "a strptime format for a datetime field "
                                                    "the tool does not send as ISO 8601"},
    },
    "additionalProperties": False,
}


def _fields(stream: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: {"$ref": "#/$defs/field"} for name in FIELDS[stream]}}


def _feed(stream: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["endpoint", "records", "fields"],
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
            "endpoint": {"$ref": "#/$defs/endpoint"},
            "pagination": {"$ref": "#/$defs/pagination"},
            "records": _NAME,
            "incremental": {"$ref": "#/$defs/incremental"},
            "fields": _fields(stream),
        },
        "additionalProperties": False,
    }


def _one_or_more(stream: str) -> dict[str, Any]:
    return {"type": ["object", "array"], "minItems": 1, "items": _feed(stream),
            **{k: v for k, v in _feed(stream).items() if k != "type"}}


MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://harbormaster.example/schemas/tool-mapping.json",
    "title": "Harbormaster tool mapping",
    "type": "object",
    "required": ["streams"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
        "title": {"type": "string"},
        "base_url": {"type": "string", "pattern": "^https?://"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 10000},
        "auth": {"$ref": "#/$defs/auth"},
        "identity": {
            "type": "object",
            "properties": {
                "learner_id_kind": {"enum": list(ID_KINDS)},
                "match": {"type": "object",
                          "propertyNames": {"enum": list(ID_KINDS)},
                          "additionalProperties": {"type": ["array", "string"],
                                                   "minItems": 1, "items": _NAME}},
            },
            "additionalProperties": False,
        },
        "crosswalk": {
            "type": "array",
            "items": {
                "type": "object", "required": ["code", "standard"],
                "properties": {"code": _NAME, "standard": _NAME,
                               "strength": {"type": "number", "minimum": 0, "maximum": 1}},
                "additionalProperties": False,
            },
        },
        "streams": {
            "type": "object", "minProperties": 1,
            "properties": {s: _one_or_more(s) for s in STREAMS},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
    "$defs": {
        "field": _FIELD_SPEC,
        "auth": {
            "type": "object", "required": ["type"],
            "properties": {
                "type": {"enum": ["api_key", "bearer", "oauth2_client_credentials", "none"]},
                "header": _NAME, "prefix": {"type": "string"},
                "secret": {"enum": ["api_key", "token", "client_secret"]},
                "token_url": _NAME, "scope": {"type": "string"},
            },
            "additionalProperties": False,
            "allOf": [
                {"if": {"properties": {"type": {"const": "api_key"}}},
                 "then": {"required": ["header"]}},
                {"if": {"properties": {"type": {"const": "oauth2_client_credentials"}}},
                 "then": {"required": ["token_url"]}},
            ],
        },
        "endpoint": {
            "type": "object", "required": ["path"],
            "properties": {
                "path": _NAME,
                "params": {"type": "object", "additionalProperties":
                           {"type": ["string", "number", "boolean"]}},
            },
            "additionalProperties": False,
        },
        "pagination": {
            "type": "object", "required": ["style"],
            "properties": {
                "style": {"enum": ["page_number", "offset", "cursor", "link", "none"]},
                "page_param": _NAME, "size_param": _NAME, "start": {"type": "integer"},
                "offset_param": _NAME, "limit_param": _NAME,
                "cursor_path": _NAME, "cursor_param": _NAME,
            },
            "additionalProperties": False,
            "allOf": [
                {"if": {"properties": {"style": {"const": "page_number"}}},
                 "then": {"required": ["page_param"]}},
                {"if": {"properties": {"style": {"const": "offset"}}},
                 "then": {"required": ["offset_param", "limit_param"]}},
                {"if": {"properties": {"style": {"const": "cursor"}}},
                 "then": {"required": ["cursor_path", "cursor_param"]}},
            ],
        },
        "incremental": {
            "type": "object", "required": ["cursor_field", "param"],
            "properties": {
                "cursor_field": _NAME, "param": _NAME,
                "format": {"enum": ["iso8601", "date", "epoch_seconds", "epoch_millis"]},
                "margin_minutes": {"type": "number", "minimum": 0},
            },
            "additionalProperties": False,
        },
    },
}



def schema_json() -> str:
    """The schema as a JSON document, for vendors' editors (docs/connectors.md)."""
    return json.dumps(MAPPING_SCHEMA, indent=2)
