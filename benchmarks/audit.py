"""Audit verification throughput (L8) beside raw ``eventsourcing`` reading the same events.

A generated store (``--events``, 100,000 by default) is read four ways: raw
``eventsourcing`` paging through ``select_notifications`` (the floor any verification
stands on); the same, decoding each into its domain event; closedloop's first catch-up
of the audit trail (decode, chain, write a page of entries per transaction); and
``audit_verify`` (re-read every stored event, recompute the chain, derive each entry
again and compare both with the recorded trail). The table gives events/s and the ratio
of verification to the raw read.

    python benchmarks/audit.py [--events 100000] [--stores sqlite,postgres]

PostgreSQL (127.0.0.1:5432, database ``test``) is skipped with a note when unreachable.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from stores import fresh_store, postgres_missing

from closedloop import ClosedLoop
from closedloop.adapters.store import open_store, store_env

PAGE = 1000
EVENTS_PER_METER = 100


class Meter(Aggregate):
    """The generated history: meters with readings, each event carrying its actor."""

    def __init__(self, actor_id: str) -> None:
        self.readings: list[str] = []

    @event("Recorded")
    def record(self, actor_id: str, value: str) -> None:
        self.readings.append(value)


class Raw(Application[UUID]):
    name = "closedloop"  # the same tables as closedloop's store (PostgreSQL names them so)


@dataclass
class Result:
    store: str
    events: int
    raw: float
    raw_decoded: float
    catch_up: float
    verify: float


def generate(url: str, events: int) -> None:
    """``events`` events, a page of meters per transaction (saving one by one takes minutes)."""
    store = open_store(url)
    try:
        written = 0
        while written < events:
            batch = []
            while written < events and len(batch) * EVENTS_PER_METER < PAGE:
                meter = Meter(actor_id="bench")
                for n in range(min(EVENTS_PER_METER, events - written) - 1):
                    meter.record(actor_id="bench", value=str(n))
                written += len(meter.pending_events)
                batch.append(meter)
            store.save(*batch)
    finally:
        store.close()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def raw_read(url: str, decode: bool) -> int:
    """Page through every notification, decoding each into its domain event if asked."""
    app = Raw(env=store_env(url))
    try:
        count, position = 0, 0
        while page := app.recorder.select_notifications(
            start=position, limit=PAGE, inclusive_of_start=False
        ):
            if decode:
                for notification in page:
                    app.mapper.to_domain_event(notification)
            count += len(page)
            position = page[-1].id
        return count
    finally:
        app.close()


def measure(name: str, url: str, events: int) -> Result:
    generate(url, events)
    raw = timed(lambda: raw_read(url, decode=False))
    raw_decoded = timed(lambda: raw_read(url, decode=True))
    with ClosedLoop(url) as loop:
        catch_up = timed(lambda: loop.audit_digest())
        verify = timed(lambda: loop.audit_verify())
    return Result(
        name, events, events / raw, events / raw_decoded, events / catch_up, events / verify
    )


STORES: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "sqlite": partial(fresh_store, "sqlite"),
    "postgres": partial(fresh_store, "postgres"),
}


def report(results: list[Result], notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "store",
        "events",
        "raw eventsourcing read ev/s",
        "raw read + decode ev/s",
        "audit catch-up ev/s",
        "audit verify ev/s",
        "verify / raw",
        title=f"audit trail over a generated store ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
    )
    for r in results:
        table.add_row(
            r.store,
            f"{r.events:,}",
            f"{r.raw:,.0f}",
            f"{r.raw_decoded:,.0f}",
            f"{r.catch_up:,.0f}",
            f"{r.verify:,.0f}",
            f"{r.verify / r.raw:.2f}×",
        )
    Console().print(table)
    for note in notes:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="default 100,000")
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite,postgres")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.stores.split(",") if name.strip()]
    for name in names:
        if name not in STORES:
            parser.error(f"unknown store {name!r}; known: {', '.join(STORES)}")
    if args.events < 1:
        parser.error("--events must be at least 1")
    results, notes = [], []
    for name in names:
        missing = postgres_missing() if name == "postgres" else None
        if missing is not None:
            notes.append(f"{name} skipped: {missing}")
            continue
        with STORES[name]() as url:
            results.append(measure(name, url, args.events))
    report(results, notes)


if __name__ == "__main__":
    main()
