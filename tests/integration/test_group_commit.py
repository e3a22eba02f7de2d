"""Group commit: commands issued at once from several threads share one transaction, and
each stays all or nothing for itself (R-G4), on every store.

The batches are made certain, not hoped for: :class:`Together` holds each command after it
was handled (in ``UnitOfWork.stage``) until all of them have been, so they reach the group
commit at once; a spy on the store's ``save`` counts the transactions and their events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from closedloop import (
    Batching,
    ClosedLoop,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    RuleViolation,
    StoreUnavailable,
)
from closedloop.application import dispatcher, group_commit
from closedloop.application.unit_of_work import Staged, UnitOfWork
from closedloop.domain.ids import aggregate_id
from closedloop.domain.target import Target
from tests.cast import LI
from tests.customer_scenario import NAME, PHONE, read, register
from tests.integration.test_concurrency_threads import recorded, recording, together
from tests.scenario import approved_revenue_target, draft_revenue_target

#: Long, so a slow machine still batches; the batch closes as soon as all have arrived.
BATCHING = Batching(window=0.5, max_batch=64)


class Together:
    """Holds each thread's first ``UnitOfWork.stage`` until ``parties`` commands were
    handled (a retry runs unheld)."""

    def __init__(self, parties: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)
        self.local = threading.local()
        original = UnitOfWork.stage

        def held(uow: UnitOfWork) -> Any:
            if not getattr(self.local, "arrived", False):
                self.local.arrived = True
                self.barrier.wait()
            return original(uow)

        monkeypatch.setattr(UnitOfWork, "stage", held)


class Saves:
    """Spies on the group commit's transactions: how many commands and events each one
    tried, and whether it committed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[int, int, bool]] = []
        original = group_commit.save_staged

        def spied(store: Any, staged: Any) -> int:
            commands = list(staged)
            events = sum(len(command.events) for command in commands)
            try:
                recorded = original(store, commands)
            except Exception:
                self.calls.append((len(commands), events, False))
                raise
            self.calls.append((len(commands), events, True))
            return recorded

        monkeypatch.setattr(group_commit, "save_staged", spied)

    @property
    def committed(self) -> list[tuple[int, int]]:
        """Commands and events of each committed transaction."""
        return [(commands, events) for commands, events, ok in self.calls if ok]

    @property
    def failed(self) -> int:
        return sum(1 for *_, ok in self.calls if not ok)


def actual(loop: ClosedLoop, ref: str) -> Any:
    """An actual of 5 recorded for target ``ref``."""
    args = {"target": ref, "value": "5", "as_of": "2026-01-31", "source": "ERP"}
    return loop.execute("target.record_actual", LI, args)


def unstorable(
    loop: ClosedLoop, monkeypatch: pytest.MonkeyPatch, which: Callable[[Any], bool]
) -> None:
    """The events ``which`` picks cannot be stored: the mapper raises on them."""
    mapper = loop._store.events.mapper
    original = mapper.to_stored_event

    def failing(event: Any) -> Any:
        if which(event):
            raise ValueError("injected: this event cannot be stored")
        return original(event)

    monkeypatch.setattr(mapper, "to_stored_event", failing)


@pytest.fixture
def grouped(store_url: str, clock: FixedClock) -> Iterator[ClosedLoop]:
    with ClosedLoop(store_url, clock=clock, group_commit=BATCHING) as instance:
        yield instance


def test_commands_from_many_threads_all_land_exactly_once(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    for n in range(4):
        approved_revenue_target(grouped, f"T-{n}")
    saves = Saves(monkeypatch)
    threads, each = 8, 6
    values: dict[int, list[str]] = {t: [] for t in range(threads)}

    def writer(number: int) -> None:
        for n in range(each):
            value = f"{number}{n:03d}"
            args = {"target": f"T-{number % 4}", "value": value, "as_of": "2026-01-31"}
            grouped.execute("target.record_actual", LI, {**args, "source": "ERP"})
            draft_revenue_target(grouped, f"NEW-{number}-{n}")
            values[number].append(value)

    outcomes = together(*(lambda number=t: writer(number) for t in range(threads)))

    assert outcomes == [None] * threads
    landed = [
        str(m.value) for n in range(4) for m in grouped.reader().get(Target, f"T-{n}").measurements
    ]
    assert sorted(landed) == sorted(str(Decimal(v)) for vs in values.values() for v in vs)
    refs = [t.ref for t in grouped.reader().all(Target)]
    new = sorted(r for r in refs if r.startswith("NEW-"))
    assert new == sorted(f"NEW-{t}-{n}" for t in range(threads) for n in range(each))
    assert len(refs) == len(set(refs)) == 5 + threads * each  # each listed exactly once
    assert sum(commands for commands, _ in saves.committed) == 2 * threads * each


def test_two_commands_of_a_batch_on_one_aggregate_the_loser_is_retried_the_rest_commit(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    Together(3, monkeypatch)
    saves = Saves(monkeypatch)

    outcomes = together(
        recording(grouped, "1"),
        recording(grouped, "2"),
        lambda: draft_revenue_target(grouped, "OTHER"),
    )

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sorted(recorded(grouped)) == [Decimal(1), Decimal(2)]
    assert grouped.reader().get(Target, "REV-2026").version == 5
    assert grouped.reader().get(Target, "OTHER").version == 1
    # The clash is seen before writing: the batch commits without the later of the two,
    # which loses without a transaction and is saved again on fresh state.
    assert saves.calls == [(2, 2, True), (1, 1, True)]


def test_R_G4_a_command_kept_out_of_its_batch_by_a_clash_commits_when_the_earlier_one_fails(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    unstorable(grouped, monkeypatch, lambda event: getattr(event, "value", None) == Decimal(1))
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()
    original_stage = UnitOfWork.stage

    def one_then_two(uow: UnitOfWork) -> Any:
        """Both are handled before either joins the batch; the failing one joins first."""
        if not getattr(local, "arrived", False):
            local.arrived = True
            barrier.wait()
            if uow.loaded()[0].pending_events[0].value == Decimal(2):  # type: ignore[attr-defined]
                time.sleep(0.1)
        return original_stage(uow)

    monkeypatch.setattr(UnitOfWork, "stage", one_then_two)
    saves = Saves(monkeypatch)

    outcomes = together(recording(grouped, "1"), recording(grouped, "2"))

    assert isinstance(outcomes[0], ValueError), outcomes
    assert isinstance(outcomes[1], dict), outcomes
    assert recorded(grouped) == [Decimal(2)]
    assert [(commands, ok) for commands, _, ok in saves.calls] == [(1, False), (1, True)]


def test_a_loser_that_stated_its_expected_version_gets_a_conflict_the_rest_commit(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    Together(3, monkeypatch)

    outcomes = together(
        recording(grouped, "1", expected_version=3),
        recording(grouped, "2", expected_version=3),
        lambda: draft_revenue_target(grouped, "OTHER"),
    )

    conflicts = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(conflicts) == 1, outcomes
    assert len(recorded(grouped)) == 1
    assert grouped.reader().get(Target, "OTHER").version == 1


def test_R_G4_a_command_failing_to_save_in_a_batch_leaves_the_others_committed_and_itself_absent(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    bad = aggregate_id(Target.KIND, "BAD")
    unstorable(grouped, monkeypatch, lambda event: event.originator_id == bad)
    Together(3, monkeypatch)
    saves = Saves(monkeypatch)

    outcomes = together(
        recording(grouped, "1"),
        lambda: draft_revenue_target(grouped, "BAD"),
        lambda: draft_revenue_target(grouped, "GOOD"),
    )

    assert isinstance(outcomes[0], dict), outcomes
    assert isinstance(outcomes[1], ValueError), outcomes
    assert isinstance(outcomes[2], dict), outcomes
    assert recorded(grouped) == [Decimal(1)]
    assert [t.ref for t in grouped.reader().all(Target)] == ["REV-2026", "GOOD"]
    assert [commands for commands, _, ok in saves.calls if not ok] == [3, 1]  # batch, BAD


def test_a_store_failure_in_a_batch_fails_each_command_clearly_and_records_nothing(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    before = grouped.position()
    events = grouped._store.events

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("injected: connection refused")

    monkeypatch.setattr(events, "put", unreachable)
    Together(2, monkeypatch)

    outcomes = together(recording(grouped, "1"), lambda: draft_revenue_target(grouped, "X"))

    assert all(isinstance(o, StoreUnavailable) for o in outcomes), outcomes
    assert "connection refused" in str(outcomes[0])
    monkeypatch.undo()
    assert grouped.position() == before


def test_R_G4_a_refused_command_never_enters_the_batch_and_fails_no_other(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    approved_revenue_target(grouped, "OTHER")
    draft_revenue_target(grouped, "DRAFT")  # not approved: recording an actual is refused
    before = grouped.position()
    saves = Saves(monkeypatch)
    Together(2, monkeypatch)

    def actual(ref: str) -> Any:
        args = {"target": ref, "value": "5", "as_of": "2026-01-31", "source": "ERP"}
        return grouped.execute("target.record_actual", LI, args)

    outcomes = together(recording(grouped, "1"), lambda: actual("DRAFT"), lambda: actual("OTHER"))

    assert isinstance(outcomes[1], RuleViolation), outcomes
    assert recorded(grouped) == [Decimal(1)]
    assert grouped.position() == before + 2
    assert saves.calls == [(2, 2, True)]  # one transaction: the two accepted recordings


def test_request_records_share_their_commands_transaction_and_a_retry_records_nothing(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    approved_revenue_target(grouped)
    saves = Saves(monkeypatch)
    Together(4, monkeypatch)
    calls = [recording(grouped, str(n), request_id=f"req-{n}") for n in range(3)]
    calls.append(recording(grouped, "0", request_id="req-0"))  # a duplicate, at once

    outcomes = together(*calls)

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert outcomes[0] == outcomes[3]  # the duplicate got the first one's result
    assert sorted(recorded(grouped)) == [Decimal(0), Decimal(1), Decimal(2)]
    monkeypatch.undo()
    position = grouped.position()
    assert recording(grouped, "1", request_id="req-1")() == outcomes[1]
    assert grouped.position() == position
    # One commits its event and its request's record; the others, on the same target,
    # clash with it and run again (the duplicate then finds the first one's record).
    assert saves.calls[0] == (1, 2, True)


def test_personal_data_keys_are_stored_before_the_grouped_events_that_need_them(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = Saves(monkeypatch)
    Together(4, monkeypatch)

    outcomes = together(*(lambda n=n: register(grouped, f"C-{n}") for n in range(4)))

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert saves.committed == [(4, 4)]
    monkeypatch.undo()
    for n in range(4):
        personal = read(grouped, f"C-{n}")
        assert NAME in str(personal)
        assert PHONE in str(personal)


def test_batching_outside_its_bounds_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="window is 0 to 1 seconds"):
        Batching(window=2)
    with pytest.raises(InvalidInput, match="batch size is at least 1"):
        Batching(max_batch=0)


def test_a_lone_command_does_not_wait_for_the_window(tmp_path: Path) -> None:
    with ClosedLoop(f"sqlite:///{tmp_path}/one.db", group_commit=Batching(window=1)) as loop:
        approved_revenue_target(loop)
        started = time.monotonic()
        recording(loop, "1")()
        assert time.monotonic() - started < 0.5


def test_a_batch_closes_when_its_last_command_arrives_not_at_the_windows_end(
    store_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The leader is woken only when the batch may close: the last arrival must wake it."""
    with ClosedLoop(store_url, clock=clock, group_commit=Batching(window=1)) as loop:
        for n in range(4):
            approved_revenue_target(loop, f"T-{n}")
        saves = Saves(monkeypatch)
        Together(4, monkeypatch)

        started = time.monotonic()
        outcomes = together(*(lambda n=n: actual(loop, f"T-{n}") for n in range(4)))

        assert time.monotonic() - started < 0.5
        assert all(isinstance(o, dict) for o in outcomes), outcomes
        assert saves.committed == [(4, 4)]


def test_sqlite_files_are_flushed_at_every_commit(tmp_path: Path) -> None:
    """Durability is unchanged by batching: ``synchronous=FULL`` on the store's connections."""
    with ClosedLoop(f"sqlite:///{tmp_path}/durable.db") as loop:
        approved_revenue_target(loop)
        with loop._store.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("off", None), ("", Batching()), ("5", Batching(window=0.005)), (" 0 ", Batching(window=0))],
)
def test_a_servers_group_commit_setting_is_off_or_a_window_in_milliseconds(
    setting: str, expected: Batching | None
) -> None:
    assert Batching.from_setting(setting) == expected


def test_a_malformed_group_commit_setting_is_invalid_input_naming_the_variable() -> None:
    with pytest.raises(InvalidInput, match="CLOSEDLOOP_GROUP_COMMIT is 'off' or a window"):
        Batching.from_setting("fast")


def test_a_batch_takes_at_most_max_batch_commands_the_rest_lead_the_next(
    store_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ClosedLoop(store_url, clock=clock, group_commit=Batching(0.5, 2)) as small:
        for n in range(5):
            approved_revenue_target(small, f"T-{n}")
        saves = Saves(monkeypatch)
        Together(5, monkeypatch)

        outcomes = together(*(lambda n=n: actual(small, f"T-{n}") for n in range(5)))

        assert all(isinstance(o, dict) for o in outcomes), outcomes
        assert sorted(commands for commands, _ in saves.committed) == [1, 2, 2]


def staged_on_one_version(loop: ClosedLoop, clock: FixedClock) -> list[Staged]:
    """Actuals 1 and 2 staged both on version 3 of the target, as two threads would have
    staged them."""
    staged = []
    for value in ("1", "2"):
        uow = UnitOfWork(loop._store, loop.policy, clock.now())
        uow.get(Target, "REV-2026").record_actual(
            LI, clock.now(), Decimal(value), clock.now().date(), "ERP"
        )
        command = uow.stage()
        assert command is not None
        staged.append(command)
    return staged


def test_R_G4_a_command_staged_on_a_version_committed_since_fails_without_a_transaction(
    grouped: ClosedLoop, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staged while an earlier batch wrote the same aggregate: the cache shows its version
    taken, so it cannot fail the batch it would have joined."""
    approved_revenue_target(grouped)
    staged = staged_on_one_version(grouped, clock)
    saves = Saves(monkeypatch)
    group = grouped._dispatcher.group_commit
    assert group is not None

    group.save(staged[0])
    with pytest.raises(IntegrityError):
        group.save(staged[1])

    assert saves.calls == [(1, 1, True)]  # no transaction for the second
    assert recorded(grouped) == [Decimal(1)]


def test_a_command_that_lost_a_race_goes_before_first_tries_in_its_batch(
    grouped: ClosedLoop, clock: FixedClock
) -> None:
    """Two writers that keep meeting on one aggregate take turns: the one that lost last
    time wins this time, though it joined the batch second."""
    approved_revenue_target(grouped)
    staged = staged_on_one_version(grouped, clock)
    group = grouped._dispatcher.group_commit
    assert group is not None
    with group.arriving() as first_try, group.arriving() as retry:
        outcomes = together(
            lambda: group.save(staged[0], first_try, lost=0),
            lambda: (time.sleep(0.1), group.save(staged[1], retry, lost=1)),
        )

    assert isinstance(outcomes[0], group_commit.LostInProcess), outcomes
    assert recorded(grouped) == [Decimal(2)]


def test_a_command_that_lost_to_this_process_goes_again_at_once_on_the_cache(
    grouped: ClosedLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The winner's state is in the cache when the loser hears it lost: no back-off and
    no read of the store before it runs again (a race lost to another process has both)."""
    approved_revenue_target(grouped)
    Together(2, monkeypatch)
    waits: list[int] = []
    monkeypatch.setattr(dispatcher, "_back_off", waits.append)
    fresh: list[bool] = []
    original_init = UnitOfWork.__init__

    def spied(uow: UnitOfWork, *args: Any, **kwargs: Any) -> None:
        fresh.append(bool(kwargs.get("fresh", False)))
        original_init(uow, *args, **kwargs)

    monkeypatch.setattr(UnitOfWork, "__init__", spied)

    outcomes = together(recording(grouped, "1"), recording(grouped, "2"))

    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sorted(recorded(grouped)) == [Decimal(1), Decimal(2)]
    assert waits == []
    assert fresh == [False, False, False]  # two first tries, one retry
