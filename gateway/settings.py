"""Typed settings from the environment (prefix ``HARBOR_``); read through :func:`get_settings`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "harbormaster"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HARBOR_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the embedded SQLite database, the secret key file and demo files live."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/harbor.db``. PostgreSQL:
    ``postgresql+psycopg://user@host:5432/dbname``."""
    secret_key: SecretStr | None = None
    """Fernet key encrypting connection secrets at rest; default: ``<data_dir>/secret.key``,
    created on first use with mode 0600."""
    max_delete_share: float = Field(0.2, ge=0.0, le=1.0)
    """Deletion safeguard: a bulk pull that would soft-delete more than this share of a
    stream's active rows is held until approved."""

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'harbor.db'}"


@cache
def get_settings() -> Settings:
    return Settings()
