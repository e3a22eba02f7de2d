"""Tracked projections: each view is a pure function of the event sequence (L7).

A runner follows the store by polling ``select_notifications`` (the SQLite recorder has
no subscription), a page at a time, for one view or several: the page is read once,
decoded at most once, applied to every view behind it, and every view's changes and
the position of the page's last event are written in one transaction. An exception in
the middle of a page writes nothing, so every view resumes exactly where it stopped; a
page already applied by another runner is refused by the library's tracking and read
again from the new positions, so no event is ever applied twice.
"""

from __future__ import annotations

import gc
import json
import threading
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Mapper, Notification, Tracking

from closedloop.application.json_text import loads
from closedloop.application.store import EventStoreApp
from closedloop.projections.rows import RowsRecorder, Write

#: Events per transaction: one transaction per event is about 30 times slower.
PAGE_SIZE = 1000

#: How often a follower polls the store for new events.
POLL_SECONDS = 0.2

#: Called after each page with (position reached, last position in the store).
Progress = Callable[[int, int], None]

#: A row's stored form: JSON, keys sorted, no spaces (every backend stores this text).
to_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


class JSONText(str):
    """A row value already in its stored form (``to_json``'s text), written as it is: the
    audit trail writes each entry's text directly rather than a dict to encode."""


class Rows:
    """A view's rows as of the page being applied: its own pending changes over the stored.

    Pending values stay Python values until the page is written (the audit trail's head
    changes on every event); put a new value rather than change one ``get`` returned.
    """

    def __init__(self, recorder: RowsRecorder, view: str) -> None:
        self._recorder = recorder
        self._view = view
        self._pending: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        if key in self._pending:
            value = self._pending[key]
            return loads(value) if isinstance(value, JSONText) else value
        text = self._recorder.get(self._view, key)
        return None if text is None else loads(text)

    def put(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def delete(self, key: str) -> None:
        self._pending[key] = None

    def changes(self) -> dict[str, str | None]:
        """The pending changes as the rows recorder writes them: JSON text, None deletes."""
        return {
            key: value if value is None or isinstance(value, JSONText) else to_json(value)
            for key, value in self._pending.items()
        }


class Page:
    """Notifications read once for every view behind them, decoded on the first ask only
    and then shared by every part of the page: views that work on the stored form (the
    audit trail) never pay for decoding."""

    def __init__(
        self,
        notifications: Sequence[Notification],
        mapper: Mapper[UUID],
        start: int = 0,
        decoded: list[list[DomainEventProtocol[UUID]]] | None = None,
    ) -> None:
        self._all = notifications
        self._mapper = mapper
        self._start = start
        self._decoded = [] if decoded is None else decoded

    @property
    def notifications(self) -> Sequence[Notification]:
        return self._all[self._start :]

    def events(self) -> Sequence[DomainEventProtocol[UUID]]:
        if not self._decoded:
            self._decoded.append([self._mapper.to_domain_event(n) for n in self._all])
        return self._decoded[0][self._start :]

    def after(self, position: int) -> Page:
        """The part of the page beyond ``position`` (positions ascend within a page: found by
        bisection, not by a walk over a page a view has already applied, as the trail's is
        on every page of a rebuild)."""
        start = bisect_right(self._all, position, key=_position)
        return Page(self._all, self._mapper, start, self._decoded)


def _position(notification: Notification) -> int:
    return notification.id


class Projection(ABC):
    """One view: a name, and how one event (or a page of events) changes its rows."""

    name: str

    #: Each row depends on one aggregate's events alone, so the view can be rebuilt in
    #: parts, one range of aggregate ids each (``split.py``).
    per_aggregate: bool = False

    def __init__(self, store: EventStoreApp) -> None:
        self.store = store

    @abstractmethod
    def apply(self, notification: Notification, rows: Rows) -> None:
        """Change ``rows`` for ``notification``; pure: no clock, no other reads."""

    def apply_page(self, page: Page, rows: Rows) -> None:
        """Change ``rows`` for every event of ``page``, in order: one ``apply`` each unless
        a projection does a page at once (the facts write each aggregate once a page)."""
        for notification in page.notifications:
            self.apply(notification, rows)


#: What a view being rebuilt is called beside the live one (``View.rebuild``).
REBUILDING = "~rebuilding"

#: Fills a view being rebuilt (empty) up to some position (a rebuild in parts, ``split.py``).
Stage = Callable[["View", Progress | None], None]


class View:
    """A projection kept in the store, with the means to catch up, rebuild and read it."""

    def __init__(
        self, projection: Projection, recorder: RowsRecorder, name: str | None = None
    ) -> None:
        self.projection = projection
        self.recorder = recorder
        self.name = projection.name if name is None else name
        self.tracking_name = f"{projection.store.name}:{self.name}"

    @property
    def position(self) -> int:
        return self.recorder.position(self.tracking_name)

    def catch_up(
        self, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> int:
        """Apply every event recorded after the view's position (or pages of them until
        ``stop`` is set); returns the new position."""
        return run([self], progress, stop=stop)

    def follow(self, stop: threading.Event, interval: float = POLL_SECONDS) -> None:
        """Keep catching up, polling every ``interval`` seconds, until ``stop`` is set.

        Polling, because the SQLite recorder has no subscription; a thread or process that
        follows keeps the view warm, and ``recorder.wait`` tells when it reached a position.
        """
        while not stop.is_set():
            self.catch_up(stop=stop)
            stop.wait(interval)

    def rebuild(self, progress: Progress | None = None, stage: Stage | None = None) -> int:
        """Apply the whole history again to a new copy of the view, then put it in the view's
        place in one transaction (L7); returns its position.

        The view keeps answering meanwhile, and a crash leaves it as it was. The copy is
        caught up once more (the events recorded meanwhile) whenever a runner has moved the
        view beyond it before it could take its place. ``stage`` may fill the copy first.
        """
        new = View(self.projection, self.recorder, self.name + REBUILDING)
        self.recorder.clear(new.name, new.tracking_name)  # what a crashed rebuild left
        try:
            if stage is not None:
                stage(new, progress)
            while True:
                position = new.catch_up(progress)
                if self.recorder.replace(
                    self.name, self.tracking_name, new.name, new.tracking_name
                ):
                    return position
        except BaseException:
            self.recorder.clear(new.name, new.tracking_name)
            raise

    def get(self, key: str) -> Any:
        text = self.recorder.get(self.name, key)
        return None if text is None else loads(text)

    def scan(self, prefix: str = "", start: str = "") -> Iterator[tuple[str, Any]]:
        for key, text in self.recorder.scan(self.name, prefix, start):
            yield key, loads(text)

    def between(self, first: str, last: str) -> Iterator[tuple[str, Any]]:
        """Rows keyed from ``first`` to ``last`` (inclusive), in one read."""
        for key, text in self.recorder.between(self.name, first, last):
            yield key, loads(text)


#: Allocations between the cyclic collector's youngest passes while views replay (the
#: interpreter's default is 700). A replay allocates a few short-lived containers per event
#: and the facts keep up to ``facts.STATES_KEPT`` aggregates' states, so at the default the
#: collector ran every few events and kept rescanning those states: a fifth of a rebuild's
#: time (measured, benchmarks/README.md). Reference counting still frees what a replay drops
#: at once; only cycles wait, for this many allocations at most.
REPLAY_COLLECTION_THRESHOLD = 50_000


class _Collections:
    """The collector's youngest threshold raised while any replay of the process runs,
    and restored when the last one ends (replays may run in several threads at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replays = 0
        self._saved = gc.get_threshold()

    @contextmanager
    def fewer(self) -> Iterator[None]:
        with self._lock:
            if self._replays == 0:
                self._saved = gc.get_threshold()
                youngest, *older = self._saved
                gc.set_threshold(max(youngest, REPLAY_COLLECTION_THRESHOLD), *older)
            self._replays += 1
        try:
            yield
        finally:
            with self._lock:
                self._replays -= 1
                if self._replays == 0:
                    gc.set_threshold(*self._saved)


replays = _Collections()


def run(
    views: Sequence[View],
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Bring ``views`` (of one store, in one rows recorder) up to the store's last event
    (or pages of it until ``stop`` is set), reading each page once for all of them;
    returns the position they reached."""
    with replays.fewer():
        return _run(views, progress, stop)


def _run(views: Sequence[View], progress: Progress | None, stop: threading.Event | None) -> int:
    store, recorder = views[0].projection.store, views[0].recorder
    while True:
        # Read again for each page: another runner (or a rebuild) may have moved a view.
        positions = {view.name: view.position for view in views}
        start = min(positions.values())
        if stop is not None and stop.is_set():
            return start
        notifications = store.recorder.select_notifications(
            start=start, limit=PAGE_SIZE, inclusive_of_start=False
        )
        if not notifications:
            return start
        page, last = Page(notifications, store.mapper), notifications[-1].id
        writes = []
        for view in views:
            part = page.after(positions[view.name])
            if part.notifications:
                rows = Rows(recorder, view.name)
                view.projection.apply_page(part, rows)
                writes.append(Write(view.name, rows.changes(), Tracking(view.tracking_name, last)))
        try:
            recorder.write_all(writes)
        except IntegrityError:
            if {view.name: view.position for view in views} == positions:
                raise  # not another runner's progress: a real integrity problem
            continue  # another runner applied this page first: read on from there
        if progress is not None:
            progress(last, store.recorder.max_notification_id() or 0)
