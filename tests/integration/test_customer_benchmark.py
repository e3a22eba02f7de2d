"""The customer benchmarks run end to end and print their tables (smoke runs, not timings)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "customers.py"
IMPORT = BENCHMARKS / "customer_import.py"


@pytest.mark.slow
def test_customers_benchmark_prints_snapshot_and_replay_times() -> None:
    done = run_benchmark(SCRIPT, "--sizes", "10,250", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    assert "| purchases | events | raw eventsourcing get ms | snapshot load ms |" in done.stdout
    assert "| 250 | 252 |" in done.stdout  # registered, 250 purchases, one tier change


@pytest.mark.slow
def test_import_benchmark_prints_raw_and_closedloop_rates_against_the_goal() -> None:
    done = run_benchmark(IMPORT, "--customers", "20", "--purchases", "200")
    assert done.returncode == 0, done.stderr
    assert "| raw eventsourcing, loads per batch | - |" in done.stdout
    assert "| raw eventsourcing, saves only | - |" in done.stdout
    assert "goal: ≥ 10,000 purchases/s into SQLite" in done.stdout
