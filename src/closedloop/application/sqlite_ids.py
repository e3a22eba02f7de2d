"""The library's SQLite recorder, making each aggregate's ``UUID`` once for a run of its events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder

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


#: How the store's environment names it (``APPLICATION_RECORDER_TOPIC``).
TOPIC = f"{__name__}:{SQLiteIdsRecorder.__qualname__}"
