"""A unit of work's save (``save_changes``) keeps every guarantee of the library's ``save``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eventsourcing.persistence import IntegrityError

from closedloop import ClosedLoop, Money
from closedloop.application.saving import save_changes
from closedloop.domain.customer import Customer
from tests.cast import LI
from tests.customer_scenario import register


def _buy(loop: ClosedLoop, customer: Customer, orders: range) -> None:
    at = loop.clock.now()
    for n in orders:
        customer.record_purchase(
            LI,
            at + timedelta(days=n),
            order=f"O-{n}",
            on=(at + timedelta(days=n)).date(),
            amount=Money("100.00", "CNY"),
            category="service",
            policy=loop.policy.customer,
        )


def test_R_G4_saved_changes_are_recorded_cached_and_snapshotted_like_the_librarys_save(
    loop: ClosedLoop,
) -> None:
    register(loop)
    store = loop._store
    customer = loop.reader().get(Customer, "C-1")
    _buy(loop, customer, range(120))
    pending = len(customer.pending_events)
    recordings = save_changes(store, [customer])
    interval = store.snapshotting_intervals[Customer]
    assert customer.version > 2 * interval
    assert [r.domain_event.originator_version for r in recordings] == list(
        range(customer.version - pending + 1, customer.version + 1)
    )
    assert store.snapshots is not None
    assert [s.originator_version for s in store.snapshots.get(customer.id)] == list(
        range(interval, customer.version + 1, interval)
    )
    assert not customer.pending_events
    assert loop.reader().get(Customer, "C-1").version == customer.version
    assert loop.customer("C-1")["purchases"] == 120


def test_R_G4_a_lost_race_saves_nothing_of_the_changes(loop: ClosedLoop) -> None:
    register(loop, "C-1")
    register(loop, "C-2")
    first, stale = (loop.reader().get(Customer, "C-1") for _ in range(2))
    other = loop.reader().get(Customer, "C-2")
    _buy(loop, first, range(1))
    save_changes(loop._store, [first])
    _buy(loop, other, range(5, 6))
    _buy(loop, stale, range(2, 3))
    with pytest.raises(IntegrityError):
        save_changes(loop._store, [other, stale])
    assert loop.customer("C-2")["purchases"] == 0
    assert loop.customer("C-1")["purchases"] == 1
