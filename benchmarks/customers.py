"""Loading a customer with a long history: from a snapshot, against replaying every event.

Customers are snapshotted every 50 events (``EventStoreApp.snapshotting_intervals``), so a
load reads the latest snapshot and at most 49 events after it. For customers with 10, 1,000
and 10,000 purchases in a SQLite file, each load runs in a fresh ``ClosedLoop`` (no cached
aggregate), timed as the median of ``--repeat`` runs, beside raw ``eventsourcing``'s own
``repository.get`` of the same customer (the library's projector, and its ``deepcopy`` of
what it caches), the full replay that time travel does (``as_of``), and the view.

    python benchmarks/customers.py [--sizes 10,1000,10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from closedloop import Actor, ClosedLoop, FixedClock, Money
from closedloop.domain.customer import Customer

MARKETER = Actor("marketer", "Marketer", {"marketer"})
START = datetime(2000, 1, 1, 9, tzinfo=UTC)
BATCH = 1_000  # events per save while building the history


def build(loop: ClosedLoop, ref: str, purchases: int) -> None:
    """A customer who bought ``purchases`` times, one a day, saved in batches."""
    loop.execute("customer.register", MARKETER, {"ref": ref, "name": "张伟"})
    store = loop._store
    customer = loop.reader().get(Customer, ref)
    policy = loop.policy.customer
    at = START
    for n in range(purchases):
        customer.record_purchase(
            MARKETER,
            at,
            order=f"{ref}-{n}",
            on=at.date(),
            amount=Money("100.00", "CNY"),
            category="service",
            policy=policy,
        )
        at += timedelta(days=1)
        if len(customer.pending_events) >= BATCH:
            store.save(customer)
    store.save(customer)


def median_ms(url: str, repeat: int, load: Callable[[ClosedLoop], Any]) -> tuple[float, float]:
    """Median wall-clock and process CPU time of ``load``, in a fresh ``ClosedLoop`` each run
    (CPU time is less disturbed by other jobs on the machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        with ClosedLoop(url, clock=FixedClock(START)) as loop:
            wall, cpu = time.perf_counter(), time.process_time()
            load(loop)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def row(url: str, ref: str, size: int, repeat: int) -> str:
    """One line of the table: the customer ``ref`` loaded three ways."""
    far = datetime(9999, 1, 1, tzinfo=UTC)
    with ClosedLoop(url) as loop:
        events = loop.reader().get(Customer, ref).version
        customer_id = loop.reader().get(Customer, ref).id
    raw, _ = median_ms(url, repeat, lambda loop: loop._store.repository.get(customer_id))
    snapshot, cpu = median_ms(url, repeat, lambda loop: loop.reader().get(Customer, ref))
    replay, _ = median_ms(url, repeat, lambda loop: loop.reader(far).get(Customer, ref))
    view, _ = median_ms(url, repeat, lambda loop: loop.customer(ref))
    return (
        f"| {size:,} | {events:,} | {raw:.1f} | {snapshot:.1f} | {cpu:.1f} | {snapshot / raw:.2f}× "
        f"| {replay:.1f} | {view:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000", help="purchases per customer")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'customers.db'}"
        with ClosedLoop(url, clock=FixedClock(START)) as loop:
            for size in sizes:
                build(loop, f"C-{size}", size)
        print(
            "| purchases | events | raw eventsourcing get ms | snapshot load ms | load CPU ms "
            "| load / raw | full replay ms | view ms |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for size in sizes:
            print(row(url, f"C-{size}", size, args.repeat))


if __name__ == "__main__":
    main()
