"""Tracked projections: each view is a pure function of the event sequence (L7).

A runner follows the store by polling ``select_notifications`` (the SQLite recorder has
no subscription), a page at a time: the page's changes and the position of its last
event are written in one transaction. An exception in the middle of a page writes
nothing, so the view resumes exactly where it stopped; a page already applied by
another runner is refused by the library's tracking and read again from the new
position, so no event is ever applied twice.
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.persistence import IntegrityError, Notification, Tracking

from closedloop.application.store import EventStoreApp
from closedloop.projections.rows import RowsRecorder

#: Events per transaction: one transaction per event is about 30 times slower.
PAGE_SIZE = 1000

#: How often a follower polls the store for new events.
POLL_SECONDS = 0.2

#: Called after each page with (position reached, last position in the store).
Progress = Callable[[int, int], None]


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
            return self._pending[key]
        text = self._recorder.get(self._view, key)
        return None if text is None else json.loads(text)

    def put(self, key: str, value: Any) -> None:
        self._pending[key] = value

    def delete(self, key: str) -> None:
        self._pending[key] = None

    def changes(self) -> dict[str, str | None]:
        """The pending changes as the rows recorder writes them: JSON text, None deletes."""
        return {
            key: None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))
            for key, value in self._pending.items()
        }


class Projection(ABC):
    """One view: a name, and how one event changes its rows."""

    name: str

    def __init__(self, store: EventStoreApp) -> None:
        self.store = store

    @abstractmethod
    def apply(self, notification: Notification, rows: Rows) -> None:
        """Change ``rows`` for ``notification``; pure: no clock, no other reads."""


class View:
    """A projection kept in the store, with the means to catch up, rebuild and read it."""

    def __init__(self, projection: Projection, recorder: RowsRecorder) -> None:
        self.projection = projection
        self.recorder = recorder
        self.name = projection.name
        self.tracking_name = f"{projection.store.name}:{projection.name}"

    @property
    def position(self) -> int:
        return self.recorder.position(self.tracking_name)

    def catch_up(
        self, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> int:
        """Apply every event recorded after the view's position (or pages of them until
        ``stop`` is set); returns the new position."""
        events = self.projection.store.recorder
        while True:
            position = self.position
            if stop is not None and stop.is_set():
                return position
            page = events.select_notifications(
                start=position, limit=PAGE_SIZE, inclusive_of_start=False
            )
            if not page:
                return position
            rows = Rows(self.recorder, self.name)
            for notification in page:
                self.projection.apply(notification, rows)
            try:
                self.recorder.write(
                    self.name, rows.changes(), Tracking(self.tracking_name, page[-1].id)
                )
            except IntegrityError:
                if self.position == position:
                    raise  # not another runner's progress: a real integrity problem
                continue  # another runner applied this page first: read on from its position
            if progress is not None:
                progress(page[-1].id, events.max_notification_id() or 0)

    def follow(self, stop: threading.Event, interval: float = POLL_SECONDS) -> None:
        """Keep catching up, polling every ``interval`` seconds, until ``stop`` is set.

        Polling, because the SQLite recorder has no subscription; a thread or process that
        follows keeps the view warm, and ``recorder.wait`` tells when it reached a position.
        """
        while not stop.is_set():
            self.catch_up(stop=stop)
            stop.wait(interval)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget the view, then apply the whole history again (L7)."""
        self.recorder.clear(self.name, self.tracking_name)
        return self.catch_up(progress)

    def get(self, key: str) -> Any:
        text = self.recorder.get(self.name, key)
        return None if text is None else json.loads(text)

    def scan(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for key, text in self.recorder.scan(self.name, prefix):
            yield key, json.loads(text)

    def between(self, first: str, last: str) -> Iterator[tuple[str, Any]]:
        """Rows keyed from ``first`` to ``last`` (inclusive), in one read."""
        for key, text in self.recorder.between(self.name, first, last):
            yield key, json.loads(text)
