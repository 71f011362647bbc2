"""Normed assessments after intake: years of growth per year per learner, subject and school
year (by each vendor's method), group aggregates, and readiness benchmarks.

How each number is made: docs/assessments-growth.md.
"""

from __future__ import annotations

from gateway.assessments.aggregates import (
    GrowthSummary,
    SchoolGrowth,
    TenantGrowth,
    of_results,
    summarize,
    tenant_growth,
)
from gateway.assessments.benchmarks import (
    Benchmark,
    Readiness,
    read_benchmarks,
    readiness,
    write_benchmarks,
)
from gateway.assessments.growth import GrowthResult, growth_of, recompute_growth
from gateway.assessments.methods import METHODS, Administration, Growth

__all__ = ["METHODS", "Administration", "Benchmark", "Growth", "GrowthResult", "GrowthSummary",
           "Readiness", "SchoolGrowth", "TenantGrowth", "growth_of", "of_results",
           "read_benchmarks", "readiness", "recompute_growth", "summarize", "tenant_growth",
           "write_benchmarks"]
