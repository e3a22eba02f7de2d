"""Views' rows in memory, beside the library's in-memory events (``memory:`` stores, tests)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.popo import POPOTrackingRecorder

from closedloop.projections.rows import RowsRecorder, Write, replacing


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

    def _replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> None:
        with self._database_lock:
            ids = self._max_tracking_ids
            recorded = {name: ids.get(name) or 0 for name in (tracking_name, new_tracking_name)}
            position = replacing(recorded, tracking_name, new_tracking_name)
            self._rows[view] = self._rows.pop(new, {})
            ids.pop(new_tracking_name, None)
            ids[tracking_name] = position
