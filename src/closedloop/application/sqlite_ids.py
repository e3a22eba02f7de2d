"""The library's SQLite recorder, making each aggregate's ``UUID`` once for a run of its
events, and reading one range of aggregates' events (a rebuild split between processes)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

from closedloop.application.id_ranges import IdRange

#: Ids kept between reads: a page of a replay holds a few dozen aggregates' events.
IDS_KEPT = 10_000


class SQLiteIdsRecorder(SQLiteApplicationRecorder):
    """``SQLiteApplicationRecorder`` with the stored id text converted once per aggregate.

    SQLite stores an id as text, and the library makes a new ``UUID`` of it for every row
    read: Python code that parses the text, a tenth of a rebuild's time, for ids that
    recur (a target's hundred events). The same text always makes an equal ``UUID``, and a
    ``UUID`` never changes, so one object serves every row with that text; the kept ids are
    forgotten all at once when there are ``IDS_KEPT`` of them. Writing is the library's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ids: dict[str, UUID] = {}

    def convert_originator_id(self, originator_id: str) -> UUID | str:
        try:
            return self._ids[originator_id]
        except KeyError:
            converted = super().convert_originator_id(originator_id)
        if isinstance(converted, UUID):
            if len(self._ids) >= IDS_KEPT:
                self._ids.clear()
            self._ids[originator_id] = converted
        return converted

    def select_range(self, ids: IdRange, after: int, stop: int, limit: int) -> list[Notification]:
        """``RangeReader.select_range``: a scan in position order, the ids tested on each row
        (``+originator_id``: never by the primary key's index, whose order is the ids')."""
        statement = f"SELECT rowid, * FROM {self.events_table_name} WHERE rowid>? AND rowid<=?"
        params: list[int | str] = [after, stop]
        for operator, bound in ids.conditions():
            statement += f" AND +originator_id{operator}?"
            params.append(bound)
        params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement + " ORDER BY rowid LIMIT ?", params)
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]


#: How the store's environment names it (``APPLICATION_RECORDER_TOPIC``).
TOPIC = f"{__name__}:{SQLiteIdsRecorder.__qualname__}"
