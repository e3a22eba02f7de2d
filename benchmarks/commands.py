"""Commands per second: closedloop's ``target.record_actual`` beside raw ``eventsourcing``.

Both sides do the same work on the same kind of store: get an existing aggregate, record
one event, save it. The raw side is a minimal ``eventsourcing`` aggregate with one event in
an application of its own, configured with the same environment closedloop derives from
the store URL, so the ratio is closedloop's own overhead (validation, authority, unit of
work). Goal: closedloop ≥ 0.8× raw ``eventsourcing``.

    python benchmarks/commands.py [--seconds 3] [--count N] [--targets 50] [--stores ...]

PostgreSQL (127.0.0.1:5432, database ``test``) is skipped with a note when unreachable.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder
from stores import fresh_store, postgres_missing
from table import print_table

from closedloop import Actor, ClosedLoop
from closedloop.adapters.store import store_env
from closedloop.application.transcodings import DateAsISO

GOAL = 0.8

CEO = Actor("ceo", "CEO", {"leadership"})
CFO = Actor("cfo", "CFO", {"leadership"})
HEAD = Actor("head", "Head of marketing", {"manager"}, superior="ceo")
MARKETER = Actor("marketer", "Marketer", {"marketer"}, superior="head")
AS_OF = date(2026, 1, 31)
SOURCE = "ERP monthly report"


class Meter(Aggregate):
    """The raw side's aggregate: one event, recorded on an existing aggregate."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.readings: list[Decimal] = []

    @event("Recorded")
    def record(self, value: Decimal, as_of: date, source: str) -> None:
        self.readings.append(value)


class RawApp(Application[UUID]):
    name = "raw"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


@dataclass
class Result:
    store: str
    raw: float
    closedloop: float

    @property
    def ratio(self) -> float:
        return self.closedloop / self.raw


# --- the two sides -------------------------------------------------------------------------


def closedloop_side(url: str, targets: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """``targets`` approved targets, and one ``target.record_actual`` per call."""
    loop = ClosedLoop(url)
    refs = [f"REV-{n:04d}" for n in range(targets)]
    for ref in refs:
        loop.execute(
            "target.create",
            CEO,
            {
                "ref": ref,
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": "12000000",
                "owner": HEAD.id,
                "basis": "benchmark",
            },
        )
        loop.execute("target.submit", HEAD, {"target": ref})
        loop.execute("target.approve", CFO, {"target": ref})

    def command(n: int) -> None:
        loop.execute(
            "target.record_actual",
            MARKETER,
            {
                "target": refs[n % targets],
                "value": str(n),
                "as_of": AS_OF,
                "source": SOURCE,
            },
        )

    return command, loop.close


def raw_side(url: str, targets: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """``targets`` meters with three events each (like an approved target), one event per call."""
    app = RawApp(env=store_env(url))
    ids = []
    for n in range(targets):
        meter = Meter(f"meter-{n}")
        meter.record(Decimal(0), AS_OF, SOURCE)
        meter.record(Decimal(0), AS_OF, SOURCE)
        app.save(meter)
        ids.append(meter.id)

    def command(n: int) -> None:
        meter: Meter = app.repository.get(ids[n % targets])
        meter.record(Decimal(n), AS_OF, SOURCE)
        app.save(meter)

    return command, app.close


def compare(
    store: str, urls: tuple[str, str], seconds: float, count: int | None, targets: int
) -> Result:
    """Run the sides in turn, one command each, timing each side's own commands only.

    Interleaving command by command gives both sides the same machine: background load
    and disk flushes land on both alike, which longer alternating runs do not ensure.
    """
    sides = (
        ("raw", *raw_side(urls[0], targets)),
        ("closedloop", *closedloop_side(urls[1], targets)),
    )
    spent = dict.fromkeys(("raw", "closedloop"), 0.0)
    done = 0
    began = time.perf_counter()
    try:
        while (done < count) if count else (time.perf_counter() - began < 2 * seconds):
            done += 1
            for name, command, _ in sides:
                start = time.perf_counter()
                command(done)
                spent[name] += time.perf_counter() - start
        return Result(store, done / spent["raw"], done / spent["closedloop"])
    finally:
        for _, _, close in sides:
            close()


# --- stores --------------------------------------------------------------------------------


@contextmanager
def memory() -> Iterator[tuple[str, str]]:
    yield "memory:", "memory:"


@contextmanager
def sqlite() -> Iterator[tuple[str, str]]:
    with fresh_store("sqlite") as raw, fresh_store("sqlite") as ours:
        yield raw, ours


@contextmanager
def postgres() -> Iterator[tuple[str, str]]:
    with fresh_store("postgres") as raw, fresh_store("postgres") as ours:
        yield raw, ours


STORES: dict[str, Callable[[], AbstractContextManager[tuple[str, str]]]] = {
    "memory": memory,
    "sqlite": sqlite,
    "postgres": postgres,
}


# --- report --------------------------------------------------------------------------------


def report(results: list[Result], notes: list[str]) -> None:
    header = ("store", "raw eventsourcing cmd/s", "closedloop cmd/s", "ratio", f"≥ {GOAL}×")
    rows = [
        (
            r.store,
            f"{r.raw:,.0f}",
            f"{r.closedloop:,.0f}",
            f"{r.ratio:.2f}×",
            "yes" if r.ratio >= GOAL else "NO",
        )
        for r in results
    ]
    title = "target.record_actual on existing targets: get + one event + save"
    print_table(title, header, rows)
    print(f"goal: closedloop ≥ {GOAL}× raw eventsourcing on every store")
    for note in notes:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="seconds per side and store (default 3)"
    )
    parser.add_argument(
        "--count",
        type=int,
        default=None,
        help="exactly this many commands per side and store, instead of --seconds",
    )
    parser.add_argument(
        "--targets",
        type=int,
        default=50,
        help="existing approved targets the commands cycle over (default 50)",
    )
    parser.add_argument(
        "--stores",
        default="memory,sqlite,postgres",
        help="comma-separated: memory, sqlite, postgres",
    )
    args = parser.parse_args(argv)
    stores = args.stores.split(",")
    if unknown := [name for name in stores if name not in STORES]:
        parser.error(f"unknown store {unknown[0]!r}; known: {', '.join(STORES)}")
    results, notes = [], []
    for name in stores:
        if name == "postgres" and (reason := postgres_missing()):
            notes.append(f"postgres skipped: {reason}")
            continue
        with STORES[name]() as urls:
            results.append(compare(name, urls, args.seconds, args.count, args.targets))
    report(results, notes)


if __name__ == "__main__":
    main()
