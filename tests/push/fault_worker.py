"""A push worker in its own process, for the fault test to kill: ``python -m
tests.push.fault_worker DATABASE_URL SECRET_KEY TENANT/CONNECTION``."""

from __future__ import annotations

import sys

from gateway.daemon.worker import Executor
from gateway.secrets import SecretBox
from gateway.settings import Settings
from gateway.store.store import Store


def main(url: str, key: str, name: str) -> None:
    with Store.open(url, SecretBox(key.encode())) as store:
        connection = store.connection(name)
        run_id, _ = store.request_run(connection, trigger="cli")
        Executor(store, Settings(lease_seconds=2)).execute_blocking(run_id)


if __name__ == "__main__":
    main(*sys.argv[1:4])
