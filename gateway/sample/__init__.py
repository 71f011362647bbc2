"""Sample data: a deterministic, realistic school district as a OneRoster CSV export.

Used by ``harbor demo``, by the test suite and by the ingest benchmark::

    summary = write_district(Path("/tmp/district"), 2_000)
    write_delta(summary.path, Path("/tmp/district-delta"), share=0.01)
"""

from __future__ import annotations

from gateway.sample.district import DistrictSize, ExportSummary, write_delta, write_district

__all__ = ["DistrictSize", "ExportSummary", "write_delta", "write_district"]
