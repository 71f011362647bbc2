"""The grade push benchmark runs at a tiny size and reports sane numbers: every grade
written once, the requests counted (no timing asserts)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from gateway.bench import push


def test_the_push_bench_with_its_lms_in_a_process_lands_every_grade_once(
        tmp_path: Path) -> None:
    """``harbor bench push``: the LMS in its own process, 200 grades into a fast bucket."""
    console = Console(record=True, width=240)
    bench = push.run_push_bench(console, grades=200, rate=2000.0, capacity=50.0,
                                concurrency=4, workdir=tmp_path)
    ours, ideal = bench.harbormaster, bench.reference
    assert bench.assignments == 8  # 4 classes x 2 standards
    assert ours.status == "succeeded"
    assert ours.duplicates(200) == 0 and ideal.duplicates(200) == 0
    assert ours.grade_writes == ideal.grade_writes == 200
    assert ours.graded == ours.expected_graded == 208  # with the warm-up push's 8
    assert ideal.graded == ideal.expected_graded == 200
    assert sorted(ours.created.values()) == [1] * 8
    assert ours.requests == ours.grade_writes + ours.throttled
    assert ideal.requests == ideal.grade_writes + ideal.throttled
    assert bench.limit_seconds == (200 - 50) / 2000
    for c in (ours, ideal):
        assert c.seconds > 0 and c.lms_span > 0 and bench.rate_of(c) > 0
    text = console.export_text()
    assert "Harbormaster / limit" in text and "reference: ideal paced httpx client" in text
    assert list(tmp_path.glob("bench-*.db")) == []  # the throwaway store is gone
