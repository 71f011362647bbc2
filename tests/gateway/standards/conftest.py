"""The two small frameworks of ``factories`` imported into a tenant, for the crosswalk and
graph tests."""

from __future__ import annotations

import pytest

from gateway.standards import import_package
from gateway.store.store import Store
from tests.gateway.standards.factories import ladder, other_framework


def _seed(store: Store) -> int:
    tenant_id = store.ensure_tenant("district").id
    import_package(store.engine, tenant_id, ladder(), "ladder.json")
    import_package(store.engine, tenant_id, other_framework(), "other.json")
    return tenant_id


@pytest.fixture
def tenant(store: Store) -> int:
    """The two frameworks, on SQLite and PostgreSQL (upserts and queries differ)."""
    return _seed(store)


@pytest.fixture
def seeded(sqlite_store: Store) -> tuple[Store, int]:
    """The same on SQLite only, for rules that do not depend on the database."""
    return sqlite_store, _seed(sqlite_store)
