"""A review finds the complaints whose SLA was missed (R-C7) and the risk reviews that came
late (R-K4) in its period and scope, as findings to rectify or waive (R-E4)."""

from __future__ import annotations

from closedloop import ClosedLoop, FixedClock
from tests.cast import HEAD, LI, ZHOU
from tests.review_scenario import open_review
from tests.risk_scenario import mitigated, received


def findings(loop: ClosedLoop, ref: str) -> list[tuple[str, str]]:
    loop.execute("review.generate_findings", HEAD, {"review": ref})
    return [(f["source"], f["description"]) for f in loop.review(ref)["findings"]]


def test_R_C7_R_E4_a_complaint_with_a_missed_sla_is_a_finding_of_its_period(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    received(mem_loop, "CMP-1")
    received(mem_loop, "CMP-2")
    mem_loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-2"})
    clock.advance(hours=25)
    open_review(mem_loop, "REVIEW-2026-01", "2026-01")
    open_review(mem_loop, "REVIEW-2026-01-ZHOU", "2026-01", scope="person", scope_ref=ZHOU.id)
    open_review(mem_loop, "REVIEW-2025-12", "2025-12")
    [(source, description)] = findings(mem_loop, "REVIEW-2026-01")
    assert source == "complaint"
    assert description.startswith("complaint CMP-1 of customer CUST-7")
    assert "acknowledge SLA missed" in description
    assert findings(mem_loop, "REVIEW-2026-01-ZHOU") == []
    assert findings(mem_loop, "REVIEW-2025-12") == []

    clock.advance(hours=48)  # CMP-2 now misses its resolve SLA: new evidence, one new finding
    assert [s for s, _ in findings(mem_loop, "REVIEW-2026-01")] == ["complaint", "complaint"]


def test_R_K4_R_E4_a_late_risk_review_is_a_finding_of_the_period_it_was_due(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    mitigated(mem_loop)  # high: its review is due 2026-02-05
    clock.set("2026-02-10T09:00:00+00:00")
    mem_loop.execute("risk.review", HEAD, {"risk": "RISK-1", "note": "prices stable"})
    open_review(mem_loop, "REVIEW-2026-02-LI", "2026-02", scope="person", scope_ref=LI.id)
    open_review(mem_loop, "REVIEW-2026-01", "2026-01")
    [(source, description)] = findings(mem_loop, "REVIEW-2026-02-LI")
    assert (source, description) == (
        "risk_review",
        "risk RISK-1 (competitor price war): the review due 2026-02-05 came late or not at all",
    )
    assert findings(mem_loop, "REVIEW-2026-01") == []
