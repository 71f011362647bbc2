"""Plain functions that put assessment results straight into ``assessment_results``, as
the intake would after resolving the learner, and rows read from the shared vendor samples."""

from __future__ import annotations

import csv
import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.clock import utcnow
from gateway.store.learning_tables import assessment_results

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "assessments"
_keys = itertools.count(1)


def add_result(conn: sa.Connection, tenant_id: int, learner: str | None, assessment: str,
               window: str, administered_at: str, *, subject: str = "math",
               school_year: str = "2027", growth_measure: bool = True,
               status: str = "active", **fields: Any) -> str:
    """One administration; ``fields`` are other columns (scale_score, vendor_growth,
    payload, grade_equivalent, grade, percentile). Returns its source_key."""
    key = fields.pop("source_key", f"t-{next(_keys)}")
    conn.execute(assessment_results.insert().values(
        tenant_id=tenant_id, system=f"{assessment}-drop", source_key=key,
        user_sourced_id=learner, assessment=assessment, subject=subject,
        school_year=school_year, window=window, administered_at=administered_at,
        growth_measure=growth_measure, status=status, created_at=utcnow(),
        updated_at=utcnow(), **fields))
    return key


def sample_rows(relative: str) -> list[dict[str, str]]:
    """A shared vendor sample's rows (UTF-8, with or without a byte order mark)."""
    with (FIXTURES / relative).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def us_date(text: str) -> str:
    """``8/28/2025`` -> ``2025-08-28`` (the vendors' export dates)."""
    return datetime.strptime(text, "%m/%d/%Y").date().isoformat()
