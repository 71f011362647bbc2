"""SFTP drops against a real asyncssh SFTP server on loopback, over a temporary folder, with
host and client keys made here: logins by password and key, refused logins, host keys, a
missing folder, and the download removed after the pull."""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from connectors.assessment_files import Columns, Drop, DropConfig, check_drop, open_drop
from gateway.errors import ConfigError, RetriableError

USER, PASSWORD = "district", "correct horse"
HOST_KEY = asyncssh.generate_private_key("ssh-ed25519")
CLIENT_KEY = asyncssh.generate_private_key("ssh-ed25519")
STRANGER_KEY = asyncssh.generate_private_key("ssh-ed25519")
COLUMNS = Columns(required={"student": ("StudentID",), "score": ("TestRITScore",)})


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and password == PASSWORD

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return username == USER and key.public_data == CLIENT_KEY.public_data


def _serve(root: Path, body: Callable[[int], Awaitable[Any]]) -> Any:
    """Run ``body(port)`` while an SFTP server serves ``root`` on loopback."""
    async def go() -> Any:
        server = await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[HOST_KEY], server_factory=_Server,
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()))
        port = server.sockets[0].getsockname()[1]
        try:
            return await body(port)
        finally:
            server.close()
            await server.wait_closed()

    return asyncio.run(go())


def _known(port: int, key: asyncssh.SSHKey = HOST_KEY) -> str:
    return f"[127.0.0.1]:{port} {key.export_public_key().decode().strip()}\n"


def _config(port: int, **settings: Any) -> DropConfig:
    base: dict[str, Any] = {"sftp_host": "127.0.0.1", "sftp_port": port, "sftp_user": USER,
                            "sftp_path": "exports"}
    return DropConfig(**(base | settings))


async def _read(config: DropConfig) -> tuple[list[str], list[str], list[Any], list[Path]]:
    async with open_drop(config) as drop:
        names = drop.files()
        return (names, [drop.label(n) for n in names],
                [row for n in drop.find("*.csv") for _l, row in drop.rows(n, COLUMNS)],
                _downloads())


def _downloads() -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob("harbor-drop-*/*"))


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The gateway user's ~/.ssh must not decide these tests, and downloads land where the
    # test can see them come and go.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    served = tmp_path / "served"
    (served / "exports").mkdir(parents=True)
    (served / "exports" / "AssessmentResults.csv").write_text(
        "StudentID,TestRITScore\n1,201\n2,--\n")
    (served / "exports" / ".partial.csv").write_text("in transfer")
    (served / "exports" / "older").mkdir()
    with zipfile.ZipFile(served / "exports" / "SM.zip", "w") as z:
        z.writestr("SM.csv", "StudentID,TestRITScore\n3,188\n")
    return served


def test_password_login_reads_the_folder_and_removes_the_download(root: Path) -> None:
    names, labels, rows, during = _serve(
        root, lambda port: _read(_config(port, sftp_password=PASSWORD,
                                         sftp_known_hosts=_known(port))))
    assert names == ["AssessmentResults.csv", "SM.zip:SM.csv"]
    assert labels == ["127.0.0.1:exports/AssessmentResults.csv", "127.0.0.1:exports/SM.zip:SM.csv"]
    assert rows == [{"student": "1", "score": "201"}, {"student": "2", "score": None},
                    {"student": "3", "score": "188"}]
    assert [p.name for p in during] == ["AssessmentResults.csv", "SM.zip"]
    assert _downloads() == []


def test_key_login_with_a_bare_host_key_and_a_known_hosts_file(root: Path,
                                                               tmp_path: Path) -> None:
    key = CLIENT_KEY.export_private_key().decode()
    bare = HOST_KEY.export_public_key().decode()
    names, *_ = _serve(root, lambda port: _read(
        _config(port, sftp_private_key=key, sftp_known_hosts=bare)))
    assert names == ["AssessmentResults.csv", "SM.zip:SM.csv"]
    known_file = tmp_path / "known_hosts"

    async def with_file(port: int) -> Any:
        known_file.write_text(_known(port))
        return await _read(_config(port, sftp_private_key=key, sftp_known_hosts=str(known_file),
                                   sftp_path="/exports/SM.zip"))

    names, labels, rows, _ = _serve(root, with_file)
    assert labels == ["127.0.0.1:/exports/SM.zip:SM.csv"]
    assert rows == [{"student": "3", "score": "188"}]


def test_a_refused_login_names_host_user_and_fix(root: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _serve(root, lambda port: _read(_config(port, sftp_password="wrong",
                                                sftp_known_hosts=_known(port))))
    text = str(caught.value)
    assert "127.0.0.1" in text
    assert "'district'" in text
    assert "sftp_password" in text
    with pytest.raises(ConfigError, match="private key"):
        _serve(root, lambda port: _read(_config(
            port, sftp_private_key=STRANGER_KEY.export_private_key().decode(),
            sftp_known_hosts=_known(port))))
    with pytest.raises(ConfigError, match="sftp_private_key is not a usable private key"):
        _serve(root, lambda port: _read(_config(port, sftp_private_key="not a key",
                                                sftp_known_hosts=_known(port))))


def test_unknown_or_wrong_host_keys_are_refused_unless_told(root: Path) -> None:
    def attempt(known: bool) -> Callable[[int], Awaitable[Any]]:
        return lambda port: _read(_config(
            port, sftp_password=PASSWORD,
            sftp_known_hosts=_known(port, STRANGER_KEY) if known else None))

    for known in (False, True):
        with pytest.raises(ConfigError) as caught:
            _serve(root, attempt(known))
        assert "host key is not trusted" in str(caught.value)
        assert "sftp_known_hosts" in str(caught.value)
        assert "ssh-keyscan -p" in str(caught.value)
    names, *_ = _serve(root, lambda port: _read(_config(
        port, sftp_password=PASSWORD, sftp_insecure_skip_host_check=True)))
    assert names == ["AssessmentResults.csv", "SM.zip:SM.csv"]


def test_a_missing_remote_folder_and_a_server_not_there(root: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _serve(root, lambda port: _read(_config(port, sftp_password=PASSWORD,
                                                sftp_known_hosts=_known(port),
                                                sftp_path="exprots")))
    assert "'exprots' does not exist" in str(caught.value)
    assert "sftp_path" in str(caught.value)
    assert _downloads() == []

    async def closed(port: int) -> Any:
        return port

    port = _serve(root, closed)  # nothing listens there any more
    with pytest.raises(RetriableError, match=f"127.0.0.1:{port}"):
        asyncio.run(_read(_config(port, sftp_password=PASSWORD)))


def test_check_drop_over_sftp(root: Path) -> None:
    async def checks(port: int) -> Any:
        good = await check_drop(_config(port, sftp_password=PASSWORD,
                                        sftp_known_hosts=_known(port)), "AssessmentResults*.csv")
        bad = await check_drop(_config(port, sftp_password="nope",
                                       sftp_known_hosts=_known(port)), "AssessmentResults*.csv")
        return good, bad

    good, bad = _serve(root, checks)
    assert good.ok, good.message
    assert "district@127.0.0.1" in good.message
    assert not bad.ok
    assert "refused the login" in bad.message


def test_a_drop_is_only_read_inside_its_block(root: Path) -> None:
    kept: list[Drop] = []

    async def body(port: int) -> None:
        async with open_drop(_config(port, sftp_password=PASSWORD,
                                     sftp_known_hosts=_known(port))) as drop:
            kept.append(drop)

    _serve(root, body)
    with pytest.raises(FileNotFoundError):
        list(kept[0].rows("AssessmentResults.csv", COLUMNS))
