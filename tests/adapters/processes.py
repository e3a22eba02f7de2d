"""closedloop processes for tests that cross process boundaries: servers and projection runners."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from closedloop.projections.projection import View
from closedloop.projections.views import Views
from tests.adapters.http_keys import auth_toml

CLI = [sys.executable, "-m", "closedloop.adapters.cli.main"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll ``condition`` until it holds; the seconds it took (fails after ``seconds``)."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < seconds, f"{what}: not within {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - began


def stopped(process: subprocess.Popen[str], timeout: float = 30) -> str:
    """Terminate ``process`` (SIGTERM) and return its output."""
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=timeout)[0]


@contextmanager
def served(store: str, folder: Path, workers: int = 1) -> Iterator[str]:
    """``closedloop serve`` on a free port until the block ends; its base URL."""
    auth = folder / "auth.toml"
    auth.write_text(auth_toml(), encoding="utf-8")
    port = free_port()
    options = ["--port", str(port), "--store", store, "--auth", str(auth)]
    server = start("serve", *options, "--workers", str(workers))
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert server.poll() is None, server.communicate()[0]
        try:
            return httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        until(answers, 60, "the server answering")
        yield base
    finally:
        output = stopped(server)
        assert "Traceback" not in output, output


def tracked(views: Views) -> dict[str, View]:
    """Every tracked view, read straight from its rows (never caught up here)."""
    return {name: views[name] for name in Views.names()}
