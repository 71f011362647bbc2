"""Google Classroom destination: assignments and grades pushed to Classroom courses."""

from .config import ClassroomConfig
from .connector import ClassroomConnector

__all__ = ["ClassroomConfig", "ClassroomConnector"]
