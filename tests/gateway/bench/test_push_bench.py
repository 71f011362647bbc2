"""The grade push benchmark runs at a tiny size and reports sane numbers: every grade
written once, the requests counted, a rate near the limit's order (no timing asserts)."""

from __future__ import annotations

from rich.console import Console

from gateway.bench.grades import run_push_bench


def test_the_push_bench_prints_its_table() -> None:
    console = Console(record=True, width=200)
    ours, ideal = run_push_bench(grades=100, rate=2000, capacity=50, concurrency=4,
                                 console=console)
    assert ours.grades == 100 and ours.duplicates == 0
    assert ours.requests >= 100 and ideal.requests == ours.requests
    assert ideal.grades == 100
    text = console.export_text()
    assert "Harbormaster / limit" in text and "ideal paced client" in text
