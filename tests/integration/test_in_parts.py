"""Replays in parts, on every store other processes can open. L7: a rebuild is built beside
the live view and takes its place at once, and the facts rebuilt by several processes, each
for a range of aggregates, equal the live view and a rebuild in one process. L8: the chain
walked in parts by worker processes verifies as one walk does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import run_demo
from closedloop.adapters.store import open_store
from closedloop.application.id_ranges import IdRange, RangeReader
from closedloop.application.store import EventStoreApp
from closedloop.domain.errors import AuditFailure, InvalidInput, StoreUnavailable
from closedloop.projections.facts import Facts
from closedloop.projections.projection import REBUILDING
from closedloop.projections.split import Split
from closedloop.projections.workers import MOST_WORKERS, SentError, Workers
from tests.audit_tamper import history
from tests.conftest import PG_URL


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A store holding the demo's year (every kind of aggregate), shared by this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('parts') / 'demo.db'}"
        schema = None
    else:
        from tests.conftest import PG_DSN, require_postgres

        require_postgres()
        import psycopg

        schema = f"t_parts_{id(request):x}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{PG_URL}?schema={schema}"
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop(url, clock=clock) as loop:
        run_demo(loop, clock)
    yield url
    if schema is not None:
        import psycopg

        from tests.conftest import PG_DSN

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def facts(loop: ClosedLoop) -> dict[str, Any]:
    return dict(loop._views[Facts.name].scan())


def leftovers(loop: ClosedLoop) -> list[tuple[str, str]]:
    view = loop._views[Facts.name]
    return list(view.recorder.scan(view.name + REBUILDING))


def test_L7_facts_rebuilt_in_parts_equal_the_live_view_and_a_rebuild_in_one_process(
    demo_url: str,
) -> None:
    with ClosedLoop(demo_url) as loop:
        loop.catch_up()
        live, last = facts(loop), loop.position()
        assert len(live) > 100  # targets, plans, activities, customers, risks …
        told: list[tuple[int, int]] = []
        assert loop.rebuild(workers=3, progress=lambda *at: told.append(at)) == dict.fromkeys(
            loop.views(), last
        )
        assert facts(loop) == live
        assert told[0][0] < last  # the parts' least position, as they go
        assert [done for done, _ in told] == sorted(done for done, _ in told)
        assert told[-1] == (last, last)
        assert loop._views[Facts.name].position == last
        assert leftovers(loop) == []
        assert loop.rebuild(Facts.name, workers=1) == {Facts.name: last}
        assert facts(loop) == live


def test_each_range_reads_its_own_aggregates_events_in_store_order_up_to_the_stop(
    demo_url: str,
) -> None:
    store = open_store(demo_url)
    try:
        last = store.recorder.max_notification_id() or 0
        stop = last - 7
        every = store.recorder.select_notifications(start=1, limit=last, stop=stop)
        reader: RangeReader = store.recorder  # type: ignore[assignment]
        parts = []
        for ids in IdRange.split(3):
            read, after = [], 0
            while page := reader.select_range(ids, after, stop, 100):
                read += page
                after = page[-1].id
            assert [n.id for n in read] == sorted(n.id for n in read)
            assert all(_inside(ids, str(n.originator_id)) for n in read)
            parts.append(read)
        assert all(parts)  # the demo's ids fall in every range
        assert sorted((n for part in parts for n in part), key=lambda n: n.id) == list(every)
    finally:
        store.close()


def _inside(ids: IdRange, text: str) -> bool:
    return (ids.first is None or ids.first <= text) and (ids.end is None or text < ids.end)


def refused(url: str) -> EventStoreApp:
    """A worker's opener that fails: sent to the worker by name, as ``open_store`` is."""
    raise StoreUnavailable(f"cannot open store {url}: refused in the worker")


def test_L7_a_failed_part_is_raised_and_leaves_the_live_view_as_it_was(demo_url: str) -> None:
    with ClosedLoop(demo_url) as loop:
        loop.catch_up()
        live, view = facts(loop), loop._views[Facts.name]
        with pytest.raises(StoreUnavailable, match="refused in the worker"):
            view.rebuild(stage=Split(Workers(demo_url, refused, 2)))
        assert facts(loop) == live
        assert leftovers(loop) == []


def test_an_error_a_worker_sends_comes_back_with_its_own_attributes() -> None:
    error = AuditFailure(12, "the stored event is not the one the trail recorded")
    back = SentError.of(error).error()
    assert type(back) is AuditFailure
    assert (back.position, str(back)) == (12, str(error))


def test_L7_a_rebuild_overtaken_by_a_runner_catches_up_again_before_taking_its_place(
    mem_loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(mem_loop, ["approved", "draft"])
    view = mem_loop._views[Facts.name]
    view.catch_up()
    replace, calls = view.recorder.replace, []

    def overtaken(*names: str) -> bool:
        calls.append(view.position)
        if len(calls) == 1:  # another runner applies new events to the live view first
            history(mem_loop, ["submitted"], first=2090)
            view.catch_up()
        return replace(*names)

    monkeypatch.setattr(view.recorder, "replace", overtaken)
    assert view.rebuild() == mem_loop.position()
    assert len(calls) == 2
    rebuilt = facts(mem_loop)
    monkeypatch.undo()
    view.rebuild()
    assert facts(mem_loop) == rebuilt
    assert any("REV-2090" in str(row) for row in rebuilt.values())


@pytest.mark.parametrize("workers", [0, MOST_WORKERS + 1, "some", True, 1.5])
def test_a_replay_refuses_a_worker_count_it_cannot_have(mem_loop: ClosedLoop, workers: Any) -> None:
    for replay in (mem_loop.rebuild, mem_loop.audit_verify, mem_loop.catch_up):
        with pytest.raises(InvalidInput, match="workers"):
            replay(workers=workers)
    with pytest.raises(InvalidInput, match="workers"):
        mem_loop.catch_up(Facts.name, workers=workers)


def test_a_store_held_in_memory_is_rebuilt_in_one_process(mem_loop: ClosedLoop) -> None:
    history(mem_loop, ["approved"])
    with pytest.raises(InvalidInput, match="in memory cannot be opened by other processes"):
        mem_loop.rebuild(workers=2)
    assert mem_loop.rebuild(workers="auto") == dict.fromkeys(mem_loop.views(), mem_loop.position())
    assert mem_loop.audit_verify(workers="auto")["position"] == mem_loop.position()


def test_L8_the_chain_walked_in_worker_processes_verifies_as_one_walk_does(demo_url: str) -> None:
    with ClosedLoop(demo_url) as loop:
        assert loop.audit_verify(workers=3) == loop.audit_verify()


def test_L7_views_caught_up_each_by_a_worker_of_its_own_equal_views_caught_up_together(
    demo_url: str,
) -> None:
    with ClosedLoop(demo_url) as loop:
        loop.catch_up()
        views = [loop._views[name] for name in loop.views()]
        before = [dict(view.scan()) for view in views]
        for view in views:
            view.recorder.clear(view.name, view.tracking_name)
        assert loop._views.behind() == loop.position()
        assert loop.catch_up(workers=2) == dict.fromkeys(loop.views(), loop.position())
        assert [dict(view.scan()) for view in views] == before


def test_L7_a_stop_ends_the_views_workers_and_leaves_each_view_where_a_page_ended(
    demo_url: str,
) -> None:
    stop = threading.Event()
    stop.set()
    with ClosedLoop(demo_url) as loop:
        loop.catch_up()
        facts = loop._views[Facts.name]
        facts.recorder.clear(facts.name, facts.tracking_name)
        assert loop.catch_up(stop=stop, workers=2)[Facts.name] == 0
        assert facts.position == 0
        assert list(facts.scan()) == []
