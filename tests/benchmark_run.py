"""A benchmark script run as a user runs it, for the smoke tests of ``benchmarks/``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def run_benchmark(
    script: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``script args…`` run to its end, its output as text, wide enough for its tables."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
