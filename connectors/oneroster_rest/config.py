"""Settings of a OneRoster REST connection, and the paths each version serves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.abc import ConnectorConfig
from gateway.net.policy import HttpPolicy

__all__ = ["GRADEBOOK", "ROSTERING", "OneRosterRestConfig", "collection_path"]

ROSTERING = ("orgs", "academicSessions", "courses", "classes", "users", "demographics",
             "enrollments")
GRADEBOOK = ("categories", "lineItems", "results")
PULLABLE = (*ROSTERING, *GRADEBOOK)

_SERVICE_12 = {**dict.fromkeys(ROSTERING, "rostering"), **dict.fromkeys(GRADEBOOK, "gradebook")}


class OneRosterRestConfig(ConnectorConfig):
    base_url: str
    """The server's address: ``https://sis.example.org`` or any URL up to or including
    ``/ims/oneroster/...`` (what comes after ``/ims/oneroster`` is ignored)."""
    version: Literal["1.2", "1.1"] = "1.2"
    auth: Literal["oauth2", "oauth1"] = "oauth2"
    """``oauth2``: client credentials at ``token_url``. ``oauth1``: OneRoster 1.1 request
    signing with the client id as consumer key and the secret as consumer secret."""
    client_id: str
    client_secret: SecretStr
    token_url: str | None = None
    """Default ``{server}/ims/oneroster/oauth2/token``."""
    scope: str | None = None
    """Space-separated scopes to ask for; default: none named (the server grants the
    client's own)."""
    signature_method: Literal["HMAC-SHA256", "HMAC-SHA1"] = "HMAC-SHA256"
    streams: tuple[str, ...] = ROSTERING
    """What to pull; any of the rostering streams and categories, lineItems, results."""
    page_size: int = Field(1000, ge=1, le=10_000)
    paging: Literal["auto", "offset"] = "auto"
    """``auto`` follows ``Link: rel="next"`` when the server sends it and pages by
    ``offset`` otherwise; ``offset`` always pages by ``offset`` (and fetches pages in
    parallel)."""
    concurrency: int = Field(4, ge=1, le=32)
    """Requests in flight at once, across streams and pages."""
    incremental: bool = True
    """After a full pull, ask only for records changed since (``dateLastModified``)."""
    reconcile_days: float = Field(7.0, ge=0)
    """A full pull at least this often, to catch deletions that change feeds miss
    (0: every run is full)."""
    rate_per_second: float | None = Field(None, gt=0)
    timeout: float = Field(60.0, gt=0)
    """Seconds to wait for a response before retrying."""
    retries: int = Field(5, ge=1, le=20)

    @field_validator("base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a private network)")
        head, sep, _ = value.partition("/ims/oneroster")
        return (head if sep else value).rstrip("/")

    @field_validator("streams", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """``--set streams=orgs,users`` on the command line arrives as one string."""
        if isinstance(value, str):
            return tuple(s.strip() for s in value.split(",") if s.strip())
        return value

    @field_validator("streams")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in PULLABLE]
        if unknown:
            raise ValueError(f"unknown stream(s) {', '.join(unknown)}; choose from "
                             f"{', '.join(PULLABLE)}")
        return tuple(s for s in PULLABLE if s in value)  # dependency order

    @model_validator(mode="after")
    def _auth(self) -> OneRosterRestConfig:
        if self.auth == "oauth1" and self.version != "1.1":
            raise ValueError("OAuth 1.0a signing belongs to OneRoster 1.1; use auth oauth2 "
                             "for 1.2 servers")
        return self

    def policy(self) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          max_connections=self.concurrency,
                          rate_per_second=self.rate_per_second)

    def resolved_token_url(self) -> str:
        if self.token_url:
            return self.token_url
        return f"{self.base_url}/ims/oneroster/oauth2/token"


def collection_path(version: str, stream: str) -> str:
    """The path of a stream's collection under the server root."""
    if version == "1.1":
        return f"ims/oneroster/v1p1/{stream}"
    return f"ims/oneroster/{_SERVICE_12[stream]}/v1p2/{stream}"
