"""`harbor keys`: make, list and revoke admin API keys, on a real embedded store."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from gateway.cli_keys import keys_app
from gateway.cli_support import open_store
from gateway.store.keys import ApiKeys

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_data_dir")


def keys(*args: str) -> tuple[int, str]:
    result = runner.invoke(keys_app, list(args))
    return result.exit_code, result.output


def test_create_list_revoke() -> None:
    code, out = keys("create", "ops")
    assert code == 0, out
    token = re.search(r"hmk_\S+\.\S+", out)
    assert token is not None and "cannot be shown again" in out
    assert "every tenant" in out
    with open_store() as store:
        assert ApiKeys(store.engine).verify(token.group()) is not None
        store.ensure_tenant("north")

    code, out = keys("create", "north-it", "--tenant", "north")
    assert code == 0 and "for tenant north" in out
    code, out = keys("create", "x", "--tenant", "nowhere")
    assert code == 1 and "no tenant 'nowhere'" in out

    client_id, _, secret = token.group().partition(".")
    code, out = keys("list")
    assert code == 0 and client_id in out and "north-it" in out and "every tenant (operator)" in out
    assert secret not in out

    code, out = keys("revoke", token.group())  # the whole token pasted: its id is used
    assert code == 0 and f"revoked key {client_id}" in out and secret not in out
    code, out = keys("revoke", client_id)
    assert code == 0 and "already revoked" in out
    code, out = keys("revoke", "hmk_nosuchkey")
    assert code == 1 and "no key" in out
    with open_store() as store:
        assert ApiKeys(store.engine).verify(token.group()) is None


def test_list_when_there_are_none() -> None:
    code, out = keys("list")
    assert code == 0 and "harbor keys create" in out
