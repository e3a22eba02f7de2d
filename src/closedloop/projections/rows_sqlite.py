"""Views' rows in the SQLite file that holds the events, table ``projection_rows``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from closedloop.projections.rows import Changes, RowsRecorder

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

    def scan(self, view: str, prefix: str = "") -> Iterator[tuple[str, str]]:
        with self.datastore.transaction(commit=False) as c:
            # ">= prefix AND < prefix + U+10FFFF" is a range scan on the primary key.
            c.execute(
                f"SELECT key, value FROM {TABLE} WHERE view=? AND key>=? AND key<? ORDER BY key",
                (view, prefix, prefix + "\U0010ffff"),
            )
            rows = c.fetchall()
        for key, value in rows:
            yield str(key), str(value)

    def between(self, view: str, first: str, last: str) -> Iterator[tuple[str, str]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT key, value FROM {TABLE} WHERE view=? AND key>=? AND key<=? ORDER BY key",
                (view, first, last),
            )
            rows = c.fetchall()
        for key, value in rows:
            yield str(key), str(value)

    def write(self, view: str, changes: Changes, tracking: Tracking) -> None:
        upserts = [(view, key, value) for key, value in changes.items() if value is not None]
        deletes = [(view, key) for key, value in changes.items() if value is None]
        with self.datastore.transaction(commit=True) as c:
            self._insert_tracking(c, tracking)
            c.executemany(
                f"INSERT INTO {TABLE} (view, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (view, key) DO UPDATE SET value=excluded.value",
                upserts,
            )
            c.executemany(f"DELETE FROM {TABLE} WHERE view=? AND key=?", deletes)

    def clear(self, view: str, tracking_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {TABLE} WHERE view=?", (view,))
            c.execute("DELETE FROM tracking WHERE application_name=?", (tracking_name,))
