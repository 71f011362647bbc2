"""Settings of a Renaissance Star connection: where the exports are dropped (the shared
:class:`~connectors.assessment_files.DropConfig`), which files are which, which id of the
learner the export's student id is, and the connection's identity rules and crosswalk."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from connectors.assessment_files import DropConfig, LearnerIdKind
from gateway.errors import ConfigError
from gateway.identity import IdentityRules

__all__ = ["STANDARDS_FILES", "TEST_FILES", "StarConfig"]

TEST_FILES = ("SR.csv", "SM.csv", "SR_v2.csv", "SM_v2.csv")
STANDARDS_FILES = ("*Dashboard_Standards_v2.csv", "*Dashboard_Standards.csv")


class StarConfig(DropConfig):
    tests: list[str] = Field(default_factory=lambda: list(TEST_FILES), min_length=1)
    """Name patterns of the test exports in the drop (case-insensitive globs). The subject
    comes from the name: ``SR`` or ``Reading`` is Star Reading, ``SM`` or ``Math`` Star
    Math."""
    standards: list[str] = Field(default_factory=lambda: list(STANDARDS_FILES))
    """Name patterns of the standards exports (per-standard percent mastery); none is fine."""
    learner_id_kind: LearnerIdKind = "sis_id"
    """What ``StudentSourcedID`` (else ``StudentIdentifier``) is in the roster: ``sis_id``
    by default (Renaissance rostered from the SIS or OneRoster). A row with neither names
    the learner by ``StudentRenaissanceID`` (``tool_id``: an admin confirms its link)."""
    identity: dict[str, Any] | None = None
    """The connection's identity rules (``learner_id_kind``, ``match``), as for every tool
    connection (docs/learning.md, "Identity"); read by the engine, checked here."""
    crosswalk: list[dict[str, Any]] = []
    """``{code, standard, strength}`` per Star standard name, aligned for this connection on
    every pull (standards mastery becomes evidence of those standards)."""


    @field_validator("identity")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        try:
            IdentityRules.from_config(value, where="identity")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value
