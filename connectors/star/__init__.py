"""Renaissance Star Reading and Star Math exports (tests and standards mastery) from a file
drop into the tool streams (docs/assessments-star.md)."""

from .config import StarConfig
from .connector import StarConnector

__all__ = ["StarConfig", "StarConnector"]
