"""A realistic year for ``closedloop demo``, drawn from the seed policies.

Hengtai Motors, a car-dealer group, runs its 2026 marketing loop: research first (two
comprehensive studies and one special study, 市场调研), a company revenue target decomposed into
quarters, months and its three marketers (目标分解), annual, quarterly and monthly plans approved
by the right people — one rejected and revised (计划审批) —, the year's activities (an ad
refused for 全网最低价 and corrected, a promotion over budget until its overspend is approved, an
expo with a severe incident, a retention event approved by leadership), monthly actuals, an
adjustment approved by leadership (目标调整), monthly and quarterly reviews whose findings raise
rectifications (one verified ineffective, reopened, then closed with its lesson), 200 customers
(``customers.py``: purchases, tiers, points, a referral, revisits, a refused invitation, a
churned owner, an erasure, a complaint closed dissatisfied and rectified), the risk register
(``risks.py``: one high risk accepted by leadership, one mitigated and monitored, one that
occurs and is rectified), and the close of the year's targets.

Everything goes through the command catalogue, as any embedder's program would, with a clock
that walks through the simulated dates.
"""

from __future__ import annotations

import attrs

from closedloop.adapters.demo.customers import RECTIFICATION, Customers
from closedloop.adapters.demo.loop import Loop
from closedloop.adapters.demo.planning import ANNUAL, Planning
from closedloop.adapters.demo.risks import Risks
from closedloop.adapters.demo.timeline import CEO, CFO, HEAD, MARKETERS, Timeline
from closedloop.api import ClosedLoop
from closedloop.application.clock import FixedClock

__all__ = ["CEO", "CFO", "HEAD", "MARKETERS", "Demo", "run_demo"]


@attrs.frozen
class Demo:
    target: str
    plans: list[str]
    activities: list[str]
    reviews: list[str]
    rectifications: list[str]
    customers: list[str]
    risks: list[str]
    refusals: list[str]  # what the rules refused on the way, with their IDs


def run_demo(loop: ClosedLoop, clock: FixedClock) -> Demo:
    """Play the year into ``loop``; ``clock`` is moved through the simulated dates."""
    timeline = Timeline()
    planning = Planning(timeline)
    planning.research()
    planning.set_targets()
    plans = planning.plan()
    planning.record_actuals()
    planning.close_targets()
    loop_side = Loop(timeline)
    activities = loop_side.activities()
    reviews, rectifications = loop_side.reviews()
    customers = Customers(timeline).year()
    risks, occurrences = Risks(timeline).register()
    rectifications += [RECTIFICATION, *occurrences]
    timeline.play(loop, clock)
    return Demo(
        ANNUAL,
        plans,
        activities,
        reviews,
        rectifications,
        customers,
        risks,
        timeline.refusals,
    )
