"""A command takes what its process has cached without reading the store, and still never
decides on a state another process has moved on (the unit of work's cached loads).

Two ``ClosedLoop`` instances on one store stand for two processes: each has its own cache,
so what one writes leaves the other's cache behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from closedloop import ClosedLoop, ConcurrencyConflict, FixedClock, NotFound
from closedloop.application.unit_of_work import MovedOn, UnitOfWork
from closedloop.domain.activity import Activity
from closedloop.domain.target import Target
from tests.cast import CFO, HEAD, LI
from tests.scenario import approved_revenue_target, draft_revenue_target


@pytest.fixture
def two(shared_url: str, clock: FixedClock) -> Iterator[tuple[ClosedLoop, ClosedLoop]]:
    with (
        ClosedLoop(shared_url, clock=clock) as here,
        ClosedLoop(shared_url, clock=clock) as there,
    ):
        yield here, there


def actual(loop: ClosedLoop, value: str, **options: Any) -> dict[str, Any]:
    args = {"target": "REV-2026", "value": value, "as_of": "2026-01-31", "source": "ERP"}
    return loop.execute("target.record_actual", LI, args, **options)


def values(loop: ClosedLoop) -> list[Decimal]:
    return [m.value for m in loop.reader().get(Target, "REV-2026").measurements]


def test_a_command_after_this_processs_own_save_reads_nothing_from_the_store(
    two: tuple[ClosedLoop, ClosedLoop], monkeypatch: pytest.MonkeyPatch
) -> None:
    here, _ = two
    approved_revenue_target(here)
    reads: list[Any] = []
    events = here._store.events
    original = events.get
    monkeypatch.setattr(events, "get", lambda *a, **k: reads.append(a) or original(*a, **k))

    assert actual(here, "1")["version"] == 4
    assert actual(here, "2")["version"] == 5

    assert reads == []  # the target came from the cache both times
    assert values(here) == [Decimal(1), Decimal(2)]


def test_a_write_on_an_aggregate_another_process_moved_on_runs_again_on_its_state(
    two: tuple[ClosedLoop, ClosedLoop],
) -> None:
    here, there = two
    approved_revenue_target(here)
    actual(there, "1")  # here's cache still holds version 3

    assert actual(here, "2")["version"] == 5
    assert values(there) == [Decimal(1), Decimal(2)]


def test_a_lost_race_brings_the_cache_up_to_date_for_the_next_command(
    two: tuple[ClosedLoop, ClosedLoop],
) -> None:
    here, there = two
    approved_revenue_target(here)
    actual(there, "1")
    here._dispatcher.max_attempts = 1

    with pytest.raises(ConcurrencyConflict):
        actual(here, "2")  # decided on version 3: the store refuses version 4
    assert actual(here, "3")["version"] == 5  # the lost race refreshed the cache


def test_no_refusal_is_made_on_a_cached_state_another_process_has_moved_on(
    two: tuple[ClosedLoop, ClosedLoop],
) -> None:
    here, there = two
    draft_revenue_target(here)  # cached here as a draft: recording an actual is refused
    there.execute("target.submit", HEAD, {"target": "REV-2026"})
    there.execute("target.approve", CFO, {"target": "REV-2026"})

    assert actual(here, "1")["version"] == 4  # R-T4 judged on the approved target


def test_a_stated_version_newer_than_the_cached_one_is_judged_on_the_stores_state(
    two: tuple[ClosedLoop, ClosedLoop],
) -> None:
    here, there = two
    approved_revenue_target(here)
    actual(there, "1")

    assert actual(here, "2", expected_version=4)["version"] == 5  # not a conflict
    with pytest.raises(ConcurrencyConflict):
        actual(there, "3", expected_version=4)  # there's cache matches, the store does not
    assert values(here) == [Decimal(1), Decimal(2)]


def test_an_aggregate_only_read_that_moved_on_makes_the_unit_of_work_run_again(
    two: tuple[ClosedLoop, ClosedLoop], clock: FixedClock
) -> None:
    here, there = two
    approved_revenue_target(here)
    uow = UnitOfWork(here._store, here.policy, clock.now())
    read = uow.get(Target, "REV-2026")  # from here's cache, not from the store
    actual(there, "1")

    assert read.version == 3
    assert uow.moved_on()
    with pytest.raises(MovedOn):
        uow.stage()
    fresh = UnitOfWork(here._store, here.policy, clock.now(), fresh=True)
    assert fresh.get(Target, "REV-2026").version == 4
    assert not fresh.moved_on()
    assert fresh.stage() is None


def test_a_cached_aggregate_refused_as_it_was_handed_out_is_not_checked_at_the_save(
    two: tuple[ClosedLoop, ClosedLoop], clock: FixedClock
) -> None:
    here, _ = two
    approved_revenue_target(here)
    target_id = here.reader().get(Target, "REV-2026").id
    uow = UnitOfWork(here._store, here.policy, clock.now())

    with pytest.raises(NotFound):
        uow.get(Activity, target_id)  # cached, but not an activity
    assert uow.stage() is None
