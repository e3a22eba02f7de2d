"""Builders for activity tests: Li's spring home fair (March 2026) at each stage of its life.

Li (marketer) owns it; Chen (head of marketing, Li's superior) reviews it; Zhao (CFO) or
Sun (another manager) approves it; He (legal) clears advertising copy.
"""

from __future__ import annotations

from typing import Any

from closedloop import Actor, ClosedLoop, FixedClock
from tests.cast import CFO, HEAD, LI

LEGAL = Actor("he.legal", "He (legal)", {"compliance"})

#: Copy without a prohibited claim, and copy with two (全国第一, 最佳).
CLEAN_COPY = "春季家居新品发布会:到店体验全屋定制方案,预约即送设计咨询。"
DIRTY_COPY = "全国第一的家居品牌,品质最佳,春季新品到店体验。"

#: The day the fair opens: inside its window 2026-03-01 … 2026-03-31.
OPENING = "2026-03-01T09:00:00+00:00"


def draft_activity(
    loop: ClosedLoop, ref: str = "SPRING-FAIR", owner: Actor = LI, **overrides: Any
) -> dict[str, Any]:
    """A complete market event: two objectives, 100,000 CNY in two budget lines."""
    args = {
        "ref": ref,
        "kind": "market_event",
        "theme": "Spring home fair",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "objectives": [
            {"name": "leads", "metric": "qualified leads", "target": "300", "unit": "leads"},
            {"name": "orders", "metric": "signed orders", "target": "60", "unit": "orders"},
        ],
        "target_customers": ["core", "segment: new homeowners"],
        "channels": ["store", "wechat"],
        "place": "Guangzhou flagship store",
        "content": CLEAN_COPY,
        "promotion_plan": "10 % off orders signed at the fair",
        "budget_lines": [
            {"category": "venue", "amount": "40000 CNY"},
            {"category": "media", "amount": "60000 CNY"},
        ],
        **overrides,
    }
    return loop.execute("activity.create", owner, args)


def approved_activity(
    loop: ClosedLoop,
    ref: str = "SPRING-FAIR",
    owner: Actor = LI,
    reviewer: Actor = HEAD,
    approver: Actor = CFO,
    **overrides: Any,
) -> dict[str, Any]:
    """Drafted and proposed by ``owner``, reviewed by their superior, then approved."""
    draft_activity(loop, ref, owner, **overrides)
    loop.execute("activity.propose", owner, {"activity": ref})
    loop.execute("activity.review", reviewer, {"activity": ref})
    return loop.execute("activity.approve", approver, {"activity": ref})


STEPS = [
    {"what": "book the venue", "owner": LI.id, "start": "2026-02-01", "due": "2026-02-10"},
    {"what": "print and place ads", "owner": LI.id, "start": "2026-02-10", "due": "2026-02-25"},
    {"what": "run the fair", "owner": LI.id, "start": "2026-03-01", "due": "2026-03-31"},
]


def prepared_activity(
    loop: ClosedLoop, ref: str = "SPRING-FAIR", owner: Actor = LI, **overrides: Any
) -> dict[str, Any]:
    """Approved, execution plan by the owner approved by Chen, resources prepared."""
    approved_activity(loop, ref, owner, **overrides)
    loop.execute("activity.submit_execution_plan", owner, {"activity": ref, "steps": STEPS})
    loop.execute("activity.approve_execution_plan", HEAD, {"activity": ref})
    return loop.execute("activity.prepare", owner, {"activity": ref})


def running_activity(
    loop: ClosedLoop, clock: FixedClock, ref: str = "SPRING-FAIR", **overrides: Any
) -> dict[str, Any]:
    """Prepared, then started by Li on its opening day (advertising copy checked first)."""
    prepared_activity(loop, ref, **overrides)
    clock.set(OPENING)
    if overrides.get("kind") == "advertising":
        loop.execute("activity.check_copy", LI, {"activity": ref})
    return loop.execute("activity.start", LI, {"activity": ref})


def completed_activity(
    loop: ClosedLoop,
    clock: FixedClock,
    ref: str = "SPRING-FAIR",
    results: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Run, 90,000 CNY spent, completed: leads beat (330 of 300), orders missed (45 of 60)."""
    running_activity(loop, clock, ref, **overrides)
    for receipt, amount, category in (("INV-1", "35000", "venue"), ("INV-2", "55000", "media")):
        loop.execute(
            "activity.record_expense",
            LI,
            {"activity": ref, "receipt": receipt, "amount": f"{amount} CNY", "category": category},
        )
    clock.set("2026-04-01T09:00:00+00:00")
    return loop.execute(
        "activity.complete",
        LI,
        {"activity": ref, "results": results or {"leads": "330", "orders": "45"}},
    )


SUMMARY = {
    "objectives_met": "leads beat the target; orders fell short",
    "effect": "330 qualified leads, 45 orders, brand seen by 20,000 visitors",
    "problems": "the venue was too far from the new estates",
    "improvements": "hold the autumn fair in the estates' own mall",
}


def summarised_activity(
    loop: ClosedLoop, clock: FixedClock, ref: str = "SPRING-FAIR", **overrides: Any
) -> dict[str, Any]:
    completed_activity(loop, clock, ref, **overrides)
    return loop.execute("activity.submit_summary", LI, {"activity": ref, **SUMMARY})
