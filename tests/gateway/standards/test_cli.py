"""`harbor standards`: import from a file and from a CASE provider URL, list, and the
crosswalk, on a real embedded store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli_support import open_store
from tests.gateway.standards.case_provider import case_provider
from tests.gateway.standards.factories import RP, RP_6_A_1, RP_DOC, ladder
from tests.helpers import serve_app

runner = CliRunner()


def harbor(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["standards", *args])
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture(autouse=True)
def tenant(cli_data_dir: Path) -> None:
    with open_store() as store:
        store.ensure_tenant("north")


def test_import_a_file_then_list_and_crosswalk() -> None:
    code, out = harbor("import", str(RP), "--tenant", "north")
    assert code == 0, out
    assert "imported What Standards Could Be" in out and "items: 16 added" in out
    assert "associations: 39 added" in out and "notices" in out
    code, out = harbor("import", str(RP), "--tenant", "north")
    assert "16 unchanged" in out
    code, out = harbor("list", "--tenant", "north")
    assert code == 0 and f"What Standards Could Be {RP_DOC} 16 items" in out
    code, out = harbor("crosswalk", "set", "mathtool", "RP-1", "CCSS.Math.Content.6.RP.A.1",
                       "--tenant", "north", "--strength", "0.8")
    assert code == 0 and f"mathtool RP-1 -> {RP_6_A_1} (strength 0.8)" in out
    code, out = harbor("crosswalk", "list", "--tenant", "north")
    assert f"mathtool RP-1 -> {RP_6_A_1} 0.8 admin" in out


def test_errors_name_the_fix(tmp_path: Path) -> None:
    code, out = harbor("import", str(tmp_path / "missing.json"), "--tenant", "north")
    assert code == 1 and "cannot read the CASE package" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"CFDocument": {"identifier": "d", "title": "T"}, "CFItems": [{}]}')
    code, out = harbor("import", str(bad), "--tenant", "north")
    assert code == 1 and "CFItems[0].identifier" in out and "nothing was changed" in out
    code, out = harbor("import", str(RP), "--tenant", "nowhere")
    assert code == 1 and "no tenant 'nowhere'" in out
    code, out = harbor("crosswalk", "set", "mathtool", "X", "9.ZZ", "--tenant", "north")
    assert code == 1 and "no standard '9.ZZ'" in out
    code, out = harbor("list", "--tenant", "north")
    assert "no frameworks in north yet" in out


def test_import_from_a_case_provider_url() -> None:
    with serve_app(case_provider([ladder()])) as url:
        code, out = harbor("import", url, "--tenant", "north", "--document", "doc-fractions")
    assert code == 0, out
    assert "imported Fractions (doc-fractions)" in out and "items: 4 added" in out
