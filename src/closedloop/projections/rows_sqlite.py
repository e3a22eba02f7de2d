"""Views' rows in the SQLite file that holds the events, table ``projection_rows``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from closedloop.projections.rows import SCAN_PAGE, RowsRecorder, Write, replacing

TABLE = "projection_rows"


class SQLiteRows(SQLiteTrackingRecorder, RowsRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.create_table_statements.append(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "view TEXT, key TEXT, value TEXT, PRIMARY KEY (view, key)) WITHOUT ROWID"
        )

    def get(self, view: str, key: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT value FROM {TABLE} WHERE view=? AND key=?", (view, key))
            row = c.fetchone()
        return None if row is None else str(row[0])

    def scan(self, view: str, prefix: str = "", start: str = "") -> Iterator[tuple[str, str]]:
        # ">= prefix or start (then > the last key read) AND < prefix + U+10FFFF": a range
        # scan on the primary key.
        bound, after, end = max(prefix, start), ">=", prefix + "\U0010ffff"
        while True:
            with self.datastore.transaction(commit=False) as c:
                c.execute(
                    f"SELECT key, value FROM {TABLE} WHERE view=? AND key{after}? AND key<? "
                    "ORDER BY key LIMIT ?",
                    (view, bound, end, SCAN_PAGE),
                )
                rows = c.fetchall()
            for key, value in rows:
                yield str(key), str(value)
            if len(rows) < SCAN_PAGE:
                return
            bound, after = str(rows[-1][0]), ">"

    def between(self, view: str, first: str, last: str) -> Iterator[tuple[str, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT key, value FROM {TABLE} WHERE view=? AND key>=? AND key<=? ORDER BY key",
                (view, first, last),
            )
            rows = c.fetchall()
        for key, value in rows:
            yield str(key), str(value)

    def write_all(self, writes: Sequence[Write]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for view, changes, tracking in writes:
                if tracking is not None:
                    self._insert_tracking(c, tracking)
                c.executemany(
                    f"INSERT INTO {TABLE} (view, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (view, key) DO UPDATE SET value=excluded.value",
                    [(view, key, value) for key, value in changes.items() if value is not None],
                )
                c.executemany(
                    f"DELETE FROM {TABLE} WHERE view=? AND key=?",
                    [(view, key) for key, value in changes.items() if value is None],
                )

    def clear(self, view: str, tracking_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE} WHERE view=?", (view,))
            c.execute("DELETE FROM tracking WHERE application_name=?", (tracking_name,))

    def _replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            # A write first, so the positions are read under the write lock.
            c.execute(
                "DELETE FROM tracking WHERE application_name IN (?, ?) "
                "RETURNING application_name, notification_id",
                (tracking_name, new_tracking_name),
            )
            positions = {str(name): int(position) for name, position in c.fetchall()}
            position = replacing(positions, tracking_name, new_tracking_name)
            c.execute(f"DELETE FROM {TABLE} WHERE view=?", (view,))
            c.execute(f"UPDATE {TABLE} SET view=? WHERE view=?", (view, new))
            self._insert_tracking(c, Tracking(tracking_name, position))
