"""``benchmarks/commands.py`` runs end to end and prints its table (a smoke run, not a timing)."""

from __future__ import annotations

import pytest

from tests.benchmark_run import BENCHMARKS, run_benchmark

SCRIPT = BENCHMARKS / "commands.py"


@pytest.mark.slow
def test_commands_benchmark_prints_raw_and_closedloop_rates_and_their_ratio() -> None:
    done = run_benchmark(SCRIPT, "--count", "20", "--targets", "3", "--stores", "memory,sqlite")
    assert done.returncode == 0, done.stderr
    for text in ("raw eventsourcing cmd/s", "closedloop cmd/s", "ratio", "memory", "sqlite"):
        assert text in done.stdout
    assert "goal: closedloop ≥ 0.8× raw eventsourcing" in done.stdout


def test_commands_benchmark_refuses_an_unknown_store() -> None:
    done = run_benchmark(SCRIPT, "--stores", "oracle", timeout=60)
    assert done.returncode == 2
    assert "unknown store 'oracle'" in done.stderr


LOOP = SCRIPT.with_name("loop.py")


@pytest.mark.slow
def test_loop_benchmark_takes_activities_through_the_whole_loop_on_both_sides() -> None:
    """Both sides record the same events (15 per activity with 3 expenses): the ratio
    compares like with like."""
    done = run_benchmark(LOOP, "--activities", "3", "--stores", "memory,sqlite", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "3 activities × 14 commands" in done.stdout
    for text in ("raw cmd/s", "closedloop cmd/s", "ratio", "peak RSS", "memory", "sqlite"):
        assert text in done.stdout
    rows = [line for line in done.stdout.splitlines() if "│ memory" in line or "│ sqlite" in line]
    assert len(rows) == 2
    assert all("│ 45 " in row for row in rows), rows  # events, the same on both sides


def test_loop_benchmark_refuses_bad_arguments() -> None:
    for args in (["--stores", "oracle"], ["--activities", "0"]):
        done = run_benchmark(LOOP, *args, timeout=60)
        assert done.returncode == 2, args
