"""Real daemon processes for the tests: `harbor worker`, `harbor serve`, against a store the
test also opens, on SQLite or the machine's PostgreSQL."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from gateway.sample import write_delta, write_district
from gateway.secrets import SecretBox
from gateway.store.store import Store
from tests.conftest import _reset_postgres

KEY = Fernet.generate_key()
HARBOR = str(Path(sys.executable).with_name("harbor"))


@dataclass
class Site:
    """One installation: its database URL, environment, and a store opened on it."""

    url: str
    env: dict[str, str]
    store: Store
    procs: list[subprocess.Popen[bytes]]
    logs: Path
    clients: list[httpx.Client] = field(default_factory=list)

    def spawn(self, *args: str, name: str = "proc") -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}-{len(self.procs)}.log").open("wb") as log:
            proc = subprocess.Popen([HARBOR, *args], env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(self.logs.iterdir()))


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'harbor.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _reset_postgres(url)
    env = {**os.environ, "HARBOR_DATABASE_URL": url, "HARBOR_SECRET_KEY": KEY.decode(),
           "HARBOR_DATA_DIR": str(tmp_path / "data"), "HARBOR_LEASE_SECONDS": "2",
           "HARBOR_POLL_SECONDS": "0.2", "HARBOR_LOG_LEVEL": "INFO"}
    logs = tmp_path / "logs"
    logs.mkdir()
    store = Store.open(url, SecretBox(KEY))
    s = Site(url, env, store, [], logs)
    yield s
    for client in s.clients:
        client.close()
    for proc in s.procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
    store.close()


def wait_for(what: Callable[[], object], timeout: float, message: str,
             site: Site | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.02)
    pytest.fail(f"timed out: {message}" + (f"\n{site.output()}" if site else ""))


@dataclass(frozen=True)
class Inbox:
    path: Path
    first: str
    second: str
    users_first: frozenset[str]
    users_second: frozenset[str]


def user_ids(export: Path) -> frozenset[str]:
    with (export / "users.csv").open(newline="") as f:
        return frozenset(row["sourcedId"] for row in csv.DictReader(f))


@pytest.fixture(scope="session")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Inbox:
    """An inbox of two bulk exports of a 4,000-student district, the second 5 % changed."""
    root = tmp_path_factory.mktemp("inbox")
    first, second = root / "2026-09-01", root / "2026-09-02"
    write_district(first, 4000, gradebook=False)
    write_delta(first, second, share=0.05, mode="bulk")
    return Inbox(root, first.name, second.name, user_ids(first), user_ids(second))
