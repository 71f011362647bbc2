"""The LMS world of :mod:`tests.connectors.lti_ags.lms`, fresh per test: on SQLite, and
(``any_world``) on both stores for what the score ledger's transactions decide."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.store.store import Store
from tests.connectors.lti_ags.lms import World, lms_world


@pytest.fixture
def world(sqlite_store: Store) -> Iterator[World]:
    with lms_world(sqlite_store) as setup:
        yield setup


@pytest.fixture
def any_world(store: Store) -> Iterator[World]:
    with lms_world(store) as setup:
        yield setup
