"""The shared reader of assessment vendors' file drops (a folder, a zip or an SFTP folder):
the files, their rows keyed by canonical column names, and administration windows. The
MAP Growth, i-Ready, Star and IXL connectors build on it; district setup is in
docs/assessments-files.md."""

from .columns import NULLS, Columns, cell, normalize_header
from .config import DropConfig, LearnerIdKind
from .drop import Drop, Record, check_drop, local_drop, open_drop
from .windows import read_date, school_year_of, window_name, window_of

__all__ = ["NULLS", "Columns", "Drop", "DropConfig", "LearnerIdKind", "Record", "cell",
           "check_drop", "local_drop", "normalize_header", "open_drop", "read_date",
           "school_year_of", "window_name", "window_of"]
