"""``benchmarks/feed.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "feed.py"


@pytest.mark.slow
def test_feed_benchmark_prints_raw_feed_and_http_rates_with_their_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "300", "--stores", "sqlite", "--polls", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    for text in ("raw ev/s", "feed / raw", "HTTP / raw", "long-poll ms", "sqlite"):
        assert text in done.stdout


def test_feed_benchmark_refuses_an_unknown_store() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--stores", "oracle"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr
