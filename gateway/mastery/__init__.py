"""Mastery: scores on many scales brought to [0, 1], folded per learner and standard by
the tenant's method, banded into levels, and kept current as evidence arrives.

The design and contracts: docs/learning.md ("Mastery").
"""

from __future__ import annotations

from gateway.mastery.methods import METHODS
from gateway.mastery.recompute import recompute
from gateway.mastery.scales import Scale, normalize, parse_scale
from gateway.mastery.settings import (
    DEFAULT_BANDS,
    DEFAULT_SETTINGS,
    Band,
    MasterySettings,
    read_settings,
    write_settings,
)

__all__ = ["DEFAULT_BANDS", "DEFAULT_SETTINGS", "METHODS", "Band", "MasterySettings", "Scale",
           "normalize", "parse_scale", "read_settings", "recompute", "write_settings"]
