"""L7 for the projection machinery, on every store: a page is applied whole or not at all,
a crashed view resumes where it stopped and ends equal to a rebuild, no event is applied
twice even when two runners race, and a view lives in the store beside the events."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from closedloop import ClosedLoop, FixedClock
from closedloop.application.store import EventStoreApp
from closedloop.projections import audit_verify, projection
from closedloop.projections.audit import AuditTrail
from closedloop.projections.projection import Page, Projection, Rows, View, run
from closedloop.projections.rows import open_rows
from tests.audit_tamper import history

STEPS = ["approved", "rejected", "submitted", "approved"]  # 15 events


class Crash(Exception):
    pass


class CrashingTrail(AuditTrail):
    """The audit trail, crashing once when it reaches ``crash_at``."""

    def __init__(self, store: EventStoreApp, crash_at: int) -> None:
        super().__init__(store)
        self.crash_at: int | None = crash_at

    def apply_page(self, page: Page, rows: Rows) -> None:
        """One event at a time, so the crash comes after part of the page was applied."""
        for notification in page.notifications:
            if notification.id == self.crash_at:
                self.crash_at = None
                raise Crash(f"crashed at {notification.id}")
            self.apply(notification, rows)


class Counter(Projection):
    """Counts events and marks each one seen: an event applied twice counts twice."""

    name = "counter"

    def __init__(self, store: EventStoreApp, before: Callable[[], None] | None = None) -> None:
        super().__init__(store)
        self.before = before
        self.applied = 0

    def apply(self, notification: Notification, rows: Rows) -> None:
        if self.before is not None:
            before, self.before = self.before, None
            before()
        self.applied += 1
        rows.put(f"seen:{notification.id:020d}", True)
        rows.put("count", (rows.get("count") or 0) + 1)


class Recounter(Counter):
    """A second counting view, under a name of its own."""

    name = "recounter"


def store_of(loop: ClosedLoop) -> EventStoreApp:
    return loop.reader().store


@pytest.fixture
def filled(loop: ClosedLoop) -> ClosedLoop:
    history(loop, STEPS)
    return loop


def test_L7_a_crash_in_the_middle_of_a_page_writes_nothing_and_resumes_equal_to_a_rebuild(
    filled: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "PAGE_SIZE", 4)
    store = store_of(filled)
    view = View(CrashingTrail(store, crash_at=7), open_rows(store))
    with pytest.raises(Crash):
        view.catch_up()
    assert view.position == 4  # the first page stands, nothing of the second
    assert [key for key, _ in view.scan("e:")] == [f"e:{n:020d}" for n in range(1, 5)]
    assert view.catch_up() == 15
    resumed = dict(view.scan())
    assert view.rebuild() == 15
    assert dict(view.scan()) == resumed
    assert resumed["head"]["count"] == 15


def test_L7_no_event_is_applied_twice_when_another_runner_commits_the_same_page_first(
    filled: ClosedLoop,
) -> None:
    store = store_of(filled)
    rows = open_rows(store)
    other = View(Counter(store), rows)
    racer = Counter(store, before=other.catch_up)  # the other runner wins mid-page
    assert View(racer, rows).catch_up() == 15
    assert other.get("count") == 15  # the racer's page (counting on from 15) was refused
    assert racer.applied == 15  # ... whole; then there was nothing left to read
    assert len(list(other.scan("seen:"))) == 15


def test_L7_a_page_behind_the_recorded_position_is_refused_and_changes_nothing(
    filled: ClosedLoop,
) -> None:
    store = store_of(filled)
    view = View(Counter(store), open_rows(store))
    view.catch_up()
    before = dict(view.scan())
    with pytest.raises(IntegrityError):
        view.recorder.write(view.name, {"count": "0"}, Tracking(view.tracking_name, 15))
    assert dict(view.scan()) == before


def test_L7_queries_read_their_own_writes(filled: ClosedLoop) -> None:
    assert len(filled.audit_log()) == 15
    history(filled, ["draft"], first=2040)
    assert filled.audit_log()[-1]["event_type"] == "Listed"
    assert len(filled.audit_log()) == 17


def test_L7_rebuild_gives_the_view_kept_live(filled: ClosedLoop) -> None:
    live = filled.audit_log()
    history(filled, ["approved"], first=2041)
    live += filled.audit_log()[len(live) :]
    assert filled.rebuild() == dict.fromkeys(filled.views(), 19)
    assert filled.audit_log() == live


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_L7_a_view_lives_in_the_store_and_resumes_in_another_process(
    kind: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import PG_URL

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/views.db"
    else:
        url = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as first:
        history(first, STEPS)
        counted = View(Counter(store_of(first)), open_rows(store_of(first)))
        counted.catch_up()
    with ClosedLoop(url, clock=clock) as second:
        history(second, ["draft"], first=2050)
        counter = Counter(store_of(second))
        again = View(counter, open_rows(store_of(second)))
        assert again.position == 15
        assert again.catch_up() == 17
        assert counter.applied == 2
        assert again.get("count") == 17


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_L7_two_instances_catching_up_at_once_apply_each_event_once(
    kind: str, tmp_path: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import PG_URL

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/race.db"
    else:
        url = f"{PG_URL}?schema={request.getfixturevalue('pg_schema')}"
    monkeypatch.setattr(projection, "PAGE_SIZE", 2)
    clock = FixedClock("2026-01-05T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as one, ClosedLoop(url, clock=clock) as two:
        history(one, STEPS)
        views = [View(Counter(store_of(loop)), open_rows(store_of(loop))) for loop in (one, two)]
        with ThreadPoolExecutor(2) as pool:
            positions = list(pool.map(lambda view: view.catch_up(), views))
        assert positions == [15, 15]
        assert views[0].get("count") == views[1].get("count") == 15


def test_L7_a_refusal_that_is_not_another_runners_progress_is_raised_not_retried(
    mem_loop: ClosedLoop,
) -> None:
    history(mem_loop, ["draft"])
    store = store_of(mem_loop)
    rows = open_rows(store)

    def refuse(*_: object) -> None:
        raise IntegrityError("refused")

    rows.write_all = refuse  # type: ignore[method-assign]
    view = View(Counter(store), rows)
    with pytest.raises(IntegrityError, match="refused"):
        view.catch_up()
    assert view.position == 0


def test_L7_a_follower_keeps_the_view_up_with_new_events(filled: ClosedLoop) -> None:
    store = store_of(filled)
    view = View(Counter(store), open_rows(store))
    stop = threading.Event()
    follower = threading.Thread(target=view.follow, args=(stop, 0.05))
    follower.start()
    try:
        view.recorder.wait(view.tracking_name, 15, timeout=10)
        history(filled, ["draft"], first=2060)
        view.recorder.wait(view.tracking_name, 17, timeout=10)
    finally:
        stop.set()
        follower.join(timeout=10)
    assert view.get("count") == 17
    assert not follower.is_alive()


def test_L7_views_caught_up_together_write_each_page_for_all_of_them_or_for_none(
    filled: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "PAGE_SIZE", 4)
    store = store_of(filled)
    rows = open_rows(store)
    counter, trail = View(Counter(store), rows), View(CrashingTrail(store, crash_at=7), rows)
    with pytest.raises(Crash):
        run([counter, trail])
    assert counter.position == trail.position == 4  # nothing of 5-8, for either view
    assert counter.get("count") == 4
    assert run([counter, trail]) == 15
    assert counter.get("count") == 15
    assert trail.get("head")["count"] == 15


def test_L7_views_at_different_positions_catch_up_together_each_from_its_own(
    filled: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "PAGE_SIZE", 4)
    store = store_of(filled)
    rows = open_rows(store)
    ahead, behind = View(Counter(store), rows), View(Recounter(store), rows)
    assert ahead.catch_up() == 15
    history(filled, ["draft"], first=2070)
    assert run([behind, ahead]) == 17
    assert ahead.get("count") == behind.get("count") == 17
    assert (ahead.projection.applied, behind.projection.applied) == (17, 17)  # type: ignore[attr-defined]


def test_L7_a_replay_collects_cycles_less_often_and_restores_the_collector_after(
    filled: ClosedLoop,
) -> None:
    """While views replay, the collector's youngest threshold is raised (a fifth of a
    rebuild went to collections); after the last replay of the process it is as before,
    however replays nest or overlap."""
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    store = store_of(filled)
    view = View(Counter(store, before=lambda: seen.append(gc.get_threshold())), open_rows(store))
    with projection.replays.fewer():  # another replay, still running when this one ends
        view.catch_up()
        assert gc.get_threshold()[0] == projection.REPLAY_COLLECTION_THRESHOLD
    assert seen == [(projection.REPLAY_COLLECTION_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before


def test_audit_verify_walks_the_store_with_the_collector_as_a_replay_has_it(
    filled: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verify walks every event too (in the benchmark's run, a fifth of it went to
    collections at the default threshold); the collector is restored after."""
    before, seen = gc.get_threshold(), []
    walk = audit_verify.pages

    def pages(*args: Any) -> Any:
        for page in walk(*args):
            seen.append(gc.get_threshold())
            yield page

    monkeypatch.setattr(audit_verify, "pages", pages)
    assert filled.audit_verify()["verified"]
    assert seen
    assert set(seen) == {(projection.REPLAY_COLLECTION_THRESHOLD, *before[1:])}
    assert gc.get_threshold() == before
