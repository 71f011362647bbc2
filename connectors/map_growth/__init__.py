"""NWEA MAP Growth exports (the Comprehensive Data File's ``AssessmentResults.csv`` with
``StudentsBySchool.csv``, or the single ``ComboStudentAssessment.csv``) from a file drop,
into the ``toolAssessments`` and ``toolEvidence`` streams (docs/assessments-map-growth.md)."""

from .config import MapGrowthConfig
from .connector import MapGrowthConnector

__all__ = ["MapGrowthConfig", "MapGrowthConnector"]
