"""Settings of an IXL connection: where the exports are dropped (:class:`DropConfig`),
which files in the drop are IXL's, and who the ``Student ID`` column names."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from connectors.assessment_files import DropConfig, LearnerIdKind
from gateway.identity import IdentityRules

__all__ = ["IxlConfig"]


class IxlConfig(DropConfig):
    files: tuple[str, ...] = Field(("*.csv", "*.tsv", "*.txt"), min_length=1)
    """Globs (case-insensitive, on the base name) of the drop's IXL export files; narrow
    them (``IXL*.csv``) when the drop also holds other vendors' files."""
    learner_id_kind: LearnerIdKind = "sis_id"
    """What IXL's ``Student ID`` holds: the student id the district's roster sync gave IXL
    (``sis_id``, the default), or ``state_id``, ``username``, ``email``, ``tool_id``."""
    identity: dict[str, Any] | None = None
    """Identity rules (docs/learning.md, "Identity"): which roster fields each id kind is
    compared with."""


    @field_validator("identity")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        IdentityRules.from_config(value)  # a ConfigError naming the bad key
        return value
