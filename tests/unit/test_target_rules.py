"""Target rules R-T1 … R-T5, on every store."""

from __future__ import annotations

from decimal import Decimal

import pytest

from closedloop import ClosedLoop, FixedClock, NotAuthorised, RuleViolation
from tests.cast import CEO, CFO, HEAD, LI, ZHOU
from tests.scenario import approved_revenue_target, draft_revenue_target, quarters


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


# --- R-T1 SMART ------------------------------------------------------------------------------


def test_R_T1_submission_refused_until_every_smart_part_is_there(loop: ClosedLoop) -> None:
    loop.execute(
        "target.create", CEO, {"ref": "NEW-CUST", "metric": "new customers", "period": "2026"}
    )
    with refused("R-T1") as error:
        loop.execute("target.submit", CEO, {"target": "NEW-CUST"})
    for part in ("numeric value", "unit", "owner", "basis or parent"):
        assert part in str(error.value)

    loop.execute(
        "target.update",
        CEO,
        {
            "target": "NEW-CUST",
            "value": "800",
            "unit": "customers",
            "owner": HEAD.id,
            "basis": "retention plan 2026",
        },
    )
    assert loop.execute("target.submit", CEO, {"target": "NEW-CUST"})["status"] == "submitted"


def test_R_T1_a_team_target_names_its_team(mem_loop: ClosedLoop) -> None:
    draft_revenue_target(mem_loop, scope="team")
    with refused("R-T1") as error:
        mem_loop.execute("target.submit", HEAD, {"target": "REV-2026"})
    assert "which team" in str(error.value)


# --- R-T2 decomposition ----------------------------------------------------------------------


def test_R_T2_children_must_add_up_exactly(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    before = loop.position()
    with refused("R-T2") as error:
        loop.execute(
            "target.decompose",
            HEAD,
            {
                "target": "REV-2026",
                "dimension": "period",
                "children": quarters("REV-2026", ["3000000", "3000000", "3000000", "2999999.99"]),
            },
        )
    assert "difference 0.01" in str(error.value)
    assert loop.position() == before  # R-G4: nothing partial
    assert loop.target("REV-2026")["decompositions"] == {}


def test_R_T2_children_keep_metric_and_unit_and_sit_inside_the_parent(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    loop.execute(
        "target.decompose",
        HEAD,
        {
            "target": "REV-2026",
            "dimension": "period",
            "children": quarters("REV-2026", ["2400000", "2800000", "3200000", "3600000"]),
        },
    )
    tree = loop.target_tree("REV-2026")
    quarters_ = tree["children"]["period"]
    assert [q["period"] for q in quarters_] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert {(q["metric"], q["unit"]) for q in quarters_} == {("revenue", "CNY")}
    assert all(q["parent"] == tree["id"] for q in quarters_)
    assert tree["gaps"] == {"period": Decimal(0)}


def test_R_T2_a_child_period_outside_the_parent_is_refused(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    children = quarters("REV-2026", ["6000000", "6000000"])
    children[1]["period"] = "2027-Q1"
    with refused("R-T2") as error:
        mem_loop.execute(
            "target.decompose",
            HEAD,
            {"target": "REV-2026", "dimension": "period", "children": children},
        )
    assert "2027-Q1 lies outside parent period 2026" in str(error.value)


def test_R_T2_overlapping_child_periods_are_refused(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    children = [
        {"value": "6000000", "period": "2026-Q1"},
        {"value": "6000000", "period": "2026-03"},
    ]
    with refused("R-T2"):
        mem_loop.execute(
            "target.decompose",
            HEAD,
            {"target": "REV-2026", "dimension": "period", "children": children},
        )


def test_R_T2_split_into_persons_needs_narrower_scopes(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    people = [
        {"value": "6000000", "scope": "person", "scope_ref": LI.id},
        {"value": "6000000", "scope": "person", "scope_ref": ZHOU.id},
    ]
    result = mem_loop.execute(
        "target.decompose", HEAD, {"target": "REV-2026", "dimension": "scope", "children": people}
    )
    owners = [mem_loop.target(child["id"])["owner"] for child in result["children"]]
    assert owners == [LI.id, ZHOU.id]
    with refused("R-T2"):
        mem_loop.execute(
            "target.decompose",
            HEAD,
            {"target": "REV-2026", "dimension": "scope", "children": people},
        )


def test_R_T2_average_targets_need_not_add_up(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(
        mem_loop,
        ref="CSAT",
        metric="satisfaction",
        unit="points",
        value="90",
        aggregation="average",
    )
    mem_loop.execute(
        "target.decompose",
        HEAD,
        {"target": "CSAT", "dimension": "period", "children": quarters("CSAT", ["88", "90"])},
    )


# --- R-T3 adjustment -------------------------------------------------------------------------


def test_R_T3_an_approved_target_changes_only_through_an_adjustment(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    with refused("R-T3"):
        loop.execute("target.update", HEAD, {"target": "REV-2026", "value": "10000000"})
    loop.execute(
        "target.request_adjustment",
        HEAD,
        {
            "target": "REV-2026",
            "value": "10000000",
            "reason": "a key distributor closed in March",
            "analysis": "channel loss of 2.0 M CNY, see Q1 review",
        },
    )
    result = loop.execute("target.approve_adjustment", CEO, {"target": "REV-2026"})
    assert result["status"] == "approved"
    view = loop.target("REV-2026")
    assert view["value"] == Decimal("10000000")
    assert view["original_value"] == Decimal("12000000")
    assert view["approval"]["revision"] == 2
    assert view["adjustments"][0]["decision"] == "approved"


def test_R_T3_an_adjustment_needs_reason_and_analysis(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    with refused("R-T3"):
        mem_loop.execute(
            "target.request_adjustment",
            HEAD,
            {"target": "REV-2026", "value": "10000000", "reason": "market", "analysis": "   "},
        )


def test_R_T3_the_owner_never_approves_an_adjustment(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop, owner=CEO.id)
    mem_loop.execute(
        "target.request_adjustment",
        HEAD,
        {
            "target": "REV-2026",
            "value": "13000000",
            "reason": "new product line",
            "analysis": "launch adds 1 M CNY",
        },
    )
    with refused("R-T3"):
        mem_loop.execute("target.approve_adjustment", CEO, {"target": "REV-2026"})


def test_R_T3_only_leadership_approves_an_adjustment(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    mem_loop.execute(
        "target.request_adjustment",
        LI,
        {
            "target": "REV-2026",
            "value": "13000000",
            "reason": "new product line",
            "analysis": "launch adds 1 M CNY",
        },
    )
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("target.approve_adjustment", HEAD, {"target": "REV-2026"})


def test_R_T3_achievement_is_reported_against_original_and_adjusted(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    loop.execute(
        "target.request_adjustment",
        HEAD,
        {
            "target": "REV-2026",
            "value": "10000000",
            "reason": "distributor lost",
            "analysis": "2 M CNY channel loss",
        },
    )
    loop.execute("target.approve_adjustment", CEO, {"target": "REV-2026"})
    loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": "11000000", "as_of": "2026-12-31", "source": "ERP"},
    )
    view = loop.target("REV-2026")
    assert view["achievement"] == Decimal("1.1000")
    assert view["achievement_original"] == Decimal("0.9167")
    assert view["grade"] == "excellent"


# --- R-T4 actuals ----------------------------------------------------------------------------


def test_R_T4_actuals_are_recorded_on_approved_targets_only(loop: ClosedLoop) -> None:
    draft_revenue_target(loop)
    before = loop.position()
    with refused("R-T4"):
        loop.execute(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": "100", "as_of": "2026-01-31", "source": "ERP"},
        )
    assert loop.position() == before


def test_R_T4_achievement_for_higher_and_lower_is_better(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    approved_revenue_target(
        mem_loop,
        ref="CHURN",
        metric="churn rate",
        unit="%",
        value="5",
        direction="lower",
        aggregation="latest",
    )
    mem_loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": "9000000", "as_of": "2026-09-30", "source": "ERP"},
    )
    mem_loop.execute(
        "target.record_actual",
        LI,
        {"target": "CHURN", "value": "4", "as_of": "2026-09-30", "source": "CRM"},
    )
    assert mem_loop.target("REV-2026")["achievement"] == Decimal("0.7500")
    assert mem_loop.target("CHURN")["achievement"] == Decimal("1.2500")


def test_R_T4_the_latest_measurement_by_date_counts(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    for value, day in (("5000000", "2026-06-30"), ("2000000", "2026-03-31")):
        mem_loop.execute(
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": value, "as_of": day, "source": "ERP"},
        )
    assert mem_loop.target("REV-2026")["actual"] == Decimal("5000000")


def test_R_T4_sum_targets_roll_up_their_childrens_actuals(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    loop.execute(
        "target.decompose",
        HEAD,
        {
            "target": "REV-2026",
            "dimension": "period",
            "children": quarters("REV-2026", ["2400000", "2800000", "3200000", "3600000"]),
        },
    )
    for i, value in ((1, "2500000.50"), (2, "2700000.25")):
        ref = f"REV-2026-Q{i}"
        loop.execute("target.submit", HEAD, {"target": ref})
        loop.execute("target.approve", CFO, {"target": ref})
        loop.execute(
            "target.record_actual",
            LI,
            {"target": ref, "value": value, "as_of": f"2026-0{3 * i}-30", "source": "ERP"},
        )
    assert loop.target("REV-2026")["actual"] == Decimal("5200000.75")


# --- R-T5 close ------------------------------------------------------------------------------


def test_R_T5_a_target_closes_only_after_its_period(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_revenue_target(mem_loop)
    mem_loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": "12500000", "as_of": "2026-12-31", "source": "ERP"},
    )
    clock.set("2026-12-31T18:00:00+00:00")
    with refused("R-T5") as error:
        mem_loop.execute("target.close", HEAD, {"target": "REV-2026"})
    assert "runs until 2026-12-31" in str(error.value)
    clock.set("2027-01-08T09:00:00+00:00")
    result = mem_loop.execute("target.close", HEAD, {"target": "REV-2026"})
    assert (result["status"], result["grade"], result["shortfall"]) == ("closed", "good", False)


def test_R_T5_a_miss_below_the_pass_grade_is_a_shortfall(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_revenue_target(loop)
    loop.execute(
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": "9000000", "as_of": "2026-12-31", "source": "ERP"},
    )
    clock.set("2027-01-08T09:00:00+00:00")
    result = loop.execute("target.close", HEAD, {"target": "REV-2026"})
    assert result["achievement"] == Decimal("0.7500")
    assert (result["grade"], result["shortfall"]) == ("fail", True)
    assert loop.target("REV-2026")["final"]["shortfall"] is True
