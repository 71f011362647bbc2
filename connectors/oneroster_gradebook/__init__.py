"""OneRoster 1.2 gradebook destination: the gateway's assignments and grades pushed into an
SIS's gradebook as lineItems and results."""

from .config import OneRosterGradebookConfig
from .connector import OneRosterGradebookConnector

__all__ = ["OneRosterGradebookConfig", "OneRosterGradebookConnector"]
