"""Plan rules R-P1 … R-P6, on every store for each rule's main path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from closedloop import (
    Actor,
    ClosedLoop,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    NotFound,
    RuleViolation,
)
from tests.cast import CEO, CFO, HEAD, LEAD, LI, ZHOU
from tests.plan_scenario import (
    add_item,
    approved_plan,
    complete_plan,
    draft_plan,
    monthly_plan,
    quarterly_plan,
)
from tests.scenario import approved_revenue_target


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def cny(amount: str) -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": "CNY"}


# --- R-P1 approval authority -----------------------------------------------------------------


def test_R_P1_annual_plans_are_approved_by_leadership(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    complete_plan(loop)
    loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    before = loop.position()
    with refused("R-P1") as error:
        loop.execute("plan.approve", LEAD, {"plan": "MKT-2026"})
    assert "annual plans are approved by leadership; sun.lead is not" in str(error.value)
    assert loop.position() == before  # R-G4
    assert loop.plan("MKT-2026")["status"] == "submitted"

    assert loop.execute("plan.approve", CEO, {"plan": "MKT-2026"})["status"] == "approved"
    assert loop.plan("MKT-2026")["approval"]["by"] == CEO.id


def test_R_P1_quarterly_plans_are_approved_by_leadership_too(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    complete_plan(mem_loop, "MKT-Q1", LI, level="quarterly", period="2026-Q1")
    mem_loop.execute("plan.submit", LI, {"plan": "MKT-Q1"})
    with refused("R-P1"):
        mem_loop.execute("plan.approve", HEAD, {"plan": "MKT-Q1"})  # Li's superior, not enough
    assert mem_loop.execute("plan.approve", CFO, {"plan": "MKT-Q1"})["status"] == "approved"


def test_R_P1_monthly_plans_are_approved_by_the_authors_superior(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    monthly_plan(loop, "LI-2026-03", LI)
    loop.execute("plan.submit", LI, {"plan": "LI-2026-03"})
    assert loop.plan("LI-2026-03")["author_superior"] == HEAD.id
    before = loop.position()
    for other in (LEAD, CEO):  # another manager; leadership, but not Li's superior
        with refused("R-P1") as error:
            loop.execute("plan.approve", other, {"plan": "LI-2026-03"})
        assert f"superior of its author li.marketer; not by {other.id}" in str(error.value)
    assert loop.position() == before
    assert loop.execute("plan.approve", HEAD, {"plan": "LI-2026-03"})["status"] == "approved"


def test_R_P1_a_monthly_plan_whose_author_had_no_superior_is_refused(
    mem_loop: ClosedLoop,
) -> None:
    wu = Actor("wu.marketer", "Wu", {"marketer"})
    approved_revenue_target(mem_loop)
    monthly_plan(mem_loop, "WU-2026-03", wu)
    mem_loop.execute("plan.submit", wu, {"plan": "WU-2026-03"})
    with refused("R-P1") as error:
        mem_loop.execute("plan.approve", HEAD, {"plan": "WU-2026-03"})
    assert "wu.marketer had no superior on record" in str(error.value)


def test_R_P1_rejection_needs_the_same_authority(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    monthly_plan(mem_loop, "ZHOU-2026-03", ZHOU)  # Zhou's superior is Sun
    mem_loop.execute("plan.submit", ZHOU, {"plan": "ZHOU-2026-03"})
    with refused("R-P1"):
        mem_loop.execute("plan.reject", HEAD, {"plan": "ZHOU-2026-03", "reason": "too thin"})
    result = mem_loop.execute(
        "plan.reject", LEAD, {"plan": "ZHOU-2026-03", "reason": "no channel strategy"}
    )
    assert result["status"] == "rejected"
    rejection = mem_loop.plan("ZHOU-2026-03")["rejection"]
    assert (rejection["by"], rejection["revision"], rejection["reason"]) == (
        LEAD.id,
        1,
        "no channel strategy",
    )


# --- R-P2 four eyes --------------------------------------------------------------------------


def test_R_P2_approver_cannot_be_the_author(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    complete_plan(loop, author=CEO)
    loop.execute("plan.submit", CEO, {"plan": "MKT-2026"})
    before = loop.position()
    with refused("R-P2") as error:
        loop.execute("plan.approve", CEO, {"plan": "MKT-2026"})
    assert "four eyes" in str(error.value)
    assert loop.position() == before
    assert loop.execute("plan.approve", CFO, {"plan": "MKT-2026"})["status"] == "approved"


def test_R_P2_approver_or_rejecter_cannot_be_the_submitter(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    complete_plan(mem_loop)
    mem_loop.execute("plan.submit", CFO, {"plan": "MKT-2026"})
    with refused("R-P2"):
        mem_loop.execute("plan.approve", CFO, {"plan": "MKT-2026"})
    with refused("R-P2"):
        mem_loop.execute("plan.reject", CFO, {"plan": "MKT-2026", "reason": "mine"})


def test_R_P2_a_superior_who_submitted_a_monthly_plan_cannot_approve_it(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    monthly_plan(mem_loop, "LI-2026-03", LI)
    mem_loop.execute("plan.submit", HEAD, {"plan": "LI-2026-03"})
    with refused("R-P2"):
        mem_loop.execute("plan.approve", HEAD, {"plan": "LI-2026-03"})


def test_R_P2_only_approvers_decide(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    complete_plan(mem_loop)
    mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("plan.approve", LI, {"plan": "MKT-2026"})


# --- R-P3 completeness -----------------------------------------------------------------------


def test_R_P3_submission_needs_a_linked_target_and_an_action_item(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    draft_plan(loop, linked_targets=[])
    before = loop.position()
    with refused("R-P3") as error:
        loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    assert "at least one linked target; at least one action item" in str(error.value)
    assert loop.position() == before
    assert loop.plan("MKT-2026")["missing"] == [
        "at least one linked target",
        "at least one action item",
    ]

    loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "linked_targets": ["REV-2026"]})
    add_item(loop)
    assert loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})["status"] == "submitted"
    assert loop.plan("MKT-2026")["missing"] == []


def test_R_P3_every_action_item_has_owner_due_date_in_period_and_effect(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop)
    draft_plan(mem_loop, "MKT-Q1", level="quarterly", period="2026-Q1")
    add_item(mem_loop, "MKT-Q1", owner=None, due="2026-04-15", expected_effect="")
    add_item(mem_loop, "MKT-Q1", start="2026-03-20", due="2026-03-10")
    add_item(mem_loop, "MKT-Q1", due=None)
    with refused("R-P3") as error:
        mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})
    message = str(error.value)
    for gap in (
        "action item A1: owner",
        "A1: due date 2026-04-15 inside the plan period 2026-Q1",
        "A1: expected effect",
        "A2: start 2026-03-20 on or before the due date 2026-03-10",
        "A3: due date",
    ):
        assert gap in message

    for item, fix in (
        ("A1", {"owner": LI.id, "due": "2026-03-31", "expected_effect": "50 leads"}),
        ("A2", {"start": None}),
        ("A3", {"due": "2026-03-25"}),
    ):
        mem_loop.execute("plan.update_action_item", HEAD, {"plan": "MKT-Q1", "item": item, **fix})
    assert mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})["status"] == "submitted"


def test_R_P3_an_items_target_is_one_the_plan_links(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    approved_revenue_target(
        mem_loop,
        ref="CSAT",
        metric="satisfaction",
        unit="points",
        value="90",
        aggregation="average",
    )
    complete_plan(mem_loop)
    add_item(mem_loop, target="CSAT")
    with refused("R-P3") as error:
        mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    assert "action item A2: a target the plan links" in str(error.value)


def test_R_P3_linked_targets_and_cited_research_must_exist(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    before = mem_loop.position()
    with pytest.raises(NotFound, match="no target NO-SUCH"):
        draft_plan(mem_loop, linked_targets=["REV-2026", "NO-SUCH"])
    with pytest.raises(NotFound, match="no research STUDY-X"):
        draft_plan(mem_loop, cited_research=["STUDY-X"])
    assert mem_loop.position() == before
    draft_plan(mem_loop)
    with pytest.raises(NotFound, match="no target NO-SUCH"):
        add_item(mem_loop, target="NO-SUCH")


# --- R-P4 money nests ------------------------------------------------------------------------


def test_R_P4_action_item_budgets_stay_within_the_plan_budget(loop: ClosedLoop) -> None:
    approved_revenue_target(loop)
    draft_plan(loop)  # 1,000,000 CNY
    add_item(loop, budget="800000")
    before = loop.position()
    with refused("R-P4") as error:
        add_item(loop, budget="300000 CNY")
    assert "action items need 1,100,000.00 CNY, more than the budget 1,000,000.00 CNY" in str(
        error.value
    )
    with refused("R-P4"):
        loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "799999.99"})
    with refused("R-P4"):
        loop.execute(
            "plan.update_action_item",
            HEAD,
            {"plan": "MKT-2026", "item": "A1", "budget": "1000000.01"},
        )
    assert loop.position() == before  # R-G4

    add_item(loop, budget="200000")
    view = loop.plan("MKT-2026")
    assert (view["budget"], view["allocated"], view["unallocated"]) == (
        cny("1000000"),
        cny("1000000"),
        cny("0"),
    )


def test_R_P4_every_amount_is_in_the_plans_currency(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    draft_plan(mem_loop)
    with refused("R-P4") as error:
        add_item(mem_loop, budget="1000 USD")
    assert "item A1 is in USD; plan MKT-2026 budgets in CNY" in str(error.value)
    with refused("R-P4"):
        mem_loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "1000000 USD"})
    with refused("R-P4"):
        draft_plan(
            mem_loop,
            "MKT-Q1",
            level="quarterly",
            period="2026-Q1",
            budget="100 USD",
            parent="MKT-2026",
        )


def test_R_P4_budgets_are_not_negative(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    with pytest.raises(InvalidInput, match="negative"):
        draft_plan(mem_loop, budget="-1")
    draft_plan(mem_loop)
    with pytest.raises(InvalidInput, match="negative"):
        add_item(mem_loop, budget="-100")


def test_R_P4_child_budgets_fit_in_the_parents_at_child_submission(loop: ClosedLoop) -> None:
    approved_plan(loop)  # 1,000,000 CNY
    quarterly_plan(loop, 1, "600000")
    quarterly_plan(loop, 2, "500000")
    loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})
    before = loop.position()
    with refused("R-P4") as error:
        loop.execute("plan.submit", HEAD, {"plan": "MKT-Q2"})
    assert (
        "the child plans of MKT-2026 would hold 1,100,000.00 CNY, more than its budget in "
        "force 1,000,000.00 CNY"
    ) in str(error.value)
    assert loop.position() == before

    loop.execute("plan.update", HEAD, {"plan": "MKT-Q2", "budget": "400000"})
    assert loop.execute("plan.submit", HEAD, {"plan": "MKT-Q2"})["status"] == "submitted"


def test_R_P4_a_draft_sibling_holds_nothing_yet(mem_loop: ClosedLoop) -> None:
    approved_plan(mem_loop)
    quarterly_plan(mem_loop, 1, "900000")
    quarterly_plan(mem_loop, 2, "900000")
    assert mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q2"})["status"] == "submitted"
    with refused("R-P4"):
        mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})


def test_R_P4_a_parent_budget_still_covers_its_children_at_its_submission(
    mem_loop: ClosedLoop,
) -> None:
    approved_plan(mem_loop)
    quarterly_plan(mem_loop, 1, "600000")
    mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})
    mem_loop.execute("plan.approve", CFO, {"plan": "MKT-Q1"})
    mem_loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": "budget cut"})
    mem_loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "500000"})
    with refused("R-P4") as error:
        mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    assert "child plans hold 600,000.00 CNY, more than the budget 500,000.00 CNY" in str(
        error.value
    )


def test_R_P4_children_nest_in_the_parents_budget_in_force(mem_loop: ClosedLoop) -> None:
    approved_plan(mem_loop)  # 1,000,000 CNY in force
    mem_loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": "expansion"})
    mem_loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "2000000"})
    quarterly_plan(mem_loop, 1, "1500000")
    with refused("R-P4") as error:
        mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})
    assert "budget in force 1,000,000.00 CNY" in str(error.value)

    mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    mem_loop.execute("plan.approve", CEO, {"plan": "MKT-2026"})
    assert mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-Q1"})["status"] == "submitted"


# --- R-P5 child plans sit inside their parent ------------------------------------------------


def test_R_P5_a_child_plans_period_lies_inside_its_parents(loop: ClosedLoop) -> None:
    approved_plan(loop)
    before = loop.position()
    with refused("R-P5") as error:
        draft_plan(
            loop,
            "MKT-2027-Q1",
            level="quarterly",
            period="2027-Q1",
            budget="100000",
            parent="MKT-2026",
        )
    assert "period 2027-Q1 lies outside period 2026 of parent plan MKT-2026" in str(error.value)
    assert loop.position() == before

    child = draft_plan(
        loop, "MKT-Q1", level="quarterly", period="2026-Q1", budget="100000", parent="MKT-2026"
    )
    assert loop.plan("MKT-2026")["children"] == [child["id"]]
    assert loop.plan("MKT-Q1")["parent"] == loop.plan("MKT-2026")["id"]


def test_R_P5_a_child_plans_level_is_below_its_parents(mem_loop: ClosedLoop) -> None:
    approved_plan(mem_loop)
    with refused("R-P5"):
        draft_plan(mem_loop, "MKT-2026-B", parent="MKT-2026")
    monthly_plan(mem_loop, "LI-2026-03", LI, parent="MKT-2026")
    with refused("R-P5") as error:
        draft_plan(mem_loop, "MKT-Q1", level="quarterly", period="2026-Q1", parent="LI-2026-03")
    assert "quarterly plans cannot sit under the monthly plan LI-2026-03" in str(error.value)


def test_a_plans_period_matches_its_level(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    with pytest.raises(InvalidInput, match="annual plans run for a year; 2026-Q1 is a quarter"):
        draft_plan(mem_loop, period="2026-Q1")
    with pytest.raises(InvalidInput, match="monthly plans run for a month"):
        draft_plan(mem_loop, level="monthly", period="2026")


# --- R-P6 revision ---------------------------------------------------------------------------


def test_R_P6_changing_an_approved_plan_needs_a_new_revision(loop: ClosedLoop) -> None:
    approved_plan(loop)
    before = loop.position()
    with refused("R-P6") as error:
        loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "1200000"})
    assert "revision 1 is approved; revise it (with a reason) to open revision 2" in str(
        error.value
    )
    with refused("R-P6"):
        add_item(loop)
    assert loop.position() == before

    result = loop.execute(
        "plan.revise", HEAD, {"plan": "MKT-2026", "reason": "autumn campaign added"}
    )
    assert (result["status"], result["revision"]) == ("draft", 2)
    loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "1200000"})
    add_item(loop, what="autumn campaign", start="2026-09-01", due="2026-10-31")

    view = loop.plan("MKT-2026")
    assert view["approval"]["revision"] == 1  # the last approved revision stays in force
    assert (view["approved"]["revision"], view["approved"]["budget"]) == (1, cny("1000000"))
    assert len(view["approved"]["action_items"]) == 1
    assert (view["current"]["revision"], view["current"]["budget"]) == (2, cny("1200000"))
    assert len(view["current"]["action_items"]) == 2
    assert view["unapproved_changes"] == ["budget", "items"]

    loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    loop.execute("plan.approve", CFO, {"plan": "MKT-2026"})
    view = loop.plan("MKT-2026")
    assert (view["approval"]["revision"], view["approval"]["by"]) == (2, CFO.id)
    assert view["approved"]["budget"] == cny("1200000")
    assert view["unapproved_changes"] == []


def test_R_P6_time_travel_shows_the_earlier_revision(loop: ClosedLoop, clock: FixedClock) -> None:
    approved = approved_plan(loop)
    approved_at = clock.now()
    clock.set("2026-02-01T09:00:00+00:00")
    loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": "budget raised"})
    loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "budget": "1500000"})

    for as_of in (approved["version"], approved_at):
        then = loop.plan("MKT-2026", as_of=as_of)
        assert (then["revision"], then["status"], then["budget"]) == (1, "approved", cny("1000000"))
        assert then["unapproved_changes"] == []
    now = loop.plan("MKT-2026")
    assert (now["revision"], now["status"], now["budget"]) == (2, "draft", cny("1500000"))


def test_R_P6_a_submitted_plan_cannot_be_edited(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    complete_plan(mem_loop)
    mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    with refused("R-P6") as error:
        mem_loop.execute("plan.update", HEAD, {"plan": "MKT-2026", "title": "Plan 2026 v2"})
    assert "submitted for approval; it must be rejected" in str(error.value)
    with refused("R-P6"):
        mem_loop.execute("plan.remove_action_item", HEAD, {"plan": "MKT-2026", "item": "A1"})

    mem_loop.execute("plan.reject", CEO, {"plan": "MKT-2026", "reason": "no channel strategy"})
    with refused("R-P6"):  # a rejected revision is closed too: revise it
        mem_loop.execute(
            "plan.update", HEAD, {"plan": "MKT-2026", "strategies": {"channel": "dealers"}}
        )
    mem_loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": "add channels"})
    mem_loop.execute(
        "plan.update", HEAD, {"plan": "MKT-2026", "strategies": {"channel": "dealers"}}
    )
    view = mem_loop.plan("MKT-2026")
    assert (view["status"], view["revision"], view["approved"]) == ("draft", 2, None)
    assert view["strategies"] == {
        "product": "launch the S line",
        "price": "",
        "channel": "dealers",
        "promotion": "spring fair",
    }


def test_R_P6_revisions_and_rejections_give_a_reason(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    complete_plan(mem_loop)
    with refused("R-P6"):  # a draft is edited, not revised
        mem_loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": "why not"})
    mem_loop.execute("plan.submit", HEAD, {"plan": "MKT-2026"})
    with refused("R-G3"):
        mem_loop.execute("plan.reject", CEO, {"plan": "MKT-2026", "reason": "   "})
    with pytest.raises(InvalidInput, match="reason"):
        mem_loop.execute("plan.reject", CEO, {"plan": "MKT-2026"})
    mem_loop.execute("plan.approve", CEO, {"plan": "MKT-2026"})
    with refused("R-G3"):
        mem_loop.execute("plan.revise", HEAD, {"plan": "MKT-2026", "reason": " "})


# --- action items and listings ---------------------------------------------------------------


def test_action_items_keep_stable_ids(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    draft_plan(mem_loop)
    assert [add_item(mem_loop, budget="1")["item"] for _ in range(2)] == ["A1", "A2"]
    mem_loop.execute("plan.remove_action_item", HEAD, {"plan": "MKT-2026", "item": "A1"})
    assert add_item(mem_loop, budget="1")["item"] == "A3"  # A1 is never reused
    assert add_item(mem_loop, budget="1", item="FAIR")["item"] == "FAIR"
    with pytest.raises(InvalidInput, match="already has an action item FAIR"):
        add_item(mem_loop, item="FAIR")
    with pytest.raises(NotFound, match="no action item A1"):
        mem_loop.execute(
            "plan.update_action_item", HEAD, {"plan": "MKT-2026", "item": "A1", "what": "gone"}
        )
    with pytest.raises(InvalidInput, match="cannot be cleared"):
        mem_loop.execute(
            "plan.update_action_item", HEAD, {"plan": "MKT-2026", "item": "A2", "budget": None}
        )
    assert [i["id"] for i in mem_loop.plan("MKT-2026")["action_items"]] == ["A2", "A3", "FAIR"]


def test_plans_are_listed(loop: ClosedLoop) -> None:
    approved_plan(loop)
    monthly_plan(loop, "LI-2026-03", LI, parent="MKT-2026")
    assert [p["ref"] for p in loop.plans()] == ["MKT-2026", "LI-2026-03"]
