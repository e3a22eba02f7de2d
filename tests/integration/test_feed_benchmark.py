"""``benchmarks/feed.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "feed.py"


@pytest.mark.slow
def test_feed_benchmark_prints_raw_feed_and_http_rates_with_their_ratios() -> None:
    done = run_benchmark(SCRIPT, "--events", "300", "--stores", "sqlite", "--polls", "2")
    assert done.returncode == 0, done.stderr
    for text in ("raw ev/s", "feed / raw", "HTTP / raw", "long-poll ms", "sqlite"):
        assert text in done.stdout


def test_feed_benchmark_refuses_an_unknown_store() -> None:
    done = run_benchmark(SCRIPT, "--stores", "oracle", timeout=60)
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr
