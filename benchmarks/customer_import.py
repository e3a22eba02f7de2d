"""CSV import of purchases into SQLite: rows per second, beside raw ``eventsourcing``.

closedloop's side is ``import_csv`` (what ``closedloop import purchases`` runs): each row
parsed, validated by the command's pydantic model, handled by ``customer.record_purchase``
(points, tier, lapsed points), saved ``--batch-size`` rows per transaction. The raw side is
a minimal ``eventsourcing`` aggregate with one event per purchase, saved in batches of the
same size in a SQLite file of its own. Goal: ≥ 10,000 purchases/s. Each side's rate is also
given per second of this process's CPU time, which other jobs on the machine disturb less.

    python benchmarks/customer_import.py [--customers 1000] [--purchases 20000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from closedloop import Actor, ClosedLoop, FixedClock
from closedloop.adapters.customer_csv import IMPORTED, import_csv
from closedloop.adapters.store import store_env

GOAL = 10_000
MARKETER = Actor("marketer", "Marketer", {"marketer"})
NOW = "2026-06-30T09:00:00+00:00"


class Account(Aggregate):
    """The raw side's aggregate: one event per purchase."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.spend = Decimal(0)

    @event("Bought")
    def buy(self, order: str, amount: Decimal) -> None:
        self.spend += amount


class RawApp(Application[UUID]):
    name = "raw"


def write_files(folder: Path, customers: int, purchases: int) -> tuple[Path, Path]:
    people, orders = folder / "customers.csv", folder / "purchases.csv"
    with people.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["ref", "name", "phone", "source"])
        for n in range(customers):
            writer.writerow([f"C-{n}", f"客户{n}", f"1380000{n:04d}", "import"])
    with orders.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["customer", "order", "amount", "on", "category"])
        for n in range(purchases):
            day = f"2026-{1 + n % 6:02d}-{1 + n % 28:02d}"
            writer.writerow(
                [f"C-{n % customers}", f"O-{n}", f"{100 + n % 900}.00 CNY", day, "service"]
            )
    return people, orders


Rate = tuple[float, float]  # rows per second of wall-clock time, and of process CPU time


def timed(rows: int, began: tuple[float, float]) -> Rate:
    wall, cpu = time.perf_counter() - began[0], time.process_time() - began[1]
    return rows / wall, rows / cpu


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def closedloop_rate(url: str, people: Path, orders: Path, batch: int) -> tuple[float, Rate]:
    """Customers/s, and purchases/s (wall, CPU) through ``import_csv``."""
    with ClosedLoop(url, clock=FixedClock(NOW)) as loop:
        began = time.perf_counter()
        registered = sum(
            r.status == IMPORTED
            for r in import_csv(loop, "customers", people, MARKETER, batch_size=batch)
        )
        customers = registered / (time.perf_counter() - began)
        began = clock()
        bought = sum(
            r.status == IMPORTED
            for r in import_csv(loop, "purchases", orders, MARKETER, batch_size=batch)
        )
        purchases = timed(bought, began)
    return customers, purchases


def raw_rate(url: str, orders: Path, customers: int, batch: int, *, load: bool) -> Rate:
    """Purchases/s with raw ``eventsourcing``: the same rows, one event each, same batches;
    each aggregate got from the repository once per batch (``load``), or kept in memory
    throughout (saves only: the library's batched-save rate)."""
    app = RawApp(env=store_env(url))
    accounts = [Account(f"C-{n}") for n in range(customers)]
    app.save(*accounts)
    ids = {account.name: account.id for account in accounts}
    kept = {account.name: account for account in accounts}
    began = clock()
    touched: dict[str, Account] = {}
    with orders.open(newline="", encoding="utf-8") as file:
        rows = 0
        for rows, row in enumerate(csv.DictReader(file), start=1):
            ref = row["customer"]
            if ref not in touched:
                touched[ref] = app.repository.get(ids[ref]) if load else kept[ref]
            touched[ref].buy(row["order"], Decimal(row["amount"].split()[0]))
            if rows % batch == 0:
                app.save(*touched.values())
                touched = {}
    app.save(*touched.values())
    rate = timed(rows, began)
    app.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--purchases", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        people, orders = write_files(Path(folder), args.customers, args.purchases)
        customers, purchases = closedloop_rate(
            f"sqlite:///{Path(folder) / 'closedloop.db'}", people, orders, args.batch_size
        )
        raw, saves = (
            raw_rate(
                f"sqlite:///{Path(folder) / uuid4().hex}.db",
                orders,
                args.customers,
                args.batch_size,
                load=load,
            )
            for load in (True, False)
        )
    print(
        "| side | customers/s | purchases/s | purchases per CPU s "
        "| closedloop / side | closedloop / side, CPU |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for side, (wall, cpu) in (
        ("raw eventsourcing, loads per batch", raw),
        ("raw eventsourcing, saves only", saves),
    ):
        print(
            f"| {side} | - | {wall:,.0f} | {cpu:,.0f} "
            f"| {purchases[0] / wall:.2f}× | {purchases[1] / cpu:.2f}× |"
        )
    print(
        f"| closedloop import | {customers:,.0f} | {purchases[0]:,.0f} | {purchases[1]:,.0f} "
        "| 1.00× | 1.00× |"
    )
    verdict = "reached" if purchases[0] >= GOAL else "NOT reached"
    print(
        f"goal: ≥ {GOAL:,} purchases/s into SQLite: {verdict} in this run "
        f"({purchases[0] / raw[0]:.2f}× raw with loads, {purchases[0] / saves[0]:.2f}× raw "
        f"saves only; {purchases[1]:,.0f} per CPU second)"
    )


if __name__ == "__main__":
    main()
