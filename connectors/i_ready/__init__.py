"""Curriculum Associates i-Ready Diagnostic results exports into the assessment streams
(docs/assessments-i-ready.md)."""

from .connector import IReadyConfig, IReadyConnector

__all__ = ["IReadyConfig", "IReadyConnector"]
