"""The `harbor` command, end to end on a real embedded store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from tests.connectors.oneroster_csv.factories import small_district, write_export

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_data_dir")


def harbor(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_init_add_check_sync_runs(tmp_path: Path, cli_data_dir: Path) -> None:
    export = write_export(tmp_path / "export", small_district())
    assert harbor("init")[0] == 0
    assert (cli_data_dir / "harbor.db").exists()
    code, out = harbor("connections", "add", "sis", "-c", "oneroster-csv", "--tenant", "d1",
                       "--set", f"path={export}")
    assert code == 0, out
    code, out = harbor("connections", "list")
    assert "d1/sis" in out and "oneroster-csv" in out
    code, out = harbor("connections", "check", "sis")
    assert code == 0 and "OneRoster 1.2 export" in out
    code, out = harbor("sync", "sis", "--dry-run")
    assert code == 0 and "dry run: would write" in out
    code, out = harbor("sync", "sis")
    assert code == 0 and "succeeded" in out and "change version 1" in out
    code, out = harbor("sync", "sis")
    assert code == 0 and "0 record write(s)" in out
    assert "unchanged since last applied, not read: orgs" in out
    code, out = harbor("sync", "sis", "--reread")
    assert code == 0 and "not read" not in out
    code, out = harbor("runs")
    assert code == 0 and out.count("d1/sis") == 4
    code, out = harbor("runs", "--last")
    assert "unchanged" in out
    code, out = harbor("changes", "users", "--tenant", "d1", "--since", "0", "--limit", "3")
    assert code == 0 and "u1" in out and "(the first 3; raise --limit for more)" in out
    code, out = harbor("changes", "users", "--tenant", "d1", "--since", "1")
    assert code == 0 and "u1" not in out  # nothing changed after the first sync
    code, out = harbor("changes", "pupils", "--tenant", "d1")
    assert code == 1 and "no stream 'pupils'" in out


def test_failed_sync_exits_nonzero_with_located_problems(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", small_district())
    (export / "users.csv").write_text("sourcedId,givenName\nu1,Ada\n")
    harbor("connections", "add", "sis", "-c", "oneroster-csv", "--set", f"path={export}")
    code, out = harbor("sync", "sis")
    assert code == 1
    assert "users.csv, line 1, column familyName" in out
    assert "nothing was applied" in out
    code, out = harbor("runs", "--last")
    assert "required column familyName is missing" in out


def test_held_sync_exits_3(tmp_path: Path) -> None:
    files = small_district(students=20)
    export = write_export(tmp_path / "export", files)
    harbor("connections", "add", "sis", "-c", "oneroster-csv", "--set", f"path={export}")
    assert harbor("sync", "sis")[0] == 0
    files["users"] = files["users"][:3]
    kept = {u["sourcedId"] for u in files["users"]}
    files["enrollments"] = [e for e in files["enrollments"] if e["userSourcedId"] in kept]
    write_export(export, files)
    code, out = harbor("sync", "sis")
    assert code == 3
    assert "--approve-deletions" in out
    assert harbor("sync", "sis", "--approve-deletions")[0] == 0


def test_clear_errors_for_unknown_things(tmp_path: Path) -> None:
    code, out = harbor("connections", "add", "x", "-c", "no-such-connector")
    assert code == 1 and "no connector named 'no-such-connector'" in out
    assert "oneroster-csv" in out
    code, out = harbor("connections", "add", "x", "-c", "oneroster-csv", "--set", "colour=red")
    assert code == 1 and "path: Field required" in out
    code, out = harbor("sync", "nope")
    assert code == 1 and "no connection named 'nope'" in out
    code, out = harbor("connections", "add", "x", "-c", "oneroster-csv",
                       "--set", f"path={tmp_path / 'missing'}")
    assert code == 0
    code, out = harbor("connections", "check", "x")
    assert code == 1 and "does not exist" in out


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    code, out = harbor("demo", "--students", "300", "--dir", str(tmp_path / "demo"))
    assert code == 0, out
    assert "First sync" in out and "0 record write(s)" in out
    assert "changed since version 1" in out
    # Running it again starts over in the same folder.
    assert harbor("demo", "--students", "300", "--dir", str(tmp_path / "demo"))[0] == 0


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    code, out = harbor("demo", "--dir", str(precious))
    assert code == 1 and "not a Harbormaster demo folder" in out
    assert (precious / "thesis.txt").exists()


def test_a_secret_passed_as_plain_config_is_refused(vendor_plugin: str) -> None:
    code, out = harbor("connections", "add", "v", "-c", vendor_plugin, "--set",
                       "url=https://api.example.com", "--set", "client_id=harbor", "--set",
                       "client_secret=hunter2-hunter2")
    assert code != 0 and "client_secret is a secret" in out and "--secret" in out
    code, out = harbor("connections", "add", "v", "-c", vendor_plugin, "--set",
                       "url=https://api.example.com", "--set", "client_id=harbor",
                       "--secret", "client_secret=hunter2-hunter2")
    assert code == 0, out
    code, out = harbor("connections", "list")
    assert "hunter2" not in out


def test_schedule_show_and_set(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", small_district())
    assert harbor("connections", "add", "sis", "-c", "oneroster-csv", "--tenant", "d",
                  "--set", f"path={export}")[0] == 0
    code, out = harbor("schedule", "show", "d/sis")
    assert code == 0 and "'0 2 * * *'" in out and "(default)" in out
    code, out = harbor("schedule", "set", "d/sis", "--cron", "30 1 * * 1-5", "--timezone",
                       "America/Chicago", "--pause-from", "2027-06-10", "--pause-until",
                       "2027-08-20")
    assert code == 0, out
    assert "'30 1 * * 1-5' in America/Chicago, enabled; paused 2027-06-10 to 2027-08-20" in out
    code, out = harbor("schedule", "set", "d/sis", "--cron", "at two")
    assert code == 1 and "5 fields" in out
    code, out = harbor("schedule", "set", "d/sis", "--no-pause", "--disable")
    assert code == 0 and "disabled" in out and "paused" not in out


def test_clients_create_list_revoke(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export", small_district())
    assert harbor("connections", "add", "sis", "-c", "oneroster-csv", "--tenant", "d",
                  "--set", f"path={export}")[0] == 0
    code, out = harbor("clients", "create", "reading-tool", "--tenant", "d", "--scope",
                       "roster-core.readonly", "--schools", "s1", "--grades", "05")
    assert code == 0, out
    client_id = out.split("client_id:")[1].split()[0]
    secret = out.split("client_secret:")[1].split()[0]
    code, out = harbor("clients", "list")
    assert client_id in out and "schools s1" in out and "grades 05" in out
    assert secret not in out
    code, out = harbor("clients", "create", "x", "--tenant", "d", "--scope", "roster.write")
    assert code == 1 and "roster-core.readonly" in out, "unknown scopes list the valid ones"
    assert harbor("clients", "revoke", client_id)[0] == 0
    assert "revoked" in harbor("clients", "list")[1]
    assert harbor("clients", "revoke", "nobody")[0] == 1
