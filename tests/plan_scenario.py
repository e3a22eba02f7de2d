"""Builders for plan tests: the 2026 marketing plan at each stage, and its action items."""

from __future__ import annotations

from typing import Any

from closedloop import Actor, ClosedLoop
from tests.cast import CEO, HEAD, LI
from tests.scenario import approved_revenue_target


def draft_plan(
    loop: ClosedLoop, ref: str = "MKT-2026", author: Actor = HEAD, **overrides: Any
) -> dict[str, Any]:
    """An annual plan linked to REV-2026 (which must exist), without action items."""
    args = {
        "ref": ref,
        "level": "annual",
        "period": "2026",
        "title": "Marketing plan 2026",
        "market_analysis": "demand grows 8 % a year; two new competitors in the south",
        "strategies": {"product": "launch the S line", "promotion": "spring fair"},
        "budget": "1000000 CNY",
        "linked_targets": ["REV-2026"],
        **overrides,
    }
    return loop.execute("plan.create", author, args)


def add_item(
    loop: ClosedLoop, plan: str = "MKT-2026", author: Actor = HEAD, **overrides: Any
) -> dict[str, Any]:
    """A complete action item for March 2026, serving REV-2026."""
    args = {
        "plan": plan,
        "what": "spring product fair",
        "owner": LI.id,
        "start": "2026-03-01",
        "due": "2026-03-31",
        "expected_effect": "300 qualified leads",
        "budget": "200000 CNY",
        "target": "REV-2026",
        **overrides,
    }
    return loop.execute("plan.add_action_item", author, args)


def complete_plan(
    loop: ClosedLoop, ref: str = "MKT-2026", author: Actor = HEAD, **overrides: Any
) -> dict[str, Any]:
    """A draft ready to submit (R-P3): REV-2026 must already exist."""
    draft_plan(loop, ref, author, **overrides)
    return add_item(loop, ref, author)


def approved_plan(loop: ClosedLoop, ref: str = "MKT-2026", **overrides: Any) -> dict[str, Any]:
    """REV-2026 approved, then the annual plan by HEAD, approved by the CEO."""
    approved_revenue_target(loop)
    complete_plan(loop, ref, **overrides)
    loop.execute("plan.submit", HEAD, {"plan": ref})
    return loop.execute("plan.approve", CEO, {"plan": ref})


def monthly_plan(
    loop: ClosedLoop, ref: str, author: Actor, month: str = "2026-03", **overrides: Any
) -> dict[str, Any]:
    """A complete monthly plan for ``month`` by ``author``, with one item due that month."""
    draft_plan(
        loop,
        ref,
        author,
        level="monthly",
        period=month,
        title=f"{author.name} {month}",
        budget="100000 CNY",
        **overrides,
    )
    return add_item(loop, ref, author, start=f"{month}-01", due=f"{month}-20", budget="50000 CNY")


def quarterly_plan(
    loop: ClosedLoop, quarter: int, budget: str, parent: str = "MKT-2026", **overrides: Any
) -> dict[str, Any]:
    """``MKT-Q<quarter>``: a complete quarterly plan by HEAD under ``parent``."""
    ref, month = f"MKT-Q{quarter}", f"2026-{3 * quarter:02d}"
    draft_plan(
        loop,
        ref,
        level="quarterly",
        period=f"2026-Q{quarter}",
        budget=budget,
        parent=parent,
        **overrides,
    )
    return add_item(loop, ref, start=f"{month}-01", due=f"{month}-28", budget="1000")
