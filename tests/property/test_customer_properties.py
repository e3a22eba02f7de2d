"""Customer invariants for any sequence of commands: L5 (points), R-C6 (acyclic referrals),
R-C10 (churned and customers at a period's start as the rule gives them from the purchase days),
R-C3 (consent as of T from the events up to T alone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, ClosedLoop, FixedClock, Money, RuleViolation
from closedloop.domain.customer import Customer, referral_chain
from closedloop.domain.customer_values import Channel, PointsLot, Purpose, taken_from
from closedloop.domain.policy import CustomerPolicy
from tests.cast import LI
from tests.customer_scenario import bare_customer, register

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
ACTOR = Actor("li.marketer")
POLICY = CustomerPolicy(points_valid_days=60)


def customer(id: UUID | None = None) -> Customer:
    return bare_customer(ACTOR, AT, id)


def replayed(aggregate: Customer) -> Customer:
    """The aggregate rebuilt from the events it recorded (replay recomputes nothing)."""
    rebuilt: Any = None
    for event in aggregate.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, Customer)
    return rebuilt


# --- L5 points ---------------------------------------------------------------------------------

steps = st.one_of(
    st.tuples(st.just("buy"), st.integers(1, 5_000)),
    st.tuples(st.just("redeem"), st.integers(1, 3_000), st.integers(0, 4)),  # points, request
    st.tuples(st.just("expire")),
    st.tuples(st.just("wait"), st.integers(1, 45)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(steps, max_size=40))
def test_L5_points_balance_is_earned_minus_redeemed_minus_expired_and_never_negative(
    plan: list[tuple[Any, ...]],
) -> None:
    """R-C5 for any purchases, redemptions (request ids repeat), expiries and waits."""
    subject = customer()
    at = AT
    orders = 0
    redeemed: dict[str, int] = {}
    for step in plan:
        if step[0] == "buy":
            orders += 1
            subject.record_purchase(
                ACTOR,
                at,
                order=f"O-{orders}",
                on=at.date(),
                amount=Money(step[1], "CNY"),
                category="",
                policy=POLICY,
            )
        elif step[0] == "redeem":
            request, points = f"R-{step[2]}", step[1]
            available = subject.available(at.date())
            try:
                done = subject.redeem(ACTOR, at, request_id=request, points=points, reward="")
            except RuleViolation:
                assert redeemed.get(request, points) != points or points > available
            else:
                assert done == (request not in redeemed)
                redeemed.setdefault(request, points)
        elif step[0] == "expire":
            subject.expire_points(ACTOR, at)
            assert subject.lapsed(at.date()) == {}
        else:
            at += timedelta(days=step[1])
        lots = sum(lot.remaining for lot in subject.lots)
        assert subject.balance == subject.earned - subject.redeemed - subject.expired == lots
        assert subject.balance >= 0
        assert all(lot.remaining > 0 for lot in subject.lots)  # emptied lots are dropped
        assert len({lot.id for lot in subject.lots}) == len(subject.lots)
        assert subject.redeemed == sum(redeemed.values())
    rebuilt = replayed(subject)
    assert (rebuilt.earned, rebuilt.redeemed, rebuilt.expired, rebuilt.lots) == (
        subject.earned,
        subject.redeemed,
        subject.expired,
        subject.lots,
    )


# --- R-C6 referrals ----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=25))
def test_R_C6_referral_graphs_stay_acyclic(links: list[tuple[int, int]]) -> None:
    """Any attempts to record referrers: a refusal is exactly a self-referral, a second
    referrer or a cycle, and the graph never has a cycle."""
    people = [customer() for _ in range(6)]
    by_id = {c.id: c for c in people}
    referrer_of: dict[int, int] = {}
    for who, referrer in links:
        subject, by = people[who], people[referrer]

        def reaches(start: int, goal: int) -> bool:
            node: int | None = start
            while node is not None:
                if node == goal:
                    return True
                node = referrer_of.get(node)
            return False

        allowed = who != referrer and who not in referrer_of and not reaches(referrer, who)
        refused_by = None
        try:
            subject.record_referrer(ACTOR, AT, by, referral_chain(by, by_id.__getitem__))
        except RuleViolation as error:
            refused_by = error.rule
        assert refused_by == (None if allowed else "R-C6")
        if allowed:
            referrer_of[who] = referrer
    for person in people:
        chain = referral_chain(person, by_id.__getitem__)
        assert person.id not in chain
        assert len(chain) == len(set(chain))


# --- R-C3 consent as of T -----------------------------------------------------------------------

changes = st.lists(
    st.tuples(
        st.integers(0, 3),  # minutes after the previous change
        st.sampled_from(list(Channel)),
        st.sampled_from(list(Purpose)),
        st.booleans(),
    ),
    max_size=20,
)


@settings(max_examples=150, deadline=None)
@given(changes, st.integers(0, 70), st.sampled_from(list(Channel)), st.sampled_from(list(Purpose)))
def test_R_C3_consent_as_of_T_depends_only_on_the_events_up_to_T(
    plan: list[tuple[int, Channel, Purpose, bool]], minutes: int, channel: Channel, purpose: Purpose
) -> None:
    """Grants, withdrawals and grants again: the answer at T is the same for the whole history
    and for the history cut at T, and equals the last change up to T."""
    whole, cut = customer(), customer()
    at = AT
    moment = AT + timedelta(minutes=minutes)
    expected = False
    for gap, on, why, granted in plan:
        at += timedelta(minutes=gap)
        whole.record_consent(ACTOR, at, on, why, granted, "form")
        if at <= moment:
            cut.record_consent(ACTOR, at, on, why, granted, "form")
            if (on, why) == (channel, purpose):
                expected = granted
    assert whole.consent(channel, purpose, moment) == cut.consent(channel, purpose, moment)
    assert whole.consent(channel, purpose, moment) is expected
    assert replayed(whole).consent(channel, purpose, moment) is expected


def test_R_C3_the_store_answers_consent_as_of_T_from_the_events_up_to_T() -> None:
    """The same through time travel: views as of T replay only the events up to T."""
    clock = FixedClock(AT)
    with ClosedLoop("memory:", clock=clock) as loop:
        register(loop)
        moments = []
        for granted in (True, False, True):
            clock.advance(minutes=5)
            loop.execute(
                "customer.grant_consent" if granted else "customer.withdraw_consent",
                LI,
                {"customer": "C-1", "channel": "sms", "purpose": "care", "source": "form"},
            )
            moments.append(clock.now())
        answers = [loop.customer("C-1", as_of=t)["consent"]["sms"]["care"] for t in moments]
        assert answers == [True, False, True]
        assert loop.customer("C-1", as_of=AT)["consent"]["sms"]["care"] is False


@given(
    st.lists(st.integers(1, 50), max_size=30),
    st.data(),
)
def test_R_C5_taking_points_keeps_exactly_the_lots_with_points_left_in_earning_order(
    points: list[int], data: st.DataObject
) -> None:
    """Whatever lots a redemption or expiry takes from (front, middle, all, none)."""
    day = AT.date()
    lots = [PointsLot(f"L{n}", p, p, day, day, "purchase") for n, p in enumerate(points)]
    chosen = data.draw(st.lists(st.sampled_from(lots), unique=True) if lots else st.just([]))
    taken = {lot.id: data.draw(st.integers(1, lot.remaining)) for lot in chosen}
    left = taken_from(lots, taken)
    expected = [
        (lot.id, lot.remaining - taken.get(lot.id, 0))
        for lot in lots
        if lot.remaining > taken.get(lot.id, 0)
    ]
    assert [(lot.id, lot.remaining) for lot in left] == expected


# --- R-C10 churn -------------------------------------------------------------------------------

CHURN_AFTER = CustomerPolicy().churn_after_days
YEARS = ("2027", "2028", "2029", "2030")


def churns_by_the_rule(days: list[int], now: int) -> list[tuple[int, int | None]]:
    """R-C10 from the purchase days alone (day 0 is the registration): a churn begins
    ``churn_after_days`` after the last purchase when no purchase came before that day, and
    lasts until the next purchase (None: it still lasts ``now``)."""
    spans: list[tuple[int, int | None]] = []
    for last, following in zip([0, *days], [*days, None], strict=True):
        begins = last + CHURN_AFTER
        if following is None and begins <= now:
            spans.append((begins, None))
        elif following is not None and begins < following:
            spans.append((begins, following))
    return spans


#: Purchases in the order they were made: the day of each, and how many days later it was
#: recorded (never before an earlier one).
PURCHASES = st.lists(
    st.tuples(st.integers(1, 1_500), st.one_of(st.just(0), st.integers(1, 500))), max_size=8
).map(sorted)


@settings(max_examples=150, deadline=None)
@given(PURCHASES)
def test_R_C10_churned_and_customers_at_start_are_the_rules_for_any_purchase_history(
    purchases: list[tuple[int, int]],
) -> None:
    """A customer who churned in a period and bought again counts as churned in it, and as
    a customer at the start of every later period they were active at, however often they
    bought since; some purchases are recorded late (a churn they predate never was). The
    sweep ran only just before each purchase was recorded and at the end, so the view does
    not depend on when sweeps ran."""
    clock = FixedClock(AT)
    now = 2_100
    days = [day for day, _ in purchases]
    with ClosedLoop("memory:", clock=clock) as loop:
        register(loop, "C-1")
        recorded = 0
        for number, (day, late) in enumerate(purchases):
            recorded = max(recorded, day + late)
            clock.set(AT + timedelta(days=recorded))
            loop.execute("customer.sweep_churn", LI, {})
            on = (AT + timedelta(days=day)).date().isoformat()
            args = {"customer": "C-1", "order": f"O-{number}", "amount": "100.00 CNY", "on": on}
            loop.execute("customer.record_purchase", LI, args)
        clock.set(AT + timedelta(days=now))
        loop.execute("customer.sweep_churn", LI, {})
        spans = churns_by_the_rule(days, now)
        for year in YEARS:
            view = loop.evaluation("customers", period=year)
            start = (datetime(int(year), 1, 1, tzinfo=UTC) - AT).days + 1  # AT is at 09:00
            end = (datetime(int(year), 12, 31, tzinfo=UTC) - AT).days + 1
            in_churn = any(b < start and (u is None or start <= u) for b, u in spans)
            churned = any(start <= b <= end for b, _ in spans)
            assert view["customers_at_start"] == int(not in_churn), f"R-C10: start of {year}"
            assert view["churned"] == int(churned), f"R-C10: churned in {year}"
