"""A customer's long history loads from a snapshot, to exactly the state a full replay gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Snapshot as LibrarySnapshot

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.customer import Customer
from closedloop.domain.customer_values import lot_row, purchase_row
from tests.cast import LI
from tests.conftest import PG_URL
from tests.customer_scenario import PII, buy, contact, read, redeem, register


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/loop.db"
    return f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"


def test_L7_a_customer_loaded_from_a_snapshot_equals_the_full_replay(
    durable_url: str, clock: FixedClock
) -> None:
    with ClosedLoop(durable_url, clock=clock) as loop:
        register(loop, consents=[{"channel": "sms", "purpose": "care", "source": "form"}])
        for n in range(230):
            buy(loop, order=f"O-{n}", amount="100.00 CNY")
            if n % 40 == 0:
                contact(loop, "C-1", "revisit", "sms")
                redeem(loop, "C-1", f"R-{n}", 50)
                read(loop)
            clock.advance(days=2)
        loop.execute("customer.verify_info", LI, {"customer": "C-1", "accurate": True})
        customer_id = loop.reader().get(Customer, "C-1").id
        customer_version = loop.reader().get(Customer, "C-1").version
        assert loop._store.snapshots is not None
        versions = [s.originator_version for s in loop._store.snapshots.get(customer_id)]
        interval = loop._store.snapshotting_intervals[Customer]
        assert versions == list(range(interval, customer_version + 1, interval))
    with ClosedLoop(durable_url, clock=clock) as loop:  # a fresh process: no cached aggregate
        from_snapshot = loop.customer("C-1")
        replayed = loop.customer("C-1", as_of=clock.now())  # time travel replays every event
        assert from_snapshot == replayed
        assert from_snapshot["purchases"] == 230
        assert read(loop, actor=PII)["fields"]["phone"] is not None


def as_version_3(snapshot: Any, customer: Customer) -> Any:
    """``snapshot`` in the form of class version 3: lots and last year's purchases as lists,
    of rows (``Customer.Snapshot``) or of values (the library's class, taken before rows)."""
    rows = type(snapshot) is Customer.Snapshot
    snapshot.state["class_version"] = 3
    snapshot.state["lots"] = [lot_row(lot) if rows else lot for lot in customer.lots]
    snapshot.state["recent"] = [purchase_row(p) if rows else p for p in customer.recent]
    return snapshot


def test_L7_a_snapshot_packs_lots_and_purchases_and_older_forms_still_load(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Snapshots hold the lots and last year's purchases as one text each; the forms taken
    before (class version 3, with either snapshot class) load to the full replay's state
    too, and a purchase on such a customer is recorded as on the replayed one."""
    url = f"sqlite:///{tmp_path}/loop.db"
    with ClosedLoop(url, clock=clock) as loop:
        register(loop)
        for n in range(120):
            buy(loop, order=f"O-{n}", amount="100.50 CNY")
            clock.advance(days=3)
        store = loop._store
        assert store.snapshots is not None
        customer = loop.reader().get(Customer, "C-1")
        (stored,) = store.snapshots.recorder.select_events(customer.id, desc=True, limit=1)
        assert b'"customer_points_lots"' in stored.state
        assert b'"customer_recent_purchases"' in stored.state
        assert b"\\" not in stored.state  # the packed texts need no escapes
        *_, compact = store.snapshots.get(customer.id)  # the latest, at version 100
        lots, recent = list(compact.state["lots"]), list(compact.state["recent"])
        assert lot_row(lots[0]) == ["L1", 100, 100, "2026-01-05", "2028-01-05", "purchase O-0"]
        assert purchase_row(recent[-1])[:4] == ["O-98", "2026-10-26", "100.50", "CNY"]
        older = [loop.reader(customer.version - back).get(Customer, "C-1") for back in (5, 3)]
    for snapshot_class, then in zip((Customer.Snapshot, LibrarySnapshot), older, strict=True):
        with ClosedLoop(url, clock=clock) as loop:
            snapshots = loop._store.snapshots
            assert snapshots is not None
            snapshots.put([as_version_3(snapshot_class.take(then), then)])
        with ClosedLoop(url, clock=clock) as loop:  # fresh: loaded from that snapshot
            snapshots = loop._store.snapshots
            assert snapshots is not None
            (last,) = snapshots.get(customer.id, desc=True, limit=1)
            assert type(last) is snapshot_class
            loaded = loop.reader().get(Customer, "C-1")
            replayed = loop.reader(clock.now()).get(Customer, "C-1")
            assert vars(loaded) == vars(replayed)
            assert len(loaded.recent) == len(replayed.recent) > 100
    with ClosedLoop(url, clock=clock) as loop:
        bought = buy(loop, order="N-1", amount="100.50 CNY")
        assert vars(loop.reader().get(Customer, "C-1")) == vars(
            loop.reader(clock.now()).get(Customer, "C-1")
        )
        assert bought["recorded"] is True


def test_L7_snapshots_pack_the_orders_seen_and_older_ones_with_a_dict_still_load_idempotent(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Orders seen are stored as one packed text; a snapshot taken before (version 1: a dict
    of order -> points, with either snapshot class) loads to the full replay's state, and an
    order it holds is still recorded once."""
    url = f"sqlite:///{tmp_path}/loop.db"
    with ClosedLoop(url, clock=clock) as loop:
        register(loop)
        for n in range(104):
            buy(loop, order=f"O-{n}", amount="100.00 CNY")
            clock.advance(days=1)
        store = loop._store
        assert store.snapshots is not None
        customer_id = loop.reader().get(Customer, "C-1").id
        (stored,) = store.snapshots.recorder.select_events(customer_id, desc=True, limit=1)
        assert b'"customer_orders_packed"' in stored.state
    for version, snapshot_class in ((101, Customer.Snapshot), (103, LibrarySnapshot)):
        with ClosedLoop(url, clock=clock) as loop:
            snapshots = loop._store.snapshots
            assert snapshots is not None
            then = loop.reader(version).get(Customer, "C-1")
            old = as_version_3(snapshot_class.take(then), then)
            old.state["class_version"] = 1  # without reactivations, orders as a dict
            del old.state["reactivations"]
            old.state["orders"] = dict.fromkeys((f"O-{n}" for n in range(then.purchase_count)), 10)
            snapshots.put([old])
        with ClosedLoop(url, clock=clock) as loop:  # fresh: loaded from that snapshot
            loaded = loop.reader().get(Customer, "C-1")
            assert vars(loaded) == vars(loop.reader(clock.now()).get(Customer, "C-1"))
            assert buy(loop, order="O-3", amount="100.00 CNY")["recorded"] is False
            assert buy(loop, order=f"N-{version}", amount="100.00 CNY")["recorded"] is True
