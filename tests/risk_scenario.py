"""Builders for risk and complaint tests: Li owns the risks and handles the complaints.

The ``clock`` fixture stands at 2026-01-05 09:00 UTC.
"""

from __future__ import annotations

from typing import Any

from closedloop import Actor, ClosedLoop
from tests.cast import LI

#: A 5 × 5 matrix as a policy file would give it (scales from least to most).
FIVE = ["rare", "unlikely", "possible", "likely", "certain"]
GRID_5X5 = [
    ["low", "low", "low", "medium", "medium"],
    ["low", "low", "medium", "medium", "high"],
    ["low", "medium", "medium", "high", "high"],
    ["medium", "medium", "high", "high", "high"],
    ["medium", "high", "high", "high", "high"],
]
POLICY_5X5 = {"risk": {"matrix": {"likelihoods": FIVE, "impacts": FIVE, "levels": GRID_5X5}}}


def registered(
    loop: ClosedLoop, ref: str = "RISK-1", owner: Actor = LI, **overrides: Any
) -> dict[str, Any]:
    args = {
        "ref": ref,
        "title": "competitor price war",
        "category": "market",
        "owner": owner.id,
        "sources": [{"kind": "customer", "ref": "CUST-7"}],
        **overrides,
    }
    return loop.execute("risk.register", owner, args)


def assessed(
    loop: ClosedLoop,
    ref: str = "RISK-1",
    likelihood: str = "high",
    impact: str = "high",
    **overrides: Any,
) -> dict[str, Any]:
    """Registered (unless it exists) and assessed; high × high is a high risk."""
    if not any(view["ref"] == ref for view in loop.risks()):
        registered(loop, ref)
    args = {"risk": ref, "likelihood": likelihood, "impact": impact, **overrides}
    return loop.execute("risk.assess", LI, args)


def mitigated(loop: ClosedLoop, ref: str = "RISK-1", due: str = "2026-02-28") -> dict[str, Any]:
    """Assessed high, with a mitigation plan and one measure."""
    assessed(loop, ref)
    loop.execute(
        "risk.plan_treatment",
        LI,
        {"risk": ref, "response": "mitigate", "plan": "price-match on key models"},
    )
    return loop.execute(
        "risk.add_measure",
        LI,
        {"risk": ref, "what": "weekly competitor price scan", "owner": LI.id, "due": due},
    )


def received(loop: ClosedLoop, ref: str = "CMP-1", **overrides: Any) -> dict[str, Any]:
    args = {
        "ref": ref,
        "customer": "CUST-7",
        "subject": "delivery two weeks late",
        "channel": "phone",
        **overrides,
    }
    if args["customer"] not in {view["ref"] for view in loop.customers()}:
        loop.execute("customer.register", LI, {"ref": args["customer"], "name": "王伟"})
    return loop.execute("complaint.receive", LI, args)


def resolved(loop: ClosedLoop, ref: str = "CMP-1") -> dict[str, Any]:
    received(loop, ref)
    loop.execute("complaint.acknowledge", LI, {"complaint": ref, "note": "called back"})
    return loop.execute(
        "complaint.resolve", LI, {"complaint": ref, "resolution": "refunded the shipping"}
    )
