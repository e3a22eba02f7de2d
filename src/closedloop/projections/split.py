"""A rebuild in parts: a view whose rows each depend on one aggregate's events alone (the
facts) is replayed by several processes at once, each for one range of aggregate ids.

Each part reads only its aggregates' events, in store order, up to the position the
rebuild started at, and writes their rows into the copy being rebuilt (``View.rebuild``);
no two parts ever write the same row. The copy's position is recorded once every part is
in, so a part that fails leaves nothing anyone reads. Processes are spawned, not forked
(a fork would copy the store's open connections and other threads' locks); like every
spawned process, a worker imports the parent's main module, so a script that asks for
workers must guard its entry point (``if __name__ == "__main__":``).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple, cast

import attrs
from eventsourcing.persistence import Tracking

from closedloop.application.id_ranges import IdRange, RangeReader
from closedloop.application.store import EventStoreApp
from closedloop.projections.projection import (
    PAGE_SIZE,
    Page,
    Progress,
    Projection,
    Rows,
    View,
    replays,
)
from closedloop.projections.rows import Write, open_rows

#: Below this many events, starting workers (a second each, importing closedloop) costs
#: more than the parts save (benchmarks/README.md).
PARTS_FROM = 200_000

#: Most worker processes a rebuild starts, however many processors there are.
MOST_WORKERS = 8

#: How often the rebuild checks its workers are still alive while it waits for news.
WAIT_SECONDS = 1.0


def workers_for(events: int) -> int:
    """The workers worth starting for a rebuild of ``events`` events on this machine."""
    if events < PARTS_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MOST_WORKERS, cpus or 1))


class _Failure(NamedTuple):
    """An exception as a worker sends it: its class, arguments and attributes, so that one
    whose constructor takes other arguments than ``args`` (``AuditFailure``) comes back."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    state: dict[str, Any]

    def error(self) -> BaseException:
        error = self.kind.__new__(self.kind, *self.args)
        error.args = self.args
        error.__dict__.update(self.state)
        return error


@attrs.frozen
class Split:
    """A ``Stage`` for ``View.rebuild``: ``workers`` processes, each opening the store at
    ``url`` with ``opener`` (a module-level function: it is sent to the workers)."""

    url: str
    opener: Callable[[str], EventStoreApp]
    workers: int

    def __call__(self, view: View, progress: Progress | None) -> None:
        stop = view.projection.store.recorder.max_notification_id() or 0
        context = multiprocessing.get_context("spawn")
        reports: Any = context.Queue()
        processes = [
            context.Process(
                target=replay_part,
                args=(self, type(view.projection), view.name, ids, stop, index, reports),
                daemon=True,
            )
            for index, ids in enumerate(IdRange.split(self.workers))
        ]
        for process in processes:
            process.start()
        try:
            _await(processes, reports, stop, progress)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        view.recorder.write(view.name, {}, Tracking(view.tracking_name, stop))


def _await(
    processes: Sequence[BaseProcess], reports: Any, stop: int, progress: Progress | None
) -> None:
    """Until every part is done: the rebuild's progress is the least position all parts
    reached; the first failure is raised here."""
    positions = [-1] * len(processes)  # -1: not started
    done: set[int] = set()
    while len(done) < len(processes):
        try:
            index, report = reports.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            for index, process in enumerate(processes):
                if index not in done and process.exitcode is not None:
                    raise RuntimeError(
                        f"rebuild worker {index} ended (exit code {process.exitcode}) before "
                        "finishing its part; a script that starts one must guard its entry "
                        "point with `if __name__ == '__main__':`"
                    ) from None
            continue
        if isinstance(report, _Failure):
            raise report.error()
        if report is None:
            done.add(index)
            report = stop
        positions[index] = report
        if progress is not None and min(positions) >= 0:
            progress(min(positions), stop)


def replay_part(
    split: Split,
    kind: type[Projection],
    name: str,
    ids: IdRange,
    stop: int,
    index: int,
    reports: Any,
) -> None:
    """A worker: replay the events of the aggregates in ``ids`` up to ``stop`` into view
    ``name``'s rows, a page per transaction, sending each page's last position, then None
    (done), or the failure."""
    store: EventStoreApp | None = None
    try:
        store = split.opener(split.url)
        recorder, projection = open_rows(store), kind(store)
        reader = cast(RangeReader, store.recorder)
        after = 0
        reports.put((index, after))
        with replays.fewer():
            while page := reader.select_range(ids, after, stop, PAGE_SIZE):
                rows = Rows(recorder, name)
                projection.apply_page(Page(page, store.mapper), rows)
                recorder.write_all([Write(name, rows.changes(), None)])
                after = page[-1].id
                reports.put((index, after))
        reports.put((index, None))
    except BaseException as error:
        reports.put((index, _Failure(type(error), error.args, vars(error))))
    finally:
        if store is not None:
            store.close()
