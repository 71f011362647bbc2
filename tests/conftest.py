"""Shared fixtures: real stores on SQLite and on the machine's PostgreSQL.

Each test session creates a throwaway PostgreSQL database (dropped at the end) on the
server named by HARBOR_TEST_POSTGRES_URL (default: the local server's ``test`` database,
used only to create and drop the throwaway one).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from gateway.secrets import SecretBox
from gateway.store.store import Store
from gateway.store.tables import metadata

PG_ADMIN_URL = os.environ.get("HARBOR_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = sa.engine.make_url(PG_ADMIN_URL)
    name = f"harbor_test_{uuid.uuid4().hex[:10]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({exc}); start it or "
                    f"set HARBOR_TEST_POSTGRES_URL", pytrace=False)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, box: SecretBox) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'harbor.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    s = Store.open(url, box)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, box: SecretBox) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'harbor.db'}", box)
    yield s
    s.close()
