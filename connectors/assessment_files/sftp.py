"""Fetching a drop from an SFTP server (asyncssh): the remote folder's files are downloaded
to a temporary folder once per pull, read from there, and removed when the pull ends.

The server's host key must be known (``sftp_known_hosts``, else the gateway user's
``~/.ssh/known_hosts``); no SSH agent, client config or default key of the gateway's user is
used, so a connection works the same on every machine that runs it.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncssh

from gateway.errors import ConfigError, RetriableError

from .config import DropConfig

__all__ = ["CONNECT_TIMEOUT", "fetched"]

CONNECT_TIMEOUT = 30.0
"""Seconds to reach the server and log in."""


@asynccontextmanager
async def fetched(config: DropConfig) -> AsyncIterator[tuple[Path, str, str]]:
    """``(local folder or file, label prefix, where)`` of the remote drop, downloaded; the
    download is removed on exit."""
    assert config.sftp_host is not None
    assert config.sftp_user is not None
    host, port, user = config.sftp_host, config.sftp_port, config.sftp_user
    remote = config.sftp_path.rstrip("/") or "/"
    where = f"{user}@{host}:{remote}" if port == 22 else f"{user}@{host}:{port}:{remote}"
    with tempfile.TemporaryDirectory(prefix="harbor-drop-") as tmp:
        local, shown = await _download(config, remote, where, Path(tmp))
        yield local, f"{host}:" if shown == "." else f"{host}:{shown}/", where


async def _download(config: DropConfig, remote: str, where: str,
                    local: Path) -> tuple[Path, str]:
    """Download the remote folder's files (or the one file ``remote`` names) into ``local``;
    returns what to read and the remote folder it came from."""
    host, user = config.sftp_host, config.sftp_user
    async with _connect(config) as conn, conn.start_sftp_client() as sftp:
        try:
            attrs = await sftp.stat(remote)
            if attrs.type == asyncssh.FILEXFER_TYPE_REGULAR:
                # sftp_path names one file (a zip): fetch just it.
                parent, _, name = remote.rpartition("/")
                await sftp.get(remote, str(local / name))
                return local / name, parent or "."
            for entry in sorted(await sftp.readdir(remote), key=lambda e: str(e.filename)):
                name = str(entry.filename)
                if name.startswith(".") or entry.attrs.type != asyncssh.FILEXFER_TYPE_REGULAR:
                    continue  # only the folder's own files; zips among them are opened
                await sftp.get(f"{remote}/{name}", str(local / name))
        except asyncssh.SFTPNoSuchFile:
            raise ConfigError(
                f"{where}: the remote folder {remote!r} does not exist on {host}; set "
                f"sftp_path to the folder the exports are delivered to (a path relative "
                f"to {user}'s home folder, or absolute)") from None
        except asyncssh.SFTPPermissionDenied:
            raise ConfigError(
                f"{where}: {user} may not read {remote!r} on {host}; ask the server's "
                f"owner to let {user} read the folder and its files") from None
        except asyncssh.SFTPError as exc:
            raise RetriableError(f"{where}: the SFTP server failed: {exc.reason}") from None
    return local, remote


@asynccontextmanager
async def _connect(config: DropConfig) -> AsyncIterator[asyncssh.SSHClientConnection]:
    assert config.sftp_host is not None
    assert config.sftp_user is not None
    host, port, user = config.sftp_host, config.sftp_port, config.sftp_user
    options: dict[str, Any] = {
        "username": user, "port": port, "known_hosts": _known_hosts(config),
        "config": None, "agent_path": None, "connect_timeout": CONNECT_TIMEOUT,
        "client_keys": _client_keys(config),
        "password": (config.sftp_password.get_secret_value()
                     if config.sftp_password is not None else None),
    }
    if config.sftp_password is None:
        options["preferred_auth"] = "publickey"
    elif config.sftp_private_key is None:
        options["preferred_auth"] = "password,keyboard-interactive"
    try:
        conn = await asyncssh.connect(host, **options)
    except asyncssh.PermissionDenied:
        what = " and ".join(n for n, v in (("password", config.sftp_password),
                                           ("private key", config.sftp_private_key)) if v)
        raise ConfigError(
            f"{host}:{port} refused the login of {user!r} with the {what} given; fix "
            f"sftp_user / sftp_password / sftp_private_key (for a key, the server must list "
            f"its public half in {user}'s authorized_keys)") from None
    except asyncssh.HostKeyNotVerifiable as exc:
        raise ConfigError(
            f"{host}:{port}'s host key is not trusted ({exc.reason}); the gateway refuses "
            f"servers it cannot verify. Set sftp_known_hosts to the server's known_hosts "
            f"line (what `ssh-keyscan -p {port} {host}` prints, checked against the "
            f"fingerprint the server's owner gives you)") from None
    except socket.gaierror:
        raise ConfigError(f"{host}: no such host name; check sftp_host") from None
    except OSError as exc:  # TimeoutError too
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "no answer"
        raise RetriableError(
            f"cannot reach the SFTP server {host}:{port} ({why}); check sftp_host and "
            f"sftp_port, and that the gateway may connect out to it") from None
    except asyncssh.DisconnectError as exc:
        raise RetriableError(f"{host}:{port} closed the connection: {exc.reason}") from None
    try:
        yield conn
    finally:
        conn.close()
        await conn.wait_closed()


def _known_hosts(config: DropConfig) -> Any:
    if config.sftp_insecure_skip_host_check:
        return None
    given = config.sftp_known_hosts
    if given is None or not given.strip():
        return ()  # asyncssh: the user's ~/.ssh/known_hosts, else nothing is trusted
    text = given.strip()
    if "\n" not in text and Path(text).expanduser().is_file():
        return str(Path(text).expanduser())
    keys = _public_keys(text)
    if keys:
        return keys, [], []
    try:
        return asyncssh.import_known_hosts(text)
    except (ValueError, asyncssh.KeyImportError) as exc:
        raise ConfigError(
            f"sftp_known_hosts is neither a known_hosts file on the gateway nor known_hosts "
            f"lines ({exc}); paste what `ssh-keyscan -p {config.sftp_port} {config.sftp_host}` "
            f"prints") from None


def _public_keys(text: str) -> Sequence[asyncssh.SSHKey]:
    """Bare public keys (``ssh-ed25519 AAAA...``, one a line) trusted for this server."""
    try:
        return [asyncssh.import_public_key(line) for line in text.splitlines() if line.strip()]
    except asyncssh.KeyImportError:
        return []


def _client_keys(config: DropConfig) -> Any:
    if config.sftp_private_key is None:
        return None  # no key authentication at all (not the gateway user's ~/.ssh keys)
    try:
        return [asyncssh.import_private_key(config.sftp_private_key.get_secret_value())]
    except asyncssh.KeyImportError as exc:
        raise ConfigError(
            f"sftp_private_key is not a usable private key ({exc}); paste the whole key file "
            f"(from -----BEGIN to END-----), without a passphrase") from None
