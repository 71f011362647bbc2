"""Encryption of connection secrets at rest (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from gateway.errors import ConfigError
from gateway.settings import Settings

__all__ = ["SecretBox", "secret_box"]


class SecretBox:
    """Seals a connection's secret fields into one opaque token, and opens it again."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ConfigError(
                "HARBOR_SECRET_KEY is not a valid key; generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from None

    def derive_key(self, purpose: bytes) -> bytes:
        """A 32-byte key for ``purpose`` (HMAC-SHA256 of it under the box's key), so one
        configured secret serves several uses without any of them revealing it."""
        return hmac.new(self._key, purpose, hashlib.sha256).digest()

    def seal(self, secrets: dict[str, str]) -> str | None:
        if not secrets:
            return None
        return self._fernet.encrypt(json.dumps(secrets).encode()).decode()

    def open(self, token: str | None) -> dict[str, str]:
        if not token:
            return {}
        try:
            data: dict[str, str] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise ConfigError(
                "stored connection secrets cannot be decrypted with the current "
                "HARBOR_SECRET_KEY; restore the key that was used when they were saved, or "
                "re-enter the secrets"
            ) from None
        return data


def secret_box(settings: Settings) -> SecretBox:
    """The box for ``settings``: HARBOR_SECRET_KEY, else a key file in the data directory
    (created on first use, readable only by its owner)."""
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value().encode())
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return SecretBox(path.read_bytes().strip())
