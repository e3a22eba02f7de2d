"""``benchmarks/audit.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "audit.py"


@pytest.mark.slow
def test_audit_benchmark_prints_raw_catch_up_and_verify_rates_and_the_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "1500", "--stores", "sqlite"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    for text in ("raw eventsourcing read ev/s", "audit verify ev/s", "verify / raw", "1,500"):
        assert text in done.stdout


def test_audit_benchmark_refuses_an_unknown_store() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--stores", "oracle"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr
