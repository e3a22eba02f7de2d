"""Code run in other processes by the concurrency tests (spawned, so it must be importable)."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from closedloop import Actor, ClosedLoop, ConcurrencyConflict

MARKETER = Actor("li.marketer", "Li", {"marketer"}, superior="chen.head")


def value_of(worker: int, n: int) -> str:
    """Each worker's values are distinct and increase with ``n``: 1000, 1001, … 2000, …"""
    return str(worker * 1000 + n)


def record_actuals(
    url: str,
    worker: int,
    count: int,
    retry_in_dispatcher: bool,
    start: Barrier,
    results: Queue[tuple[int, int]],
) -> None:
    """Record ``count`` actuals on REV-2026, starting when every worker is ready.

    With ``retry_in_dispatcher`` the dispatcher re-runs lost races itself; without, each
    lost race comes back as ``ConcurrencyConflict`` and is counted, then issued again.
    """
    conflicts = 0
    with ClosedLoop(url) as loop:
        loop._dispatcher.max_attempts = 1000 if retry_in_dispatcher else 1
        start.wait()
        for n in range(count):
            args = {
                "target": "REV-2026",
                "value": value_of(worker, n),
                "as_of": "2026-01-31",
                "source": f"worker {worker}",
            }
            while True:
                try:
                    loop.execute("target.record_actual", MARKETER, args)
                except ConcurrencyConflict:
                    conflicts += 1
                else:
                    break
    results.put((worker, conflicts))
