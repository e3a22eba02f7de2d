"""``benchmarks/replay.py`` runs end to end and prints its rates, the CPU per event and the
goals, absolute and at the machine's speed (a smoke run, not a timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "replay.py"


@pytest.mark.slow
def test_replay_benchmark_prints_every_phase_its_cpu_per_event_and_the_goals() -> None:
    done = run_benchmark(SCRIPT, "--sizes", "1000", "--stores", "sqlite")
    assert done.returncode == 0, done.stderr
    for text in (
        "sqlite, 1,200 events",
        "raw read + decode",
        "raw read + decode + SHA-256",
        "rebuild",
        "CPU µs per event",
    ):
        assert text in done.stdout
    for goal in ("rebuild ≥ 50,000", "verify ≥ 50,000", "catch-up ≥ 20,000"):
        assert f"goal {goal} ev/s at 1,200 events:" in done.stdout
    scaled = next(line for line in done.stdout.splitlines() if "at this machine's speed" in line)
    assert "the issue's 63,000), sqlite 1,200:" in scaled
    for goal in ("rebuild", "verify", "catch-up"):
        assert f"{goal} " in scaled


def test_replay_benchmark_refuses_bad_sizes_and_stores() -> None:
    for args, error in (
        (("--sizes", "ten"), "whole numbers"),
        (("--sizes", "50"), "at least 100"),
        (("--stores", "oracle"), "unknown store 'oracle'"),
    ):
        done = run_benchmark(SCRIPT, *args, timeout=60)
        assert done.returncode == 2
        assert error in done.stderr
