"""OneRoster 1.1 and 1.2 CSV exports (folder, zip, or an inbox of exports)."""

from .connector import OneRosterCsvConfig, OneRosterCsvConnector

__all__ = ["OneRosterCsvConfig", "OneRosterCsvConnector"]
