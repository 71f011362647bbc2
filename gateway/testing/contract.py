"""The connector contract suite: every connector runs it in one line.

Usage, in a test module of the connector::

    class TestMyConnector(ConnectorContract):
        connector_name = "my-connector"

        @pytest.fixture
        def contract_source(self, tmp_path): return MySource(tmp_path)

It checks registration, ``check()`` with good and bad config, a full pull, the pull applied
through the real engine into a real (SQLite) store, an incremental pull from saved state,
a re-run that changes nothing, and bad input failing with located problems and no change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pytest
from cryptography.fernet import Fernet

from gateway.abc import Batch, Checkpoint, Connector, PullItem
from gateway.engine.run import RunOptions, RunReport, sync
from gateway.errors import ConfigError
from gateway.model.schema import STREAMS
from gateway.plugins import connector_class
from gateway.secrets import SecretBox
from gateway.store.store import ConnectionRecord, Store

__all__ = ["ConnectorContract", "ContractSource"]


class ContractSource(Protocol):
    """What a connector's tests provide: a real source the suite can change."""

    def config(self) -> dict[str, Any]:
        """A good configuration (secrets included) pointing at data with some records."""

    def bad_configs(self) -> list[tuple[dict[str, Any], str]]:
        """Configurations that must fail, each with a phrase the error message contains."""

    def advance(self) -> None:
        """Make new data appear at the source (a new export, new records)."""

    def break_source(self) -> str:
        """Make the source send invalid data; return a phrase (a file or field name) the
        run's problems must mention."""


def _collect(connector: Connector[Any], state: Mapping[str, Any] | None) -> list[PullItem]:
    async def go() -> list[PullItem]:
        return [item async for item in connector.pull(state)]

    return asyncio.run(go())


class ConnectorContract:
    """Subclass this in a test module; set ``connector_name``, provide ``contract_source``."""

    connector_name: ClassVar[str]

    @pytest.fixture
    def contract_store(self, tmp_path: Path) -> Iterator[Store]:
        store = Store.open(f"sqlite:///{tmp_path / 'contract.db'}",
                           SecretBox(Fernet.generate_key()))
        yield store
        store.close()

    def _connection(self, store: Store, source: ContractSource) -> ConnectionRecord:
        cls = connector_class(self.connector_name)
        config = source.config()
        secret_names = cls.config_model.secret_fields()
        secrets = {k: str(v) for k, v in config.items() if k in secret_names}
        plain = {k: (str(v) if isinstance(v, Path) else v) for k, v in config.items()
                 if k not in secret_names}
        return store.add_connection("contract", "source", self.connector_name, plain, secrets)

    def _sync(self, store: Store, **options: Any) -> RunReport:
        rec = store.connection("contract/source")
        return asyncio.run(sync(store, rec, RunOptions(**options)))

    def _snapshot(self, store: Store) -> dict[str, int]:
        tenant = store.tenant("contract")
        return {s: store.count(tenant.id, s, status=None) for s in STREAMS}

    # -- registration and check ---------------------------------------------------------

    def test_registered(self) -> None:
        cls = connector_class(self.connector_name)
        assert cls.name == self.connector_name
        assert set(cls(cls.config_model.model_construct()).streams()) <= set(STREAMS)

    def test_check_good_config(self, contract_source: ContractSource) -> None:
        cls = connector_class(self.connector_name)
        result = asyncio.run(cls.from_mapping(contract_source.config()).check())
        assert result.ok, result.message
        assert result.message

    def test_check_bad_config(self, contract_source: ContractSource) -> None:
        cls = connector_class(self.connector_name)
        for config, phrase in contract_source.bad_configs():
            try:
                result = asyncio.run(cls.from_mapping(config).check())
            except ConfigError as exc:
                message = str(exc)
            else:
                assert not result.ok, config
                message = result.message
            assert phrase in message, (phrase, message)

    # -- pulling ------------------------------------------------------------------------

    def test_full_pull_shapes(self, contract_source: ContractSource) -> None:
        cls = connector_class(self.connector_name)
        items = _collect(cls.from_mapping(contract_source.config()), None)
        batches = [i for i in items if isinstance(i, Batch)]
        assert batches, "a full pull yielded no batches"
        ended: set[tuple[str, str]] = set()
        for b in batches:
            assert b.stream in STREAMS
            width = 3 + len(STREAMS[b.stream].columns) + 1
            assert all(len(r) == width for r in b.rows), f"{b.stream}: rows must be {width} wide"
            assert len(b.lines) == len(b.rows)
            assert (b.stream, b.source) not in ended, f"{b.stream} continued after last=True"
            if b.last:
                ended.add((b.stream, b.source))
        assert {(b.stream, b.source) for b in batches} == ended, "every stream must end"
        assert any(isinstance(i, Checkpoint) for i in items), "a pull must checkpoint state"

    def test_full_pull_applies(self, contract_store: Store,
                               contract_source: ContractSource) -> None:
        self._connection(contract_store, contract_source)
        report = self._sync(contract_store)
        assert report.status == "succeeded", (report.message, report.problems)
        assert sum(c.added for c in report.counts.values()) > 0

    def test_resync_changes_nothing(self, contract_store: Store,
                                    contract_source: ContractSource) -> None:
        self._connection(contract_store, contract_source)
        assert self._sync(contract_store).status == "succeeded"
        again = self._sync(contract_store)
        assert again.status == "succeeded", again.message
        assert again.writes == 0, {k: v.as_dict() for k, v in again.counts.items()}

    def test_incremental_pull_from_saved_state(self, contract_store: Store,
                                               contract_source: ContractSource) -> None:
        self._connection(contract_store, contract_source)
        assert self._sync(contract_store).status == "succeeded"
        saved = contract_store.connection("contract/source").state
        assert saved, "a successful run must save the connector's cursor state"
        contract_source.advance()
        cls = connector_class(self.connector_name)
        full = _collect(cls.from_mapping(contract_source.config()), None)
        incremental = _collect(cls.from_mapping(contract_source.config()), saved)

        def rows(items: list[PullItem]) -> int:
            return sum(len(i.rows) for i in items if isinstance(i, Batch))

        assert rows(incremental) < rows(full), "pull(state) must not re-read what was applied"
        report = self._sync(contract_store)
        assert report.status == "succeeded", (report.message, report.problems)
        assert report.writes > 0

    def test_bad_input_fails_and_changes_nothing(self, contract_store: Store,
                                                 contract_source: ContractSource) -> None:
        self._connection(contract_store, contract_source)
        assert self._sync(contract_store).status == "succeeded"
        before = self._snapshot(contract_store)
        phrase = contract_source.break_source()
        report = self._sync(contract_store)
        assert report.status == "failed"
        text = " ".join([report.message or "", *(str(p) for p in report.problems)])
        assert phrase in text, (phrase, text)
        assert self._snapshot(contract_store) == before
