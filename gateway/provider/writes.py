"""Gradebook writes: vendors create, replace and delete categories, line items, results and
score scales (OneRoster 1.2 gradebook service, ``gradebook.createput``/``.createpost``/
``.delete`` scopes), and assessment line items and assessment results (the assessment
profile: PUT and DELETE only, ``assessment.createput``/``.delete`` scopes).

What the official file says, and what this module does:

- ``PUT /{collection}/{sourcedId}`` ("To create a new lineItem. The associated sourcedId
  for this new record is supplied by the requesting system"; responses ``201`` "The object
  has been successfully stored", no 200): creates or replaces the record and answers
  ``201`` with no body, whether it created, replaced or found the very same content. A
  repeated identical PUT writes nothing: same change version, same ``dateLastModified``.
- ``DELETE /{collection}/{sourcedId}`` (``204`` "successfully deleted"; "If the
  corresponding record cannot be located then an 'unknown' error code is returned"):
  marks the record ``tobedeleted`` (nothing is ever hard-deleted, as in a sync) and
  answers ``204``; deleting a record already ``tobedeleted`` changes nothing. A read by
  its id keeps serving it with ``status: tobedeleted``, and a list serves it to a filter
  on ``dateLastModified`` or ``status``, as rostering does after a sync deletes.
  Nothing cascades (a deleted line item's results stay).
- ``POST`` of a set (``/classes/{id}/lineItems``, ``/schools/{id}/lineItems``,
  ``/lineItems/{id}/results``, ``/classes/{id}/academicSessions/{id}/results``; ``201``
  with a ``GUIDPairSetDType``): creates every record or none. The supplied sourcedId is
  kept when it is free; one already taken (or repeated in the request, or empty) gets a
  new UUID, reported in ``sourcedIdPairs`` ("the set of sourcedIds that have been
  allocated to the newly created records"). The path's class/school/line item is filled
  into records that omit it; a record naming another one is refused. A body without the
  set's wrapper key (``{}``, which the set schemas allow) is an empty set.

Errors: a body that is not JSON is ``400 invaliddata``; well-formed JSON that is not a
valid record ("semantically erroneous", which the spec answers with ``422``) is ``422
invaliddata`` naming the field (``lineItem.dueDate: ...``), as is a reference to a record
that does not exist or is outside the client's grant (indistinguishable, as in reads). A
path naming an unknown or invisible record (``POST /classes/{unknown}/lineItems``, a PUT
replacing a record outside the grant, a DELETE of an unknown one) is ``404 unknownobject``.
``status`` must be ``active`` (delete with DELETE); ``sourcedId``, ``status`` and
``dateLastModified`` may be omitted (the path's id, ``active``, now). A line item's
``school`` and ``academicSession`` are taken from its class when omitted: the school of the
class (LineItemDType requires ``school``, so every line item served has one), and its
``gradingPeriod`` if given, else the class's term the ``dueDate`` falls in (LineItemDType
makes ``academicSession`` optional; the store keeps one per line item, as the CSV binding
does, and a line item no term can be found for is ``422``).

The nested ``scoreScale`` and ``learningObjectiveSet`` of line items and results live in
their own streams (lineItemScoreScales, resultLearningObjectiveIds, ...); writing them is
not supported yet, and a body carrying them is refused with ``422`` rather than stored
without them. The same holds for the ``learningObjectiveSet`` of assessment line items and
results; their ``scoreScale`` is a plain reference and is stored. A score scale's
``scoreScaleValue`` is kept as ``{itemValueLHS:itemValueRHS}`` items, as in the CSV binding,
so an ``itemValueLHS`` that is blank or holds ``:``, ``{`` or ``}``, or an ``itemValueRHS``
holding a brace, is ``422`` (it could not be read back). An empty required string (a
``title`` of ``""``) is ``422`` too: the store keeps an empty value as absent.

Storage: a row is normalized and hashed by the stream's compiled checker
(:func:`gateway.engine.validate.checker`), exactly as a CSV sync would store the same
values, inside one transaction that holds the tenant's write lock and bumps its change
version (the change feed and ``dateLastModified`` show vendor writes). Origin: the
``connection_id`` of a vendor-written row is ``-(provider client id)`` (connections have
positive ids), so the writer is on record and every SIS connection sees the row as
*foreign*: a bulk re-sync of a results file that never had it does not soft-delete it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from gateway.clock import utcnow
from gateway.engine.validate import BatchCheck, Deferred, Problems, checker, ref_columns
from gateway.model.oneroster import STREAM_MODELS, from_model, json_field
from gateway.model.schema import ALL_STREAMS
from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import Caller, ProviderTokens
from gateway.provider.errors import ProviderError, unknown_object
from gateway.provider.gradebook import GRADEBOOK
from gateway.provider.reader import Reader
from gateway.provider.respond import answer
from gateway.provider.service import Parent, Service
from gateway.provider.service import all_of as _all
from gateway.provider.service import eq as _eq
from gateway.provider.service import of_type as _of_type
from gateway.store.store import Store
from gateway.store.sync import SyncSession
from gateway.store.tables import stream_tables, tenants

__all__ = ["WRITES", "Write", "add_write_routes", "origin"]


Method = Literal["PUT", "DELETE", "POST"]
_NESTED_FIELDS = {"lineItems": ("scoreScale", "learningObjectiveSet"),
                  "results": ("scoreScale", "learningObjectiveSet"),
                  "assessmentLineItems": ("learningObjectiveSet",),
                  "assessmentResults": ("learningObjectiveSet",)}
_SEEN: Any = object()
MAX_ID = 255
"""The longest sourcedId a stream table holds (``sourced_id`` is VARCHAR(255))."""


def origin(client_pk: int) -> int:
    """The ``connection_id`` recorded on rows a provider client wrote."""
    return -client_pk


@dataclass(frozen=True, slots=True)
class Write:
    """One write operation of the official file."""

    method: Method
    path: str
    stream: str
    parents: tuple[Parent, ...] = ()
    fill: tuple[tuple[str, str], ...] = ()
    """``(JSON field, path parameter)``: references each POSTed record takes from the path."""
    session_param: str | None = None
    """For results POSTed to a class and academic session: their line items must be of that
    class and session."""
    wrapper: str = ""
    scopes: frozenset[str] = frozenset()
    base: str = ""

    @property
    def route(self) -> str:
        return self.base + self.path


def _complete(service: Service, write: Write) -> Write:
    """The request wrapper key and the scopes, from the official operation."""
    operation = service.spec()["paths"][write.path][write.method.lower()]
    scopes = frozenset(s for req in operation.get("security", [])
                       for s in req.get("OAuth2CC", []))
    wrapper = ""
    if "requestBody" in operation:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = service.spec()["components"]["schemas"][ref.rsplit("/", 1)[1]]
        [wrapper] = schema["properties"]
    return replace(write, wrapper=wrapper, scopes=scopes, base=service.base)


_CLASS = Parent("classSourcedId", "classes", _eq("sourced_id", "classSourcedId"))
_SCHOOL = Parent("schoolSourcedId", "orgs", _all(_eq("sourced_id", "schoolSourcedId"),
                                                 _of_type("school")))
_LINE_ITEM = Parent("lineItemSourcedId", "lineItems", _eq("sourced_id", "lineItemSourcedId"))
_SESSION = Parent("academicSessionSourcedId", "academicSessions",
                  _eq("sourced_id", "academicSessionSourcedId"))

_TABLE: list[Write] = [
    *(Write(method, f"/{collection}/{{sourcedId}}", collection)
      for collection in ("categories", "lineItems", "results", "scoreScales",
                         "assessmentLineItems", "assessmentResults")
      for method in ("PUT", "DELETE")),
    Write("POST", "/classes/{classSourcedId}/lineItems", "lineItems", (_CLASS,),
          (("class", "classSourcedId"),)),
    Write("POST", "/schools/{schoolSourcedId}/lineItems", "lineItems", (_SCHOOL,),
          (("school", "schoolSourcedId"),)),
    Write("POST", "/lineItems/{lineItemSourcedId}/results", "results", (_LINE_ITEM,),
          (("lineItem", "lineItemSourcedId"),)),
    Write("POST", "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
          "results", (_CLASS, _SESSION), (("class", "classSourcedId"),),
          session_param="academicSessionSourcedId"),
]

WRITES: tuple[Write, ...] = tuple(_complete(GRADEBOOK, w) for w in _TABLE)
_REF_TYPES = {"class": "class", "school": "org", "lineItem": "lineItem"}


def add_write_routes(router: APIRouter, store: Store, access: AccessLog,
                     tokens: ProviderTokens, writes: Sequence[Write] = WRITES) -> None:
    for write in writes:
        router.add_api_route(write.route, _handler(write, store, access, tokens),
                             methods=[write.method], name=f"oneroster {write.method} "
                             f"{write.route}", response_class=Response)


def _handler(write: Write, store: Store, access: AccessLog,
             tokens: ProviderTokens) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        async def serve(caller: Caller) -> tuple[Response, int]:
            body = await request.body() if write.method != "DELETE" else b""
            params = {k: str(v) for k, v in request.path_params.items()}
            writer = _Writer(store, caller, write, params)
            return await run_in_threadpool(writer.serve, body)

        return await answer(request, tokens, access, write.scopes,
                            f"{write.method} {write.path}", serve)
    handle.__doc__ = f"OneRoster 1.2: {write.method} {write.path}"
    return handle


def _invalid(message: str) -> ProviderError:
    return ProviderError(422, "invaliddata", message)


class _Writer:
    """One write request of one client."""

    def __init__(self, store: Store, caller: Caller, write: Write,
                 params: Mapping[str, str]) -> None:
        self.store = store
        self.client = caller.client
        self.write = write
        self.stream = write.stream
        self.params = params
        self.reader = Reader(store.engine, self.client.tenant_id, self.client.sharing)

    def serve(self, body: bytes) -> tuple[Response, int]:
        tenant = self.client.tenant_id
        for parent in self.write.parents:
            table = stream_tables[parent.stream]
            if not self.reader.exists(parent.stream, parent.where(table, tenant, self.params)):
                raise unknown_object(f"{parent.param} {self.params[parent.param]!r}")
        for name, value in self.params.items():
            if not _storable(value):  # cannot be the id of any stored record
                raise unknown_object(f"{name} {value[:MAX_ID]!r}")
        if self.write.method == "DELETE":
            return self._delete(self.params["sourcedId"])
        payload = _parse(body)
        if self.write.method == "PUT":
            return self._put(payload)
        return self._post(payload)

    # the three operations ---------------------------------------------------------------

    def _put(self, payload: Any) -> tuple[Response, int]:
        sid = self.params["sourcedId"]
        record = _unwrap(payload, self.write.wrapper, single=True)
        assert isinstance(record, dict)
        label = self.write.wrapper
        given = record.setdefault("sourcedId", sid)
        if given != sid:
            raise _invalid(f"{label}.sourcedId: {given!r} is not the path's sourcedId {sid!r}")
        row = self._row(record, label)
        self._check_refs([(row, label)])
        existing = self._existing([sid])
        if existing and not self.reader.exists(self.stream, [self._key(sid)]):
            raise unknown_object(f"{label} {sid!r}")  # someone else's record
        self._apply([row])
        return Response(status_code=201), 1

    def _post(self, payload: Any) -> tuple[Response, int]:
        records = _unwrap(payload, self.write.wrapper, single=False)
        assert isinstance(records, list)
        rows: list[tuple[dict[str, str | None], str]] = []
        empty: set[int] = set()  # records supplied without an id (schema-valid: "")
        for i, record in enumerate(records):
            label = f"{self.write.wrapper}[{i}]"
            if not isinstance(record, dict):
                raise _invalid(f"{label}: must be an object")
            for field, param in self.write.fill:
                self._fill(record, field, param, label)
            if record.get("sourcedId") == "":
                record["sourcedId"] = str(uuid.uuid4())
                empty.add(i)
            rows.append((self._row(record, label), label))
        self._check_refs(rows)
        if self.write.session_param is not None:
            self._check_line_items(rows)
        taken = self._existing([r["sourcedId"] or "" for r, _ in rows])
        pairs: list[dict[str, str]] = []
        seen: set[str] = set()
        for i, (row, _) in enumerate(rows):
            allocated = row["sourcedId"] or ""
            supplied = "" if i in empty else allocated
            if allocated in taken or allocated in seen:
                allocated = str(uuid.uuid4())
            seen.add(allocated)
            row["sourcedId"] = allocated
            pairs.append({"suppliedSourcedId": supplied, "allocatedSourcedId": allocated})
        self._apply([r for r, _ in rows])
        return JSONResponse({"sourcedIdPairs": pairs}, status_code=201), len(rows)

    def _delete(self, sid: str) -> tuple[Response, int]:
        row = self.reader.one(self.stream, [self._key(sid)])
        if row is None:
            raise unknown_object(f"{self.stream} {sid!r}")
        if row["status"] == "tobedeleted":
            return Response(status_code=204), 0
        with self._transaction() as (session, version):
            session.soft_delete(self.stream, [sid], now=utcnow(), version=version)
            self._commit(session, version)
        return Response(status_code=204), 1

    # pieces -----------------------------------------------------------------------------

    def _key(self, sid: str) -> sa.ColumnElement[bool]:
        return stream_tables[self.stream].c.sourced_id == sid

    def _fill(self, record: dict[str, Any], field: str, param: str, label: str) -> None:
        value = self.params[param]
        ref = record.get(field)
        if ref is None:
            record[field] = {"href": "", "sourcedId": value, "type": _REF_TYPES[field]}
        elif not isinstance(ref, dict) or ref.get("sourcedId") != value:
            raise _invalid(f"{label}.{field}: must be the path's {param} {value!r}")

    def _row(self, record: dict[str, Any], label: str) -> dict[str, str | None]:
        """The flat row of one record, validated by the stream's model."""
        if self.stream == "lineItems":
            self._from_class(record, label)
        for field in _NESTED_FIELDS.get(self.stream, ()):
            if record.get(field) is not None:
                raise _invalid(f"{label}.{field}: writing a nested {field} is not supported; "
                               f"send the record without it")
        record.setdefault("status", "active")
        record.setdefault("dateLastModified", utcnow())
        try:
            model = STREAM_MODELS[self.stream].model_validate(record)
        except ValidationError as exc:
            raise _invalid("; ".join(_describe(label, e) for e in exc.errors()[:5])) from None
        if not _storable(model.sourcedId):
            raise _invalid(f"{label}.sourcedId: must be at most {MAX_ID} characters, "
                           f"without NUL")
        if model.status != "active":
            raise _invalid(f"{label}.status: must be active; to delete a record, send DELETE")
        try:
            return from_model(self.stream, model)
        except ValueError as exc:  # a value the flat row cannot hold, named by its field
            raise _invalid(f"{label}.{exc}") from None

    def _from_class(self, record: dict[str, Any], label: str) -> None:
        """A line item's omitted ``school`` and ``academicSession``, from its class."""
        ref = record.get("class")
        sid = ref.get("sourcedId") if isinstance(ref, dict) else None
        if not isinstance(sid, str) or not _storable(sid):
            return  # the model or the reference check says what is wrong
        c = stream_tables["classes"]
        cls = self.reader.one("classes", [c.c.sourced_id == sid, c.c.status == "active"])
        if cls is None:
            return
        if record.get("school") is None:
            record["school"] = {"href": "", "sourcedId": cls["schoolSourcedId"], "type": "org"}
        if record.get("academicSession") is not None:
            return
        if isinstance(record.get("gradingPeriod"), dict):
            record["academicSession"] = record["gradingPeriod"]
            return
        terms = [t for t in (cls["termSourcedIds"] or "").split(",") if t]
        if len(terms) > 1:  # the one the line item is due in
            due = str(record.get("dueDate") or "")[:10]
            t = stream_tables["academicSessions"]
            terms = [term for term in terms if self.reader.exists("academicSessions", [
                t.c.sourced_id == term, t.c.start_date <= due, t.c.end_date >= due])]
        if len(terms) != 1:
            raise _invalid(f"{label}.academicSession: required, and class {sid!r} has no "
                           f"single term the due date falls in to take it from")
        record["academicSession"] = {"href": "", "sourcedId": terms[0],
                                     "type": "academicSession"}

    def _check_refs(self, rows: Sequence[tuple[Mapping[str, str | None], str]]) -> None:
        """Every reference names an active record the client may see."""
        for _, col in ref_columns(self.stream):
            assert col.ref is not None
            target = stream_tables[col.ref]
            for row, label in rows:
                for value in (row[col.name] or "").split(",") if row[col.name] else ():
                    if not self.reader.exists(col.ref, [target.c.sourced_id == value,
                                                        target.c.status == "active"]):
                        raise _invalid(f"{label}.{json_field(self.stream, col.name)}: "
                                       f"{value!r} is not a known {col.ref} record")

    def _check_line_items(self, rows: Sequence[tuple[Mapping[str, str | None], str]]) -> None:
        """Results POSTed to a class and session: their line items are of both."""
        assert self.write.session_param is not None
        cls, session = self.params["classSourcedId"], self.params[self.write.session_param]
        li = stream_tables["lineItems"]
        for row, label in rows:
            if not self.reader.exists("lineItems", [
                    li.c.sourced_id == row["lineItemSourcedId"],
                    li.c.class_sourced_id == cls,
                    li.c.academic_session_sourced_id == session]):
                raise _invalid(f"{label}.lineItem: {row['lineItemSourcedId']!r} is not a line "
                               f"item of class {cls!r} in academic session {session!r}")

    def _existing(self, sids: Sequence[str]) -> set[str]:
        """Which of ``sids`` the tenant has in this stream (any status, any visibility)."""
        t = stream_tables[self.stream]
        q = sa.select(t.c.sourced_id).where(t.c.tenant_id == self.client.tenant_id,
                                            t.c.sourced_id.in_(sorted(set(sids))))
        with self.store.engine.connect() as conn:
            return {r[0] for r in conn.execute(q)}

    def _apply(self, rows: Sequence[Mapping[str, str | None]]) -> None:
        """Upsert ``rows`` through the stream's checker; commit only if something changed."""
        spec = ALL_STREAMS[self.stream]
        # As a CSV reader hands them over: text, "" for empty (the hash is over these).
        tuples = [tuple(v or "" for v in (r["sourcedId"], r["status"], r["dateLastModified"],
                                          *(r[c.name] for c in spec.columns), r["metadata"]))
                  for r in rows]
        now = utcnow()
        with self._transaction() as (session, version):
            index = session.lookup(self.stream, [r["sourcedId"] or "" for r in rows])
            refs = [{v for r in rows if r[col.name] for v in (r[col.name] or "").split(",")}
                    for _, col in ref_columns(self.stream)]
            check = BatchCheck(stream=self.stream, source=f"{self.write.method} "
                               f"{self.write.path}", tenant_id=self.client.tenant_id,
                               connection_id=origin(self.client.id), version=version, now=now,
                               bulk=False, refs=refs, problems=Problems(), deferred=Deferred())
            check.active, check.deleted, check.seen = dict(index.active), index.deleted, _SEEN
            updates = checker(self.stream)(tuples, list(range(1, len(rows) + 1)), check)
            if check.problems:
                problem = check.problems.kept[0]
                field = json_field(self.stream, problem.column) if problem.column in \
                    spec.column_names else problem.column
                raise _invalid(f"{self.write.wrapper}.{field}: {problem.message}")
            session.insert(self.stream, check.inserts)
            session.update(self.stream, updates)
            if check.inserts or updates:
                self._commit(session, version)

    @contextmanager
    def _transaction(self) -> Iterator[tuple[SyncSession, int]]:
        """The tenant's write transaction, as :meth:`Store.sync_session` opens it for a
        run (the tenant row locked, the next change version), for this client's writes.
        Leaving without :meth:`_commit` rolls back."""
        engine = self.store.engine
        tenant = self.client.tenant_id
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
            tx = conn.begin()
            try:
                q = sa.select(tenants.c.last_version).where(tenants.c.id == tenant)
                if conn.dialect.name == "postgresql":
                    q = q.with_for_update()
                last = conn.execute(q).scalar_one()
                session = SyncSession(conn, tenant, origin(self.client.id))
                session.tx = tx
                yield session, int(last) + 1
            finally:
                if tx.is_active:
                    tx.rollback()

    @staticmethod
    def _commit(session: SyncSession, version: int) -> None:
        session.conn.execute(tenants.update().where(tenants.c.id == session.tenant_id)
                             .values(last_version=version))
        assert session.tx is not None
        session.tx.commit()


def _storable(sourced_id: str) -> bool:
    return len(sourced_id) <= MAX_ID and "\x00" not in sourced_id


def _parse(body: bytes) -> Any:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProviderError(400, "invaliddata", f"the request body is not JSON: {exc}") from None
    _no_nul(payload, "")
    return payload


def _no_nul(value: Any, at: str) -> None:
    """Text columns cannot hold NUL (PostgreSQL refuses it): refused up front, by field."""
    if isinstance(value, str) and "\x00" in value:
        raise _invalid(f"{at.lstrip('.') or 'body'}: contains a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key, at)
            _no_nul(item, f"{at}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_nul(item, f"{at}[{i}]")


def _unwrap(payload: Any, wrapper: str, *, single: bool) -> Any:
    shape = f'{{"{wrapper}": {{...}}}}' if single else f'{{"{wrapper}": [...]}}'
    if payload == {} and not single:
        return []  # a set's wrapper is optional (e.g. LineItemSetDType): an empty set
    if not isinstance(payload, dict) or set(payload) != {wrapper}:
        raise _invalid(f"the body must be {shape}")
    inner = payload[wrapper]
    if single and not isinstance(inner, dict):
        raise _invalid(f"{wrapper}: must be an object")
    if not single and not isinstance(inner, list):
        raise _invalid(f"{wrapper}: must be an array")
    return inner


def _describe(label: str, error: Mapping[str, Any]) -> str:
    path = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                           for p in error.get("loc", ()))
    return f"{path}: {error.get('msg', 'invalid')}"
