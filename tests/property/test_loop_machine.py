"""The loop, proven: random walks through the command catalogue keep every loop invariant.

A hypothesis ``RuleBasedStateMachine`` issues commands (valid and invalid) as random actors at
simulated dates. After every step it checks:

- L6: a refused command changed neither the history (position) nor any view;
- every aggregate loaded through the store's cache equals one replayed from its events;
- L1 … L4 on every activity, review and rectification in the store.

``pytest --slow`` runs many more and longer walks.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from closedloop import Actor, ClosedLoop, ClosedLoopError, FixedClock
from closedloop.domain.ids import aggregate_id
from closedloop.domain.plan import Plan
from closedloop.domain.research import Research
from closedloop.domain.target import Target
from tests.cast import AUDITOR, CEO, CFO, HEAD, LEAD, LI, ZHOU

# Mostly the right people and valid values, sometimes not: the walk must get far into the
# loop (approvals, closes, revisions) and still try every kind of refusal on the way.
ACTORS = st.sampled_from([CEO, CFO, HEAD, LEAD, LI, ZHOU, AUDITOR])
DRAFTERS = st.sampled_from([HEAD, HEAD, LI, LEAD, AUDITOR])
DECIDERS = st.sampled_from([CEO, CFO, CFO, HEAD, LEAD, LI])
TARGETS = st.sampled_from(["T1", "T2", "T3"])
PLANS = st.sampled_from(["P1", "P2"])
PERIODS = st.sampled_from(["2026", "2026", "2026-Q1", "2026-03", "2027", "26-Q1"])
AMOUNTS = st.one_of(
    st.decimals(min_value=1, max_value=10**9, places=2, allow_nan=False).map(str),
    st.decimals(min_value=1, max_value=10**9, places=2, allow_nan=False).map(str),
    st.decimals(min_value=1, max_value=10**9, places=2, allow_nan=False).map(str),
    st.sampled_from(["0", "-5", "abc", "1e400", ""]),
)
REASONS = st.sampled_from(["", "budget moved to Q2", "market changed", "distributor lost"])
KINDS: dict[str, type[Any]] = {"target": Target, "plan": Plan, "research": Research}


class LoopMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock("2025-12-01T09:00:00+00:00")
        self.loop = ClosedLoop("memory:", clock=self.clock)
        self.refused = 0

    def teardown(self) -> None:
        self.loop.close()

    # --- issuing commands ------------------------------------------------------------------

    def run(self, command: str, actor: Actor, args: dict[str, Any]) -> bool:
        """Issue ``command``; a refusal must leave the history and every view as they were."""
        position = self.loop.position()
        views = self.views()
        try:
            self.loop.execute(command, actor, args)
        except ClosedLoopError:
            self.refused += 1
            assert self.loop.position() == position, f"L6: refused {command} wrote events"
            assert self.views() == views, f"L6: refused {command} changed a view"
            return False
        return True

    def views(self) -> dict[str, Any]:
        return {
            "targets": self.loop.targets(),
            "plans": self.loop.plans(),
            "studies": self.loop.studies(),
        }

    # --- time ------------------------------------------------------------------------------

    @rule(days=st.integers(1, 90))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    # --- targets ---------------------------------------------------------------------------

    @rule(ref=TARGETS, value=st.integers(1_000, 10**8).map(str))
    def a_target_is_set_properly(self, ref: str, value: str) -> None:
        """The valid path, so walks reach approved targets, actuals, adjustments and closes."""
        if self.run(
            "target.create",
            CEO,
            {
                "ref": ref,
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": value,
                "owner": HEAD.id,
                "basis": "strategy",
            },
        ):
            self.run("target.submit", HEAD, {"target": ref})
            self.run("target.approve", CFO, {"target": ref})

    @rule(
        actor=DRAFTERS,
        ref=TARGETS,
        period=PERIODS,
        value=AMOUNTS,
        owner=st.sampled_from([HEAD.id, LI.id, LI.id, None]),
    )
    def create_target(
        self, actor: Actor, ref: str, period: str, value: str, owner: str | None
    ) -> None:
        self.run(
            "target.create",
            actor,
            {
                "ref": ref,
                "metric": "revenue",
                "unit": "CNY",
                "period": period,
                "value": value,
                "owner": owner,
                "basis": "strategy",
            },
        )

    @rule(actor=ACTORS, ref=TARGETS, parts=st.integers(2, 4), off=st.sampled_from(["0", "0.01"]))
    def decompose_target(self, actor: Actor, ref: str, parts: int, off: str) -> None:
        """Quarters that add up exactly, or one cent off (R-T2)."""
        try:
            value = Decimal(self.loop.target(ref)["value"] or 0)
        except ClosedLoopError:
            value = Decimal(100)
        share = (value / parts).quantize(Decimal("0.01"))
        values = [share] * (parts - 1) + [value - share * (parts - 1) + Decimal(off)]
        children = [
            {"ref": f"{ref}-Q{i}", "value": str(v), "period": f"2026-Q{i}"}
            for i, v in enumerate(values, start=1)
        ]
        self.run(
            "target.decompose", actor, {"target": ref, "dimension": "period", "children": children}
        )

    @rule(actor=DRAFTERS, ref=TARGETS)
    def submit_target(self, actor: Actor, ref: str) -> None:
        self.run("target.submit", actor, {"target": ref})

    @rule(
        actor=DECIDERS,
        ref=TARGETS,
        command=st.sampled_from(
            ["target.approve", "target.approve", "target.close", "target.approve_adjustment"]
        ),
    )
    def decide_target(self, actor: Actor, ref: str, command: str) -> None:
        self.run(command, actor, {"target": ref})

    @rule(actor=DECIDERS, ref=TARGETS, reason=REASONS)
    def reject_target(self, actor: Actor, ref: str, reason: str) -> None:
        self.run("target.reject", actor, {"target": ref, "reason": reason})

    @rule(actor=DRAFTERS, ref=TARGETS, value=AMOUNTS)
    def record_actual(self, actor: Actor, ref: str, value: str) -> None:
        self.run(
            "target.record_actual",
            actor,
            {
                "target": ref,
                "value": value,
                "as_of": self.clock.now().date().isoformat(),
                "source": "ERP",
            },
        )

    @rule(actor=DRAFTERS, ref=TARGETS, value=AMOUNTS, reason=REASONS)
    def request_adjustment(self, actor: Actor, ref: str, value: str, reason: str) -> None:
        self.run(
            "target.request_adjustment",
            actor,
            {
                "target": ref,
                "value": value,
                "reason": reason,
                "analysis": "see the Q1 review",
            },
        )

    # --- plans -----------------------------------------------------------------------------

    @rule(ref=PLANS, linked=TARGETS)
    def a_plan_is_approved_properly(self, ref: str, linked: str) -> None:
        """The valid path: an annual plan with one item, submitted and approved by leadership."""
        if self.run(
            "plan.create",
            HEAD,
            {
                "ref": ref,
                "level": "annual",
                "period": "2026",
                "title": f"plan {ref}",
                "budget": "1000000 CNY",
                "linked_targets": [linked],
            },
        ):
            self.run(
                "plan.add_action_item",
                HEAD,
                {
                    "plan": ref,
                    "what": "spring fair",
                    "owner": LI.id,
                    "due": "2026-03-31",
                    "expected_effect": "300 leads",
                    "budget": "400000 CNY",
                    "target": linked,
                },
            )
            self.run("plan.submit", HEAD, {"plan": ref})
            self.run("plan.approve", CEO, {"plan": ref})

    @rule(
        actor=DRAFTERS,
        ref=PLANS,
        budget=AMOUNTS,
        linked=TARGETS,
        level=st.sampled_from(
            [
                ("annual", "2026"),
                ("quarterly", "2026-Q1"),
                ("monthly", "2026-03"),
                ("annual", "2026-Q1"),
            ]
        ),
    )
    def create_plan(
        self, actor: Actor, ref: str, budget: str, linked: str, level: tuple[str, str]
    ) -> None:
        self.run(
            "plan.create",
            actor,
            {
                "ref": ref,
                "level": level[0],
                "period": level[1],
                "title": f"plan {ref}",
                "budget": f"{budget} CNY" if budget else budget,
                "linked_targets": [linked],
            },
        )

    @rule(
        actor=DRAFTERS,
        ref=PLANS,
        budget=AMOUNTS,
        linked=TARGETS,
        due=st.sampled_from(["2026-03-31", "2026-12-31", "2027-02-01"]),
    )
    def add_action_item(self, actor: Actor, ref: str, budget: str, linked: str, due: str) -> None:
        self.run(
            "plan.add_action_item",
            actor,
            {
                "plan": ref,
                "what": "spring fair",
                "owner": LI.id,
                "due": due,
                "expected_effect": "300 leads",
                "budget": f"{budget} CNY" if budget else budget,
                "target": linked,
            },
        )

    @rule(actor=DRAFTERS, ref=PLANS)
    def submit_plan(self, actor: Actor, ref: str) -> None:
        self.run("plan.submit", actor, {"plan": ref})

    @rule(actor=DECIDERS, ref=PLANS)
    def approve_plan(self, actor: Actor, ref: str) -> None:
        self.run("plan.approve", actor, {"plan": ref})

    @rule(
        actor=ACTORS,
        ref=PLANS,
        reason=REASONS,
        command=st.sampled_from(["plan.reject", "plan.revise"]),
    )
    def send_back_plan(self, actor: Actor, ref: str, reason: str, command: str) -> None:
        self.run(command, actor, {"plan": ref, "reason": reason})

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def cached_state_equals_a_fresh_replay(self) -> None:
        store = self.loop._store
        for kind, cls in KINDS.items():
            for view in getattr(
                self.loop, {"target": "targets", "plan": "plans", "research": "studies"}[kind]
            )():
                agg_id = aggregate_id(kind, view["id"])
                cached = store.repository.get(agg_id)
                replayed = None
                for event in store.events.get(agg_id):
                    replayed = event.mutate(replayed)
                assert isinstance(cached, cls)
                assert cached == replayed, f"{kind} {view['ref']}: cache and replay differ"


LoopMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=40, deadline=None)
test_the_loop_keeps_its_invariants = LoopMachine.TestCase
