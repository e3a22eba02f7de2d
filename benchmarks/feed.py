"""The event feed's read rate beside raw ``eventsourcing`` paging the same store, and how
soon a long-poll returns after a command.

For each store a history of targets and their measurements is generated (as in
``replay.py``) and the audit trail caught up (its first catch-up is measured there); then,
a page of 1,000 at a time from the start of the history:

- raw: ``select_notifications`` (the floor: the library's own paging, nothing decoded);
- feed: ``ClosedLoop.events`` (each event with its trail entry: hash, time, type; state
  base64);
- HTTP: ``GET /events`` through the ASGI app in process (adds validation and JSON);
- long-poll: a ``GET /events?wait=10`` waiting in a thread while a command is recorded,
  the time from the command's return to the answer (median and worst of ``--polls``).

    python benchmarks/feed.py [--events 20000] [--stores sqlite,postgres] [--polls 20]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from replay import CEO, generate
from stores import fresh_store
from table import print_table

from closedloop import ClosedLoop
from closedloop.adapters.http.app import create_app
from closedloop.adapters.http.keys import KeyEntry, Keyring

PAGE = 1000
KEY = "benchmark-key-of-the-auditor"


def paged(read: Callable[[int], tuple[int, int]]) -> int:
    """Events read by ``read(after) -> (count, next_after)`` until a page is empty."""
    after, total = 0, 0
    while True:
        count, after = read(after)
        if not count:
            return total
        total += count


def rate(events: int, work: Callable[[], int]) -> float:
    began = time.perf_counter()
    assert work() == events, "a reader missed or repeated events"
    return events / (time.perf_counter() - began)


def long_poll_latency(loop: ClosedLoop, http: Any, polls: int) -> list[float]:
    """Seconds from a command's return to the return of a long-poll waiting for it."""
    latencies = []
    for number in range(polls):
        after = loop.position()
        answered: dict[str, float] = {}

        def wait(after: int = after, answered: dict[str, float] = answered) -> None:
            http.get("/events", params={"after": after, "wait": 10}, headers=HEADERS)
            answered["at"] = time.perf_counter()

        poll = threading.Thread(target=wait)
        poll.start()
        time.sleep(0.2)  # the poll is waiting
        args = {"ref": f"LP-{number}", "metric": "revenue", "unit": "CNY", "period": "2026"}
        args |= {"scope": "company", "owner": "chen.head", "value": "1", "basis": "plan"}
        loop.execute("target.create", CEO, args)
        done = time.perf_counter()
        poll.join()
        latencies.append(answered["at"] - done)
    return latencies


HEADERS = {"Authorization": f"Bearer {KEY}"}


def run(url: str, events: int, polls: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    auditor = KeyEntry(id="bench.auditor", roles=["auditor"], key=KEY)
    with (
        ClosedLoop(url) as loop,
        TestClient(create_app(loop, Keyring.from_entries([auditor]))) as http,
    ):
        generate(loop, events)
        total = loop.position()
        loop.catch_up("audit")
        recorder = loop.reader().store.recorder

        def raw(after: int) -> tuple[int, int]:
            page = recorder.select_notifications(start=after, limit=PAGE, inclusive_of_start=False)
            return len(page), page[-1].id if page else after

        def feed(after: int) -> tuple[int, int]:
            page = loop.events(after=after, limit=PAGE)
            return len(page["events"]), page["next_after"]

        def served(after: int) -> tuple[int, int]:
            page = http.get("/events", params={"after": after, "limit": PAGE}, headers=HEADERS)
            body = page.json()
            return len(body["events"]), body["next_after"]

        rates = {
            name: rate(total, lambda r=reader: paged(r))
            for name, reader in [("raw", raw), ("feed", feed), ("HTTP", served)]
        }
        latencies = long_poll_latency(loop, http, polls)
    return {"events": total, **rates, "latencies": latencies}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events in the history")
    parser.add_argument("--stores", default="sqlite,postgres", help="sqlite, postgres")
    parser.add_argument("--polls", type=int, default=20, help="long-polls timed")
    args = parser.parse_args(argv)
    stores = args.stores.split(",")
    if unknown := [s for s in stores if s not in ("sqlite", "postgres")]:
        parser.error(f"unknown store {unknown[0]!r}; known: sqlite, postgres")
    if args.events < 100 or args.polls < 1:
        parser.error("--events must be at least 100 and --polls at least 1")
    rows = []
    for kind in stores:
        with fresh_store(kind) as url:
            result = run(url, args.events, args.polls)
        latencies = result["latencies"]
        rows.append(
            (
                kind,
                f"{result['events']:,}",
                f"{result['raw']:,.0f}",
                f"{result['feed']:,.0f}",
                f"{result['HTTP']:,.0f}",
                f"{result['feed'] / result['raw']:.2f}×",
                f"{result['HTTP'] / result['raw']:.2f}×",
                f"{statistics.median(latencies) * 1000:,.0f} / {max(latencies) * 1000:,.0f}",
            )
        )
    header = ("store", "events", "raw ev/s", "feed ev/s", "HTTP ev/s", "feed / raw")
    header += ("HTTP / raw", "long-poll ms (median / max)")
    print_table("reading the event feed (pages of 1,000)", header, rows)


if __name__ == "__main__":
    main()
