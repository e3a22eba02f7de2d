"""The SQLite store's recorder makes each aggregate's id once, and reads exactly what the
library's recorder reads from the same file: every notification and event, equal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.sqlite import SQLiteApplicationRecorder

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import run_demo
from closedloop.application import sqlite_ids


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ids") / "demo.db"
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop(f"sqlite:///{path}", clock=clock) as loop:
        run_demo(loop, clock)
    return path


@pytest.fixture
def store(demo_file: Path) -> Iterator[ClosedLoop]:
    with ClosedLoop(f"sqlite:///{demo_file}") as loop:
        yield loop


@pytest.mark.parametrize("kept", [1, 3, sqlite_ids.IDS_KEPT])
def test_every_page_and_every_aggregates_events_read_as_the_librarys_recorder_reads_them(
    store: ClosedLoop, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    monkeypatch.setattr(sqlite_ids, "IDS_KEPT", kept)
    ours = store._store.recorder
    assert isinstance(ours, sqlite_ids.SQLiteIdsRecorder)
    library = SQLiteApplicationRecorder(datastore=ours.datastore)
    position, read = 0, 0
    while page := ours.select_notifications(start=position, limit=7, inclusive_of_start=False):
        assert page == library.select_notifications(
            start=position, limit=7, inclusive_of_start=False
        )
        assert len(ours._ids) <= kept
        position, read = page[-1].id, read + len(page)
    assert read == store.position() > 2000
    ids = {n.originator_id for n in library.select_notifications(start=0, limit=10**6)}
    for originator_id in ids:
        assert ours.select_events(originator_id) == library.select_events(originator_id)


def test_one_id_object_serves_every_event_of_an_aggregate(store: ClosedLoop) -> None:
    page = store._store.recorder.select_notifications(start=0, limit=1000)
    by_text: dict[str, set[int]] = {}
    for notification in page:
        by_text.setdefault(str(notification.originator_id), set()).add(
            id(notification.originator_id)
        )
    assert all(len(objects) == 1 for objects in by_text.values())
    assert len(by_text) < len(page)
