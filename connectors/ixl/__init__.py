"""IXL diagnostic and progress exports (a file drop) as assessment results, placements and
strand evidence; what is read and how is in docs/assessments-ixl.md."""

from .config import IxlConfig
from .connector import IxlConnector

__all__ = ["IxlConfig", "IxlConnector"]
