"""``benchmarks/load.py`` runs end to end, finds nothing lost and prints its tables (a smoke
run of seconds on SQLite, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "load.py"


@pytest.mark.slow
def test_load_benchmark_serves_clients_then_finds_every_accepted_command_in_the_store() -> None:
    options = ["--store", "sqlite", "--seconds", "2", "--clients", "3", "--workers", "1"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *options, "--raw-seconds", "0.5"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for text in ("closedloop serve on sqlite", "in process on sqlite", "p99 ms", "× raw", "409s"):
        assert text in done.stdout
    assert done.stdout.count("none lost") == 4  # 1 worker with and without; in process both
    assert "group commit over HTTP at 3 clients, 1 worker" in done.stdout
    assert "problems" not in done.stdout
