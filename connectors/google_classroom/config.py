"""Settings of a Google Classroom destination, and the service account key they carry."""

from __future__ import annotations

import dataclasses
import json
import string
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from gateway.errors import ConfigError
from gateway.net.policy import HttpPolicy
from gateway.push.destination import DestinationConfig

__all__ = ["SCOPE", "ClassroomConfig", "ServiceAccountKey"]

SCOPE = "https://www.googleapis.com/auth/classroom.coursework.students"
"""The one scope asked for: create courseWork and grade students in classes the subject
teaches. Domain-wide delegation must grant it to the service account's client id."""

COURSE_FIELDS = ("class", "course", "school", "class_code")
USER_FIELDS = ("email", "identifier", "sourced_id", "username")


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceAccountKey:
    """The parts of a Google service account key file (JSON) the token exchange needs."""

    client_email: str
    client_id: str
    private_key_id: str
    private_key: str
    token_uri: str
    project_id: str

    def __repr__(self) -> str:  # never show the private key
        return f"ServiceAccountKey({self.client_email!r}, key id {self.private_key_id!r})"

    @classmethod
    def parse(cls, text: str) -> ServiceAccountKey:
        """The key from the file's text; ConfigError naming what is missing (never the key)."""
        advice = ("paste the whole JSON key file of the service account (Cloud console, IAM, "
                  "Service accounts, Keys, Add key, JSON)")
        try:
            data: Any = json.loads(text)
        except ValueError:
            raise ConfigError(f"service_account is not JSON; {advice}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"service_account is not a JSON object; {advice}")
        if data.get("type", "service_account") != "service_account":
            raise ConfigError(f"service_account is a {data.get('type')!r} credential, not a "
                              f"service account key; {advice}")
        missing = [k for k in ("client_email", "private_key") if not data.get(k)]
        if missing:
            raise ConfigError(f"service_account lacks {' and '.join(missing)}; {advice}")
        return cls(client_email=str(data["client_email"]),
                   client_id=str(data.get("client_id") or ""),
                   private_key_id=str(data.get("private_key_id") or ""),
                   private_key=str(data["private_key"]),
                   token_uri=str(data.get("token_uri") or "https://oauth2.googleapis.com/token"),
                   project_id=str(data.get("project_id") or ""))


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


class ClassroomConfig(DestinationConfig):
    service_account: SecretStr
    """The service account's JSON key file, whole. Encrypted at rest, never shown."""
    subject: str = Field(min_length=3)
    """The Google Workspace user the service account acts as (domain-wide delegation): a
    teacher of every class pushed to, or a Classroom domain administrator."""
    base_url: str = "https://classroom.googleapis.com"
    token_url: str | None = None
    """The OAuth 2 token endpoint; default: the key file's ``token_uri``."""
    course_id: str = "d:{class}"
    """How a class becomes a Classroom course id: an alias template (``d:`` domain alias,
    ``p:`` project alias) or a plain id, with ``{class}`` (class sourcedId), ``{course}``
    (course sourcedId), ``{school}``, ``{class_code}``."""
    user_id: str = "{email}"
    """How a learner becomes a Classroom user id: ``{email}``, ``{identifier}``,
    ``{sourced_id}``, ``{username}``, e.g. ``{identifier}@students.example.org``."""
    grades: Literal["assigned", "draft"] = "assigned"
    """``assigned``: set assignedGrade and draftGrade (the student sees the grade once the
    teacher returns the work). ``draft``: only draftGrade (teachers review first)."""
    check_class: str | None = None
    """A class sourcedId whose Classroom course ``check`` opens, to prove the course id
    template and the subject's access; without it, check proves the sign-in only."""
    rate_per_second: float | None = Field(None, gt=0)
    timeout: float = Field(60.0, gt=0)
    retries: int = Field(5, ge=1, le=20)

    @field_validator("service_account")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        try:
            ServiceAccountKey.parse(value.get_secret_value())
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("base_url", "token_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https://")
        return value

    @field_validator("course_id")
    @classmethod
    def _course_template(cls, value: str) -> str:
        return _template(value, COURSE_FIELDS)

    @field_validator("user_id")
    @classmethod
    def _user_template(cls, value: str) -> str:
        return _template(value, USER_FIELDS)

    def key(self) -> ServiceAccountKey:
        return ServiceAccountKey.parse(self.service_account.get_secret_value())

    def resolved_token_url(self) -> str:
        return self.token_url or self.key().token_uri

    def policy(self) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          rate_per_second=self.rate_per_second)


def _template(value: str, fields: tuple[str, ...]) -> str:
    try:
        names = _placeholders(value)
    except ValueError as exc:
        raise ValueError(f"is not a template ({exc}); use {{...}} around a field name") from None
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join('{' + n + '}' for n in unknown)}; "
                         f"choose from {', '.join('{' + f + '}' for f in fields)}")
    if not names:
        raise ValueError(f"names no field, so every record would map to the same id; use "
                         f"one of {', '.join('{' + f + '}' for f in fields)}")
    return value
