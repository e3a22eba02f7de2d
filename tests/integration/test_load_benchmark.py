"""``benchmarks/load.py`` runs end to end, finds nothing lost and prints its tables (a smoke
run of seconds on SQLite, not a timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "load.py"


@pytest.mark.slow
def test_load_benchmark_serves_clients_then_finds_every_accepted_command_in_the_store() -> None:
    options = ["--store", "sqlite", "--seconds", "2", "--clients", "3", "--workers", "1"]
    done = run_benchmark(SCRIPT, *options, "--raw-seconds", "0.5", timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    for text in ("closedloop serve on sqlite", "in process on sqlite", "p99 ms", "× raw", "409s"):
        assert text in done.stdout
    assert done.stdout.count("none lost") == 4  # 1 worker with and without; in process both
    assert "group commit over HTTP at 3 clients, 1 worker" in done.stdout
    assert "problems" not in done.stdout
