"""``benchmarks/commands.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "commands.py"


@pytest.mark.slow
def test_commands_benchmark_prints_raw_and_closedloop_rates_and_their_ratio() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--count",
            "20",
            "--targets",
            "3",
            "--stores",
            "memory,sqlite",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for text in ("raw eventsourcing cmd/s", "closedloop cmd/s", "ratio", "memory", "sqlite"):
        assert text in done.stdout
    assert "goal: closedloop ≥ 0.8× raw eventsourcing" in done.stdout


def test_commands_benchmark_refuses_an_unknown_store() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--stores", "oracle"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr
