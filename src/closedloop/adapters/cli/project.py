"""``closedloop project``: the projection runner as a process of its own.

It catches every tracked view up (``--once``), or keeps catching up (``--follow``) until
SIGTERM or SIGINT, which it finishes the page in hand for and exits 0. Each page and its
position are one transaction, so a runner killed outright (``kill -9``) resumes where its
last page ended; several runners, or queries catching up themselves, never apply an
event twice (L7).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

import typer
from rich.console import Console

from closedloop.adapters.cli.audit import view_bar, view_bars
from closedloop.adapters.cli.options import Store, Workers, workers_count
from closedloop.api import ClosedLoop
from closedloop.projections.projection import POLL_SECONDS


def project(
    follow: Annotated[
        bool,
        typer.Option(
            "--follow/--once",
            help="keep following new events until SIGTERM or Ctrl-C, or catch up once and exit",
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.01, max=60, help="seconds between polls when following")
    ] = POLL_SECONDS,
    store: Store = None,
    workers: Workers = "auto",
) -> None:
    """Keep the tracked views (audit trail, evaluation facts) up to date with the store."""
    err = Console(stderr=True)
    parts = workers_count(workers)
    with ClosedLoop(store) as loop, stopped_by_signals() as stop:
        positions = catch_up(loop, stop, err, parts)
        err.print(f"caught up: {described(positions)}")
        if follow:
            err.print("following (SIGTERM or Ctrl-C stops)")
            while not stop.wait(interval):
                positions = loop.catch_up(stop=stop, workers=parts)
            err.print(f"stopped at {described(positions)}")


def catch_up(
    loop: ClosedLoop, stop: threading.Event, err: Console, workers: int | Literal["auto"]
) -> dict[str, int]:
    """Every view caught up in one pass over the store (or, far behind, each view in a
    worker process of its own at once), with a bar on a terminal."""
    if not err.is_terminal:
        return loop.catch_up(stop=stop, workers=workers)
    with view_bars("catching up", err) as bar:
        advance = view_bar(bar, ", ".join(loop.views()), loop.position())
        positions = loop.catch_up(None, advance, stop, workers=workers)
        advance(max(positions.values()), max(positions.values()))
    return positions


def described(positions: dict[str, int]) -> str:
    return ", ".join(f"{name} at position {position}" for name, position in positions.items())


@contextmanager
def stopped_by_signals() -> Iterator[threading.Event]:
    """An event SIGTERM and SIGINT set (instead of ending the process mid-page)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach the main thread only: nothing to install
        return
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in handlers:
        signal.signal(sig, lambda number, frame: stop.set())
    try:
        yield stop
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
