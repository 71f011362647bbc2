"""Settings of a MAP Growth connection: where the exports are dropped (the shared
:class:`~connectors.assessment_files.DropConfig`), which id of the learner ``StudentID``
is, and the identity rules and crosswalk of the connection."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator

from connectors.assessment_files import DropConfig
from gateway.errors import ConfigError
from gateway.identity import IdentityRules

__all__ = ["MapGrowthConfig"]


class MapGrowthConfig(DropConfig):
    learner_id_kind: Literal["sis_id", "state_id", "username", "tool_id"] = "sis_id"
    """What MAP's ``StudentID`` is in the district: the SIS student number (``sis_id``, the
    usual roster setup in MAP), the state id, or a username. ``Student_StateID`` is always
    offered to the identity rules as the state id too."""
    identity: dict[str, Any] | None = None
    """The connection's identity rules (``learner_id_kind``, ``match``), as for every tool
    connection (docs/learning.md, "Identity"); read by the engine, checked here."""
    crosswalk: list[dict[str, Any]] = []
    """``{code, standard, strength}`` per MAP goal name (``Number and Operations``), aligned
    for this connection on every pull (goal scores become evidence of those standards)."""

    @field_validator("identity")
    @classmethod
    def _rules(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        try:
            IdentityRules.from_config(value, where="identity")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value
