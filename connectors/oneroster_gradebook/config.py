"""Settings of a OneRoster 1.2 gradebook destination: the SIS's address and OAuth 2 client,
how lineItems and results are written (PUT or POST), and which ids name classes and
students there."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from gateway.net.policy import HttpPolicy
from gateway.push.destination import DestinationConfig

__all__ = ["CREATEPOST", "CREATEPUT", "READONLY", "SERVICE", "OneRosterGradebookConfig"]

SERVICE = "ims/oneroster/gradebook/v1p2"
"""The gradebook service's path under the server root (OneRoster 1.2 ``basePath``)."""

_SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
CREATEPUT = _SCOPE + "gradebook.createput"
CREATEPOST = _SCOPE + "gradebook.createpost"
READONLY = _SCOPE + "gradebook.readonly"


class OneRosterGradebookConfig(DestinationConfig):
    base_url: str
    """The SIS's address: ``https://sis.example.org`` or any URL up to or including
    ``/ims/oneroster/...`` (what comes after ``/ims/oneroster`` is ignored)."""
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    token_url: str | None = None
    """Default ``{server}/ims/oneroster/oauth2/token``."""
    scope: str | None = None
    """Space-separated scopes to ask for. Default: ``gradebook.createput`` and
    ``gradebook.readonly`` (with ``write: post``, ``gradebook.createpost`` too)."""
    write: Literal["put", "post"] = "put"
    """``put``: lineItems and results are PUT under sourcedIds the gateway chooses
    (idempotent by nature). ``post``: they are POSTed to their class / lineItem and the
    server may allocate its own sourcedIds; a changed grade is still replaced by PUT."""
    category: str | None = None
    """The sourcedId of an existing category to file lineItems under. Default: the gateway
    makes (once, idempotently) a category ``harbormaster`` titled ``category_title``."""
    category_title: str = Field("Harbormaster", min_length=1, max_length=200)
    student_ids: Literal["sourcedId", "identifier"] = "sourcedId"
    """What the SIS knows a learner by: the roster's ``sourcedId`` (the roster comes from
    this SIS) or the roster's ``identifier`` (student number), when the SIS's sourcedIds
    are student numbers."""
    class_ids: Literal["sourcedId", "classCode"] = "sourcedId"
    """What the SIS knows a class by: the roster's ``sourcedId`` or its ``classCode``."""
    rate_per_second: float | None = Field(None, gt=0)
    timeout: float = Field(60.0, gt=0)
    """Seconds to wait for a response before retrying."""
    retries: int = Field(5, ge=1, le=20)
    """Tries per request, the first included (429 and 5xx are retried)."""

    @field_validator("base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on a private network)")
        head, sep, _ = value.partition("/ims/oneroster")
        return (head if sep else value).rstrip("/")

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        value = value.strip() if value else None
        if value and "/" in value:
            raise ValueError("a category sourcedId cannot hold '/'")
        return value or None

    def policy(self, concurrency: int) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          max_connections=max(concurrency, 1),
                          rate_per_second=self.rate_per_second)

    def resolved_token_url(self) -> str:
        return self.token_url or f"{self.base_url}/ims/oneroster/oauth2/token"

    def resolved_scope(self) -> str:
        if self.scope:
            return self.scope
        wanted = [CREATEPUT, READONLY] if self.write == "put" else [CREATEPOST, CREATEPUT,
                                                                     READONLY]
        return " ".join(wanted)
