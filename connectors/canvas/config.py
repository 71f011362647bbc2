"""Settings of a Canvas destination: where Canvas is, the token, and how OneRoster ids become
Canvas course and user ids."""

from __future__ import annotations

import string

from pydantic import Field, SecretStr, field_validator

from gateway.net.policy import HttpPolicy
from gateway.push.destination import DestinationConfig

__all__ = ["COURSE_FIELDS", "USER_FIELDS", "CanvasConfig"]

COURSE_FIELDS = ("class", "course", "school", "class_code")
"""Placeholders of ``course_id``: the class sourcedId, its course's and school's sourcedIds,
and the class code."""
USER_FIELDS = ("learner", "username", "identifier")
"""Placeholders of ``user_id``: the learner's sourcedId, OneRoster username and identifier."""
_COURSE_PREFIXES = ("sis_course_id:", "sis_integration_id:", "lti_context_id:")
_USER_PREFIXES = ("sis_user_id:", "sis_login_id:", "sis_integration_id:")


def _check_template(value: str, fields: tuple[str, ...], prefixes: tuple[str, ...],
                    example: str) -> str:
    value = value.strip()
    if not value.startswith(prefixes):
        raise ValueError(f"must start with one of {', '.join(prefixes)} (Canvas reads a bare "
                         f"value as its own numeric id), e.g. {example!r}")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"is not a template: {exc}") from None
    if "email" in names:
        raise ValueError("{email} is not an id Canvas accepts in a URL; use sis_login_id: "
                         "with {username} if logins are email addresses")
    unknown = [n for n in names if n not in fields]
    if unknown or not names:
        raise ValueError(f"needs one or more of the placeholders "
                         f"{', '.join('{' + f + '}' for f in fields)} (found "
                         f"{', '.join('{' + n + '}' for n in unknown) or 'none'}), "
                         f"e.g. {example!r}")
    return value


class CanvasConfig(DestinationConfig):
    base_url: str
    """The district's Canvas address, e.g. ``https://district.instructure.com``."""
    access_token: SecretStr
    """A Canvas access token of a user who may create assignments and grade in the courses
    (a sub-account admin, or a teacher for their own courses)."""
    course_id: str = "sis_course_id:{class}"
    """How a OneRoster class names its Canvas course: ``sis_course_id:{class}`` when classes
    are imported as Canvas courses, ``sis_course_id:{course}`` when they became sections of
    one course per OneRoster course."""
    user_id: str = "sis_user_id:{learner}"
    """How a learner names their Canvas user: ``sis_user_id:{learner}``,
    ``sis_login_id:{username}`` or ``sis_user_id:{identifier}``."""
    publish: bool = True
    """Create assignments published (students see them and their grades)."""
    rate_per_second: float | None = Field(None, gt=0)
    """A hard cap on requests per second, on top of pacing by Canvas's quota headers."""
    pacing: bool = True
    """Slow down as ``X-Rate-Limit-Remaining`` falls, to stay under Canvas's throttle."""
    timeout: float = Field(60.0, gt=0)
    retries: int = Field(5, ge=1, le=20)

    @field_validator("base_url")
    @classmethod
    def _root(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https://, e.g. https://district.instructure.com")
        head, sep, _ = value.partition("/api/v1")
        return head if sep else value

    @field_validator("course_id")
    @classmethod
    def _course(cls, value: str) -> str:
        return _check_template(value, COURSE_FIELDS, _COURSE_PREFIXES, "sis_course_id:{class}")

    @field_validator("user_id")
    @classmethod
    def _user(cls, value: str) -> str:
        return _check_template(value, USER_FIELDS, _USER_PREFIXES, "sis_user_id:{learner}")

    def policy(self) -> HttpPolicy:
        return HttpPolicy(read_timeout=self.timeout, attempts=self.retries,
                          rate_per_second=self.rate_per_second, max_connections=16)
