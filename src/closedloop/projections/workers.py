"""Worker processes for a long replay split into parts (a rebuild's facts, ``audit verify``).

Each part runs in a process of its own, at once, on a store it opens itself. Processes are
spawned, not forked (a fork would copy the store's open connections and other threads'
locks); like every spawned process, a worker imports the parent's main module, so a script
that asks for workers must guard its entry point (``if __name__ == "__main__":``).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

import attrs

from closedloop.application.store import EventStoreApp

#: Below this many events, starting workers costs more than the parts save: about a second
#: for two (Python started, closedloop imported, the store opened), against 1.5–3 s for a
#: rebuild or a verification of 100,000 events on this project's machine, where parts
#: lost or broke even (benchmarks/README.md, sixth pass).
PARTS_FROM = 200_000

#: The same for a catch-up of both views, which costs about twice as much per event.
CATCH_UP_PARTS_FROM = 100_000

#: Most worker processes a replay starts, however many processors there are.
MOST_WORKERS = 8

#: How often the parent checks its workers are alive (and its stop) while it waits for news.
WAIT_SECONDS = 0.2

#: A part's work: ``task(store, *args, report)``, ``report(position)`` telling how far it got.
Task = Callable[..., Any]


def workers_for(events: int, worth_from: int = PARTS_FROM) -> int:
    """The workers worth starting on this machine for a replay of ``events`` events, which
    gains from parts at ``worth_from`` events and more."""
    if events < worth_from:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MOST_WORKERS, cpus or 1))


def least_of(
    progress: Callable[[int, int], None] | None, last: int
) -> Callable[[list[int]], None] | None:
    """The parts' progress told as one: the least position every part has reached."""
    if progress is None:
        return None

    def reached(positions: list[int]) -> None:
        if min(positions) >= 0:
            progress(min(positions), last)

    return reached


class SentError(NamedTuple):
    """An exception as a worker sends it: its class, arguments and attributes, so that one
    whose constructor takes other arguments than ``args`` (``AuditFailure``) comes back."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    state: dict[str, Any]

    @classmethod
    def of(cls, error: BaseException) -> SentError:
        return cls(type(error), error.args, vars(error))

    def error(self) -> BaseException:
        error = self.kind.__new__(self.kind, *self.args)
        error.args = self.args
        error.__dict__.update(self.state)
        return error


class _Progress(NamedTuple):
    position: int


class _Done(NamedTuple):
    result: Any


@attrs.frozen
class Workers:
    """``count`` processes, each opening the store at ``url`` with ``opener`` (a module-level
    function: it is sent to the workers by name, as a task is)."""

    url: str
    opener: Callable[[str], EventStoreApp]
    count: int

    def run(
        self,
        task: Task,
        parts: Sequence[tuple[Any, ...]],
        progress: Callable[[list[int]], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[Any]:
        """``task``'s result for each part's arguments, each part in a process of its own;
        ``progress`` gets every part's last reported position (-1: none yet) at each report.
        The first failure is raised here, and the other parts are stopped; so are all of
        them once ``stop`` is set (then the results are None): only for tasks whose every
        step is a transaction of its own, which a process ended mid-step leaves undone."""
        context = multiprocessing.get_context("spawn")
        reports: Any = context.Queue()
        processes = [
            context.Process(target=_part, args=(self, task, args, index, reports), daemon=True)
            for index, args in enumerate(parts)
        ]
        for process in processes:
            process.start()
        try:
            return _await(processes, reports, progress, stop)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()


def _await(
    processes: Sequence[BaseProcess],
    reports: Any,
    progress: Callable[[list[int]], None] | None,
    stop: threading.Event | None,
) -> list[Any]:
    positions, results = [-1] * len(processes), [None] * len(processes)
    done: set[int] = set()
    while len(done) < len(processes):
        if stop is not None and stop.is_set():
            return [None] * len(processes)
        try:
            index, report = reports.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            for index, process in enumerate(processes):
                if index not in done and process.exitcode is not None:
                    raise RuntimeError(
                        f"worker {index} ended (exit code {process.exitcode}) before finishing "
                        "its part; a script that starts workers must guard its entry point "
                        "with `if __name__ == '__main__':`"
                    ) from None
            continue
        if isinstance(report, SentError):
            raise report.error()
        if isinstance(report, _Done):
            done.add(index)
            results[index] = report.result
        elif progress is not None:
            positions[index] = report.position
            progress(positions)
    return results


def _part(workers: Workers, task: Task, args: tuple[Any, ...], index: int, reports: Any) -> None:
    """A worker: ``task`` on a store of its own; its reports, then its result or failure."""
    store: EventStoreApp | None = None
    try:
        store = workers.opener(workers.url)
        result = task(store, *args, lambda position: reports.put((index, _Progress(position))))
        reports.put((index, _Done(result)))
    except BaseException as error:
        reports.put((index, SentError.of(error)))
    finally:
        if store is not None:
            store.close()
