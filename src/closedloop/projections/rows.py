"""The persistence of every view, written once per backend: key/value rows per view name.

A view's rows change only together with its tracking record (the position of the last
event it applied), in one transaction of the same store that holds the events. The
tracking records are the `eventsourcing` library's own (``TrackingRecorder``): a page
whose tracking position is not beyond the recorded one is refused with the library's
``IntegrityError`` and changes nothing, so no event is ever applied twice.

Values are JSON text, so every backend stores and returns exactly the same thing.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple, cast

from eventsourcing.persistence import Tracking, TrackingRecorder

from closedloop.application.store import EventStoreApp, creating_tables
from closedloop.domain.errors import StoreUnavailable

#: A page's changes: key -> new JSON text, or None to delete the row.
Changes = Mapping[str, str | None]

#: Rows read from a table per query when scanning (a trail of millions is never held whole).
SCAN_PAGE = 1000


class Write(NamedTuple):
    """One view's changes for a page, and the position it reached with them.

    No position only for one part of a view being rebuilt in parts: it is never read
    until all its parts are in, and its position is then recorded once for all."""

    view: str
    changes: Changes
    tracking: Tracking | None


class RowsRecorder(TrackingRecorder):
    """A tracking recorder that also holds views' rows; one subclass per backend."""

    def position(self, tracking_name: str) -> int:
        """The position of the last event the view applied (0: none yet)."""
        return self.max_tracking_id(tracking_name) or 0

    @abstractmethod
    def get(self, view: str, key: str) -> str | None: ...

    @abstractmethod
    def scan(self, view: str, prefix: str = "", start: str = "") -> Iterator[tuple[str, str]]:
        """The view's rows whose key starts with ``prefix`` (and is ``start`` or after), in
        key order, read ``SCAN_PAGE`` rows at a time."""

    @abstractmethod
    def between(self, view: str, first: str, last: str) -> Iterator[tuple[str, str]]:
        """The view's rows whose key lies from ``first`` to ``last`` (inclusive), in key order."""

    def write(self, view: str, changes: Changes, tracking: Tracking) -> None:
        """Apply ``changes`` and record ``tracking`` atomically, or neither."""
        self.write_all([Write(view, changes, tracking)])

    @abstractmethod
    def write_all(self, writes: Sequence[Write]) -> None:
        """Apply every view's changes and record their tracking atomically, or none."""

    @abstractmethod
    def clear(self, view: str, tracking_name: str) -> None:
        """Forget the view's rows and its position, atomically (a rebuild starts here)."""

    def replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> bool:
        """Put view ``new``'s rows and position in place of ``view``'s and forget ``new``,
        atomically; unless ``view`` has reached beyond ``new`` meanwhile (another runner
        applied later events to it): then change nothing and return False."""
        try:
            self._replace(view, tracking_name, new, new_tracking_name)
        except Overtaken:  # rolled back: nothing changed
            return False
        return True

    @abstractmethod
    def _replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> None:
        """``replace`` in one transaction, which ``replacing`` (given both positions, read
        under the write lock) rolls back by raising ``Overtaken``."""


class Overtaken(Exception):
    """Raised inside ``replace``'s transaction to roll it back: the view reached beyond the
    one meant to replace it."""


def replacing(positions: Mapping[str, int], tracking_name: str, new_tracking_name: str) -> int:
    """The position the replacing view brings, from both views' recorded positions (a view
    not in ``positions`` has none yet); ``Overtaken`` if the replaced view is beyond it."""
    position = positions.get(new_tracking_name, 0)
    if positions.get(tracking_name, 0) > position:
        raise Overtaken
    return position


def open_rows(store: EventStoreApp) -> RowsRecorder:
    """The rows recorder in the same store as ``store``'s events (same database, same pool)."""
    module = type(store.factory).__module__
    recorder_class: type[RowsRecorder]
    if module == "eventsourcing.sqlite":
        from closedloop.projections.rows_sqlite import SQLiteRows

        recorder_class = SQLiteRows
    elif module == "eventsourcing.postgres":
        from closedloop.projections.rows_postgres import PostgresRows

        recorder_class = PostgresRows
    elif module == "eventsourcing.popo":
        from closedloop.projections.rows_memory import MemoryRows

        recorder_class = MemoryRows
    else:
        raise StoreUnavailable(f"views cannot be kept in a {module} store (no rows recorder)")
    created = creating_tables(lambda: store.factory.tracking_recorder(recorder_class))
    return cast(RowsRecorder, created)
