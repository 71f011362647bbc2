"""Prometheus metrics: what this process did, and what the store holds for everyone.

Counters and histograms count this process's own work (records written, run durations).
Gauges that must agree across processes (runs by status, queue depth) are read from the
store at scrape time, so any process's ``/metrics`` tells the same story.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gateway.engine.run import RunReport
    from gateway.push.run import PushReport
    from gateway.store.store import Store

__all__ = ["CONTENT_TYPE", "REGISTRY", "observe_run", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REGISTRY = CollectorRegistry(auto_describe=True)

RUNS_FINISHED = Counter(
    "harbor_runs_finished", "Runs this process finished, by outcome.", ["status"],
    registry=REGISTRY)
RECORDS = Counter(
    "harbor_records", "Records this process's runs handled, by stream and outcome.",
    ["stream", "outcome"], registry=REGISTRY)
RUN_SECONDS = Histogram(
    "harbor_run_duration_seconds", "Wall time of runs this process finished.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600), registry=REGISTRY)


def observe_run(report: RunReport | PushReport) -> None:
    RUNS_FINISHED.labels(report.status).inc()
    RUN_SECONDS.observe(report.seconds)
    for stream, counts in report.counts.items():
        for outcome, n in counts.as_dict().items():
            if n:
                RECORDS.labels(stream, outcome).inc(n)


class StoreCollector(Collector):
    """Runs by status and the queue depth, as the store has them now."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        by_status = self.store.count_runs()
        runs = GaugeMetricFamily("harbor_runs", "Runs in the store, by status.",
                                 labels=["status"])
        for status in ("queued", "running", "succeeded", "failed", "held", "dry_run",
                       "cancelled"):
            runs.add_metric([status], by_status.get(status, 0))
        yield runs
        yield GaugeMetricFamily("harbor_queue_depth", "Runs waiting for a worker.",
                                value=by_status.get("queued", 0))


def render(store: Store | None) -> bytes:
    """The text exposition of this process's metrics plus the store's gauges."""
    out = generate_latest(REGISTRY)
    if store is not None:
        scrape = CollectorRegistry()
        scrape.register(StoreCollector(store))
        out += generate_latest(scrape)
    return out
