"""A customer's long history loads from a snapshot, to exactly the state a full replay gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.domain import Snapshot as LibrarySnapshot

from closedloop import ClosedLoop, FixedClock
from closedloop.domain.customer import Customer
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


def test_L7_a_snapshot_keeps_lots_and_purchases_as_rows_and_an_older_one_still_loads(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Snapshots hold lots and purchases as plain rows; one taken with the library's own
    class (as before the rows) loads to the same state as the full replay too."""
    url = f"sqlite:///{tmp_path}/loop.db"
    with ClosedLoop(url, clock=clock) as loop:
        register(loop)
        for n in range(120):
            buy(loop, order=f"O-{n}", amount="100.50 CNY")
            clock.advance(days=3)
        store = loop._store
        assert store.snapshots is not None
        customer = loop.reader().get(Customer, "C-1")
        *_, compact = store.snapshots.get(customer.id)  # the latest, at version 100
        assert compact.state["lots"][0] == [
            "L1",
            100,
            100,
            "2026-01-05",
            "2028-01-05",
            "purchase O-0",
        ]
        assert compact.state["recent"][-1][:4] == ["O-98", "2026-10-26", "100.50", "CNY"]
        older = loop.reader(customer.version - 5).get(Customer, "C-1")
    for latest in (Customer.Snapshot, LibrarySnapshot):
        with ClosedLoop(url, clock=clock) as loop:  # fresh: loaded from the latest snapshot
            snapshots = loop._store.snapshots
            assert snapshots is not None
            (last,) = snapshots.get(customer.id, desc=True, limit=1)
            assert type(last) is latest
            loaded = loop.reader().get(Customer, "C-1")
            replayed = loop.reader(clock.now()).get(Customer, "C-1")
            assert vars(loaded) == vars(replayed)
            assert len(loaded.recent) == len(replayed.recent) > 100
            if latest is Customer.Snapshot:  # the second round loads from this one
                snapshots.put([LibrarySnapshot.take(older)])


def test_L7_snapshots_pack_the_orders_seen_and_older_ones_with_a_dict_still_load_idempotent(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Orders seen are stored as one text; a snapshot taken before (class version 1: a dict
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
        assert b'"customer_orders_seen"' in stored.state
    for version, snapshot_class in ((101, Customer.Snapshot), (103, LibrarySnapshot)):
        with ClosedLoop(url, clock=clock) as loop:
            snapshots = loop._store.snapshots
            assert snapshots is not None
            then = loop.reader(version).get(Customer, "C-1")
            old = snapshot_class.take(then)
            assert old.state.pop("class_version") == 3
            del old.state["reactivations"]  # version 1 had neither reactivations nor OrdersSeen
            old.state["orders"] = dict.fromkeys((f"O-{n}" for n in range(then.purchase_count)), 10)
            snapshots.put([old])
        with ClosedLoop(url, clock=clock) as loop:  # fresh: loaded from that snapshot
            loaded = loop.reader().get(Customer, "C-1")
            assert vars(loaded) == vars(loop.reader(clock.now()).get(Customer, "C-1"))
            assert buy(loop, order="O-3", amount="100.00 CNY")["recorded"] is False
            assert buy(loop, order=f"N-{version}", amount="100.00 CNY")["recorded"] is True
