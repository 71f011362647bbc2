"""LTI Assignment and Grade Services destination: gradebook columns and grades pushed to any
LTI 1.3 LMS through the tool's own registration."""

from .config import LtiAgsConfig
from .connector import LtiAgsConnector

__all__ = ["LtiAgsConfig", "LtiAgsConnector"]
