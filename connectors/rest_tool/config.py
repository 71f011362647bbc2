"""Settings of a tool connection: which mapping describes the vendor's API, where the API
is, how politely to page it, and the secrets the mapping's ``auth`` names."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from gateway.abc import ConnectorConfig
from gateway.net.policy import HttpPolicy

__all__ = ["RestToolConfig"]


class RestToolConfig(ConnectorConfig):
    mapping: str
    """A mapping YAML file's path, or the name of a shipped one (``literacy-tool``)."""
    base_url: str | None = None
    """The API's address; overrides the mapping's ``base_url`` (a district's own tenant of
    the tool, a vendor's staging server)."""
    page_size: int | None = Field(None, ge=1, le=10_000)
    """Records per page; default the mapping's ``page_size``, else 100."""
    rate_per_second: float | None = Field(None, gt=0)
    """Client-side limit on requests per second (vendors publish theirs)."""
    timeout: float = Field(60.0, gt=0)
    retries: int = Field(5, ge=1, le=20)
    client_id: str | None = None
    """For ``oauth2_client_credentials``: the client id the vendor issued (not a secret)."""
    api_key: SecretStr | None = None
    token: SecretStr | None = None
    """A bearer token, for ``auth: {type: bearer}``."""
    client_secret: SecretStr | None = None

    @field_validator("mapping")
    @classmethod
    def _readable(cls, value: str) -> str:
        """A connection is refused when its mapping is: the ConfigError lists every mistake
        with its line (raised as is, not as a pydantic error, to keep that list whole)."""
        from .mapping import load_mapping

        load_mapping(value)
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a private network)")
        return value

    def secret(self, name: str) -> str | None:
        """The secret the mapping's auth names (``api_key``, ``token``, ``client_secret``)."""
        value = getattr(self, name, None)
        return value.get_secret_value() if isinstance(value, SecretStr) else None

    def policy(self) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          max_connections=4, rate_per_second=self.rate_per_second)
