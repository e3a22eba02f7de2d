"""Group commit: the commands that arrive together in one process, saved in one transaction.

A store's commit costs a disk flush (SQLite ``synchronous=FULL``) or a flush and the
recorder's exclusive table lock (PostgreSQL), so concurrent commands wait on each other's
commits. Here the first command to arrive leads a batch: it waits up to ``window`` seconds
for the commands still on their way in this process (less when none is left, or the batch
is full), and while the batch before it writes, then saves every batched command's changes
in one transaction.

Each command stays all or nothing for itself. Two commands of a batch that add the same
version of one aggregate (both staged on the state before either) cannot both commit: the
later one is kept out of the batch, and loses its race for certain once the earlier one
committed (the store's unique key), without a transaction of its own; so does one whose
version the cache shows committed already (an earlier batch wrote it while this command
was being handled). Either is retried by the dispatcher on fresh state, and a retry comes
before the commands of its batch that lost fewer races (earlier: before any), so two
writers that keep meeting on one aggregate take turns instead of one losing every time
until it gives up. When the batch's
transaction fails all the same (another process first, one command's events that cannot
be stored), every command is saved again on its own, so only the ones that fail that way
see their error. A store that cannot be reached fails every command of the batch at once:
saving each on its own would only wait for the same timeout once per command.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import attrs
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from closedloop.application.store import EventStoreApp
from closedloop.application.unit_of_work import Staged, save_staged
from closedloop.domain.errors import InvalidInput

#: Long enough for commands running at once to meet, short beside a PostgreSQL round trip.
DEFAULT_WINDOW = 0.002
DEFAULT_MAX_BATCH = 64
#: A server worker's setting: ``off``, or the window in milliseconds (empty: the default).
GROUP_COMMIT_VARIABLE = "CLOSEDLOOP_GROUP_COMMIT"


class LostInProcess(IntegrityError):
    """A race lost to a command this process committed: the cache holds the state it
    committed, so the loser may run again at once on the cache, where one that lost to
    another process backs off and reads the store."""


@attrs.frozen
class Batching:
    """How long a batch collects commands (seconds), and how many it takes at most."""

    window: float = DEFAULT_WINDOW
    max_batch: int = DEFAULT_MAX_BATCH

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.window <= 1:
            raise InvalidInput(f"group commit window is 0 to 1 seconds, not {self.window}")
        if self.max_batch < 1:
            raise InvalidInput(f"group commit batch size is at least 1, not {self.max_batch}")

    @classmethod
    def from_setting(cls, text: str) -> Batching | None:
        """``off`` (None: one transaction per command), a window in milliseconds, or the
        default batching for an empty setting."""
        text = text.strip()
        if text.lower() == "off":
            return None
        if not text:
            return cls()
        try:
            window = float(text) / 1000
        except ValueError:
            raise InvalidInput(
                f"{GROUP_COMMIT_VARIABLE} is 'off' or a window in milliseconds, not {text!r}"
            ) from None
        return cls(window=window)


def _held() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@attrs.define(eq=False)
class Arrival:
    """A command on its way to ``GroupCommit.save``; ``joined`` once it is in a batch."""

    joined: bool = False


@attrs.define(eq=False)
class _Entry:
    """A command in a batch; ``done`` is held until its batch was written (a bare lock:
    cheaper to make, wait on and release than an ``Event``, once per command)."""

    staged: Staged
    lost: int = 0
    error: BaseException | None = None
    done: threading.Lock = attrs.field(factory=_held)

    def wait(self) -> None:
        self.done.acquire()

    def release(self) -> None:
        self.done.release()


@attrs.define(eq=False)
class _Batch:
    entries: list[_Entry] = attrs.field(factory=list)


class GroupCommit:
    """Saves ``Staged`` commands for the threads of one process, many per transaction."""

    def __init__(self, store: EventStoreApp, batching: Batching | None = None) -> None:
        self.store = store
        self.batching = batching or Batching()
        self._lock = threading.Condition()
        self._writing = threading.Lock()  # one batch writes at a time; the next one collects
        self._open: _Batch | None = None
        self._on_the_way = 0

    @contextmanager
    def arriving(self) -> Iterator[Arrival]:
        """Counts a command from its start until it joins a batch (in ``save``, atomically),
        so a leader waits only while someone may still join."""
        arrival = Arrival()
        with self._lock:
            self._on_the_way += 1
        try:
            yield arrival
        finally:
            with self._lock:
                if not arrival.joined:  # refused, or nothing to save
                    self._on_the_way -= 1
                    if self._on_the_way == 0:
                        self._lock.notify_all()

    def save(self, staged: Staged, arrival: Arrival | None = None, lost: int = 0) -> None:
        """Save ``staged`` in the open batch (or lead a new one), ahead of the commands that
        lost fewer than ``lost`` races; raises what its own save raised, ``IntegrityError``
        for a lost race (``LostInProcess`` for one lost to this process)."""
        entry = _Entry(staged, lost)
        with self._lock:
            if arrival is not None and not arrival.joined:
                arrival.joined = True
                self._on_the_way -= 1
            batch = self._open
            leads = batch is None or len(batch.entries) >= self.batching.max_batch
            if leads or batch is None:  # (the second test only narrows the type)
                batch = self._open = _Batch()
            batch.entries.append(entry)
            if self._on_the_way == 0 or len(batch.entries) >= self.batching.max_batch:
                self._lock.notify_all()  # only then may a waiting leader close its batch
        if leads:
            self._lead(batch)
        else:
            entry.wait()
        if entry.error is not None:
            raise entry.error

    def _lead(self, batch: _Batch) -> None:
        try:
            deadline = time.monotonic() + self.batching.window
            with self._lock:
                self._lock.wait_for(lambda: self._gathered(batch, deadline), self.batching.window)
            with self._writing:
                with self._lock:  # whoever arrived while the last batch wrote is in this one
                    if self._open is batch:
                        self._open = None
                self._write(batch.entries)
        except BaseException as error:
            for entry in batch.entries:
                entry.error = entry.error or error
            raise
        finally:
            with self._lock:
                if self._open is batch:
                    self._open = None
            for entry in batch.entries:
                entry.release()

    def _gathered(self, batch: _Batch, deadline: float) -> bool:
        """Whether the batch may close: no command is on its way, it is full, or the window
        is over."""
        return (
            self._on_the_way == 0
            or len(batch.entries) >= self.batching.max_batch
            or time.monotonic() >= deadline
        )

    def _write(self, entries: list[_Entry]) -> None:
        """Save ``entries`` in one transaction; whoever clashes with an earlier entry waits
        for that one's outcome."""
        if not entries:
            return
        first, later = _apart(sorted(entries, key=lambda entry: -entry.lost))
        for entry in first:
            if self._taken(entry):
                entry.error = LostInProcess("a command saved before changed it first")
        self._save_together([entry for entry in first if entry.error is None])
        for entry, winners in later:
            if any(winner.error is None for winner in winners):
                entry.error = LostInProcess("a command of the same batch changed it first")
        self._write([entry for entry, _ in later if entry.error is None])

    def _taken(self, entry: _Entry) -> bool:
        """Whether a version ``entry`` adds is one the cache already holds: the cache holds
        only committed states (every save of this process puts its aggregates there), so
        that command would fail the whole batch's transaction (staged while an earlier
        batch wrote the same aggregate)."""
        cache = self.store.repository.cache
        if cache is None:
            return False
        for event in entry.staged.events:
            try:
                cached = cache.get(event.originator_id)
            except KeyError:
                continue
            if cached.version >= event.originator_version:
                return True
        return False

    def _save_together(self, entries: list[_Entry]) -> None:
        if not entries:
            return
        try:
            save_staged(self.store, [entry.staged for entry in entries])
            return
        except (OperationalError, InterfaceError) as error:  # the store, not one command
            for entry in entries:
                entry.error = error
            return
        except Exception as error:
            if len(entries) == 1:
                entries[0].error = error
                return
        for entry in entries:  # each on its own: only a command that fails alone fails
            try:
                save_staged(self.store, [entry.staged])
            except Exception as error:
                entry.error = error


def _apart(entries: list[_Entry]) -> tuple[list[_Entry], list[tuple[_Entry, list[_Entry]]]]:
    """The entries that add no event an earlier one adds (by aggregate and version), and
    each other entry with the earlier ones it clashes with."""
    taken: dict[tuple[UUID, int], _Entry] = {}
    first: list[_Entry] = []
    later: list[tuple[_Entry, list[_Entry]]] = []
    for entry in entries:
        keys = [(event.originator_id, event.originator_version) for event in entry.staged.events]
        winners = list({id(w): w for key in keys if (w := taken.get(key)) is not None}.values())
        if winners:
            later.append((entry, winners))
        else:
            taken.update(dict.fromkeys(keys, entry))
            first.append(entry)
    return first, later
