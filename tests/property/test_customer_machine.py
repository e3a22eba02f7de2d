"""Customers, proven: random walks through the customer commands keep every invariant.

A hypothesis ``RuleBasedStateMachine`` registers, sells, redeems, expires, consents,
contacts, refers and erases at simulated dates, valid and not. After every step:

- L5: every customer's points balance = earned − redeemed − expired ≥ 0;
- L6: a refused command changed neither the history nor any customer view;
- R-C3: consent now is what a plain model of grants, withdrawals and opt-outs says;
- R-C5: each redemption request counts once; R-C6: referrals never form a cycle;
- R-C2: an erased customer's personal data reads as erased;
- every customer loaded through the store's cache equals one replayed from its events.

At the end of each walk, L7 (:class:`tests.walks.LiveViews`): the facts rows, the audit
trail, the customers evaluation view (overall and of two years, churn rate included, R-C10)
and the customer views kept live equal those rebuilt from the history (erasure included:
the rebuilt rows read the erased customer as erased), and as of the walk's moments equal
what was seen then. The default run is the same 60 walks of up to 50 steps every time;
``pytest --slow`` walks further.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from closedloop import Actor, ClosedLoop, ClosedLoopError, FixedClock
from closedloop.domain.customer import Customer
from closedloop.domain.ids import aggregate_id
from closedloop.projections.facts import row_key
from tests.cast import AUDITOR, CEO, LI
from tests.customer_scenario import PII
from tests.walks import LiveViews, walk

REFS = st.sampled_from(["C1", "C1", "C1", "C2", "C3"])  # mostly one with a long history
CHANNELS = st.sampled_from(["sms", "wechat"])
PURPOSES = st.sampled_from(["care", "promotion", "personalised"])
KINDS = st.sampled_from(["invitation", "recommendation", "revisit"])  # greetings: R-C9 windows
PURPOSE_OF = {
    "revisit": "care",
    "invitation": "promotion",
    "recommendation": "personalised",
}
VALID_AMOUNTS = st.integers(1, 20_000).map(lambda n: f"{n}.00 CNY")
AMOUNTS = st.one_of(
    VALID_AMOUNTS, VALID_AMOUNTS, VALID_AMOUNTS, st.sampled_from(["0 CNY", "5 USD"])
)
WRITERS = st.sampled_from([LI, LI, LI, AUDITOR])


class CustomerMachine(RuleBasedStateMachine):
    def __init__(self, reach: Counter[str]) -> None:
        super().__init__()
        self.reach = reach  # in how many walks each command succeeded at least once
        self.succeeded: set[str] = set()
        self.clock = FixedClock("2026-01-05T09:00:00+00:00")
        self.loop = ClosedLoop("memory:", clock=self.clock)
        self.consent: dict[tuple[str, str, str], bool] = {}
        self.requests: dict[tuple[str, str], int] = {}
        self.erased: set[str] = set()
        self.views = LiveViews(
            self.loop,
            [("customers", None), ("customers", "2026"), ("customers", "2027")],
            {"customers": self.loop.customers},
        )

    def teardown(self) -> None:
        self.reach.update(self.succeeded)
        try:
            self.views.check()
        finally:
            self.loop.close()

    def run(self, command: str, actor: Actor, args: dict[str, Any]) -> bool:
        """Issue ``command``; a refusal must leave the history and every view as they were."""
        position, views = self.loop.position(), self.loop.customers()
        try:
            self.loop.execute(command, actor, args)
        except ClosedLoopError:
            assert self.loop.position() == position, f"L6: refused {command} wrote events"
            assert self.loop.customers() == views, f"L6: refused {command} changed a view"
            return False
        self.succeeded.add(command)
        return True

    def registered(self) -> list[str]:
        return [view["ref"] for view in self.loop.customers()]

    # --- commands --------------------------------------------------------------------------

    @initialize()
    def a_first_customer_registers(self) -> None:
        assert self.run("customer.register", LI, {"ref": "C1", "name": "张伟"})

    @precondition(lambda self: len(self.registered()) < 3)
    @rule(referrer=st.sampled_from([None, None, "C1", "C2"]))
    def another_customer_registers(self, referrer: str | None) -> None:
        ref = f"C{len(self.registered()) + 1}"
        args = {"ref": ref, "name": "李娜", **({"referrer": referrer} if referrer else {})}
        self.run("customer.register", LI, args)

    @rule(days=st.integers(1, 400))
    def time_passes(self, days: int) -> None:
        self.views.moment()
        self.clock.advance(days=days)

    @rule(ref=REFS, referrer=st.one_of(st.none(), REFS), actor=WRITERS)
    def register(self, ref: str, referrer: str | None, actor: Actor) -> None:
        args: dict[str, Any] = {"ref": ref, "name": "张伟", "phone": "13800138000"}
        if referrer is not None:
            args["referrer"] = referrer
        self.run("customer.register", actor, args)

    @rule(ref=REFS, order=st.integers(1, 6), amount=AMOUNTS, actor=WRITERS)
    def buy(self, ref: str, order: int, amount: str, actor: Actor) -> None:
        args = {"customer": ref, "order": f"{ref}-O{order}", "amount": amount}
        self.run("customer.record_purchase", actor, args)

    @rule(ref=REFS, order=st.integers(1, 30), amount=VALID_AMOUNTS)
    def a_customer_buys(self, ref: str, order: int, amount: str) -> None:
        """Most of a customer's life: purchases (the rule above also tries invalid ones)."""
        args = {"customer": ref, "order": f"{ref}-O{order}", "amount": amount}
        self.run("customer.record_purchase", LI, args)

    @rule(ref=REFS, request=st.integers(1, 4), points=st.integers(1, 3_000))
    def redeem(self, ref: str, request: int, points: int) -> None:
        args = {"customer": ref, "request_id": f"R{request}", "points": points}
        if self.run("customer.redeem_points", LI, args):
            self.requests.setdefault((ref, f"R{request}"), points)

    @rule(order=st.integers(1, 30), request=st.integers(1, 4), points=st.integers(1, 50))
    def a_customer_buys_and_redeems(self, order: int, request: int, points: int) -> None:
        """The valid path, so walks reach redemptions: a purchase earns points, a few are
        redeemed (by a request id that may have been used: it then counts once, R-C5)."""
        self.a_customer_buys("C1", order, "2000.00 CNY")
        self.redeem("C1", request, points)

    @rule()
    def periodic(self) -> None:
        for command in (
            "customer.expire_points",
            "customer.recompute_tiers",
            "customer.sweep_churn",
        ):
            self.run(command, LI, {})

    @rule(
        ref=REFS, channel=CHANNELS, purpose=PURPOSES, granted=st.sampled_from([True, True, False])
    )
    def consent_changes(self, ref: str, channel: str, purpose: str, granted: bool) -> None:
        command = "customer.grant_consent" if granted else "customer.withdraw_consent"
        args = {"customer": ref, "channel": channel, "purpose": purpose, "source": "app"}
        if self.run(command, LI, args):
            self.consent[(ref, channel, purpose)] = granted

    @rule(ref=REFS)
    def opt_out(self, ref: str) -> None:
        if self.run("customer.opt_out_personalised", LI, {"customer": ref, "source": "call"}):
            for channel in ("phone", "sms", "email", "wechat"):
                self.consent[(ref, channel, "personalised")] = False

    @rule(ref=REFS, kind=KINDS, channel=CHANNELS)
    def contact(self, ref: str, kind: str, channel: str) -> None:
        args = {"customer": ref, "kind": kind, "channel": channel}
        done = self.run("customer.contact", LI, args)
        if ref in self.registered():
            allowed = ref not in self.erased and self.consent.get((ref, channel, PURPOSE_OF[kind]))
            assert done == bool(allowed), f"R-C3: {kind} by {channel} to {ref}"

    @rule(ref=REFS, kind=KINDS, channel=CHANNELS, withdraws=st.booleans())
    def a_consenting_customer_is_contacted(
        self, ref: str, kind: str, channel: str, withdraws: bool
    ) -> None:
        """The valid path, so walks reach contacts and withdrawals: consent to the kind's
        purpose, the contact, and maybe the consent withdrawn (the next contact refused)."""
        self.consent_changes(ref, channel, PURPOSE_OF[kind], True)
        self.contact(ref, kind, channel)
        if withdraws:
            self.consent_changes(ref, channel, PURPOSE_OF[kind], False)
            self.contact(ref, kind, channel)

    @precondition(lambda self: len(self.registered()) >= 2)
    @rule()
    def the_newest_customer_names_the_first_as_referrer(self) -> None:
        """The valid path, so walks reach referrals recorded after registration (R-C6)."""
        refs = self.registered()
        self.refer(refs[-1], refs[0])

    @rule(ref=REFS, referrer=REFS)
    def refer(self, ref: str, referrer: str) -> None:
        self.run("customer.record_referrer", LI, {"customer": ref, "referrer": referrer})

    @rule(ref=REFS, actor=st.sampled_from([CEO, LI]))
    def erase(self, ref: str, actor: Actor) -> None:
        if self.run("customer.erase", actor, {"customer": ref, "reason": "DSR"}):
            self.erased.add(ref)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def points_balance_is_earned_minus_redeemed_minus_expired(self) -> None:
        for view in self.loop.customers():
            points = view["points"]
            balance = points["earned"] - points["redeemed"] - points["expired"]
            assert points["balance"] == balance >= 0, f"L5: {view['ref']}"
            assert 0 <= points["available"] <= balance
            redeemed = sum(n for (ref, _), n in self.requests.items() if ref == view["ref"])
            assert points["redeemed"] == redeemed, f"R-C5: {view['ref']} redeemed twice"

    @invariant()
    def consent_is_what_the_events_say(self) -> None:
        for view in self.loop.customers():
            for channel, purposes in view["consent"].items():
                for purpose, held in purposes.items():
                    expected = self.consent.get((view["ref"], channel, purpose), False)
                    assert held is expected, f"R-C3: {view['ref']} {channel} {purpose}"

    @invariant()
    def referrals_never_form_a_cycle(self) -> None:
        referrer = {view["id"]: view["referrer"] for view in self.loop.customers()}
        for start in referrer:
            seen, node = set(), start
            while node is not None:
                assert node not in seen, "R-C6: a referral cycle"
                seen.add(node)
                node = referrer.get(node)

    @invariant()
    def erased_data_reads_as_erased(self) -> None:
        facts = self.loop._views["facts"]
        facts.catch_up()
        for ref in self.erased:
            assert self.loop.customer(ref)["personal_data"] == "erased"
            row = facts.get(row_key(Customer.KIND, aggregate_id(Customer.KIND, ref)))
            assert row["erased"] is True, f"R-C2: {ref}'s facts row is not erased"
        for ref in sorted(self.erased)[:1]:
            read = self.loop.execute(
                "customer.read_personal_data", PII, {"customer": ref, "reason": "audit"}
            )
            assert read["erased"] is True

    @invariant()
    def views_follow_the_events(self) -> None:
        self.views.step()

    @invariant()
    def cached_state_equals_a_fresh_replay(self) -> None:
        store = self.loop._store
        for ref in self.registered():
            agg_id = aggregate_id(Customer.KIND, ref)
            replayed = None
            for event in store.events.get(agg_id):
                replayed = event.mutate(replayed)
            assert store.repository.get(agg_id) == replayed, f"{ref}: cache and replay differ"


#: Commands the walks must reach (each succeeds in some walk), or they prove little.
MILESTONES = (
    "customer.record_purchase",
    "customer.redeem_points",
    "customer.expire_points",
    "customer.sweep_churn",
    "customer.withdraw_consent",
    "customer.contact",
    "customer.record_referrer",
    "customer.erase",
)


def test_L5_L6_L7_customers_keep_their_invariants_over_any_walk(
    request: pytest.FixtureRequest,
) -> None:
    walk(CustomerMachine, request, examples=60, steps=50, milestones=MILESTONES)
