"""The demo year plays every part of the loop the foundation promises, through the catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from closedloop import ClosedLoop, FixedClock
from closedloop.adapters.demo import CEO, HEAD, MARKETERS, Demo, run_demo


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
    assert rules == ["R-A3", "R-A5"]
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
