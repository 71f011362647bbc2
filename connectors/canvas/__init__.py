"""Canvas destination: assignments and grades pushed into Canvas gradebooks, exactly once."""

from .config import CanvasConfig
from .connector import CanvasConnector

__all__ = ["CanvasConfig", "CanvasConnector"]
