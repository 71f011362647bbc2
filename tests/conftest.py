"""Shared fixtures: real stores on SQLite and on the machine's PostgreSQL.

Each test session creates a throwaway PostgreSQL database (dropped at the end) on the
server named by HARBOR_TEST_POSTGRES_URL (default: the local server's ``test`` database,
used only to create and drop the throwaway one).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from gateway.secrets import SecretBox
from gateway.store import db
from gateway.store.store import Store
from gateway.store.tables import metadata
from tests.api.vendor import NAME as VENDOR
from tests.helpers import throwaway_postgres


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


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


def _empty_postgres(url: str) -> bool:
    """Empty every table of a database already migrated to head (one TRUNCATE, much
    quicker than dropping and migrating again); False if it is not at head (a test moved
    the schema), and the caller resets it the long way."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            try:
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version")
                                       ).scalar()
            except sa.exc.ProgrammingError:
                return False
            if version != db.head_revision():
                return False
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return True
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; each test's store starts from a copy."""
    path = tmp_path_factory.mktemp("template") / "harbor.db"
    Store.open(f"sqlite:///{path}", SecretBox(Fernet.generate_key())).close()
    return path


def _sqlite_store(template: Path, tmp_path: Path, box: SecretBox) -> Store:
    path = tmp_path / "harbor.db"
    shutil.copyfile(template, path)
    return Store.open(f"sqlite:///{path}", box, migrate=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, box: SecretBox,
          sqlite_template: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        s = _sqlite_store(sqlite_template, tmp_path, box)
    else:
        url = request.getfixturevalue("pg_url")
        if _empty_postgres(url):
            s = Store.open(url, box, migrate=False)
        else:
            _reset_postgres(url)
            s = Store.open(url, box)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path, box: SecretBox, sqlite_template: Path) -> Iterator[Store]:
    s = _sqlite_store(sqlite_template, tmp_path, box)
    yield s
    s.close()


def install_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                      target: str, distribution: str) -> str:
    """Install a test connector the way a package would: an entry point of a distribution
    on ``sys.path``; returns its name."""
    site = tmp_path / "site"
    info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(f"[harbormaster.connectors]\n{name} = {target}\n")
    monkeypatch.syspath_prepend(str(site))
    return name


@pytest.fixture
def vendor_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test vendor connector, installed as an entry point."""
    return install_connector(tmp_path, monkeypatch, VENDOR,
                             "tests.api.vendor:VendorConnector", "harbor-test-vendor")


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HARBOR_DATA_DIR (embedded store, key file) for tests of the harbor CLI."""
    from gateway.settings import get_settings

    monkeypatch.setenv("HARBOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HARBOR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
