"""Concurrent writers in separate processes on one store: no lost update, no corrupted state.

Each worker process opens its own ``ClosedLoop`` on the same SQLite file (or PostgreSQL
schema), waits at a barrier, then records its actuals on the same target as fast as it can.
"""

from __future__ import annotations

import multiprocessing

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.target import Target
from tests.integration.workers import record_actuals, value_of
from tests.scenario import approved_revenue_target

WORKERS = 3
EACH = 60


def run_workers(url: str, retry_in_dispatcher: bool) -> dict[int, int]:
    """Every worker's count of conflicts it saw (always 0 when the dispatcher retries)."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(WORKERS, timeout=120)  # spawning and importing is slow under load
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=record_actuals,
            args=(url, number, EACH, retry_in_dispatcher, start, results),
        )
        for number in range(1, WORKERS + 1)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:  # a worker's traceback is in the captured stderr
        worker.join(timeout=240)
        assert worker.exitcode == 0, f"worker {worker.name} ended with {worker.exitcode}"
    return dict(results.get(timeout=5) for _ in workers)


def notifications(loop: ClosedLoop) -> int:
    """How many events the store holds (PostgreSQL positions skip the ids of lost races)."""
    return len(loop._store.recorder.select_notifications(start=1, limit=100_000))


def assert_every_actual_landed_once_in_order(url: str, clock: FixedClock, before: int) -> None:
    with ClosedLoop(url, clock=clock) as fresh:  # replays the whole history from the store
        target = fresh.reader().get(Target, "REV-2026")
        assert target.version == 3 + WORKERS * EACH
        assert notifications(fresh) == before + WORKERS * EACH  # no event more, none missing
    recorded = [str(m.value) for m in target.measurements]
    for number in range(1, WORKERS + 1):
        own = [m.value for m in target.measurements if m.source == f"worker {number}"]
        assert [str(v) for v in own] == [value_of(number, n) for n in range(EACH)]
    assert len(recorded) == len(set(recorded)) == WORKERS * EACH


@pytest.mark.slow
@pytest.mark.parametrize("retry_in_dispatcher", [True, False], ids=["retried", "reported"])
def test_processes_recording_on_one_target_lose_no_update(
    shared_url: str, clock: FixedClock, retry_in_dispatcher: bool
) -> None:
    with ClosedLoop(shared_url, clock=clock) as loop:
        approved_revenue_target(loop)
        before = notifications(loop)

    conflicts = run_workers(shared_url, retry_in_dispatcher)

    assert sorted(conflicts) == list(range(1, WORKERS + 1))
    if not retry_in_dispatcher:
        assert sum(conflicts.values()) > 0  # the writers did race
    assert_every_actual_landed_once_in_order(shared_url, clock, before)
