"""The OneRoster query engine against real tables: SQLite (created from the metadata and
migrated) and PostgreSQL (migrated)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from gateway.api import create_app
from gateway.provider.app import provider_router
from gateway.provider.auth import TOKEN_PATH
from gateway.provider.query import (
    INT32_MAX,
    OPS,
    And,
    FieldMap,
    Or,
    Predicate,
    QueryError,
    QueryWarning,
    compile_filter,
    field_map,
    filter_clause,
    format_filter,
    link_header,
    page,
    parse_filter,
    select_fields,
    sort_clause,
)
from gateway.settings import Settings
from gateway.store.clients import SCOPES_V1P1, ProviderClients, Sharing
from gateway.store.store import Store
from gateway.store.tables import metadata, stream_tables

T1, T2 = 1, 2


def _row(tenant: int, sid: str, dlm: str = "2026-01-01T00:00:00.000Z", status: str = "active",
         **values: Any) -> dict[str, Any]:
    return {"tenant_id": tenant, "sourced_id": sid, "status": status, "date_last_modified": dlm,
            "version": 1, "content_hash": 0, "connection_id": 1, **values}


ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        _row(T1, "u1", "2025-12-31T23:59:59.999Z", given_name="Ann", family_name="O'Brien",
             enabled_user="true", grades="09,10", user_ids="{LDAP:ann1},{SIS:100}",
             email="ann@x.org", username="ann"),
        _row(T1, "u2", "2026-01-01T00:00:00.000Z", given_name="Bob", family_name="Smith_Jones",
             enabled_user="false", grades="10", user_ids="{SIS:oid:100}",
             email="bob%50@x.org", username="bob"),
        _row(T1, "u3", "2026-01-01T00:00:00.001Z", status="tobedeleted", given_name="Cy",
             family_name="smith", enabled_user="true", username="cy"),
        _row(T1, "u4", "2026-03-01T12:00:00.000Z", given_name="Dee", family_name="Zed",
             enabled_user="true", grades="1,11", middle_name="Q", username="dee"),
        # Another tenant: never returned, and its roles never count for tenant 1's users.
        _row(T2, "u9", given_name="Ann", family_name="Other", enabled_user="true"),
    ],
    "roles": [
        _row(T1, "r1", user_sourced_id="u1", role_type="primary", role="teacher",
             org_sourced_id="o1"),
        _row(T1, "r2", user_sourced_id="u1", role_type="secondary", role="aide",
             org_sourced_id="o2"),
        _row(T1, "r3", user_sourced_id="u2", role_type="primary", role="student",
             org_sourced_id="o2"),
        # u2's old role at o1 is deleted; u2 has active roles, so it no longer counts.
        _row(T1, "r4", status="tobedeleted", user_sourced_id="u2", role_type="primary",
             role="student", org_sourced_id="o1"),
        # u3 is deleted with its roles; without active roles, its roles are the ones it had.
        _row(T1, "r5", status="tobedeleted", user_sourced_id="u3", role_type="primary",
             role="student", org_sourced_id="o3"),
        _row(T2, "r9", user_sourced_id="u2", role_type="primary", role="teacher",
             org_sourced_id="o1"),
    ],
    "classes": [
        _row(T1, "c1", title="Algebra 1", school_sourced_id="s1", term_sourced_ids="t1,t2",
             grades="09", class_type="scheduled", course_sourced_id="k1"),
        _row(T1, "c2", title="Biology 100%", school_sourced_id="s2", term_sourced_ids="t2",
             grades="10,11", class_type="homeroom", course_sourced_id="k1"),
        _row(T1, "c3", title="Chem_lab", school_sourced_id="s1", term_sourced_ids="t10",
             class_type="scheduled", course_sourced_id="k2"),
    ],
    "lineItems": [
        _row(T1, "l1", title="Quiz", assign_date="2026-02-01T00:00:00.000Z",
             due_date="2026-02-08T00:00:00.000Z", result_value_max="9"),
        _row(T1, "l2", title="Test", assign_date="2026-02-02T08:30:00.000Z",
             due_date="2026-02-09T00:00:00.000Z", result_value_max="10"),
        _row(T1, "l3", title="Essay", assign_date="2026-01-15T00:00:00.000Z",
             due_date="2026-02-15T00:00:00.000Z", result_value_max="85.5"),
        _row(T1, "l4", title="Ungraded", assign_date="2026-01-15T00:00:00.000Z",
             due_date="2026-02-15T00:00:00.000Z"),
    ],
}


def _load(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for stream, rows in ROWS.items():
            table = stream_tables[stream]
            for row in rows:  # one by one: rows leave different columns empty
                conn.execute(table.insert().values(**row))


@pytest.fixture
def engine(store: Store) -> sa.Engine:
    """A migrated store (SQLite and PostgreSQL) holding ROWS."""
    _load(store.engine)
    return store.engine


@pytest.fixture
def created_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    """A SQLite file whose schema comes straight from the metadata, holding ROWS."""
    e = sa.create_engine(f"sqlite:///{tmp_path / 'query.db'}")
    metadata.create_all(e)
    _load(e)
    yield e
    e.dispose()


def ids(engine: sa.Engine, stream: str, where: sa.ColumnElement[bool] | None = None,
        order: list[Any] | None = None) -> list[str]:
    t = stream_tables[stream]
    q = sa.select(t.c.sourced_id).where(t.c.tenant_id == T1)
    if where is not None:
        q = q.where(where)
    q = q.order_by(*(order or [t.c.sourced_id]))
    with engine.connect() as conn:
        return list(conn.execute(q).scalars())


def matching(engine: sa.Engine, stream: str, text: str) -> list[str]:
    return ids(engine, stream, filter_clause(stream, stream_tables[stream], text))


FILTERS: list[tuple[str, str, list[str]]] = [
    # = and != on text, missing values, quotes inside values
    ("users", "givenName='Ann'", ["u1"]),
    ("users", "givenName!='Ann'", ["u2", "u3", "u4"]),
    ("users", "middleName!='Q'", ["u1", "u2", "u3"]),
    ("users", "middleName=''", ["u1", "u2", "u3"]),
    ("users", "middleName!=''", ["u4"]),
    ("users", "familyName='O''Brien'", ["u1"]),
    ("users", "givenName='ann'", []),
    ("users", "sourcedId>'u2'", ["u3", "u4"]),
    ("users", "sourcedId<='u2'", ["u1", "u2"]),
    ("users", "sourcedId>='u2' AND sourcedId<'u4'", ["u2", "u3"]),
    # ~: case-insensitive substring, % _ \ taken literally
    ("users", "familyName~'SMITH'", ["u2", "u3"]),
    ("users", "familyName~'h_j'", ["u2"]),
    ("users", "familyName~'_'", ["u2"]),
    ("users", "email~'%5'", ["u2"]),
    ("users", "email~'%'", ["u2"]),
    ("users", "email~'\\'", []),
    ("users", "familyName~'''b'", ["u1"]),
    # booleans and enumerations
    ("users", "enabledUser='true'", ["u1", "u3", "u4"]),
    ("users", "enabledUser='FALSE'", ["u2"]),
    ("users", "enabledUser!='true'", ["u2"]),
    ("users", "status='active'", ["u1", "u2", "u4"]),
    ("users", "status='Active'", ["u1", "u2", "u4"]),
    ("users", "status!='active'", ["u3"]),
    # dateLastModified with a date (midnight UTC) or a date-time (any offset)
    ("users", "dateLastModified>'2026-01-01'", ["u3", "u4"]),
    ("users", "dateLastModified>='2026-01-01'", ["u2", "u3", "u4"]),
    ("users", "dateLastModified<'2026-01-01T00:00:00Z'", ["u1"]),
    ("users", "dateLastModified='2026-01-01'", ["u2"]),
    ("users", "dateLastModified<='2026-01-01T00:00:00.001Z'", ["u1", "u2", "u3"]),
    ("users", "dateLastModified>'2026-01-01T01:00:00+01:00'", ["u3", "u4"]),
    ("users", "dateLastModified>'2026-01-01T00:00:00'", ["u3", "u4"]),
    ("users", "dateLastModified>'2026-03-01T12:00:00 01:00'", ["u4"]),  # '+' lost in a URL
    ("users", "dateLastModified<'2025-12-31T23:59:59.999Z'", []),
    # years before 1000 are written in four digits, as stored ("0999", not "999")
    ("users", "dateLastModified>'0999-01-01'", ["u1", "u2", "u3", "u4"]),
    ("users", "dateLastModified<'0999-12-31T23:00:00-05:00'", []),
    ("users", "dateLastModified>'0001-01-01T00:00:00Z'", ["u1", "u2", "u3", "u4"]),
    # list membership
    ("users", "grades='10'", ["u1", "u2"]),
    ("users", "grades='1'", ["u4"]),
    ("users", "grades!='10'", ["u3", "u4"]),
    ("users", "grades~'1'", ["u1", "u2", "u4"]),
    ("users", "grades='09,10'", []),
    ("users", "grades=''", ["u3"]),
    # userIds {type:identifier} pairs
    ("users", "userIds.identifier='100'", ["u1"]),
    ("users", "userIds.identifier='oid:100'", ["u2"]),
    ("users", "userIds.type='SIS'", ["u1", "u2"]),
    ("users", "userIds.type='ldap'", []),
    ("users", "userIds.identifier~'OID'", ["u2"]),
    ("users", "userIds.type~'ld'", ["u1"]),
    ("users", "userIds.identifier!='100'", ["u2", "u3", "u4"]),
    ("users", "userIds.identifier='1.0'", []),
    # a user's roles: active ones, or all for a user without any (same tenant only)
    ("users", "roles.org.sourcedId='o1'", ["u1"]),
    ("users", "roles.org='o3'", ["u3"]),
    ("users", "roles.org.sourcedId='o2'", ["u1", "u2"]),
    ("users", "roles.role='student'", ["u2", "u3"]),
    ("users", "roles.roleType='secondary'", ["u1"]),
    ("users", "roles.org.sourcedId!='o1'", ["u2", "u3", "u4"]),
    ("users", "roles.role~'TEACH'", ["u1"]),
    ("users", "roles.org.sourcedId='o2' AND roles.role='student'", ["u2"]),
    # AND binds tighter than OR; liberal spacing and case of the logical operators
    ("users", "givenName='Ann' OR givenName='Bob' AND enabledUser='true'", ["u1"]),
    ("users", "givenName='Bob' AND enabledUser='false' OR givenName='Cy'", ["u2", "u3"]),
    ("users", "givenName='Cy' OR givenName='Dee' OR givenName='Ann' AND status='x'",
     ["u3", "u4"]),
    ("users", "givenName='Ann' and status='active'", ["u1"]),
    ("users", "  givenName = 'Ann'   OR\tgivenName ='Bob' ", ["u1", "u2"]),
    ("users", "givenName%3D%27Ann%27", ["u1"]),  # still percent-encoded
    ("users", "givenName='Ann AND x'", []),
    # references and reference lists
    ("classes", "school.sourcedId='s1'", ["c1", "c3"]),
    ("classes", "school='s2'", ["c2"]),
    ("classes", "course.sourcedId!='k1'", ["c3"]),
    ("classes", "terms.sourcedId='t1'", ["c1"]),
    ("classes", "terms.sourcedId='t2'", ["c1", "c2"]),
    ("classes", "terms='t1'", ["c1"]),
    ("classes", "terms.sourcedId!='t2'", ["c3"]),
    ("classes", "title~'100%'", ["c2"]),
    ("classes", "title~'_'", ["c3"]),
    ("classes", "grades='11' OR school.sourcedId='s1'", ["c1", "c2", "c3"]),
    ("classes", "classType='HOMEROOM'", ["c2"]),
    # numbers compare as numbers, date-times as instants
    ("lineItems", "resultValueMax>'9.5'", ["l2", "l3"]),
    ("lineItems", "resultValueMax<'10'", ["l1"]),
    ("lineItems", "resultValueMax='85.50'", ["l3"]),
    ("lineItems", "resultValueMax>='1e1'", ["l2", "l3"]),
    ("lineItems", "resultValueMax!='10'", ["l1", "l3", "l4"]),
    ("lineItems", "assignDate>='2026-02-01'", ["l1", "l2"]),
    ("lineItems", "assignDate<'2026-02-02T09:30:00+01:00'", ["l1", "l3", "l4"]),
    ("lineItems", "assignDate<='2026-02-02T09:30:00+01:00'", ["l1", "l2", "l3", "l4"]),
]


@pytest.mark.parametrize(("stream", "text", "expected"), FILTERS,
                         ids=[f"{s}:{t}" for s, t, _ in FILTERS])
def test_filter(engine: sa.Engine, stream: str, text: str, expected: list[str]) -> None:
    assert matching(engine, stream, text) == expected


def test_filters_on_a_schema_created_from_the_metadata(created_engine: sa.Engine) -> None:
    for stream, text, expected in FILTERS:
        assert matching(created_engine, stream, text) == expected, text


def test_values_are_bound_not_formatted() -> None:
    t = stream_tables["users"]
    clause = filter_clause("users", t, "givenName='x'' OR 1=1 --' OR roles.role='z; DROP'")
    assert clause is not None
    sql = str(clause.compile(compile_kwargs={}))
    assert "DROP" not in sql
    assert "1=1" not in sql


def test_compile_filter_takes_a_tree_and_defaults_to_the_stream_table(
        engine: sa.Engine) -> None:
    tree = Or((Predicate("givenName", "=", "Ann"),
               And((Predicate("grades", "=", "10"), Predicate("enabledUser", "=", "false")))))
    assert ids(engine, "users", compile_filter(tree, "users")) == ["u1", "u2"]
    assert filter_clause("users", None, None) is None


def test_extra_related_field(engine: sa.Engine) -> None:
    classes = stream_tables["classes"]

    def in_class_with_title(table: sa.FromClause, op: Any, value: str) -> Any:
        # a made-up relation: users in a grade of a class so titled
        title = compile_filter(Predicate("title", op, value), "classes", classes)
        in_grade = (sa.literal(",") + table.c.grades + sa.literal(",")).like(
            sa.literal("%,") + classes.c.grades + sa.literal(",%"))
        return sa.exists().where(classes.c.tenant_id == table.c.tenant_id, title, in_grade)

    fields = field_map("users").with_field("classTitle", in_class_with_title)
    assert ids(engine, "users", filter_clause(fields, None, "classTitle~'ALG'")) == ["u1"]
    assert ids(engine, "users", filter_clause(fields, None, "classTitle~'bio'")) == []
    with pytest.raises(QueryError):
        filter_clause("users", None, "classTitle='x'")  # the built-in map is unchanged
    assert isinstance(FieldMap.for_stream("users"), FieldMap)


def test_nested_fields_for_another_child_stream(engine: sa.Engine) -> None:
    fields = field_map("users").with_nested("profiles", "userProfiles", "user_sourced_id")
    assert "profiles.credentials.type" in fields.fields
    assert ids(engine, "users", filter_clause(fields, None, "profiles.vendorId='v'")) == []


FILTER_ERRORS: list[tuple[str, str, str]] = [
    ("users", "", "empty"),
    ("users", "   ", "empty"),
    ("users", "foo='x'", "no field 'foo'"),
    ("users", "givenNam='x'", "Did you mean givenName?"),
    ("users", "password='x'", "no field 'password'"),
    ("users", "roles.user.sourcedId='u1'", "no field"),
    ("users", "userIds='x'", "no field 'userIds'"),
    ("classes", "school.name='x'", "no field 'school.name'"),
    ("users", "givenName=='Ann'", "Unknown operator '=='"),
    ("users", "givenName<>'Ann'", "Unknown operator '<>'"),
    ("users", "givenName=~'Ann'", "Unknown operator '=~'"),
    ("users", "givenName eq 'Ann'", "Expected an operator after givenName"),
    ("users", "givenName:'Ann'", "Unknown operator ':'"),
    ("users", "givenName=Ann", "must be in single quotes: givenName='Ann'"),
    ("users", 'givenName="Ann"', "double quotes"),
    ("users", "givenName='Ann", "no closing quote"),
    ("users", "givenName='O'Brien'", "write it twice"),
    ("users", "givenName='Ann' AND", "ends with AND"),
    ("users", "givenName='Ann' OR ", "ends with OR"),
    ("users", "AND givenName='Ann'", "starts with AND"),
    ("users", "givenName='Ann' AND AND status='active'", "AND is followed by AND"),
    ("users", "givenName='Ann' status='active'", "Expected AND or OR"),
    ("users", "givenName='Ann'AND status='active'", "right after givenName='Ann'"),
    ("users", "givenName='Ann' XOR status='active'", "Expected AND or OR"),
    ("users", "(givenName='Ann')", "Parentheses"),
    ("users", "givenName", "no operator"),
    ("users", "givenName=", "has no value"),
    ("users", "='Ann'", "Expected a field name"),
    ("users", "grades>'09'", "grades is a list"),
    ("users", "userIds.identifier<'1'", "is a list"),
    ("classes", "terms.sourcedId>='t1'", "is a list"),
    ("users", "enabledUser>'true'", "boolean"),
    ("users", "enabledUser='yes'", "'true' or 'false'"),
    ("users", "enabledUser~'t'", "contains"),
    ("users", "dateLastModified>'yesterday'", "date-time is expected"),
    ("users", "dateLastModified>'2026-13-01'", "date-time is expected"),
    ("users", "dateLastModified>'0000-01-01'", "date-time is expected"),
    ("users", "dateLastModified>'0001-01-01T00:00:00+01:00'", "from 0001-01-01T00:00:00Z"),
    ("users", "dateLastModified<'9999-12-31T23:00:00-05:00'", "to 9999-12-31T23:59:59Z"),
    ("academicSessions", "schoolYear='\uff12\uff10\uff12\uff16'", "a year is expected"),
    ("lineItems", "resultValueMax>'abc'", "number is expected"),
    ("lineItems", "resultValueMax>'nan'", "number is expected"),
    ("lineItems", "resultValueMax~'1'", "contains"),
    ("users", " OR ".join(["givenName='x'"] * 33), "more than 32 predicates"),
]


@pytest.mark.parametrize(("stream", "text", "fragment"), FILTER_ERRORS,
                         ids=[f"{s}:{t[:40]}" for s, t, _ in FILTER_ERRORS])
def test_filter_errors(stream: str, text: str, fragment: str) -> None:
    with pytest.raises(QueryError) as err:
        filter_clause(stream, stream_tables[stream], text)
    assert err.value.code_minor == "invalid_filter_field"
    assert err.value.status == 400
    assert fragment in err.value.message


def test_date_fields_take_dates_only() -> None:
    with pytest.raises(QueryError, match="a date is expected"):
        filter_clause("roles", None, "beginDate>'2026-01-01T00:00:00Z'")
    assert filter_clause("roles", None, "beginDate>'2026-01-01'") is not None
    with pytest.raises(QueryError, match="a year is expected"):
        filter_clause("academicSessions", None, "schoolYear='26'")


# sort / orderBy -------------------------------------------------------------------------

SORTS: list[tuple[str, str | None, str | None, list[str]]] = [
    ("users", None, None, ["u1", "u2", "u3", "u4"]),
    ("users", None, "desc", ["u4", "u3", "u2", "u1"]),
    ("users", "givenName", "desc", ["u4", "u3", "u2", "u1"]),
    ("users", "familyName", "asc", ["u1", "u2", "u4", "u3"]),  # code point order
    ("users", "enabledUser", None, ["u2", "u1", "u3", "u4"]),  # ties by sourcedId
    ("users", "enabledUser", "desc", ["u4", "u3", "u1", "u2"]),
    ("users", "middleName", "asc", ["u4", "u1", "u2", "u3"]),  # missing last
    ("users", "middleName", "DESC", ["u3", "u2", "u1", "u4"]),  # missing first
    ("users", "dateLastModified", "desc", ["u4", "u3", "u2", "u1"]),
    ("users", "status, givenName", "asc", ["u1", "u2", "u4", "u3"]),
    ("users", "sourcedId", "desc", ["u4", "u3", "u2", "u1"]),
    ("classes", "school", None, ["c1", "c3", "c2"]),
    ("classes", "school.sourcedId", "desc", ["c2", "c3", "c1"]),
    ("lineItems", "resultValueMax", "asc", ["l1", "l2", "l3", "l4"]),  # numeric
    ("lineItems", "resultValueMax", "desc", ["l4", "l3", "l2", "l1"]),
    ("lineItems", "assignDate", "asc", ["l3", "l4", "l1", "l2"]),
]


@pytest.mark.parametrize(("stream", "sort", "order_by", "expected"), SORTS)
def test_sort(engine: sa.Engine, stream: str, sort: str | None, order_by: str | None,
              expected: list[str]) -> None:
    order = sort_clause(stream, stream_tables[stream], sort, order_by)
    assert ids(engine, stream, order=order) == expected


def test_sort_and_filter_together(engine: sa.Engine) -> None:
    t = stream_tables["users"]
    where = filter_clause("users", t, "status='active'")
    order = sort_clause("users", t, "familyName", "desc")
    assert ids(engine, "users", where, order) == ["u4", "u2", "u1"]


@pytest.mark.parametrize(("sort", "order_by", "code", "fragment"), [
    ("shoeSize", None, "invalid_sort_field", "no field 'shoeSize' to sort by"),
    ("grades", None, "invalid_sort_field", "holds several values"),
    ("roles.role", None, "invalid_sort_field", "holds several values"),
    ("familyName,", None, "invalid_sort_field", "(blank)"),
    ("familyName", "up", "invaliddata", "use asc or desc"),
    (None, "sideways", "invaliddata", "use asc or desc"),
])
def test_sort_errors(sort: str | None, order_by: str | None, code: str, fragment: str) -> None:
    with pytest.raises(QueryError) as err:
        sort_clause("users", None, sort, order_by)
    assert (err.value.code_minor, err.value.status) == (code, 400)
    assert fragment in err.value.message


def test_unknown_sort_field_as_a_warning(engine: sa.Engine) -> None:
    warnings: list[QueryWarning] = []
    order = sort_clause("users", None, "shoeSize", "desc", warnings=warnings)
    assert ids(engine, "users", order=order) == ["u4", "u3", "u2", "u1"]
    assert [w.code_minor for w in warnings] == ["invalid_sort_field"]
    assert "shoeSize" in warnings[0].message


# fields ----------------------------------------------------------------------------------


def test_select_fields() -> None:
    assert select_fields("users", None) is None
    assert select_fields("users", "sourcedId, givenName,roles") == {
        "sourcedId", "givenName", "roles"}
    assert select_fields("users", ["sourcedId", "familyName"]) == {"sourcedId", "familyName"}
    assert select_fields("classes", "school,terms,metadata") == {"school", "terms", "metadata"}


@pytest.mark.parametrize(("fields", "code", "fragment"), [
    ("", "invalid_blank_selection_field", "blank"),
    ("sourcedId,,givenName", "invalid_blank_selection_field", "blank"),
    ("sourcedId, ", "invalid_blank_selection_field", "blank"),
    ("sourcedId,shoeSize", "invalid_selection_field", "no field 'shoeSize' to select"),
    ("school.sourcedId", "invalid_selection_field", "school.sourcedId"),
])
def test_select_fields_errors(fields: str, code: str, fragment: str) -> None:
    with pytest.raises(QueryError) as err:
        select_fields("users", fields)
    assert (err.value.code_minor, err.value.status) == (code, 400)
    assert fragment in err.value.message


def test_unknown_selection_field_as_a_warning() -> None:
    warnings: list[QueryWarning] = []
    assert select_fields("users", "givenName,shoeSize", warnings=warnings) is None
    assert [w.code_minor for w in warnings] == ["invalid_selection_field"]
    with pytest.raises(QueryError, match="blank"):
        select_fields("users", ",", warnings=warnings)  # blank stays an error


# paging -----------------------------------------------------------------------------------


def test_page() -> None:
    assert page(None, None) == page(100, 0) == page("100", "0")
    p = page("25", "50", 100)
    assert (p.limit, p.offset) == (25, 50)
    assert page(5000, 0, 1000).limit == 1000
    assert page(None, None, 10).limit == 10
    assert page(None, 3, 500, default_limit=50).limit == 50
    assert page(" 7 ", "+3") == page(7, 3)
    # int32, as the OpenAPI files declare limit and offset: the largest of each is taken
    top = page(str(INT32_MAX), str(INT32_MAX), 100)
    assert (top.limit, top.offset) == (100, INT32_MAX)


@pytest.mark.parametrize(("limit", "offset", "fragment"), [
    (0, 0, "limit"), (-1, 0, "limit"), ("abc", 0, "limit"), ("1.5", 0, "limit"),
    (10, -1, "offset"), (10, "x", "offset"),
    # beyond int32: refused, not clipped to the maximum page like 5000 is
    (str(INT32_MAX + 1), 0, "limit"), (INT32_MAX + 1, 0, "limit"), ("9" * 5000, 0, "limit"),
    (10, str(INT32_MAX + 1), "offset"), (10, 2**63, "offset"),
    # allowEmptyValue: false: an empty value is not the default
    ("", 0, "limit=empty"), (10, "", "offset=empty"), (10, "  ", "offset=empty"),
    # ASCII digits only: no underscores, no other scripts' digits, no exponents
    ("1_0", 0, "limit"), ("\u0661\u0660", 0, "limit"), ("1e2", 0, "limit"), (10, "0x10", "offset"),
    (True, 0, "limit"), (10, "-" + "9" * 5000, "offset"),
])
def test_page_errors(limit: Any, offset: Any, fragment: str) -> None:
    with pytest.raises(QueryError) as err:
        page(limit, offset, 100)
    assert (err.value.code_minor, err.value.status) == ("invaliddata", 400)
    assert fragment in err.value.message


def test_paging_errors_are_answered_as_400_invaliddata(store: Store) -> None:
    """Through the app, 1.2 and 1.1 alike: the imsx failure the provider answers for other
    bad query parameters, never a 200 with the default or a clipped value."""
    tenant = store.ensure_tenant("paging").id
    scopes = ["roster.readonly", *SCOPES_V1P1]
    _, client_id, secret = ProviderClients(store.engine, store.secrets).create(
        tenant, "pager", scopes, Sharing())
    app = create_app(store, Settings(), extra_routers=[provider_router(store)])
    with TestClient(app) as client:
        token = client.post(TOKEN_PATH, data={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": secret, "scope": " ".join(scopes)}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for base in ("/ims/oneroster/rostering/v1p2", "/ims/oneroster/v1p1"):
            for query in ("limit=2147483648", "offset=", "limit=", "offset=99999999999",
                          "limit=1_0"):
                answer = client.get(f"{base}/users?{query}", headers=headers)
                assert answer.status_code == 400, (base, query, answer.text)
                info = answer.json()
                assert info["imsx_codeMajor"] == "failure"
                [minor] = info["imsx_CodeMinor"]["imsx_codeMinorField"]
                assert minor["imsx_codeMinorFieldValue"] == "invaliddata", (base, query)
            fine = client.get(f"{base}/users?limit=2147483647&offset=2147483647",
                              headers=headers)
            assert fine.status_code == 200, (base, fine.text)


def _links(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(", "):
        url, rel = part.split("; ")
        out[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return out


def test_link_header() -> None:
    params = [("filter", "givenName='A B'"), ("limit", "2"), ("offset", "2"), ("sort", "x")]
    links = _links(link_header("https://h/ims/oneroster/rostering/v1p2/users", params,
                               total=7, limit=2, offset=2))
    base = "https://h/ims/oneroster/rostering/v1p2/users?filter=givenName%3D%27A%20B%27&sort=x"
    assert links == {"first": f"{base}&limit=2&offset=0", "prev": f"{base}&limit=2&offset=0",
                     "next": f"{base}&limit=2&offset=4", "last": f"{base}&limit=2&offset=6"}
    first = _links(link_header("https://h/u", {}, total=7, limit=2, offset=0))
    assert set(first) == {"first", "next", "last"}
    end = _links(link_header("https://h/u", {}, total=7, limit=2, offset=6))
    assert set(end) == {"first", "prev", "last"}
    assert end["prev"].endswith("offset=4")
    exact = _links(link_header("https://h/u", {}, total=6, limit=2, offset=4))
    assert set(exact) == {"first", "prev", "last"} and exact["last"].endswith("offset=4")
    empty = _links(link_header("https://h/u?x=1", {}, total=0, limit=10, offset=0))
    assert empty == {"first": "https://h/u?x=1&limit=10&offset=0",
                     "last": "https://h/u?x=1&limit=10&offset=0"}
    beyond = _links(link_header("https://h/u", {}, total=5, limit=2, offset=40))
    assert beyond["prev"].endswith("offset=4")


# robustness (hypothesis is not installed; a seeded random search instead) --------------

_FIELDS = ["givenName", "grades", "roles.org.sourcedId", "userIds.identifier",
           "dateLastModified", "enabledUser", "agents.sourcedId", "nope"]
_VALUES = ["", "a", "O'Brien", "''", "%_\\", "2026-01-01", "true", " AND x='1", "10"]


def _random_tree(rng: random.Random) -> Any:
    def pred() -> Predicate:
        return Predicate(rng.choice(_FIELDS), rng.choice(OPS), rng.choice(_VALUES))

    groups: list[Predicate | And] = []
    for _ in range(rng.randint(1, 3)):
        preds = tuple(pred() for _ in range(rng.randint(1, 3)))
        groups.append(preds[0] if len(preds) == 1 else And(preds))
    return groups[0] if len(groups) == 1 else Or(tuple(groups))


def test_format_and_parse_round_trip() -> None:
    rng = random.Random(1234)
    for _ in range(500):
        tree = _random_tree(rng)
        assert parse_filter(format_filter(tree)) == tree


def test_random_text_raises_only_query_errors() -> None:
    rng = random.Random(99)
    alphabet = ["givenName", "grades", "roles.org.sourcedId", "'", "''", "=", "!=", "~", ">=",
                "<", " ", " AND ", " OR ", "x", ".", "(", '"', "%27", "%", "\\", "_", "é"]
    table = stream_tables["users"]
    errors: list[QueryError] = []
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        try:
            filter_clause("users", table, text)
        except QueryError as err:
            errors.append(err)
    assert errors
    assert all(e.code_minor == "invalid_filter_field" and e.message for e in errors)


def test_random_valid_filters_run(created_engine: sa.Engine) -> None:
    rng = random.Random(7)
    for _ in range(200):
        tree = _random_tree(rng)
        try:
            clause = compile_filter(tree, "users")
        except QueryError:
            continue
        ids(created_engine, "users", clause)  # the database accepts what compiles
