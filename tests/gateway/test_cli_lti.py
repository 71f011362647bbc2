"""`harbor lti`: registrations, the Dynamic Registration link, the tool configuration and
key rotation, on a real embedded store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from gateway.cli_lti import lti_app
from gateway.cli_support import open_store
from gateway.lti.links import RegistrationLinks
from gateway.lti.registrations import Registrations
from gateway.settings import get_settings

runner = CliRunner()


MOODLE = ["--issuer", "https://moodle.north.example", "--client-id", "Zr8Kq2",
          "--login-url", "https://moodle.north.example/mod/lti/auth.php",
          "--token-url", "https://moodle.north.example/mod/lti/token.php",
          "--keyset-url", "https://moodle.north.example/mod/lti/certs.php"]


def lti(*args: str) -> tuple[int, str]:
    result = runner.invoke(lti_app, list(args))
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def tenants(cli_data_dir: Path) -> None:
    with open_store() as store:
        store.ensure_tenant("north")
        store.ensure_tenant("south")


def test_registrations_add_list_remove() -> None:
    code, out = lti("registrations", "list")
    assert code == 0 and "harbor lti register-url" in out
    code, out = lti("registrations", "add", "moodle", "--tenant", "north", *MOODLE,
                    "--deployment", "1")
    assert code == 0, out
    assert "north/moodle" in out and "client Zr8Kq2" in out and "1;" in out
    code, out = lti("registrations", "add", "again", "--tenant", "south", *MOODLE)
    assert code == 1 and "registered already" in out
    code, out = lti("registrations", "add", "bad", "--tenant", "north",
                    *MOODLE[:-1], "certs.php")
    assert code == 1 and "key_set_url 'certs.php' is not an http(s) URL" in out

    code, out = lti("registrations", "add-deployment", "moodle", "7", "--tenant", "north")
    assert code == 0 and "1, 7" in out
    code, out = lti("registrations", "list", "--tenant", "south")
    assert code == 0 and "moodle" not in out
    code, out = lti("registrations", "list", "--tenant", "north")
    assert "north/moodle" in out and "https://moodle.north.example" in out

    code, out = lti("registrations", "remove", "moodle", "--tenant", "south")
    assert code == 1 and "no LTI registration 'moodle' in tenant 'south'" in out
    with open_store() as store:
        rid = Registrations(store.engine).list()[0].id
    code, out = lti("registrations", "remove", str(rid), "--tenant", "south")
    assert code == 1
    code, out = lti("registrations", "remove", str(rid), "--tenant", "north")
    assert code == 0 and "removed north/moodle" in out
    with open_store() as store:
        assert Registrations(store.engine).list() == []


def test_register_url(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = lti("register-url", "--tenant", "north")
    assert code == 1 and "HARBOR_PUBLIC_URL" in out
    monkeypatch.setenv("HARBOR_PUBLIC_URL", "https://harbor.district.example")
    get_settings.cache_clear()
    code, out = lti("register-url", "--tenant", "north", "--name", "moodle-main")
    assert code == 0, out
    url = out.splitlines()[0]
    assert url.startswith("https://harbor.district.example/lti/register?hm=")
    assert "registers one LMS for tenant north, once" in out
    with open_store() as store:
        link = RegistrationLinks(store).verify(parse_qs(urlsplit(url).query)["hm"][0])
    assert (link.tenant, link.name) == ("north", "moodle-main")
    code, out = lti("register-url", "--tenant", "nowhere", "--base-url", "https://h.example")
    assert code == 1 and "no tenant 'nowhere'" in out
    code, out = lti("register-url", "--tenant", "north", "--hours", "500",
                    "--base-url", "https://h.example")
    assert code == 1 and "between one minute and 7 days" in out


def test_tool_config() -> None:
    code, out = lti("tool-config", "--base-url", "https://harbor.district.example/")
    assert code == 0, out
    assert "https://harbor.district.example/lti/login" in out
    assert "https://harbor.district.example/.well-known/jwks.json" in out
    assert "contextmembership.readonly" in out
    code, out = lti("tool-config", "--canvas-json", "--base-url",
                    "https://harbor.district.example")
    config = json.loads(out)
    assert config["target_link_uri"] == "https://harbor.district.example/lti/launch"


def test_keys_prepare_rotate() -> None:
    code, out = lti("keys", "list")
    assert code == 0 and out.count("active") == 1 and "PRIVATE" not in out
    code, out = lti("keys", "prepare")
    assert code == 0 and "harbor lti keys rotate" in out
    code, out = lti("keys", "list")
    assert "next" in out and out.count("published") == 2
    code, out = lti("keys", "rotate")
    assert code == 0 and "signs now" in out and "no key had been prepared" not in out
    code, out = lti("keys", "list")
    assert "retired" in out and "active" in out and out.count(" published") == 2
    code, out = lti("keys", "rotate")
    assert "no key had been prepared" in out


def test_identities_list_and_confirm() -> None:
    from gateway.lti.identity import IdentityLinks

    with open_store() as store:
        registration = Registrations(store.engine).add(store.tenant("north").id,
                                                       _moodle_input())
        link = IdentityLinks(store.engine).resolve(registration, sub="lms-7",
                                                   email="x@north.example")
    code, out = lti("identities", "list", "--tenant", "north")
    assert code == 0, out
    assert f"{link.id}  unmatched  LMS user lms-7" in out
    code, out = lti("identities", "confirm", str(link.id), "u-404", "--tenant", "north")
    assert code == 1 and "'u-404' is not in this tenant's roster" in out
    code, out = lti("identities", "confirm", str(link.id), "u-1", "--tenant", "south")
    assert code == 1 and f"no identity link {link.id} in tenant 'south'" in out
    code, out = lti("identities", "list", "--tenant", "south")
    assert code == 0 and "nothing to review" in out


def _moodle_input() -> Any:
    from gateway.lti.registrations import RegistrationInput

    return RegistrationInput(name="moodle", issuer="https://moodle.north.example",
                             client_id="Zr8Kq2", auth_login_url=MOODLE[5],
                             auth_token_url=MOODLE[7], key_set_url=MOODLE[9])
