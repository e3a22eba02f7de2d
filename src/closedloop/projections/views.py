"""Every tracked view of a store, by name: the one place a new projection is registered."""

from __future__ import annotations

import threading
from collections.abc import Callable

from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import InvalidInput
from closedloop.projections.audit import AuditTrail
from closedloop.projections.facts import Facts
from closedloop.projections.projection import Progress, Projection, View, run
from closedloop.projections.rows import RowsRecorder, open_rows
from closedloop.projections.workers import Workers, least_of

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

    def behind(self) -> int:
        """How many positions the view furthest behind has yet to apply."""
        last = self._store.recorder.max_notification_id() or 0
        return last - min(self[name].position for name in PROJECTIONS)

    def catch_up(
        self,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        workers: Workers | None = None,
    ) -> int:
        """Bring every view up to the store's last event (or pages of it until ``stop`` is
        set), reading each page once for all.

        With ``workers``, each view first catches up in a worker process of its own, all at
        once, then together here with what was recorded meanwhile: every page is one
        transaction with its position, in a worker as here, so a view resumes where any of
        them stopped, and a stop ends the workers between or inside pages alike."""
        if workers is not None:
            last = self._store.recorder.max_notification_id() or 0
            parts = [(name,) for name in PROJECTIONS]
            workers.run(catch_up_part, parts, least_of(progress, last), stop)
        return run([self[name] for name in PROJECTIONS], progress, stop=stop)


def catch_up_part(store: EventStoreApp, name: str, report: Callable[[int], None]) -> None:
    """A worker's part of ``Views.catch_up``: one view caught up in its own store."""
    view = View(PROJECTIONS[name](store), open_rows(store))
    report(view.position)
    view.catch_up(lambda position, last: report(position))
