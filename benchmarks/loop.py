"""The full activity loop: closedloop's commands per second beside raw ``eventsourcing``.

Each activity goes through the whole loop with ``ClosedLoop.execute``: create, propose,
review, approve, execution plan submitted and approved, prepare, start, ``--expenses``
expenses, complete, summary, evaluation. The raw side is a minimal ``eventsourcing``
aggregate in an application of its own, on the same kind of store with the same
environment closedloop derives from the store URL, doing the same commands: a create saved
with a listing event, then one get + one event + one save per command, each event carrying
the command's arguments. So both sides record the same number of events in the same number
of saves, and the ratio is closedloop's own overhead (validation, authority, rules, views of
money, unit of work). Goal: closedloop ≥ 0.8× raw ``eventsourcing``.

Each side runs in a process of its own, so its peak memory is its own; the two run in turn,
one activity each, so background load and disk flushes land on both alike.

    python benchmarks/loop.py [--activities 10000] [--expenses 3] [--stores sqlite]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application, EventSourcedLog
from eventsourcing.domain import Aggregate, DomainEvent, event
from table import print_table

from closedloop import Actor, ClosedLoop, FixedClock
from closedloop.adapters.store import store_env

GOAL = 0.8
SIDES = ("raw", "closedloop")

# The cast: two marketers, each reviewed by their superior; the CFO approves.
CFO = Actor("zhao.cfo", "Zhao (CFO)", {"leadership"})
HEAD = Actor("chen.head", "Chen (head of marketing)", {"manager"}, superior="wang.ceo")
LEAD = Actor("sun.lead", "Sun (team lead)", {"manager"}, superior="chen.head")
LI = Actor("li.marketer", "Li", {"marketer"}, superior="chen.head")
ZHOU = Actor("zhou.marketer", "Zhou", {"marketer"}, superior="sun.lead")
TEAMS = ((LI, HEAD), (ZHOU, LEAD))
#: Inside every activity's window (March 2026), so each one can start.
NOW = "2026-03-02T09:00:00+00:00"

Step = tuple[str, Actor, dict[str, Any]]


def activity_steps(n: int, expenses: int) -> list[Step]:
    """The commands of activity ``n``'s loop: who issues each, with what arguments."""
    owner, superior = TEAMS[n % len(TEAMS)]
    fair = {"activity": f"FAIR-{n:06d}"}
    spent = (Decimal(90000) / expenses).quantize(Decimal("0.01")) if expenses else Decimal(0)
    create = {
        "ref": fair["activity"],
        "kind": "market_event",
        "theme": f"Spring home fair {n}",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "objectives": [
            {"name": "leads", "metric": "qualified leads", "target": "300", "unit": "leads"},
            {"name": "orders", "metric": "signed orders", "target": "60", "unit": "orders"},
        ],
        "target_customers": ["core", "segment: new homeowners"],
        "channels": ["store", "wechat"],
        "place": "Guangzhou flagship store",
        "content": "春季家居新品发布会:到店体验全屋定制方案,预约即送设计咨询。",
        "promotion_plan": "10 % off orders signed at the fair",
        "budget_lines": [
            {"category": "venue", "amount": "40000 CNY"},
            {"category": "media", "amount": "60000 CNY"},
        ],
    }
    steps = [
        {"what": "book the venue", "owner": owner.id, "start": "2026-02-01", "due": "2026-02-10"},
        {"what": "run the fair", "owner": owner.id, "start": "2026-03-01", "due": "2026-03-31"},
    ]
    return [
        ("activity.create", owner, create),
        ("activity.propose", owner, fair),
        ("activity.review", superior, fair),
        ("activity.approve", CFO, fair),
        ("activity.submit_execution_plan", owner, {**fair, "steps": steps}),
        ("activity.approve_execution_plan", superior, fair),
        ("activity.prepare", owner, fair),
        ("activity.start", owner, fair),
        *(
            (
                "activity.record_expense",
                owner,
                {
                    **fair,
                    "receipt": f"INV-{k + 1}",
                    "amount": f"{spent} CNY",
                    "category": ("venue", "media")[k % 2],
                },
            )
            for k in range(expenses)
        ),
        ("activity.complete", owner, {**fair, "results": {"leads": "330", "orders": "45"}}),
        (
            "activity.submit_summary",
            owner,
            {
                **fair,
                "objectives_met": "leads beat the target; orders fell short",
                "effect": "330 qualified leads, 45 orders",
                "problems": "the venue was too far from the new estates",
                "improvements": "hold the autumn fair in the estates' own mall",
            },
        ),
        (
            "activity.evaluate",
            superior,
            {**fair, "participants": 1200, "conversions": 45, "attributed_revenue": "515000 CNY"},
        ),
    ]


# --- the two sides -------------------------------------------------------------------------


class Campaign(Aggregate):
    """The raw side's aggregate: created with the arguments, one event per later command."""

    def __init__(self, actor_id: str, details: dict[str, Any]) -> None:
        self.details = details
        self.steps: list[str] = []

    @event("Stepped")
    def step(self, actor_id: str, name: str, details: dict[str, Any]) -> None:
        self.steps.append(name)


class Listed(DomainEvent):
    aggregate_id: UUID


class RawApp(Application[UUID]):
    name = "raw"


class RawSide:
    """Raw ``eventsourcing``: each command is one get + one event + one save."""

    def __init__(self, url: str) -> None:
        self.app = RawApp(env=store_env(url))
        self.listing = EventSourcedLog(
            self.app.events, uuid5(UUID(int=0), "listing:campaign"), Listed
        )

    def run(self, steps: list[Step]) -> None:
        (_, creator, details), *rest = steps
        campaign = Campaign(creator.id, details)
        self.app.save(campaign, self.listing.trigger_event(aggregate_id=campaign.id))
        for name, actor, args in rest:
            current: Campaign = self.app.repository.get(campaign.id)
            current.step(actor.id, name, args)
            self.app.save(current)

    def events(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def close(self) -> None:
        self.app.close()


class ClosedLoopSide:
    def __init__(self, url: str) -> None:
        self.loop = ClosedLoop(url, clock=FixedClock(NOW))

    def run(self, steps: list[Step]) -> None:
        for name, actor, args in steps:
            self.loop.execute(name, actor, args)

    def events(self) -> int:
        return self.loop.position()

    def close(self) -> None:
        self.loop.close()


def peak_rss() -> int:
    """This process's peak resident set size so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class SideReport:
    events: int
    baseline_rss: int  # after imports and opening the store
    peak_rss: int


def serve(side: str, url: str, expenses: int, conn: Connection) -> None:
    """One side in its own process: run the activity numbers it is sent, reply with the time."""
    runner = RawSide(url) if side == "raw" else ClosedLoopSide(url)
    conn.send(peak_rss())
    try:
        while (n := conn.recv()) is not None:
            steps = activity_steps(n, expenses)
            start = time.perf_counter()
            runner.run(steps)
            conn.send(time.perf_counter() - start)
        conn.send((runner.events(), peak_rss()))
    finally:
        runner.close()


@dataclass
class Result:
    store: str
    commands: int
    events: dict[str, int]
    seconds: dict[str, float]
    baseline: dict[str, int]
    peak: dict[str, int]

    def rate(self, side: str) -> float:
        return self.commands / self.seconds[side]

    @property
    def ratio(self) -> float:
        return self.rate("closedloop") / self.rate("raw")


def compare(store: str, url: dict[str, str], activities: int, expenses: int) -> Result:
    context = multiprocessing.get_context("spawn")
    conns, processes, baseline = {}, [], {}
    for side in SIDES:
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(side, url[side], expenses, theirs))
        process.start()
        conns[side] = ours
        processes.append(process)
    try:
        for side in SIDES:
            baseline[side] = conns[side].recv()
        seconds = dict.fromkeys(SIDES, 0.0)
        progress = Progress(store, activities)
        for n in range(activities):
            for side in SIDES:
                conns[side].send(n)
                seconds[side] += conns[side].recv()
            progress.done(n + 1)
        events, peak = {}, {}
        for side in SIDES:
            conns[side].send(None)
            events[side], peak[side] = conns[side].recv()
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    commands = activities * len(activity_steps(0, expenses))
    return Result(store, commands, events, seconds, baseline, peak)


class Progress:
    """A line on standard error every few seconds: how far, how long so far, how long to go."""

    EVERY = 10.0

    def __init__(self, store: str, total: int) -> None:
        self.store, self.total = store, total
        self.began = self.last = time.perf_counter()

    def done(self, count: int) -> None:
        now = time.perf_counter()
        if now - self.last < self.EVERY or count == self.total:
            return
        self.last = now
        elapsed = now - self.began
        eta = elapsed / count * (self.total - count)
        print(
            f"{self.store}: {count:,}/{self.total:,} activities ({count / self.total:.0%}), "
            f"{_duration(elapsed)} so far, about {_duration(eta)} to go",
            file=sys.stderr,
            flush=True,
        )


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


# --- stores --------------------------------------------------------------------------------


@contextmanager
def store_urls(store: str) -> Iterator[dict[str, str]]:
    """A fresh store per side: ``memory:``, or a SQLite file in a temporary folder."""
    if store == "memory":
        yield dict.fromkeys(SIDES, "memory:")
        return
    with tempfile.TemporaryDirectory() as folder:
        yield {side: f"sqlite:///{Path(folder) / side}.db" for side in SIDES}


STORES = ("memory", "sqlite")


# --- report --------------------------------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def report(results: list[Result], activities: int, expenses: int) -> None:
    header = (
        "store",
        "commands",
        "events",
        "raw cmd/s",
        "closedloop cmd/s",
        "ratio",
        f"≥ {GOAL}×",
        "raw peak RSS",
        "closedloop peak RSS",
    )
    rows = [
        (
            r.store,
            f"{r.commands:,}",
            (
                f"{r.events['closedloop']:,}"
                if r.events["raw"] == r.events["closedloop"]
                else f"{r.events['raw']:,} raw / {r.events['closedloop']:,}"
            ),
            f"{r.rate('raw'):,.0f}",
            f"{r.rate('closedloop'):,.0f}",
            f"{r.ratio:.2f}×",
            "yes" if r.ratio >= GOAL else "NO",
            _mib(r.peak["raw"]),
            _mib(r.peak["closedloop"]),
        )
        for r in results
    ]
    per = len(activity_steps(0, expenses))
    title = f"{activities:,} activities × {per} commands (the loop with {expenses} expenses)"
    print_table(title, header, rows)
    print(f"goal: closedloop ≥ {GOAL}× raw eventsourcing")
    print(
        "peak RSS: getrusage ru_maxrss of each side's own process (interpreter, imports, "
        "store and the 1,000-aggregate cache included); after imports and opening the store:"
    )
    for r in results:
        print(
            f"  {r.store}: raw {_mib(r.baseline['raw'])}, "
            f"closedloop {_mib(r.baseline['closedloop'])}; time spent in commands: "
            f"raw {_duration(r.seconds['raw'])}, closedloop {_duration(r.seconds['closedloop'])}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--activities",
        type=int,
        default=10_000,
        help="activities taken through the whole loop, per side (default 10000; "
        "1000 for a quick run)",
    )
    parser.add_argument(
        "--expenses", type=int, default=3, help="expenses recorded per activity (default 3)"
    )
    parser.add_argument(
        "--stores", default="sqlite", help="comma-separated: memory, sqlite (default sqlite)"
    )
    args = parser.parse_args(argv)
    stores = args.stores.split(",")
    if unknown := [name for name in stores if name not in STORES]:
        parser.error(f"unknown store {unknown[0]!r}; known: {', '.join(STORES)}")
    if args.activities < 1 or args.expenses < 1:
        parser.error("--activities and --expenses must be at least 1")
    results = []
    for store in stores:
        with store_urls(store) as urls:
            results.append(compare(store, urls, args.activities, args.expenses))
    report(results, args.activities, args.expenses)


if __name__ == "__main__":
    main()
