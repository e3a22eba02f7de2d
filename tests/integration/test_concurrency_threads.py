"""Concurrent writers to one aggregate, in threads: one wins, or both land; nothing is lost.

The race is made certain, not hoped for: each thread's first call of the domain method
(``Target.record_actual``, ``Target.draft``) waits at a barrier until every racer has read
the store, so all of them build the same next version and all but one lose the save.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from closedloop import ClosedLoop, ConcurrencyConflict, FixedClock
from closedloop.domain.target import Target
from tests.cast import LI, ZHOU
from tests.scenario import approved_revenue_target, draft_revenue_target

CONFLICT = "another command changed the same record first; reload and try again"


class Rendezvous:
    """Holds each thread's first call of a ``Target`` method until ``parties`` have arrived."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)
        self.local = threading.local()

    def install(self, monkeypatch: pytest.MonkeyPatch, method: str = "record_actual") -> None:
        original = getattr(Target, method)

        def held(*args: Any, **kwargs: Any) -> Any:
            if not getattr(self.local, "arrived", False):
                self.local.arrived = True
                self.barrier.wait()
            return original(*args, **kwargs)

        is_classmethod = isinstance(inspect.getattr_static(Target, method), classmethod)
        monkeypatch.setattr(Target, method, staticmethod(held) if is_classmethod else held)


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads at once; each one's result, or the exception it raised."""
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            outcomes[index] = call()
        except Exception as error:  # the test inspects it
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def recording(loop: ClosedLoop, value: str, **options: Any) -> Callable[[], Any]:
    args = {"target": "REV-2026", "value": value, "as_of": "2026-01-31", "source": "ERP"}
    return lambda: loop.execute("target.record_actual", LI, args, **options)


def target(loop: ClosedLoop) -> Target:
    """The target as the store has it now."""
    return loop.reader().get(Target, "REV-2026")


def recorded(loop: ClosedLoop) -> list[Decimal]:
    return [measurement.value for measurement in target(loop).measurements]


@pytest.fixture
def racing(loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch) -> ClosedLoop:
    """``loop`` with an approved target at version 3, and a two-thread rendezvous."""
    approved_revenue_target(loop)
    Rendezvous(2).install(monkeypatch)
    return loop


def test_without_retries_exactly_one_writer_wins_and_the_other_gets_a_conflict(
    racing: ClosedLoop,
) -> None:
    racing._dispatcher.max_attempts = 1
    before = racing.position()

    outcomes = together(recording(racing, "1"), recording(racing, "2"))

    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert CONFLICT in str(lost[0])
    assert won[0]["version"] == 4
    assert len(recorded(racing)) == 1
    assert racing.position() == before + 1  # the loser recorded nothing


def test_with_retries_both_writers_land_and_no_update_is_lost(racing: ClosedLoop) -> None:
    outcomes = together(recording(racing, "1"), recording(racing, "2"))

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sorted(o["version"] for o in outcomes) == [4, 5]
    assert sorted(recorded(racing)) == [Decimal(1), Decimal(2)]
    assert target(racing).version == 5


def test_a_writer_that_states_the_version_it_saw_gets_a_conflict_not_a_retry(
    racing: ClosedLoop,
) -> None:
    outcomes = together(
        recording(racing, "1", expected_version=3), recording(racing, "2", expected_version=3)
    )

    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert len(recorded(racing)) == 1
    assert target(racing).version == 4


def test_a_stale_expected_version_is_refused_before_anything_runs(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    recording(loop, "1")()
    before = loop.position()
    with pytest.raises(ConcurrencyConflict, match="is at version 4, not the expected 3"):
        recording(loop, "2", expected_version=3)()
    assert loop.position() == before


def test_many_threads_hammering_one_target_lose_nothing(loop: ClosedLoop) -> None:
    """Without a rendezvous: natural contention, retries on; every success is in the
    history, every failure is a conflict that recorded nothing."""
    approved_revenue_target(loop)
    threads, each = 4, 15
    successes: list[Decimal] = []
    conflicts: list[ConcurrencyConflict] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        for n in range(each):
            value = f"{number}{n:03d}"
            try:
                recording(loop, value)()
            except ConcurrencyConflict as conflict:
                with lock:
                    conflicts.append(conflict)
            else:
                with lock:
                    successes.append(Decimal(value))

    together(*(lambda number=t: writer(number) for t in range(1, threads + 1)))

    assert len(successes) + len(conflicts) == threads * each
    assert sorted(recorded(loop)) == sorted(successes)
    assert target(loop).version == 3 + len(successes)


def test_two_threads_creating_one_target_one_creates_it_the_other_is_told_it_exists(
    loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    Rendezvous(2).install(monkeypatch, "draft")

    outcomes = together(
        lambda: draft_revenue_target(loop, value="100"),
        lambda: draft_revenue_target(loop, value="200"),
    )

    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert "target REV-2026 already exists" in str(lost[0])
    assert [t.ref for t in loop.reader().all(Target)] == ["REV-2026"]


def test_threads_creating_different_targets_at_once_are_all_listed(loop: ClosedLoop) -> None:
    """Every creation appends to the one listing of targets: a hot spot for conflicts."""
    threads, each = 4, 8
    created: list[str] = []
    conflicts: list[ConcurrencyConflict] = []
    lock = threading.Lock()

    def creator(number: int) -> None:
        for n in range(each):
            ref = f"T-{number}-{n}"
            try:
                draft_revenue_target(loop, ref)
            except ConcurrencyConflict as conflict:
                with lock:
                    conflicts.append(conflict)
            else:
                with lock:
                    created.append(ref)

    together(*(lambda number=t: creator(number) for t in range(threads)))

    assert len(created) + len(conflicts) == threads * each
    listed = [str(t.ref) for t in loop.reader().all(Target)]
    assert sorted(listed) == sorted(created)


# --- separate instances: each with its own connections and aggregate cache -------------------


@pytest.fixture
def two_instances(shared_url: str, clock: FixedClock) -> Iterator[tuple[ClosedLoop, ClosedLoop]]:
    with (
        ClosedLoop(shared_url, clock=clock) as first,
        ClosedLoop(shared_url, clock=clock) as second,
    ):
        approved_revenue_target(first)
        assert target(second).version == 3  # cached by the second instance too
        yield first, second


def test_two_instances_racing_without_retries_one_wins_one_conflicts(
    two_instances: tuple[ClosedLoop, ClosedLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_instances
    first._dispatcher.max_attempts = second._dispatcher.max_attempts = 1
    Rendezvous(2).install(monkeypatch)

    outcomes = together(recording(first, "1"), recording(second, "2"))

    assert sorted(type(o).__name__ for o in outcomes) == ["ConcurrencyConflict", "dict"]
    assert len(recorded(first)) == len(recorded(second)) == 1


def test_two_instances_racing_with_retries_both_land(
    two_instances: tuple[ClosedLoop, ClosedLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_instances
    Rendezvous(2).install(monkeypatch)

    outcomes = together(recording(first, "1"), recording(second, "2"))

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    for loop in two_instances:
        assert sorted(recorded(loop)) == [Decimal(1), Decimal(2)]
        assert target(loop).version == 5


def test_a_lost_race_leaves_the_loser_instances_cache_able_to_write_again(
    two_instances: tuple[ClosedLoop, ClosedLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_instances
    first._dispatcher.max_attempts = second._dispatcher.max_attempts = 1
    Rendezvous(2).install(monkeypatch)
    outcomes = together(recording(first, "1"), recording(second, "2"))
    loser = (first, second)[[type(o) for o in outcomes].index(ConcurrencyConflict)]
    monkeypatch.undo()  # no more rendezvous

    result = loser.execute(
        "target.record_actual",
        ZHOU,
        {"target": "REV-2026", "value": "3", "as_of": "2026-02-28", "source": "ERP"},
    )

    assert result["version"] == 5
    assert len(recorded(first)) == 2
