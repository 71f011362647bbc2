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

    timezone: str | None = None
    """IANA zone for schedules that do not name one (the default nightly 02:00 is in it);
    default: this machine's zone."""
    lease_seconds: float = Field(60.0, gt=0)
    """How long a run's hold on its connection outlives a worker that stopped renewing it
    (crash, SIGKILL, lost machine) before another worker may resume the run."""
    poll_seconds: float = Field(2.0, gt=0)
    """How often an idle in-process worker looks for queued runs."""
    queue: str = "local"
    """How queued runs reach workers: ``local`` (the in-process worker of ``harbor serve``
    and ``harbor worker`` poll the store; SQLite or PostgreSQL) or ``procrastinate``
    (PostgreSQL job queue shared by any number of ``harbor worker`` processes)."""
    public_url: str | None = None
    """The address vendors reach the gateway at (``https://harbor.district.example``, with
    the path prefix if a reverse proxy adds one), when the proxy changes the scheme, host or
    path: OneRoster 1.1 OAuth 1.0a signatures cover the URL as the vendor sent it."""
    log_json: bool = False
    """One JSON object per log line (for log shippers) instead of plain text."""
    log_level: str = "INFO"

    @property
    def resolved_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        try:
            import tzlocal

            return str(tzlocal.get_localzone_name() or "UTC")
        except Exception:  # no zone configured on this machine
            return "UTC"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'harbor.db'}"


@cache
def get_settings() -> Settings:
    try:
        return Settings()
    except PermissionError:  # started in a folder this user cannot read (sudo -u ...)
        return Settings(_env_file=None)
