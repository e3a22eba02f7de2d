"""Views' rows in memory, beside the library's in-memory events (``memory:`` stores, tests)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.popo import POPOTrackingRecorder

from closedloop.projections.rows import RowsRecorder, Write


class MemoryRows(POPOTrackingRecorder, RowsRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, dict[str, str]] = {}

    def get(self, view: str, key: str) -> str | None:
        with self._database_lock:
            return self._rows.get(view, {}).get(key)

    def scan(self, view: str, prefix: str = "", start: str = "") -> Iterator[tuple[str, str]]:
        with self._database_lock:
            rows = sorted(
                (key, value)
                for key, value in self._rows.get(view, {}).items()
                if key.startswith(prefix) and key >= start
            )
        yield from rows

    def between(self, view: str, first: str, last: str) -> Iterator[tuple[str, str]]:
        with self._database_lock:
            rows = sorted(
                (key, value)
                for key, value in self._rows.get(view, {}).items()
                if first <= key <= last
            )
        yield from rows

    def write_all(self, writes: Sequence[Write]) -> None:
        with self._database_lock:
            for write in writes:
                if write.tracking is not None:
                    self._assert_tracking_uniqueness(write.tracking)
            for view, changes, tracking in writes:
                rows = self._rows.setdefault(view, {})
                for key, value in changes.items():
                    if value is None:
                        rows.pop(key, None)
                    else:
                        rows[key] = value
                if tracking is not None:
                    self._insert_tracking(tracking)

    def clear(self, view: str, tracking_name: str) -> None:
        with self._database_lock:
            self._rows.pop(view, None)
            self._max_tracking_ids.pop(tracking_name, None)

    def replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> bool:
        with self._database_lock:
            position = self._max_tracking_ids.get(new_tracking_name) or 0
            if (self._max_tracking_ids.get(tracking_name) or 0) > position:
                return False
            self._rows[view] = self._rows.pop(new, {})
            self._max_tracking_ids.pop(new_tracking_name, None)
            self._max_tracking_ids[tracking_name] = position
            return True
