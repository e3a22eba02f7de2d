"""Builders for review and rectification tests: December 2025 reviewed in January 2026.

The ``clock`` fixture stands at 2026-01-05, after December 2025 ended and before its review
is due (the 10th): December's targets can close and its reviews can be finalised on time.
"""

from __future__ import annotations

from typing import Any

from closedloop import Actor, ClosedLoop
from tests.cast import HEAD, LI
from tests.scenario import approved_revenue_target

#: A review's author; CEO finalises (R-G1: someone else).
AUTHOR = HEAD


def closed_target(
    loop: ClosedLoop,
    ref: str = "REV-2025-12",
    value: str = "1000000",
    actual: str = "700000",
    **overrides: Any,
) -> dict[str, Any]:
    """A December 2025 company revenue target closed with ``actual`` (default: 70 %, a fail)."""
    approved_revenue_target(loop, ref, period="2025-12", value=value, **overrides)
    loop.execute(
        "target.record_actual",
        HEAD,
        {"target": ref, "value": actual, "as_of": "2025-12-31", "source": "ERP"},
    )
    return loop.execute("target.close", HEAD, {"target": ref})


def open_review(
    loop: ClosedLoop,
    ref: str = "REVIEW-2025-12",
    period: str = "2025-12",
    author: Actor = AUTHOR,
    **overrides: Any,
) -> dict[str, Any]:
    return loop.execute("review.open", author, {"ref": ref, "period": period, **overrides})


def review_with_finding(loop: ClosedLoop, ref: str = "REVIEW-2025-12") -> dict[str, Any]:
    """December's company review, evaluated: the revenue target's 70 % is finding F1."""
    closed_target(loop)
    open_review(loop, ref)
    return loop.execute("review.generate_findings", AUTHOR, {"review": ref})


def raised(
    loop: ClosedLoop, ref: str = "RX-1", owner: Actor = LI, **overrides: Any
) -> dict[str, Any]:
    """An audit's rectification owned by Li (whose superior, HEAD, verifies it)."""
    args = {
        "ref": ref,
        "source": "audit",
        "source_ref": "AUDIT-2025-H2 item 3",
        "problem": "dealer price lists not updated after the November price change",
        "owner": owner.id,
        **overrides,
    }
    return loop.execute("rectification.raise", HEAD, args)


def in_progress(loop: ClosedLoop, ref: str = "RX-1", **overrides: Any) -> dict[str, Any]:
    """Raised, root cause recorded, one measure M1 due on 2026-01-31."""
    raised(loop, ref, **overrides)
    loop.execute(
        "rectification.record_root_cause",
        LI,
        {"rectification": ref, "root_cause": "no owner for price list distribution"},
    )
    return loop.execute(
        "rectification.add_measure",
        LI,
        {
            "rectification": ref,
            "what": "name a price-list owner per region",
            "owner": LI.id,
            "deadline": "2026-01-31",
        },
    )


def completed(loop: ClosedLoop, ref: str = "RX-1", **overrides: Any) -> dict[str, Any]:
    in_progress(loop, ref, **overrides)
    loop.execute("rectification.complete_measure", LI, {"rectification": ref, "measure": "M1"})
    return loop.execute(
        "rectification.complete",
        LI,
        {"rectification": ref, "evidence": "owner list signed, price lists re-issued"},
    )


def closed(
    loop: ClosedLoop, ref: str = "RX-1", lessons: str = "every document needs an owner", **kw: Any
) -> dict[str, Any]:
    """Completed, verified effective by HEAD, closed by Li with lessons."""
    completed(loop, ref, **kw)
    loop.execute(
        "rectification.verify",
        HEAD,
        {"rectification": ref, "effective": True, "notes": "spot check of 5 dealers"},
    )
    return loop.execute(
        "rectification.close",
        LI,
        {"rectification": ref, "lessons": lessons, "tags": ["pricing", "dealers"]},
    )
