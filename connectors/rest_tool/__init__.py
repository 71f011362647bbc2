"""Adaptive tools' REST APIs, read through a declarative mapping (``mappings/*.yaml``) into
the tool streams of docs/learning.md; how to write a mapping is in docs/connectors.md."""

from .config import RestToolConfig
from .connector import RestToolConnector
from .mapping import ToolMapping, load_mapping, resolve_mapping
from .schema import MAPPING_SCHEMA

__all__ = ["MAPPING_SCHEMA", "RestToolConfig", "RestToolConnector", "ToolMapping",
           "load_mapping", "resolve_mapping"]
