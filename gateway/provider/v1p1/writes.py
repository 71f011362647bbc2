"""OneRoster 1.1 gradebook writes: PUT and DELETE of categories, line items and results.

A 1.1 write is the 1.2 write of the same record (:mod:`gateway.provider.writes`: same
validation, same storage, same idempotency, same ``201``/``204`` answers and 404s) once
the 1.1 body is read as 1.2:

- only 1.1 fields are accepted (a 1.2-only field such as ``weight`` or ``textScore`` is
  ``422 invaliddata``); a line item's ``gradingPeriod`` is its 1.2 ``academicSession``;
- a reference's ``type`` may be a 1.1 synonym (``student`` for a result's user,
  ``gradingPeriod``/``term`` for a line item's session) and its ``href`` may be left out;
- replacing a record keeps what 1.1 cannot send: a category's ``weight``, a result's
  ``textScore``, ``class`` and flags, stay as they were;
- a line item's ``school`` (which 1.2 has and 1.1 lacks) is the school of its class, as
  the CSV reader fills it for 1.1 files.

Errors name the 1.1 fields (``lineItem.gradingPeriod: ...``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from gateway.model._refs import REF_TYPES
from gateway.model._values import split_list
from gateway.model.oneroster import json_field
from gateway.model.schema import STREAMS
from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import Authenticator, Caller
from gateway.provider.errors import V1P1_CODE_MINOR, ProviderError
from gateway.provider.reader import Reader
from gateway.provider.respond import answer
from gateway.provider.v1p1.paths import BASE, v1p1_scopes
from gateway.provider.v1p1.shape import FIELDS
from gateway.provider.writes import MAX_ID, WRITES, Write, _Writer
from gateway.store.store import Store
from gateway.store.tables import stream_tables

__all__ = ["WRITES_V1P1", "add_write_routes_v1p1"]

COLLECTIONS = ("categories", "lineItems", "results")
WRITES_V1P1: tuple[Write, ...] = tuple(
    replace(w, base=BASE, scopes=v1p1_scopes(w.scopes)) for w in WRITES
    if w.stream in COLLECTIONS and w.method in ("PUT", "DELETE"))
"""The 1.1 writes: the 1.2 PUT and DELETE of the same paths, under the 1.1 base path."""

_RENAMED = {("lineItems", "gradingPeriod"): "academicSession"}
# 1.1 reference fields: the 1.2 type, and the 1.1 types a client may send for it.
_REFS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("lineItems", "class"): ("class", frozenset({"class"})),
    ("lineItems", "category"): ("category", frozenset({"category"})),
    ("lineItems", "gradingPeriod"): ("academicSession",
                                     frozenset({"academicSession", "gradingPeriod", "term"})),
    ("results", "lineItem"): ("lineItem", frozenset({"lineItem"})),
    ("results", "student"): ("user", frozenset({"user", "student"})),
}
_COMMON = frozenset({"sourcedId", "status", "dateLastModified", "metadata"})


def add_write_routes_v1p1(router: APIRouter, store: Store, access: AccessLog,
                          auth: Authenticator) -> None:
    for write in WRITES_V1P1:
        router.add_api_route(write.route, _handler(write, store, access, auth),
                             methods=[write.method], response_class=Response,
                             name=f"oneroster 1.1 {write.method} {write.route}")


def _handler(write: Write, store: Store, access: AccessLog,
             auth: Authenticator) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        async def serve(caller: Caller) -> tuple[Response, int]:
            params = {k: str(v) for k, v in request.path_params.items()}
            body = b""
            if write.method == "PUT":
                body = await run_in_threadpool(_as_v1p2, store, caller, write, params,
                                               await request.body())
            writer = _Writer(store, caller, write, params)
            try:
                return await run_in_threadpool(writer.serve, body)
            except ProviderError as exc:
                raise _in_v1p1_terms(exc, write) from None

        return await answer(request, auth, access, write.scopes,
                            f"{write.method} {write.path}", serve,
                            vocabulary=V1P1_CODE_MINOR)
    handle.__doc__ = f"OneRoster 1.1: {write.method} {write.path}"
    return handle


def _as_v1p2(store: Store, caller: Caller, write: Write, params: Mapping[str, str],
             raw: bytes) -> bytes:
    """The 1.2 body of a 1.1 PUT body. A body that is not ``{"<wrapper>": {...}}`` is
    passed on as it is, for the 1.2 write to refuse in its own words."""
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw
    wrapper, stream = write.wrapper, write.stream
    if not isinstance(payload, dict) or set(payload) != {wrapper} or not isinstance(
            payload[wrapper], dict):
        return raw
    record: dict[str, Any] = payload[wrapper]
    allowed = _COMMON | set(FIELDS[stream])
    unknown = sorted(str(name) for name in record if name not in allowed)
    if unknown:
        raise ProviderError(422, "invaliddata", f"{wrapper}.{unknown[0]}: not a field of a "
                            f"OneRoster 1.1 {wrapper}; the fields are "
                            f"{', '.join(sorted(allowed))}")
    converted: dict[str, Any] = {}
    for name, value in record.items():
        ref = _REFS.get((stream, name))
        if ref is not None and isinstance(value, dict):
            value = _ref_v1p2(value, *ref)
        converted[_RENAMED.get((stream, name), name)] = value
    sid = params.get("sourcedId", "")
    if len(sid) > MAX_ID or "\x00" in sid:
        return json.dumps({wrapper: converted}).encode()  # the 1.2 write answers 404
    reader = Reader(store.engine, caller.client.tenant_id, caller.client.sharing)
    existing = reader.one(stream, [stream_tables[stream].c.sourced_id == sid])
    kept = _kept(stream, existing) if existing is not None else {}
    if stream == "lineItems":
        school = _school_of(reader, converted.get("class"))
        if school is not None:
            kept["school"] = _ref("orgs", school)
    return json.dumps({wrapper: {**kept, **converted}}).encode()


def _ref_v1p2(value: dict[str, Any], expected: str, synonyms: frozenset[str]
              ) -> dict[str, Any]:
    out = dict(value)
    out.setdefault("href", "")
    if out.get("type", expected) in synonyms:
        out["type"] = expected
    return out


def _ref(collection: str, sourced_id: str) -> dict[str, str]:
    return {"href": "", "sourcedId": sourced_id, "type": REF_TYPES[collection]}


def _kept(stream: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The 1.2 JSON of the stored row's columns 1.1 has no field for."""
    v1p1 = set(FIELDS[stream].values())
    out: dict[str, Any] = {}
    for column in STREAMS[stream].columns:
        text = row.get(column.name)
        if column.name in v1p1 or not text:
            continue
        name = json_field(stream, column.name)
        match column.kind:
            case "ref":
                assert column.ref is not None
                out[name] = _ref(column.ref, text)
            case "refs":
                assert column.ref is not None
                out[name] = [_ref(column.ref, sid) for sid in split_list(text)]
            case "float":
                out[name] = float(text)
            case "list":
                out[name] = split_list(text)
            case _:
                out[name] = text
    return out


def _school_of(reader: Reader, cls: Any) -> str | None:
    """The school of the (visible) class a line item names."""
    if not isinstance(cls, dict) or not isinstance(cls.get("sourcedId"), str):
        return None
    sid = cls["sourcedId"]
    if len(sid) > MAX_ID or "\x00" in sid:
        return None
    row = reader.one("classes", [stream_tables["classes"].c.sourced_id == sid])
    return str(row["schoolSourcedId"]) if row is not None and row["schoolSourcedId"] else None


def _in_v1p1_terms(exc: ProviderError, write: Write) -> ProviderError:
    """``exc`` with the 1.2 field names of its message written as their 1.1 names."""
    description = exc.description
    for (stream, v1p1), v1p2 in _RENAMED.items():
        if stream == write.stream:
            description = description.replace(f"{write.wrapper}.{v1p2}",
                                               f"{write.wrapper}.{v1p1}")
    return ProviderError(exc.status, exc.code_minor, description, exc.headers,
                         vocabulary=V1P1_CODE_MINOR)
