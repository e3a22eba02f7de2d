"""``benchmarks/customers.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "customers.py"


@pytest.mark.slow
def test_customers_benchmark_prints_snapshot_and_replay_times() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "10,250", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| purchases | events | snapshot load ms | full replay ms | view ms |" in done.stdout
    assert "| 250 | 252 |" in done.stdout  # registered, 250 purchases, one tier change
