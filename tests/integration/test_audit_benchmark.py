"""``benchmarks/audit.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "audit.py"


@pytest.mark.slow
def test_audit_benchmark_prints_raw_catch_up_and_verify_rates_and_the_ratio() -> None:
    done = run_benchmark(SCRIPT, "--events", "1500", "--stores", "sqlite")
    assert done.returncode == 0, done.stderr
    for text in ("raw eventsourcing read ev/s", "audit verify ev/s", "verify / raw", "1,500"):
        assert text in done.stdout


def test_audit_benchmark_refuses_an_unknown_store() -> None:
    done = run_benchmark(SCRIPT, "--stores", "oracle", timeout=60)
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr
