"""The library's PostgreSQL recorder, reading one range of aggregates' events too (a rebuild
split between processes). Imported only for a PostgreSQL store (by its topic)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier

from closedloop.application.id_ranges import IdRange


class PostgresRangeRecorder(PostgresApplicationRecorder):
    def select_range(self, ids: IdRange, after: int, stop: int, limit: int) -> list[Notification]:
        """``RangeReader.select_range``: the notification id's index walked in order, the
        ids tested on each row, as the library's ``select_notifications`` reads."""
        statement: Composed = SQL(
            "SELECT * FROM {0}.{1} WHERE notification_id>%s AND notification_id<=%s"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        params: list[Any] = [after, stop]
        for operator, bound in ids.conditions():
            statement += SQL(" AND originator_id{0}%s").format(SQL(operator))
            params.append(self._bound(bound))
        params.append(limit)
        statement += SQL(" ORDER BY notification_id LIMIT %s")
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _bound(self, text: str) -> UUID | str:
        return UUID(text) if self.datastore.originator_id_type == "uuid" else text
