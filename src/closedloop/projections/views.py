"""Every tracked view of a store, by name: the one place a new projection is registered."""

from __future__ import annotations

import threading

from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import InvalidInput
from closedloop.projections.audit import AuditTrail
from closedloop.projections.facts import Facts
from closedloop.projections.projection import Progress, Projection, View, run
from closedloop.projections.rows import RowsRecorder, open_rows

PROJECTIONS: dict[str, type[Projection]] = {AuditTrail.name: AuditTrail, Facts.name: Facts}


class Views:
    """The store's views; their rows' table is opened on first use, in the events' store."""

    def __init__(self, store: EventStoreApp) -> None:
        self._store = store
        self._recorder: RowsRecorder | None = None
        self._views: dict[str, View] = {}

    @staticmethod
    def names() -> list[str]:
        return list(PROJECTIONS)

    def __getitem__(self, name: str) -> View:
        if name not in PROJECTIONS:
            raise InvalidInput(f"no view {name!r}; the views are {', '.join(PROJECTIONS)}")
        if name not in self._views:
            if self._recorder is None:
                self._recorder = open_rows(self._store)
            self._views[name] = View(PROJECTIONS[name](self._store), self._recorder)
        return self._views[name]

    def catch_up(
        self, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> int:
        """Bring every view up to the store's last event (or pages of it until ``stop`` is
        set), reading each page once for all."""
        return run([self[name] for name in PROJECTIONS], progress, stop=stop)
