"""The demo year plays every part of the loop the foundation promises, through the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import CEO, HEAD, MARKETERS, Demo, run_demo
from closedloop.adapters.demo.customers import DPO


@pytest.fixture(scope="module")
def year() -> Iterator[tuple[ClosedLoop, Demo]]:
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        yield loop, run_demo(loop, clock)


def test_the_revenue_target_splits_into_quarters_months_and_marketers(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    tree = loop.target_tree(demo.target)
    quarters = tree["children"]["period"]
    assert len(quarters) == 4
    assert sum(len(q["children"]["period"]) for q in quarters) == 12
    assert [p["owner"] for p in tree["children"]["scope"]] == [m.id for m in MARKETERS]
    assert tree["gaps"]["scope"] == Decimal(0)
    assert tree["final"]["grade"] == "pass"


def test_leadership_adjusted_a_target_with_its_reasons(year: tuple[ClosedLoop, Demo]) -> None:
    loop, _ = year
    q3 = loop.target("REV-2026-Q3")
    (adjustment,) = q3["adjustments"]
    assert (adjustment["decision"], adjustment["decided_by"]) == ("approved", CEO.id)
    assert (q3["original_value"], q3["value"]) == (Decimal("30000000"), Decimal("27000000"))


def test_plans_are_approved_by_the_right_people_and_one_was_revised(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    plans = {ref: loop.plan(ref) for ref in demo.plans}
    assert {p["level"] for p in plans.values()} == {"annual", "quarterly", "monthly"}
    assert all(p["status"] == "approved" for p in plans.values())
    monthly = [p for p in plans.values() if p["level"] == "monthly"]
    assert {p["approval"]["by"] for p in monthly} == {HEAD.id}
    revised = plans["PLAN-2026-Q2"]
    assert (revised["revision"], revised["approval"]["revision"]) == (2, 2)
    on_the_day = datetime(2026, 3, 16, 12, tzinfo=UTC)
    assert loop.plan("PLAN-2026-Q2", as_of=on_the_day)["status"] == "rejected"


def test_research_covers_the_year(year: tuple[ClosedLoop, Demo]) -> None:
    loop, _ = year
    coverage = loop.research_coverage(2026)
    assert (coverage["completed"], coverage["shortfall"]) == (2, False)
    assert loop.research("STUDY-NEV-HZ")["status"] == "reported"


def test_the_rules_refused_the_ad_copy_and_the_overspend_on_the_way(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    rules = [refusal.split(": ", 2)[1] for refusal in demo.refusals]
    assert rules == ["R-A3", "R-A5", "R-C3"]
    assert "全网最低价" in demo.refusals[0]
    promo = loop.activity("PROMO-MAY-DAY")
    assert promo["status"] == "evaluated"
    assert promo["spend"]["amount"] == Decimal("218000")


def test_every_activity_ran_through_its_approvals(year: tuple[ClosedLoop, Demo]) -> None:
    loop, demo = year
    activities = {ref: loop.activity(ref) for ref in demo.activities}
    assert {a["status"] for a in activities.values()} == {"evaluated"}
    assert activities["LOYALTY-DAY"]["approval"]["by"] == CEO.id  # retention: leadership


def test_findings_and_incidents_are_rectified_verified_and_closed(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    reviews = [loop.review(ref) for ref in demo.reviews]
    assert {r["status"] for r in reviews} == {"finalised"}
    rectifications = {ref: loop.rectification(ref) for ref in demo.rectifications}
    assert {r["status"] for r in rectifications.values()} == {"closed"}
    assert rectifications["activity EXPO-HANGZHOU incident 1"]["source"] == "incident"
    reopened = rectifications["REVIEW-2026-08/F1"]
    assert [v["effective"] for v in reopened["verifications"]] == [False, True]
    assert all(v["by"] != reopened["owner"] for v in reopened["verifications"])
    assert loop.lessons(search="distributor")


def test_R_C4_the_customers_reach_every_tier_and_the_owners_rise_with_tenure(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    customers = loop.customers()
    assert sorted(c["ref"] for c in customers) == demo.customers
    assert len(customers) == 200
    assert {c["tier"] for c in customers} == {"high_value", "core", "ordinary"}
    family = loop.customer("C-0000")
    assert (family["tier"], family["tier_since"].isoformat()) == ("high_value", "2026-12-01")
    mid_year = datetime(2026, 7, 1, tzinfo=UTC)
    assert loop.customer("C-0000", as_of=mid_year)["tier"] == "core"  # tenure under a year


def test_R_C5_a_retried_redemption_is_recorded_once(year: tuple[ClosedLoop, Demo]) -> None:
    loop, _ = year
    points = loop.customer("C-0000")["points"]
    assert points["redeemed"] == 2000  # RDM-2026-000 was sent twice
    assert points["balance"] == points["earned"] - points["redeemed"]


def test_R_C6_the_referred_customer_s_first_purchase_rewarded_the_referrer(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, _ = year
    referred = loop.customer("C-0150")
    assert referred["referrer"] == loop.customer("C-0003")["id"]
    assert loop.customer("C-0003")["referrals_rewarded"] == [referred["id"]]


def test_R_C3_the_invitation_without_promotion_consent_was_refused(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    (refusal,) = [r for r in demo.refusals if ": R-C3: " in r]
    assert "customer.contact" in refusal
    assert "C-0007" in refusal
    kinds = [c["kind"] for c in loop.customer("C-0007")["contacts"]]
    assert "invitation" not in kinds
    assert "revisit" in kinds


def test_R_C10_the_owner_who_stopped_coming_churned(year: tuple[ClosedLoop, Demo]) -> None:
    loop, _ = year
    churn = loop.churn_rate("2026")
    assert (churn["churned_customers"], churn["customers_at_start"]) == (["C-0059"], 60)
    assert loop.customer("C-0059")["status"] == "churned"


def test_R_C1_R_C2_the_erased_customer_s_data_was_read_with_a_reason_first(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, _ = year
    erased = loop.customer("C-0120")
    assert erased["personal_data"] == "erased"
    (read,) = erased["personal_data_reads"]
    assert read["by"] == DPO.id
    assert "DSR-2026-014" in read["reason"]
    assert read["at"] < erased["erased_at"]
    assert erased["revisit"]["missed"] is False  # R-C2, R-C9: no one is left to revisit
    assert "C-0120" not in [v["ref"] for v in loop.customers(missed_revisits=True)]


def test_R_C7_the_dissatisfied_complaint_s_rectification_was_carried_through(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    complaint = loop.complaint("CMP-2026-0042")
    assert complaint["status"] == "closed"
    rectification = loop.rectification("complaint CMP-2026-0042")
    assert "complaint CMP-2026-0042" in demo.rectifications
    assert (rectification["source"], rectification["status"]) == ("complaint", "closed")
    assert all(v["by"] != rectification["owner"] for v in rectification["verifications"])


def test_R_K2_a_high_risk_was_accepted_by_leadership_with_reason_and_expiry(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, demo = year
    assert {loop.risk(ref)["category"] for ref in demo.risks} == {
        "market",
        "activity",
        "customer",
        "legal",
    }
    accepted = loop.risk("RISK-SUBSIDY-END")
    acceptance = accepted["acceptance"]
    assert (accepted["level"], acceptance["by"], acceptance["in_force"]) == ("high", CEO.id, True)
    assert acceptance["reason"]
    assert acceptance["expires_on"].isoformat() == "2027-06-30"


def test_R_K2_the_high_data_risk_is_treated_then_monitored(
    year: tuple[ClosedLoop, Demo],
) -> None:
    loop, _ = year
    treated = loop.risk("RISK-DATA")
    assert (treated["status"], treated["response"]) == ("monitoring", "mitigate")
    assert treated["inherent"]["level"] == "high"
    assert all(m["done_on"] for m in treated["measures"])
    assert not loop.risks(late=True)  # R-K4: every open risk was reviewed on time


def test_R_K5_the_occurred_risk_s_rectification_was_closed(year: tuple[ClosedLoop, Demo]) -> None:
    loop, demo = year
    (occurrence,) = loop.risk("RISK-CHARGER-INSTALL")["occurrences"]
    rectification = loop.rectification("risk RISK-CHARGER-INSTALL occurrence 1")
    assert occurrence["rectification"] == rectification["id"]
    assert (rectification["source"], rectification["status"]) == ("risk_occurrence", "closed")
    assert "risk RISK-CHARGER-INSTALL occurrence 1" in demo.rectifications


def test_the_demo_year_is_the_same_on_every_run(year: tuple[ClosedLoop, Demo]) -> None:
    loop, demo = year
    clock = FixedClock("2025-11-03T09:00:00+00:00")
    with ClosedLoop("memory:", clock=clock) as again:
        assert run_demo(again, clock) == demo
        assert again.customers() == loop.customers()
        assert again.risks() == loop.risks()
