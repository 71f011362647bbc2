"""OneRoster REST consumer: rosters and gradebooks from an SIS's OneRoster 1.2 or 1.1 API."""

from .config import OneRosterRestConfig
from .connector import OneRosterRestConnector

__all__ = ["OneRosterRestConfig", "OneRosterRestConnector"]
