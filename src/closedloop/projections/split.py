"""A rebuild in parts: a view whose rows each depend on one aggregate's events alone (the
facts) is replayed by several worker processes at once, each for one range of aggregate ids.

Each part reads only its aggregates' events, in store order, up to the position the
rebuild started at, and writes their rows into the copy being rebuilt (``View.rebuild``);
no two parts ever write the same row. The copy's position is recorded once every part is
in, so a part that fails leaves nothing anyone reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import attrs
from eventsourcing.persistence import Tracking

from closedloop.application.id_ranges import IdRange, RangeReader
from closedloop.application.store import EventStoreApp
from closedloop.projections.projection import (
    PAGE_SIZE,
    Page,
    Progress,
    Projection,
    Rows,
    View,
    replays,
)
from closedloop.projections.rows import Write, open_rows
from closedloop.projections.workers import Workers, least_of


@attrs.frozen
class Split:
    """A ``Stage`` for ``View.rebuild``: the copy filled by ``workers``, a range of ids each."""

    workers: Workers

    def __call__(self, view: View, progress: Progress | None) -> None:
        stop = view.projection.store.recorder.max_notification_id() or 0
        kind = type(view.projection)
        parts = [(kind, view.name, ids, stop) for ids in IdRange.split(self.workers.count)]
        self.workers.run(replay_part, parts, least_of(progress, stop))
        view.recorder.write(view.name, {}, Tracking(view.tracking_name, stop))


def replay_part(
    store: EventStoreApp,
    kind: type[Projection],
    name: str,
    ids: IdRange,
    stop: int,
    report: Callable[[int], None],
) -> None:
    """Replay the events of the aggregates in ``ids`` up to ``stop`` into view ``name``'s
    rows, a page per transaction, without a position (``Write``), reporting each page's."""
    recorder, projection = open_rows(store), kind(store)
    reader = cast(RangeReader, store.recorder)
    after = 0
    report(after)
    with replays.fewer():
        while page := reader.select_range(ids, after, stop, PAGE_SIZE):
            rows = Rows(recorder, name)
            projection.apply_page(Page(page, store.mapper), rows)
            recorder.write_all([Write(name, rows.changes(), None)])
            after = page[-1].id
            report(after)
    report(stop)
