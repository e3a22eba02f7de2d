"""Views' rows in the PostgreSQL schema that holds the events, table ``closedloop_views``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from closedloop.projections.rows import SCAN_PAGE, RowsRecorder, Write, replacing

TABLE = "closedloop_views"


class PostgresRows(PostgresTrackingRecorder, RowsRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = Identifier(self.datastore.schema), Identifier(TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                'view text, key text COLLATE "C", value text, PRIMARY KEY (view, key))'
            ).format(*table)
        )
        self._select = SQL("SELECT value FROM {0}.{1} WHERE view=%s AND key=%s").format(*table)
        scan = (
            "SELECT key, value FROM {0}.{1} WHERE view=%s AND starts_with(key, %s) AND key{2}%s "
            "ORDER BY key LIMIT %s"
        )
        self._index_only = SQL(
            "SELECT set_config('enable_bitmapscan', 'off', true), "
            "set_config('enable_sort', 'off', true)"
        )
        self._scan_first = SQL(scan).format(*table, SQL(">="))
        self._scan_next = SQL(scan).format(*table, SQL(">"))
        self._between = SQL(
            "SELECT key, value FROM {0}.{1} WHERE view=%s AND key>=%s AND key<=%s ORDER BY key"
        ).format(*table)
        # A page's rows in one statement each: arrays, sent binary (no per-element escaping).
        self._upsert = SQL(
            "INSERT INTO {0}.{1} (view, key, value) "
            "SELECT %s, unnest(%b::text[]), unnest(%b::text[]) "
            "ON CONFLICT (view, key) DO UPDATE SET value=excluded.value"
        ).format(*table)
        self._delete = SQL("DELETE FROM {0}.{1} WHERE view=%s AND key=ANY(%b::text[])").format(
            *table
        )
        self._delete_view = SQL("DELETE FROM {0}.{1} WHERE view=%s").format(*table)
        tracking = Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
        self._delete_tracking = SQL("DELETE FROM {0}.{1} WHERE application_name=%s").format(
            *tracking
        )
        self._take_positions = SQL(
            "DELETE FROM {0}.{1} WHERE application_name=ANY(%s) "
            "RETURNING application_name, notification_id"
        ).format(*tracking)
        self._rename_view = SQL("UPDATE {0}.{1} SET view=%s WHERE view=%s").format(*table)

    def get(self, view: str, key: str) -> str | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select, (view, key))
            row = curs.fetchone()
        return None if row is None else str(row["value"])

    def scan(self, view: str, prefix: str = "", start: str = "") -> Iterator[tuple[str, str]]:
        bound, select = max(prefix, start), self._scan_first
        while True:
            with self.datastore.transaction(commit=False) as curs:
                # A page walks the primary key from ``bound``. Planned from the values (never
                # prepared: a generic plan cannot see the prefix's range), and with bitmap
                # scans and sorts ruled out, since on a table whose statistics lag behind (a
                # rebuild) the planner would sort every row after ``bound`` for each page.
                curs.execute(self._index_only)
                curs.execute(select, (view, prefix, bound, SCAN_PAGE), prepare=False)
                rows = curs.fetchall()
            for row in rows:
                yield str(row["key"]), str(row["value"])
            if len(rows) < SCAN_PAGE:
                return
            bound, select = str(rows[-1]["key"]), self._scan_next

    def between(self, view: str, first: str, last: str) -> Iterator[tuple[str, str]]:
        # Rows as tuples, not the pool's dicts: verify reads a page of entries this way.
        with (
            self.datastore.transaction(commit=False) as curs,
            curs.connection.cursor(row_factory=tuple_row) as tuples,
        ):
            tuples.execute(self._between, (view, first, last))
            rows = tuples.fetchall()
        for key, value in rows:
            yield str(key), str(value)

    def write_all(self, writes: Sequence[Write]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for view, changes, tracking in writes:
                if tracking is not None:
                    self._insert_tracking(curs, tracking)
                upserts = {key: value for key, value in changes.items() if value is not None}
                deletes = [key for key, value in changes.items() if value is None]
                if upserts:
                    curs.execute(self._upsert, (view, list(upserts), list(upserts.values())))
                if deletes:
                    curs.execute(self._delete, (view, deletes))

    def clear(self, view: str, tracking_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._delete_view, (view,))
            curs.execute(self._delete_tracking, (tracking_name,))

    def _replace(self, view: str, tracking_name: str, new: str, new_tracking_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # Deleting the positions locks them: a runner's write waits for this one.
            curs.execute(self._take_positions, ([tracking_name, new_tracking_name],))
            positions = {
                str(row["application_name"]): int(row["notification_id"]) for row in curs.fetchall()
            }
            position = replacing(positions, tracking_name, new_tracking_name)
            curs.execute(self._delete_view, (view,))
            curs.execute(self._rename_view, (view, new))
            self._insert_tracking(curs, Tracking(tracking_name, position))
