"""Review rules R-E1 … R-E4, the finding → rectification flow, and L3."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import event, given, settings

from closedloop import (
    Actor,
    ClosedLoop,
    ClosedLoopError,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    Period,
    Policy,
    RuleViolation,
)
from closedloop.domain.policy import ReviewPolicy
from closedloop.domain.review import due_date
from tests.activity_scenario import summarised_activity
from tests.cast import AUDITOR, CEO, CFO, HEAD, LEAD, LI, ZHOU
from tests.review_scenario import (
    closed,
    closed_target,
    open_review,
    raised,
    review_with_finding,
)
from tests.scenario import approved_revenue_target

REVIEW = {"review": "REVIEW-2025-12"}


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """Everything a refused command must leave alone (R-G4): history and every view."""
    return loop.position(), loop.reviews(), loop.rectifications()


def finding(loop: ClosedLoop, finding_id: str, review: str = "REVIEW-2025-12") -> dict[str, Any]:
    return next(f for f in loop.review(review)["findings"] if f["id"] == finding_id)


# --- R-E1 cycles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "policy", "due"),
    [
        ("2026-03", {}, "2026-04-10"),
        ("2025-12", {}, "2026-01-10"),
        ("2026-Q1", {}, "2026-04-10"),
        ("2025-Q4", {}, "2026-01-10"),
        ("2025", {}, "2026-01-31"),
        ("2026-02", {"monthly_due_day": 5}, "2026-03-05"),
        ("2025", {"annual_due_month": 2}, "2026-02-28"),
    ],
)
def test_R_E1_due_dates_follow_the_policy(period: str, policy: dict[str, int], due: str) -> None:
    assert due_date(Period.parse(period), ReviewPolicy(**policy)) == date.fromisoformat(due)


def test_R_E1_monthly_quarterly_and_annual_reviews_per_scope(loop: ClosedLoop) -> None:
    open_review(loop, "REVIEW-2025-12")
    open_review(loop, "REVIEW-2025-Q4-SOUTH", "2025-Q4", scope="team", scope_ref="south")
    open_review(loop, "REVIEW-2025-LI", "2025", author=LI, scope="person", scope_ref=LI.id)
    views = {view["ref"]: view for view in loop.reviews()}
    assert {ref: (v["cycle"], v["scope"], v["scope_ref"]) for ref, v in views.items()} == {
        "REVIEW-2025-12": ("monthly", "company", ""),
        "REVIEW-2025-Q4-SOUTH": ("quarterly", "team", "south"),
        "REVIEW-2025-LI": ("annual", "person", LI.id),
    }
    assert views["REVIEW-2025-LI"]["due"] == date(2026, 1, 31)


def test_R_E1_a_team_or_person_review_names_its_scope(mem_loop: ClosedLoop) -> None:
    with refused("R-E1") as error:
        open_review(mem_loop, scope="team")
    assert "names its team" in str(error.value)
    with refused("R-E1"):
        open_review(mem_loop, scope_ref="south")
    assert mem_loop.position() == 0


def test_R_E1_a_review_is_not_finalised_before_its_period_ends(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    open_review(loop, "REVIEW-2026-01", "2026-01")
    loop.execute("review.generate_findings", HEAD, {"review": "REVIEW-2026-01"})
    before = snapshot(loop)
    with refused("R-E1") as error:
        loop.execute("review.finalise", CEO, {"review": "REVIEW-2026-01"})
    assert "runs until 2026-01-31; it is 2026-01-05" in str(error.value)
    assert snapshot(loop) == before

    clock.set("2026-02-01T09:00:00+00:00")
    assert loop.execute("review.finalise", CEO, {"review": "REVIEW-2026-01"})["on_time"] is True


def test_R_E1_the_view_shows_the_due_date_and_whether_it_was_on_time(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    open_review(loop)
    loop.execute("review.generate_findings", HEAD, REVIEW)
    view = loop.review("REVIEW-2025-12")
    assert (view["due"], view["late"], view["on_time"]) == (date(2026, 1, 10), False, None)

    clock.set("2026-01-11T09:00:00+00:00")
    assert loop.review("REVIEW-2025-12")["late"] is True
    loop.execute("review.finalise", CEO, REVIEW)
    view = loop.review("REVIEW-2025-12")
    assert (view["status"], view["on_time"], view["late"]) == ("finalised", False, False)
    assert (view["finalised_by"], view["finalised_at"]) == (CEO.id, clock.now())
    before = loop.review("REVIEW-2025-12", as_of=clock.now().replace(day=10))
    assert (before["status"], before["late"]) == ("evaluated", False)


# --- R-E2 metrics ----------------------------------------------------------------------------


def test_R_E2_results_come_from_the_targets_of_the_period_and_scope(loop: ClosedLoop) -> None:
    closed_target(loop)  # December, company: 70 %
    approved_revenue_target(
        loop, "REV-SOUTH-12", period="2025-12", scope="team", scope_ref="south", value="500000"
    )
    loop.execute(
        "target.record_actual",
        HEAD,
        {"target": "REV-SOUTH-12", "value": "550000", "as_of": "2025-12-31", "source": "ERP"},
    )
    approved_revenue_target(loop, "REV-2025-11", period="2025-11")  # another month
    loop.execute(
        "target.create",
        CEO,
        {"ref": "NPS-DRAFT", "metric": "satisfaction", "period": "2025-12"},  # a draft
    )
    open_review(loop)
    open_review(loop, "REVIEW-2025-12-SOUTH", scope="team", scope_ref="south")
    loop.execute("review.generate_findings", HEAD, REVIEW)
    loop.execute("review.generate_findings", HEAD, {"review": "REVIEW-2025-12-SOUTH"})

    company = loop.review("REVIEW-2025-12")["metrics"]
    assert [(m["name"], m["category"], m["actual"], m["target"]) for m in company] == [
        ("revenue (REV-2025-12)", "sales", Decimal("700000"), Decimal("1000000"))
    ]
    assert (company[0]["achievement"], company[0]["grade"]) == (Decimal("0.7000"), "fail")
    assert company[0]["from_target"] == loop.target("REV-2025-12")["id"]
    south = loop.review("REVIEW-2025-12-SOUTH")["metrics"]
    assert [(m["name"], m["achievement"], m["grade"]) for m in south] == [
        ("revenue (REV-SOUTH-12)", Decimal("1.1000"), "excellent")
    ]


def test_R_E2_a_customer_target_is_a_customer_metric(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(
        mem_loop, "NPS-2025-12", metric="customer satisfaction", unit="points", period="2025-12"
    )
    open_review(mem_loop)
    mem_loop.execute("review.generate_findings", HEAD, REVIEW)
    [result] = mem_loop.review("REVIEW-2025-12")["metrics"]
    assert (result["category"], result["actual"], result["grade"]) == ("customer", None, None)


def test_R_E2_reviewers_add_other_metrics_and_correct_them(loop: ClosedLoop) -> None:
    open_review(loop)
    metric = {
        "review": "REVIEW-2025-12",
        "name": "repeat purchase rate",
        "category": "customer",
        "unit": "%",
        "actual": "27",
        "target": "30",
    }
    assert loop.execute("review.record_metric", LI, metric)["grade"] == "pass"
    loop.execute("review.record_metric", LI, {**metric, "actual": "31"})  # corrected
    loop.execute(
        "review.record_metric",
        LI,
        {**metric, "name": "ROI", "category": "cost", "actual": "1.8", "target": "1.5"},
    )
    metrics = loop.review("REVIEW-2025-12")["metrics"]
    assert [(m["name"], m["category"], m["actual"], m["grade"]) for m in metrics] == [
        ("repeat purchase rate", "customer", Decimal("31"), "good"),
        ("ROI", "cost", Decimal("1.8"), "excellent"),
    ]
    with pytest.raises(InvalidInput, match="category"):
        loop.execute("review.record_metric", LI, {**metric, "category": "mood"})


# --- R-E3 grades -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "grade"),
    [("110", "excellent"), ("109.99", "good"), ("100", "good"), ("80", "pass"), ("79.99", "fail")],
)
def test_R_E3_grades_follow_the_policy_thresholds(
    mem_loop: ClosedLoop, actual: str, grade: str
) -> None:
    open_review(mem_loop)
    metric = {"review": "REVIEW-2025-12", "name": "awareness", "category": "market"}
    result = mem_loop.execute(
        "review.record_metric", LI, {**metric, "actual": actual, "target": "100"}
    )
    assert result["grade"] == grade


def test_R_E3_lower_is_better_metrics_grade_by_target_over_actual(mem_loop: ClosedLoop) -> None:
    open_review(mem_loop)
    churn = {"review": "REVIEW-2025-12", "name": "churn", "category": "customer"}
    result = mem_loop.execute(
        "review.record_metric",
        LI,
        {**churn, "direction": "lower", "actual": "5", "target": "4"},
    )
    assert (result["achievement"], result["grade"]) == (Decimal("0.8000"), "pass")


def test_R_E3_the_overall_grade_is_the_mean_achievements_and_follows_the_policy(
    clock: FixedClock,
) -> None:
    policy = Policy.from_mapping({"grades": {"excellent": "1.5", "good": "1.2", "pass": "1.0"}})
    with ClosedLoop("memory:", clock=clock, policy=policy) as loop:
        closed_target(loop, actual="1100000")  # 110 %: "pass" under this policy
        open_review(loop)
        loop.execute(
            "review.record_metric",
            LI,
            {**REVIEW, "name": "awareness", "category": "market", "actual": "130", "target": "100"},
        )
        loop.execute("review.generate_findings", HEAD, REVIEW)
        view = loop.review("REVIEW-2025-12")
        assert [m["grade"] for m in view["metrics"]] == ["good", "pass"]
        assert (view["achievement"], view["grade"]) == (Decimal("1.2000"), "good")
        result = loop.execute("review.finalise", CEO, REVIEW)
        assert result["grade"] == "good"


# --- R-E4 findings ---------------------------------------------------------------------------


def test_R_E4_each_shortfall_of_a_target_or_metric_is_a_finding(loop: ClosedLoop) -> None:
    closed_target(loop)
    closed_target(loop, "VOL-2025-12", metric="sales volume", unit="cars", value="100", actual="95")
    open_review(loop)
    loop.execute(
        "review.record_metric",
        LI,
        {**REVIEW, "name": "brand awareness", "category": "market", "actual": "50", "target": "80"},
    )
    result = loop.execute("review.generate_findings", HEAD, REVIEW)
    assert result["new_findings"] == ["F1", "F2"]
    metric, target = loop.review("REVIEW-2025-12")["findings"]  # in the order of the metrics
    assert [(f["id"], f["source"]) for f in (metric, target)] == [
        ("F1", "metric"),
        ("F2", "target"),
    ]
    assert "revenue (REV-2025-12)" in target["description"]
    assert "achievement 70.00 %, graded fail" in target["description"]
    assert target["source_ref"] == loop.target("REV-2025-12")["id"]
    assert metric["source_ref"] == "brand awareness"
    assert (metric["covered_by"], target["covered_by"]) == (None, None)


def test_R_E4_an_annual_company_review_finds_too_little_research(loop: ClosedLoop) -> None:
    open_review(loop, "REVIEW-2025", "2025")
    loop.execute("review.generate_findings", HEAD, {"review": "REVIEW-2025"})
    [found] = loop.review("REVIEW-2025")["findings"]
    assert (found["source"], found["source_ref"]) == ("research_coverage", "2025")
    assert "R-R1: 2025 has 0 comprehensive studies" in found["description"]
    open_review(loop, "REVIEW-2025-12", "2025-12")  # monthly: research is an annual matter
    loop.execute("review.generate_findings", HEAD, REVIEW)
    assert loop.review("REVIEW-2025-12")["findings"] == []


def test_R_E4_an_activitys_missed_objective_is_a_finding(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    summarised_activity(mem_loop, clock)  # March 2026: orders 45 of 60
    mem_loop.execute(
        "activity.evaluate",
        HEAD,
        {
            "activity": "SPRING-FAIR",
            "participants": 400,
            "conversions": 45,
            "attributed_revenue": "900000 CNY",
        },
    )
    open_review(mem_loop, "REVIEW-2026-03-LI", "2026-03", scope="person", scope_ref=LI.id)
    open_review(mem_loop, "REVIEW-2026-03-ZHOU", "2026-03", scope="person", scope_ref=ZHOU.id)
    open_review(mem_loop, "REVIEW-2026-02", "2026-02")
    for ref in ("REVIEW-2026-03-LI", "REVIEW-2026-03-ZHOU", "REVIEW-2026-02"):
        mem_loop.execute("review.generate_findings", HEAD, {"review": ref})
    [missed] = mem_loop.review("REVIEW-2026-03-LI")["findings"]
    assert missed["source"] == "activity_objective"
    assert missed["description"].startswith("activity SPRING-FAIR")
    assert "objective orders missed" in missed["description"]
    assert mem_loop.review("REVIEW-2026-03-ZHOU")["findings"] == []
    assert mem_loop.review("REVIEW-2026-02")["findings"] == []


def test_R_E4_generating_again_adds_only_what_is_new(loop: ClosedLoop) -> None:
    review_with_finding(loop)
    loop.execute(
        "review.add_finding", LI, {**REVIEW, "description": "dealer feedback ignored in Q4"}
    )
    again = loop.execute("review.generate_findings", HEAD, REVIEW)
    assert again["new_findings"] == []
    assert [(f["id"], f["source"]) for f in loop.review("REVIEW-2025-12")["findings"]] == [
        ("F1", "target"),
        ("F2", "reviewer"),
    ]


def test_R_E4_finalising_needs_the_evidence_read_first(mem_loop: ClosedLoop) -> None:
    open_review(mem_loop)
    with refused("R-E4") as error:
        mem_loop.execute("review.finalise", CEO, REVIEW)
    assert "generate its findings" in str(error.value)


def test_R_E4_a_review_is_finalised_only_when_every_finding_is_covered(loop: ClosedLoop) -> None:
    review_with_finding(loop)
    loop.execute("review.add_finding", LI, {**REVIEW, "description": "no follow-up of leads"})
    before = snapshot(loop)
    with refused("R-E4") as error:
        loop.execute("review.finalise", CEO, REVIEW)
    assert "findings F1, F2" in str(error.value)
    assert snapshot(loop) == before

    loop.execute(
        "review.raise_rectification",
        HEAD,
        {**REVIEW, "finding": "F1", "owner": LI.id, "deadline": "2026-02-28"},
    )
    loop.execute("review.request_waiver", HEAD, {**REVIEW, "finding": "F2", "reason": "one-off"})
    with refused("R-E4") as error:
        loop.execute("review.finalise", CEO, REVIEW)
    assert "findings F2 " in str(error.value)  # a waiver requested is not yet a waiver

    loop.execute("review.approve_waiver", CFO, {**REVIEW, "finding": "F2"})
    assert loop.execute("review.finalise", CEO, REVIEW)["status"] == "finalised"
    view = loop.review("REVIEW-2025-12")
    assert [(f["id"], f["covered_by"]) for f in view["findings"]] == [
        ("F1", "rectification"),
        ("F2", "waiver"),
    ]
    with refused("R-E4"):
        loop.execute("review.add_finding", LI, {**REVIEW, "description": "too late"})


def test_R_E4_a_waiver_is_approved_by_leadership_not_by_who_asked(loop: ClosedLoop) -> None:
    review_with_finding(loop)
    with refused("R-E4") as error:
        loop.execute("review.request_waiver", HEAD, {**REVIEW, "finding": "F1", "reason": " "})
    assert "reason" in str(error.value)
    loop.execute(
        "review.request_waiver",
        CEO,
        {**REVIEW, "finding": "F1", "reason": "the December target was set before the strike"},
    )
    before = snapshot(loop)
    with pytest.raises(NotAuthorised, match="R-G2"):
        loop.execute("review.approve_waiver", HEAD, {**REVIEW, "finding": "F1"})
    with pytest.raises(RuleViolation, match="R-G1"):
        loop.execute("review.approve_waiver", CEO, {**REVIEW, "finding": "F1"})
    assert snapshot(loop) == before

    loop.execute("review.approve_waiver", CFO, {**REVIEW, "finding": "F1"})
    waiver = finding(loop, "F1")["waiver"]
    assert waiver == {
        "reason": "the December target was set before the strike",
        "requested_by": CEO.id,
        "approved_by": CFO.id,
    }
    with refused("R-E4"):
        loop.execute(
            "review.raise_rectification", HEAD, {**REVIEW, "finding": "F1", "owner": LI.id}
        )


def test_R_G1_a_review_is_finalised_by_someone_other_than_its_author(
    mem_loop: ClosedLoop,
) -> None:
    open_review(mem_loop)
    mem_loop.execute("review.generate_findings", HEAD, REVIEW)
    with pytest.raises(RuleViolation, match="R-G1"):
        mem_loop.execute("review.finalise", HEAD, REVIEW)
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("review.finalise", LI, REVIEW)
    assert mem_loop.execute("review.finalise", LEAD, REVIEW)["status"] == "finalised"


# --- finding → rectification, atomically ------------------------------------------------------


def test_R_E4_a_finding_raises_its_rectification_linked_both_ways(loop: ClosedLoop) -> None:
    review_with_finding(loop)
    result = loop.execute(
        "review.raise_rectification",
        HEAD,
        {**REVIEW, "finding": "F1", "owner": LI.id, "cause_code": "channel"},
    )
    assert result["rectification"]["ref"] == "REVIEW-2025-12/F1"
    rectification = loop.rectification("REVIEW-2025-12/F1")
    assert (rectification["source"], rectification["source_ref"]) == (
        "finding",
        "REVIEW-2025-12#F1",
    )
    assert rectification["problem"] == finding(loop, "F1")["description"]
    assert (rectification["owner"], rectification["cause_code"]) == (LI.id, "CHANNEL")
    assert finding(loop, "F1")["rectification"] == {
        "id": rectification["id"],
        "ref": "REVIEW-2025-12/F1",
        "status": "open",
        "recurrence_count": 0,
    }
    with refused("R-E4") as error:  # one rectification per finding
        loop.execute(
            "review.raise_rectification",
            HEAD,
            {**REVIEW, "finding": "F1", "owner": LI.id, "ref": "RX-AGAIN"},
        )
    assert "already covered by a rectification" in str(error.value)


def test_R_E4_raising_a_rectification_from_a_finding_is_all_or_nothing(loop: ClosedLoop) -> None:
    """R-G4 across aggregates: the review links the finding first; the new rectification
    then conflicts with an existing one. Neither changes: the review's link is never saved."""
    review_with_finding(loop)
    raised(loop, "RX-TAKEN")
    before = snapshot(loop)
    with pytest.raises(ConcurrencyConflict, match="rectification RX-TAKEN already exists"):
        loop.execute(
            "review.raise_rectification",
            HEAD,
            {**REVIEW, "finding": "F1", "owner": LI.id, "ref": "RX-TAKEN"},
        )
    assert snapshot(loop) == before
    assert finding(loop, "F1")["rectification"] is None
    assert loop.rectification("RX-TAKEN")["source"] == "audit"

    with refused("R-X1"):  # the rectification's own rule, after the review's part passed
        loop.execute("review.raise_rectification", HEAD, {**REVIEW, "finding": "F1", "owner": " "})
    assert snapshot(loop) == before


# --- R-X6 recurring findings -----------------------------------------------------------------


def test_R_X6_a_finding_with_a_recently_closed_cause_code_is_a_recurrence(
    loop: ClosedLoop,
) -> None:
    closed(loop, "RX-1", cause_code="PRICING")
    review_with_finding(loop)
    added = loop.execute(
        "review.add_finding",
        LI,
        {**REVIEW, "description": "dealer prices wrong again", "cause_code": "pricing"},
    )
    first = loop.rectification("RX-1")
    recurring = finding(loop, added["finding"])
    assert (recurring["recurrence_of"], recurring["recurrence_count"]) == (first["id"], 1)
    assert loop.review("REVIEW-2025-12")["recurrences"] == 1
    assert first["recurred_by"] == ["finding REVIEW-2025-12#F2"]

    loop.execute("review.raise_rectification", HEAD, {**REVIEW, "finding": "F2", "owner": LI.id})
    raised_again = loop.rectification("REVIEW-2025-12/F2")
    assert (raised_again["cause_code"], raised_again["recurrence_count"]) == ("PRICING", 1)
    assert finding(loop, "F2")["rectification"]["recurrence_count"] == 1
    assert loop.rectification("RX-1")["recurred_by"] == ["finding REVIEW-2025-12#F2"]  # once


# --- L3 --------------------------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "raise", "request_waiver", "approve_waiver", "finalise"]),
        st.sampled_from(["F1", "F2", "F3"]),
        st.sampled_from([CEO, CFO, HEAD, LEAD, LI, ZHOU, AUDITOR]),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(steps=STEPS)
def test_L3_every_finalised_review_has_every_finding_covered(
    steps: list[tuple[str, str, Actor]],
) -> None:
    """Any sequence of findings, rectifications, waivers and finalisations by anyone: a
    finalised review has every finding linked to a rectification or an approved waiver."""
    with ClosedLoop("memory:", clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        review_with_finding(loop)
        commands = {
            "add": ("review.add_finding", {"description": "leads not followed up"}),
            "raise": ("review.raise_rectification", {"owner": LI.id}),
            "request_waiver": ("review.request_waiver", {"reason": "one-off"}),
            "approve_waiver": ("review.approve_waiver", {}),
            "finalise": ("review.finalise", {}),
        }
        for step, finding_id, actor in steps:
            command, args = commands[step]
            if step in ("raise", "request_waiver", "approve_waiver"):
                args = {**args, "finding": finding_id}
            try:
                loop.execute(command, actor, {**REVIEW, **args})
            except ClosedLoopError:
                continue
        view = loop.review("REVIEW-2025-12")
        event(f"review {view['status']}")
        if view["status"] == "finalised":
            for found in view["findings"]:
                assert found["covered_by"] in ("rectification", "waiver")
                if found["covered_by"] == "rectification":
                    assert loop.rectification(found["rectification"]["id"])["source_ref"] == (
                        f"REVIEW-2025-12#{found['id']}"
                    )
                else:
                    assert found["waiver"]["approved_by"] not in (
                        None,
                        found["waiver"]["requested_by"],
                    )
