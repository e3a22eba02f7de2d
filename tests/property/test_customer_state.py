"""A customer's packed state, for any sequence: R-C4's running 12-month spend equals the exact
sum, queued changes give what applying them at once gives, and L7: a customer loaded from a
snapshot (at any point, through the store's JSON) equals the full replay, and records the
same next purchase."""

from __future__ import annotations

import bisect
import contextlib
import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, Money, RuleViolation
from closedloop.application.transcodings import register_all
from closedloop.domain.customer import Customer
from closedloop.domain.customer_state import YEAR, PointsLots, RecentPurchases
from closedloop.domain.customer_values import PointsLot, Purchase
from closedloop.domain.money import exact_sum
from closedloop.domain.policy import CustomerPolicy
from tests.customer_scenario import bare_customer

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
ACTOR = Actor("li.marketer")
POLICY = CustomerPolicy(points_valid_days=90, core_spend=Decimal(300), core_purchases=3)

amounts = st.builds(
    lambda units, places: Decimal(units).scaleb(-places), st.integers(1, 99_999), st.integers(0, 3)
)
#: (days after the previous purchase, how many days back it is dated, its amount)
purchases = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 500), amounts), max_size=40)


def _day(purchase: Purchase) -> date:
    return purchase.on


@settings(max_examples=200, deadline=None)
@given(purchases, st.integers(0, 40), st.lists(st.integers(-400, 400), max_size=5))
def test_R_C4_the_running_12_month_spend_equals_the_exact_sum(
    plan: list[tuple[int, int, Decimal]], cut: int, offsets: list[int]
) -> None:
    """Purchases dated back or not, amounts with any places; packed at any point, the rest
    queued: the spend and count for any day equal the sum over the purchases of that year
    (all of them, for a day not before the latest), written with the same places, and the
    list equals the plain one."""
    recent, plain = RecentPurchases(), list[Purchase]()
    every: list[Purchase] = []
    today, latest = AT.date(), AT.date()
    for n, (wait, back, amount) in enumerate(plan):
        if n == cut:
            recent = RecentPurchases(recent.packed)
        today += timedelta(days=wait)
        purchase = Purchase(f"O-{n}", today - timedelta(days=back), Money(amount), "", 0)
        latest = max(latest if every else purchase.on, purchase.on)
        every.append(purchase)
        recent.add(purchase, latest)
        bisect.insort(plain, purchase, key=_day)  # the list as kept before the running sum
        del plain[: bisect.bisect_right(plain, latest - YEAR, key=_day)]
    assert list(recent) == plain
    for offset in offsets:
        day = latest + timedelta(days=offset)
        pool = every if day >= latest else plain
        year = [p.amount.amount for p in pool if day - YEAR < p.on <= day]
        spend, count = recent.year_to(day)
        assert (str(spend), count) == (str(exact_sum(year)), len(year))  # places too


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 50), st.integers(0, 60)), max_size=30),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 60), st.integers(0, 60)), max_size=15),
    st.integers(0, 60),
)
def test_R_C5_lots_taken_while_packed_are_what_taking_them_at_once_leaves(
    earned: list[tuple[int, int]], steps: list[tuple[int, int, int]], asked: int
) -> None:
    """Lots added and points taken after a snapshot are queued, and give the same lots;
    what has lapsed on any day is what a scan of every lot finds."""

    def lot(name: str, points: int, days: int) -> PointsLot:
        return PointsLot(name, points, points, AT.date(), AT.date() + timedelta(days=days), "")

    start = [lot(f"L{n}", points, days) for n, (points, days) in enumerate(earned)]
    at_once, packed = PointsLots.of_rows(start), PointsLots(PointsLots.of_rows(start).packed)
    for n, (taken, points, days) in enumerate(steps):
        held = {held.id: held.remaining for held in at_once}
        for lots in (at_once, packed):
            if n % 3 == 0:
                lots.lapsed(AT.date())  # asked between changes, as purchases do
            lots.add(lot(f"M{n}", points, days))
            if f"L{taken}" in held:
                lots.take({f"L{taken}": min(points, held[f"L{taken}"])})
    clone = copy.deepcopy(packed)
    assert packed == at_once == clone == PointsLots(packed.packed)
    assert list(packed) == list(at_once)
    day = AT.date() + timedelta(days=asked)
    scan = {held.id: held.remaining for held in at_once if held.expires_on <= day}
    assert packed.lapsed(day) == at_once.lapsed(day) == clone.lapsed(day) == scan


def customer() -> Customer:
    return bare_customer(ACTOR, AT)


steps = st.one_of(
    st.tuples(st.just("buy"), amounts, st.integers(0, 400)),  # amount, days dated back
    st.tuples(st.just("redeem"), st.integers(1, 3_000)),
    st.tuples(st.just("wait"), st.integers(1, 90)),
)


def through_the_store(snapshot: Any, coder: JSONTranscoder) -> Any:
    """The snapshot as the store gives it back: its state encoded to JSON and decoded."""
    return type(snapshot)(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state=coder.decode(coder.encode(snapshot.state)),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(steps, max_size=40), st.integers(0, 40))
def test_L7_a_customer_from_a_snapshot_at_any_point_equals_the_full_replay(
    plan: list[tuple[Any, ...]], cut: int
) -> None:
    coder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):  # the library's own
        coder.register(transcoding)
    register_all(coder)
    subject, at, snapshot = customer(), AT, None
    events: list[Any] = []
    for n, step in enumerate(plan):
        if n == cut:
            events += subject.collect_events()
            snapshot = through_the_store(Customer.Snapshot.take(subject), coder)
        if step[0] == "buy":
            on = max(AT.date(), (at - timedelta(days=step[2])).date())
            amount = Money(step[1])
            subject.record_purchase(
                ACTOR, at, order=f"O-{n}", on=on, amount=amount, category="", policy=POLICY
            )
        elif step[0] == "redeem":
            with contextlib.suppress(RuleViolation):  # more than available
                subject.redeem(ACTOR, at, request_id=f"R-{n}", points=step[1], reward="")
        else:
            at += timedelta(days=step[1])
    events += subject.collect_events()
    if snapshot is None:  # the cut is at the end
        snapshot = through_the_store(Customer.Snapshot.take(subject), coder)
    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)
    loaded = snapshot.mutate(None)
    for event in events[loaded.version :]:
        loaded = event.mutate(loaded)
    assert vars(loaded) == vars(replayed) == vars(subject)
    for one in (loaded, replayed):
        one.record_purchase(
            ACTOR, at, order="next", on=at.date(), amount=Money(500), category="", policy=POLICY
        )
    assert vars(loaded) == vars(replayed)
    recorded = [vars(event) for event in replayed.collect_events()]
    assert [vars(event) for event in loaded.collect_events()] == recorded
    assert recorded
