"""A OneRoster REST service (rostering, gradebook, resources): its paths and what they serve.

Each service is a table of :class:`Endpoint` rows, one per path of the official OpenAPI file.
The wrapper key of each response and the OAuth 2 scopes each operation accepts are read
from that file, so they cannot drift from the standard; what each path *means* in the store
is written by the service module (``where`` conditions, parents that must exist).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa

__all__ = ["SPECS", "Condition", "Endpoint", "Parent", "Service", "Where", "all_of", "eq",
           "is_record", "nothing", "of_type"]

SPECS = Path(__file__).with_name("specs")

Condition = sa.ColumnElement[bool]
Where = Callable[[sa.FromClause, int, Mapping[str, str]], list[Condition]]
"""``(table, tenant id, path parameters) -> conditions`` beyond the stream itself."""


@dataclass(frozen=True, slots=True)
class Parent:
    """A path parameter naming a record that must exist (and be visible) for a nested list:
    ``/schools/{schoolSourcedId}/classes`` answers 404 for an unknown school."""

    param: str
    stream: str
    where: Where


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    stream: str
    where: Where
    single: bool = False
    parents: tuple[Parent, ...] = ()
    wrapper: str = ""
    scopes: frozenset[str] = frozenset()
    base: str = ""

    @property
    def route(self) -> str:
        return self.base + self.path


@dataclass(frozen=True)
class Service:
    """One service: its base path, its official OpenAPI file, and its endpoint table."""

    name: str
    base: str
    spec_file: Path
    table: Sequence[Endpoint] = field(repr=False)

    def spec(self) -> dict[str, Any]:
        return self._spec

    @cached_property
    def _spec(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.spec_file.read_text())
        return doc

    @cached_property
    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(self._complete(e) for e in self.table)

    def _complete(self, endpoint: Endpoint) -> Endpoint:
        """Fill in the wrapper key and scopes from the official OpenAPI operation."""
        operation = self._spec["paths"][endpoint.path]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schema = self._spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        [wrapper] = schema["properties"]
        scopes = frozenset(s for req in operation.get("security", [])
                           for s in req.get("OAuth2CC", []))
        return replace(endpoint, wrapper=wrapper, scopes=scopes, base=self.base)


def nothing(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
    return []


def of_type(value: str) -> Where:
    """Records whose ``type`` is ``value`` (schools among orgs, terms among sessions)."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        return [table.c.type == value]
    return where


def eq(column: str, param: str, *extra: Where) -> Where:
    """``column`` equals the path parameter ``param`` (and the ``extra`` conditions hold)."""
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        out = [table.c[column] == params[param]]
        for more in extra:
            out += more(table, tenant, params)
        return out
    return where


def all_of(*wheres: Where) -> Where:
    def where(table: sa.FromClause, tenant: int, params: Mapping[str, str]) -> list[Condition]:
        return [c for w in wheres for c in w(table, tenant, params)]
    return where


def is_record(param: str, where: Where = nothing) -> Where:
    """The record named by ``param`` (a single-record path)."""
    return all_of(eq("sourced_id", param), where)
