"""Activity rules R-A1 … R-A9 (and L1, L2): each rule's main path on every store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import (
    Actor,
    ClosedLoop,
    ClosedLoopError,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    NotFound,
    Policy,
    RuleViolation,
)
from closedloop.domain.activity import Activity, Kind
from closedloop.domain.activity_values import (
    BudgetLine,
    Change,
    Objective,
    Step,
    Window,
    evaluate_results,
)
from closedloop.domain.compliance import (
    DEFAULT_LEXICON_VERSION,
    DEFAULT_TERMS,
    Evidence,
    Lexicon,
)
from closedloop.domain.money import Money
from closedloop.domain.policy import ActivityPolicy
from tests.activity_scenario import (
    CLEAN_COPY,
    DIRTY_COPY,
    LEGAL,
    OPENING,
    STEPS,
    SUMMARY,
    approved_activity,
    completed_activity,
    draft_activity,
    prepared_activity,
    running_activity,
    summarised_activity,
)
from tests.cast import CEO, CFO, HEAD, LEAD, LI
from tests.plan_scenario import approved_plan

A = {"activity": "SPRING-FAIR"}


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def cny(amount: str) -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": "CNY"}


def expense(loop: ClosedLoop, receipt: str, amount: str, actor: Actor = LI) -> dict[str, Any]:
    return loop.execute(
        "activity.record_expense",
        actor,
        {**A, "receipt": receipt, "amount": amount, "category": "media"},
    )


def exemption(term: str, valid_until: str = "2026-12-31", **overrides: str) -> dict[str, str]:
    return {
        **A,
        "term": term,
        "valid_from": "2026-01-01",
        "valid_until": valid_until,
        "region": "mainland China",
        "source": "China Furniture Association sales ranking 2025",
        **overrides,
    }


# --- R-A1 nothing runs before approval; review by the department head ------------------------


def test_R_A1_nothing_runs_before_approval(loop: ClosedLoop, clock: FixedClock) -> None:
    draft_activity(loop)
    clock.set(OPENING)
    before = loop.position()
    for command in ("activity.start", "activity.prepare"):
        with refused("R-A1") as error:
            loop.execute(command, LI, A)
        assert "it is draft; nothing runs before approval" in str(error.value)
    assert loop.position() == before
    loop.execute("activity.propose", LI, A)
    loop.execute("activity.review", HEAD, A)
    before = loop.position()
    with refused("R-A1") as error:
        loop.execute("activity.start", LI, A)
    assert "reviewed; nothing runs before approval" in str(error.value)
    assert loop.position() == before  # R-G4
    assert loop.activity("SPRING-FAIR")["status"] == "reviewed"


def test_R_A1_the_owners_department_head_reviews(loop: ClosedLoop) -> None:
    draft_activity(loop)
    loop.execute("activity.propose", LI, A)
    before = loop.position()
    for other in (LEAD, CEO):  # another manager; leadership, but not Li's superior
        with refused("R-A1") as error:
            loop.execute("activity.review", other, A)
        assert f"department head of its owner li.marketer; not by {other.id}" in str(error.value)
    with refused("R-A1"):
        loop.execute("activity.approve", CFO, A)  # not reviewed yet
    assert loop.position() == before
    assert loop.execute("activity.review", HEAD, A)["status"] == "reviewed"
    assert loop.execute("activity.approve", CFO, A)["status"] == "approved"
    view = loop.activity("SPRING-FAIR")
    assert (view["review"]["by"], view["approval"]["by"], view["approval"]["revision"]) == (
        HEAD.id,
        CFO.id,
        1,
    )


def test_R_A1_review_and_approval_are_two_people_neither_the_owner(mem_loop: ClosedLoop) -> None:
    draft_activity(mem_loop, owner=LEAD)  # Sun's superior is Chen
    mem_loop.execute("activity.propose", LEAD, A)
    mem_loop.execute("activity.review", HEAD, A)
    with refused("R-A1") as error:
        mem_loop.execute("activity.approve", HEAD, A)
    assert "review and approval are two people" in str(error.value)
    with refused("R-G1"):
        mem_loop.execute("activity.approve", LEAD, A)
    assert mem_loop.execute("activity.approve", CFO, A)["status"] == "approved"


def test_R_A1_retention_activities_are_approved_by_leadership(loop: ClosedLoop) -> None:
    draft_activity(loop, kind="retention_event", theme="Core customers' spring dinner")
    loop.execute("activity.propose", LI, A)
    loop.execute("activity.review", HEAD, A)
    before = loop.position()
    with refused("R-A1") as error:
        loop.execute("activity.approve", LEAD, A)
    assert "retention activities are decided by leadership" in str(error.value)
    assert loop.position() == before
    assert loop.execute("activity.approve", CEO, A)["status"] == "approved"


def test_R_A1_only_a_complete_activity_is_proposed(mem_loop: ClosedLoop) -> None:
    draft_activity(mem_loop, objectives=[], channels=[], kind="advertising", content="")
    before = mem_loop.position()
    with refused("R-A1") as error:
        mem_loop.execute("activity.propose", LI, A)
    for part in ("measurable objective", "channels", "the ad copy"):
        assert part in str(error.value)
    assert mem_loop.position() == before


def test_R_A1_a_rejection_reopens_the_draft_as_the_next_revision(mem_loop: ClosedLoop) -> None:
    draft_activity(mem_loop)
    mem_loop.execute("activity.propose", LI, A)
    with refused("R-A4"):
        mem_loop.execute("activity.update", LI, {**A, "place": "Shenzhen"})  # awaits a decision
    mem_loop.execute("activity.reject", HEAD, {**A, "reason": "the venue is too far out"})
    view = mem_loop.activity("SPRING-FAIR")
    assert (view["status"], view["revision"], view["rejections"][0]["stage"]) == (
        "draft",
        2,
        "proposed",
    )
    mem_loop.execute("activity.update", LI, {**A, "place": "Tianhe mall"})
    mem_loop.execute("activity.propose", LI, A)
    mem_loop.execute("activity.review", HEAD, A)
    with refused("R-A1"):
        mem_loop.execute("activity.reject", HEAD, {**A, "reason": "x"})  # the reviewer again
    mem_loop.execute("activity.approve", CFO, A)
    view = mem_loop.activity("SPRING-FAIR")
    assert (view["place"], view["approval"]["revision"]) == ("Tianhe mall", 2)


def test_R_A1_an_owner_without_a_superior_has_no_reviewer(mem_loop: ClosedLoop) -> None:
    wu = Actor("wu.marketer", "Wu", {"marketer"})
    draft_activity(mem_loop, owner=wu)
    mem_loop.execute("activity.propose", wu, A)
    with refused("R-A1") as error:
        mem_loop.execute("activity.review", HEAD, A)
    assert "wu.marketer had no superior" in str(error.value)


def test_a_linked_plan_and_action_item_must_exist(mem_loop: ClosedLoop) -> None:
    approved_plan(mem_loop)
    with pytest.raises(NotFound):
        draft_activity(mem_loop, plan="NO-SUCH-PLAN", action_item="A1")
    with pytest.raises(NotFound):
        draft_activity(mem_loop, plan="MKT-2026", action_item="A9")
    draft_activity(mem_loop, plan="MKT-2026", action_item="A1")
    view = mem_loop.activity("SPRING-FAIR")
    assert (view["plan"], view["action_item"]) == (mem_loop.plan("MKT-2026")["id"], "A1")


# --- R-A2 the execution plan is approved before the start ------------------------------------


def test_R_A2_the_execution_plan_is_approved_before_the_start(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_activity(loop)
    clock.set(OPENING)
    before = loop.position()
    for command in ("activity.prepare", "activity.start"):
        with refused("R-A2") as error:
            loop.execute(command, LI, A)
        assert "its execution plan is not approved" in str(error.value)
    with refused("R-A2"):
        loop.execute("activity.approve_execution_plan", HEAD, A)  # nothing submitted
    assert loop.position() == before

    loop.execute("activity.submit_execution_plan", LEAD, {**A, "steps": STEPS})
    before = loop.position()
    with refused("R-A2") as error:
        loop.execute("activity.approve_execution_plan", LEAD, A)  # its author
    assert "four eyes" in str(error.value)
    assert loop.position() == before
    assert loop.execute("activity.approve_execution_plan", HEAD, A)["status"] == (
        "execution_plan_approved"
    )
    with refused("R-A2"):
        loop.execute("activity.start", LI, A)  # prepared first
    loop.execute("activity.prepare", LI, A)
    assert loop.execute("activity.start", LI, A)["status"] == "running"
    plan = loop.activity("SPRING-FAIR")["execution_plan"]
    assert (plan["author"], plan["approval"]["by"], len(plan["steps"])) == (LEAD.id, HEAD.id, 3)
    assert plan["steps"][0] == {
        "what": "book the venue",
        "owner": LI.id,
        "start": date(2026, 2, 1),
        "due": date(2026, 2, 10),
    }


def test_R_A2_an_execution_plan_has_steps_each_with_owner_and_dates(mem_loop: ClosedLoop) -> None:
    draft_activity(mem_loop)
    with refused("R-A2"):
        mem_loop.execute("activity.submit_execution_plan", LI, {**A, "steps": STEPS})  # draft
    mem_loop.execute("activity.propose", LI, A)
    mem_loop.execute("activity.review", HEAD, A)
    mem_loop.execute("activity.approve", CFO, A)
    before = mem_loop.position()
    with refused("R-A2"):
        mem_loop.execute("activity.submit_execution_plan", LI, {**A, "steps": []})
    backwards = {"what": "print", "owner": LI.id, "start": "2026-02-10", "due": "2026-02-01"}
    with pytest.raises(InvalidInput, match="due"):
        mem_loop.execute("activity.submit_execution_plan", LI, {**A, "steps": [backwards]})
    with pytest.raises(InvalidInput):
        mem_loop.execute("activity.submit_execution_plan", LI, {**A, "steps": [{"what": "print"}]})
    assert mem_loop.position() == before


# --- R-A3 advertising copy passes the compliance check before launch -------------------------


def test_R_A3_launch_is_refused_without_a_check_of_the_current_copy(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    prepared_activity(loop, kind="advertising")
    clock.set(OPENING)
    before = loop.position()
    with refused("R-A3") as error:
        loop.execute("activity.start", LI, A)
    assert "copy version 1" in str(error.value)
    assert "it was never checked" in str(error.value)
    assert loop.position() == before
    result = loop.execute("activity.check_copy", LI, A)
    assert (result["content_version"], result["lexicon_version"], result["hits"]) == (
        1,
        loop.policy.compliance.lexicon().version,
        [],
    )
    assert loop.execute("activity.start", LI, A)["status"] == "running"
    copy = loop.activity("SPRING-FAIR")["copy"]
    assert copy["checked_current"] is True
    assert copy["unexempted_terms"] == []


def test_R_A3_prohibited_terms_block_launch_and_are_named(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    prepared_activity(mem_loop, kind="advertising", content=DIRTY_COPY)
    result = mem_loop.execute("activity.check_copy", LI, A)
    assert result["hits"] == ["全国第一", "最佳"]
    clock.set(OPENING)
    before = mem_loop.position()
    with refused("R-A3") as error:
        mem_loop.execute("activity.start", LI, A)
    assert "without an exemption valid on 2026-03-01: 全国第一, 最佳" in str(error.value)
    assert mem_loop.position() == before
    hits = mem_loop.activity("SPRING-FAIR")["copy"]["checks"][0]["hits"]
    assert hits[0] == {"term": "全国第一", "start": 0, "end": 4, "excerpt": "全国第一"}


def test_R_A3_a_compliance_exemption_with_valid_evidence_lets_it_launch(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    prepared_activity(loop, kind="advertising", content=DIRTY_COPY)
    loop.execute("activity.check_copy", LI, A)
    loop.execute("activity.record_exemption", LEGAL, exemption("全国第一"))
    loop.execute("activity.record_exemption", LEGAL, exemption("最佳", valid_until="2026-02-28"))
    clock.set(OPENING)
    with refused("R-A3") as error:  # the evidence for 最佳 expired the day before launch
        loop.execute("activity.start", LI, A)
    assert str(error.value).endswith(": 最佳")
    loop.execute("activity.record_exemption", LEGAL, exemption("最佳", valid_until="2026-03-31"))
    assert loop.execute("activity.start", LI, A)["status"] == "running"
    exemptions = loop.activity("SPRING-FAIR")["copy"]["exemptions"]
    assert [(e["term"], e["by"], e["valid_until"]) for e in exemptions] == [
        ("全国第一", LEGAL.id, date(2026, 12, 31)),
        ("最佳", LEGAL.id, date(2026, 2, 28)),
        ("最佳", LEGAL.id, date(2026, 3, 31)),
    ]


def test_R_A3_an_exemption_needs_a_hit_and_evidence_limited_in_time_region_and_source(
    mem_loop: ClosedLoop,
) -> None:
    draft_activity(mem_loop, kind="advertising", content=DIRTY_COPY)
    with refused("R-A3"):  # not checked yet
        mem_loop.execute("activity.record_exemption", LEGAL, exemption("最佳"))
    mem_loop.execute("activity.check_copy", LI, A)
    before = mem_loop.position()
    with refused("R-A3") as error:
        mem_loop.execute("activity.record_exemption", LEGAL, exemption("顶级"))
    assert "hits: 全国第一, 最佳" in str(error.value)
    with refused("R-A3"):
        mem_loop.execute(
            "activity.record_exemption", LEGAL, exemption("最佳", valid_until="2025-12-31")
        )
    with pytest.raises(InvalidInput):
        mem_loop.execute("activity.record_exemption", LEGAL, exemption("最佳", region=""))
    with pytest.raises(NotAuthorised):
        mem_loop.execute("activity.record_exemption", HEAD, exemption("最佳"))
    assert mem_loop.position() == before


@pytest.mark.parametrize("party", ["owner", "content author"])
def test_R_A3_the_author_cannot_exempt(mem_loop: ClosedLoop, party: str) -> None:
    both = Actor("ma.both", "Ma", {"marketer", "compliance"}, superior=HEAD.id)
    owner = both if party == "owner" else LI
    draft_activity(mem_loop, owner=owner, kind="advertising", content=CLEAN_COPY)
    mem_loop.execute("activity.update", both, {**A, "content": DIRTY_COPY})
    mem_loop.execute("activity.check_copy", LI, A)
    before = mem_loop.position()
    with refused("R-A3") as error:
        mem_loop.execute("activity.record_exemption", both, exemption("最佳"))
    assert "four eyes" in str(error.value)
    assert mem_loop.position() == before
    mem_loop.execute("activity.record_exemption", LEGAL, exemption("最佳"))


def test_R_A3_changed_content_needs_a_new_check(loop: ClosedLoop, clock: FixedClock) -> None:
    prepared_activity(loop, kind="advertising", content=DIRTY_COPY)
    loop.execute("activity.check_copy", LI, A)
    for term in ("全国第一", "最佳"):
        loop.execute("activity.record_exemption", LEGAL, exemption(term))
    loop.execute(
        "activity.request_change",
        LI,
        {**A, "content": DIRTY_COPY + "限时九折。", "reason": "add the discount"},
    )
    loop.execute("activity.approve_change", HEAD, A)
    assert loop.activity("SPRING-FAIR")["content_version"] == 2
    clock.set(OPENING)
    before = loop.position()
    with refused("R-A3") as error:
        loop.execute("activity.start", LI, A)
    assert "copy version 2" in str(error.value)
    assert "the last check was of content version 1" in str(error.value)
    assert loop.position() == before
    loop.execute("activity.check_copy", LI, A)
    with refused("R-A3") as error:  # exemptions were for version 1's copy
        loop.execute("activity.start", LI, A)
    assert "全国第一, 最佳" in str(error.value)
    for term in ("全国第一", "最佳"):
        loop.execute("activity.record_exemption", LEGAL, exemption(term))
    assert loop.execute("activity.start", LI, A)["status"] == "running"


def test_R_A3_a_new_lexicon_version_needs_a_new_check(tmp_path: Path, clock: FixedClock) -> None:
    store = f"sqlite:///{tmp_path}/closedloop.db"
    with ClosedLoop(store, clock=clock) as loop:
        prepared_activity(loop, kind="advertising")
        assert loop.execute("activity.check_copy", LI, A)["hits"] == []
    stricter = Policy.from_mapping(
        {"compliance": {"lexicon_version": "2026.2", "terms": [*DEFAULT_TERMS, "新品"]}}
    )
    clock.set(OPENING)
    with ClosedLoop(store, policy=stricter, clock=clock) as loop:
        before = loop.position()
        with refused("R-A3") as error:
            loop.execute("activity.start", LI, A)
        assert "against lexicon 2026.2" in str(error.value)
        assert f"lexicon {DEFAULT_LEXICON_VERSION})" in str(error.value)
        assert loop.position() == before
        assert loop.activity("SPRING-FAIR")["copy"]["checked_current"] is False
        assert loop.execute("activity.check_copy", LI, A)["hits"] == ["新品"]
        with refused("R-A3"):
            loop.execute("activity.start", LI, A)


def test_R_A3_the_check_records_content_and_lexicon_versions_in_the_event() -> None:
    """The domain alone, with a lexicon of its own: the command's result is what is stored."""
    at = datetime(2026, 1, 5, tzinfo=UTC)
    activity = Activity.draft(
        id=uuid4(),
        actor=LI,
        at=at,
        kind=Kind.ADVERTISING,
        theme="spring",
        window=Window(date(2026, 3, 1), date(2026, 3, 31)),
        content="顶级 沙发, 第 一 品质",
    )
    check = activity.check_copy(LI, at, Lexicon("test-7", ["顶级", "第一"]))
    event = activity.pending_events[-1]
    assert isinstance(event, Activity.CopyChecked)
    assert (event.content_version, event.lexicon_version) == (1, "test-7")
    assert [hit.term for hit in event.hits] == ["顶级", "第一"] == check.terms
    assert activity.blocked_terms("test-7", date(2026, 3, 1)) == ["顶级", "第一"]
    assert activity.blocked_terms("test-8", date(2026, 3, 1)) is None


# --- R-A4 change control ---------------------------------------------------------------------


def test_R_A4_an_approved_activity_changes_only_through_an_approved_change_request(
    loop: ClosedLoop,
) -> None:
    approved_activity(loop)
    before = loop.position()
    with refused("R-A4") as error:
        loop.execute("activity.update", LI, {**A, "place": "Tianhe mall"})
    assert "needs an approved change request" in str(error.value)
    assert loop.position() == before

    change = {
        **A,
        "place": "Tianhe mall",
        "end": "2026-04-05",
        "budget_lines": [{"category": "venue", "amount": "50000 CNY"}],
        "reason": "the flagship store is being refitted",
    }
    assert loop.execute("activity.request_change", LI, change)["change_request"] == 1
    view = loop.activity("SPRING-FAIR")
    assert (view["place"], view["revision"]) == ("Guangzhou flagship store", 1)  # not yet
    assert view["change_requests"][0]["parts"] == ["time", "place", "budget"]
    assert loop.execute("activity.approve_change", HEAD, A)["revision"] == 2
    view = loop.activity("SPRING-FAIR")
    assert (view["place"], view["window"]["end"], view["budget"]) == (
        "Tianhe mall",
        date(2026, 4, 5),
        cny("50000"),
    )
    assert (view["approval"]["by"], view["approval"]["revision"]) == (HEAD.id, 2)
    request = view["change_requests"][0]
    assert (request["decision"], request["decided_by"], request["reason"]) == (
        "approved",
        HEAD.id,
        "the flagship store is being refitted",
    )


def test_R_A4_neither_requester_nor_owner_approves_a_change(mem_loop: ClosedLoop) -> None:
    approved_activity(mem_loop)
    before = mem_loop.position()
    with pytest.raises(InvalidInput, match="leaves place"):
        mem_loop.execute(
            "activity.request_change", LI, {**A, "place": "Guangzhou flagship store", "reason": "x"}
        )
    with refused("R-A4"):
        mem_loop.execute("activity.approve_change", HEAD, A)  # nothing pending
    assert mem_loop.position() == before
    mem_loop.execute("activity.request_change", LEAD, {**A, "place": "Mall", "reason": "cheaper"})
    before = mem_loop.position()
    for party in (LEAD, Actor(LI.id, roles={"manager"})):  # its requester, the owner
        with refused("R-G1"):
            mem_loop.execute("activity.approve_change", party, A)
    with refused("R-A4") as error:  # one pending request at a time
        mem_loop.execute("activity.request_change", LI, {**A, "place": "Park", "reason": "x"})
    assert "#1" in str(error.value)
    assert mem_loop.position() == before
    mem_loop.execute("activity.reject_change", HEAD, {**A, "reason": "the mall is booked"})
    view = mem_loop.activity("SPRING-FAIR")
    assert (view["change_requests"][0]["decision"], view["place"]) == (
        "rejected",
        "Guangzhou flagship store",
    )


def test_R_A4_cancelling_needs_an_approved_change_request(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    prepared_activity(mem_loop)
    with pytest.raises(InvalidInput):
        mem_loop.execute(
            "activity.request_change", LI, {**A, "cancel": True, "place": "x", "reason": "r"}
        )
    mem_loop.execute("activity.request_change", LI, {**A, "cancel": True, "reason": "typhoon"})
    assert mem_loop.activity("SPRING-FAIR")["status"] == "prepared"
    mem_loop.execute("activity.approve_change", CFO, A)
    view = mem_loop.activity("SPRING-FAIR")
    assert (view["status"], view["revision"]) == ("cancelled", 1)
    clock.set(OPENING)
    with refused("R-A2"):
        mem_loop.execute("activity.start", LI, A)
    with refused("R-A4"):
        mem_loop.execute("activity.request_change", LI, {**A, "place": "x", "reason": "r"})


def test_R_A4_starting_outside_the_approved_window_is_a_change_of_time(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    prepared_activity(mem_loop)
    clock.set("2026-02-20T09:00:00+00:00")
    before = mem_loop.position()
    with refused("R-A4") as error:
        mem_loop.execute("activity.start", LI, A)
    assert "runs 2026-03-01 … 2026-03-31; starting on 2026-02-20" in str(error.value)
    assert mem_loop.position() == before
    mem_loop.execute(
        "activity.request_change", LI, {**A, "start": "2026-02-20", "reason": "stock arrived"}
    )
    mem_loop.execute("activity.approve_change", HEAD, A)
    assert mem_loop.execute("activity.start", LI, A)["status"] == "running"


def test_R_A4_a_budget_change_must_still_cover_the_spend(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(mem_loop, clock)
    expense(mem_loop, "INV-1", "70000 CNY")
    mem_loop.execute(
        "activity.request_change",
        LI,
        {**A, "budget_lines": [{"category": "all", "amount": "60000 CNY"}], "reason": "cut"},
    )
    before = mem_loop.position()
    with refused("R-A5") as error:
        mem_loop.execute("activity.approve_change", HEAD, A)
    assert "would not cover the 70,000.00 CNY" in str(error.value)
    assert mem_loop.position() == before


# --- R-A5 spend within budget + approved overspend -------------------------------------------


def test_R_A5_an_expense_beyond_budget_and_overspend_is_refused_with_the_numbers(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(loop, clock)
    expense(loop, "INV-1", "80000 CNY")
    before = loop.position()
    with refused("R-A5") as error:
        expense(loop, "INV-2", "30000 CNY")
    message = str(error.value)
    for number in (
        "expense of 30,000.00 CNY",
        "from 80,000.00 CNY to 110,000.00 CNY",
        "budget 100,000.00 CNY",
        "approved overspend 0.00 CNY",
        "20,000.00 CNY left",
    ):
        assert number in message
    assert loop.position() == before
    loop.execute(
        "activity.approve_overspend",
        HEAD,
        {**A, "amount": "10000 CNY", "reason": "extra print run for the second weekend"},
    )
    assert expense(loop, "INV-2", "30000 CNY")["spend"] == "110000 CNY"
    view = loop.activity("SPRING-FAIR")
    assert (view["spend"], view["approved_overspend"], view["remaining"]) == (
        cny("110000"),
        cny("10000"),
        cny("0"),
    )
    assert view["overspends"][0]["by"] == HEAD.id
    with refused("R-A5"):
        expense(loop, "INV-3", "0.01 CNY")


def test_R_A5_overspend_is_approved_by_the_owners_superior_within_the_limit(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(mem_loop, clock)
    before = mem_loop.position()
    ask = {**A, "amount": "10000.01 CNY", "reason": "more booths"}
    with refused("R-A5") as error:
        mem_loop.execute("activity.approve_overspend", LEAD, ask)  # not Li's superior
    assert "not by sun.lead" in str(error.value)
    with refused("R-A5") as error:  # beyond 10 % of the budget
        mem_loop.execute("activity.approve_overspend", HEAD, ask)
    assert "up to 10,000.00 CNY in total" in str(error.value)
    assert "(10 % of its budget 100,000.00 CNY)" in str(error.value)
    with pytest.raises(NotAuthorised):
        mem_loop.execute("activity.approve_overspend", LI, ask)
    with pytest.raises(InvalidInput):
        mem_loop.execute("activity.approve_overspend", HEAD, {**ask, "reason": ""})
    assert mem_loop.position() == before
    mem_loop.execute("activity.approve_overspend", CFO, ask)  # leadership, beyond the limit
    assert mem_loop.activity("SPRING-FAIR")["approved_overspend"] == cny("10000.01")


def test_R_A5_the_superiors_limit_is_policy(clock: FixedClock) -> None:
    policy = Policy(activity=ActivityPolicy(superior_overspend_limit=Decimal("0.25")))
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        running_activity(loop, clock)
        loop.execute(
            "activity.approve_overspend", HEAD, {**A, "amount": "25000 CNY", "reason": "x"}
        )
        with refused("R-A5"):
            loop.execute(
                "activity.approve_overspend", HEAD, {**A, "amount": "1 CNY", "reason": "x"}
            )


def test_R_A5_receipts_are_unique_and_money_is_one_exact_currency(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    with refused("R-A5"):
        draft_activity(mem_loop, budget_lines=[{"category": "media", "amount": "100 USD"}])
    running_activity(mem_loop, clock, budget_lines=[{"category": "gifts", "amount": "0.30 CNY"}])
    for receipt in ("R1", "R2", "R3"):
        expense(mem_loop, receipt, "0.10 CNY")
    before = mem_loop.position()
    with refused("R-A5"):
        expense(mem_loop, "R4", "0.01 CNY")  # 0.1 + 0.1 + 0.1 is exactly the budget
    with pytest.raises(InvalidInput, match="not above zero"):
        expense(mem_loop, "R9", "0 CNY")
    with refused("R-A5") as error:
        expense(mem_loop, "R1", "0.05 CNY")
    assert "receipt R1 is already recorded" in str(error.value)
    with refused("R-A5"):
        expense(mem_loop, "R9", "1 USD")
    with pytest.raises(InvalidInput):
        expense(mem_loop, "R9", 0.1)  # type: ignore[arg-type]
    assert mem_loop.position() == before
    assert mem_loop.activity("SPRING-FAIR")["spend"] == cny("0.30")


def test_R_A5_expenses_are_recorded_from_preparation_until_evaluation(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_activity(mem_loop)
    with refused("R-A5") as error:
        expense(mem_loop, "INV-1", "100 CNY")
    assert "it must be prepared or running or completed or summarised" in str(error.value)
    mem_loop.execute("activity.submit_execution_plan", LI, {**A, "steps": STEPS})
    mem_loop.execute("activity.approve_execution_plan", HEAD, A)
    mem_loop.execute("activity.prepare", LI, A)
    expense(mem_loop, "DEPOSIT", "5000 CNY")  # the venue deposit, before the fair opens
    assert mem_loop.activity("SPRING-FAIR")["spend"] == cny("5000")


# --- R-A6 incidents --------------------------------------------------------------------------


def test_R_A6_incidents_are_logged_with_severity_and_escalation(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(loop, clock)
    low = {**A, "problem": "queue at the entrance", "severity": "low"}
    assert loop.execute("activity.log_incident", LI, low)["needs_rectification"] is False
    severe = {**A, "problem": "stage collapsed; two visitors hurt", "severity": "severe"}
    before = loop.position()
    with refused("R-A6") as error:
        loop.execute("activity.log_incident", LI, severe)
    assert "a severe incident is escalated" in str(error.value)
    assert loop.position() == before
    result = loop.execute("activity.log_incident", LI, {**severe, "escalated_to": HEAD.id})
    assert (result["incident"], result["needs_rectification"]) == (2, True)
    incidents = loop.activity("SPRING-FAIR")["incidents"]
    assert [(i["severity"], i["escalated_to"], i["needs_rectification"]) for i in incidents] == [
        ("low", None, False),
        ("severe", HEAD.id, True),
    ]
    assert (incidents[0]["rectification"], incidents[1]["rectification"]) == (
        None,
        result["rectification"],
    )
    rectification = loop.rectification(result["rectification"])
    assert (
        rectification["source"],
        rectification["source_ref"],
        rectification["problem"],
        rectification["owner"],
    ) == (
        "incident",
        "activity SPRING-FAIR incident 2",
        "stage collapsed; two visitors hurt",
        LI.id,
    )


def test_R_A6_incidents_are_logged_during_execution(mem_loop: ClosedLoop) -> None:
    approved_activity(mem_loop)
    with refused("R-A6"):
        mem_loop.execute(
            "activity.log_incident", LI, {**A, "problem": "rain", "severity": "medium"}
        )


def test_R_A6_a_severe_incident_and_its_rectification_are_saved_together(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(mem_loop, clock)
    mem_loop.execute(  # takes the reference the incident's rectification would have
        "rectification.raise",
        HEAD,
        {
            "ref": "activity SPRING-FAIR incident 1",
            "source": "audit",
            "source_ref": "AUDIT-2026-Q1 item 4",
            "problem": "fire exits blocked",
            "owner": LI.id,
        },
    )
    severe = {**A, "problem": "fire", "severity": "severe", "escalated_to": HEAD.id}
    before = mem_loop.position()
    with pytest.raises(ConcurrencyConflict):
        mem_loop.execute("activity.log_incident", LI, severe)
    assert mem_loop.position() == before  # R-G4: no incident without its rectification
    assert mem_loop.activity("SPRING-FAIR")["incidents"] == []


# --- R-A7 results, summary, evaluation -------------------------------------------------------


def test_R_A7_completion_records_a_result_for_every_objective(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(mem_loop, clock)
    before = mem_loop.position()
    with refused("R-A7") as error:
        mem_loop.execute("activity.complete", LI, {**A, "results": {"leads": "330"}})
    assert "missing: orders" in str(error.value)
    with pytest.raises(InvalidInput, match="visits"):
        mem_loop.execute(
            "activity.complete", LI, {**A, "results": {"leads": "1", "orders": "1", "visits": "9"}}
        )
    assert mem_loop.position() == before
    mem_loop.execute("activity.complete", LI, {**A, "results": {"leads": "330", "orders": "45"}})
    assert mem_loop.activity("SPRING-FAIR")["results"] == {
        "leads": Decimal("330"),
        "orders": Decimal("45"),
    }


def test_R_A7_evaluation_needs_the_summary_and_computes_the_numbers(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    completed_activity(loop, clock)
    numbers = {**A, "participants": 400, "conversions": 60, "attributed_revenue": "270000 CNY"}
    before = loop.position()
    with refused("R-A7") as error:
        loop.execute("activity.evaluate", HEAD, numbers)
    assert "before its summary report" in str(error.value)
    with refused("R-A7") as error:
        loop.execute("activity.submit_summary", LI, {**A, **SUMMARY, "problems": "  "})
    assert "missing: problems" in str(error.value)
    assert loop.position() == before
    loop.execute("activity.submit_summary", LI, {**A, **SUMMARY})
    with refused("R-G1"):
        loop.execute("activity.evaluate", Actor(LI.id, roles={"manager"}), numbers)  # the owner
    loop.execute("activity.evaluate", HEAD, numbers)
    evaluation = loop.activity("SPRING-FAIR")["evaluation"]
    assert evaluation["achievements"] == {"leads": Decimal("1.1000"), "orders": Decimal("0.7500")}
    assert evaluation["goal_achievement_rate"] == Decimal("0.9250")
    assert evaluation["conversion_rate"] == Decimal("0.1500")
    assert evaluation["cost"] == cny("90000")
    assert evaluation["cost_per_participant"] == cny("225.00")
    assert evaluation["cost_variance"] == cny("-10000")
    assert evaluation["cost_variance_pct"] == Decimal("-0.1000")
    assert evaluation["roi"] == Decimal("2.0000")  # (270,000 − 90,000) / 90,000
    assert evaluation["by"] == HEAD.id


def test_R_A7_ratios_over_zero_are_not_computed() -> None:
    numbers = evaluate_results(
        [Objective("visits", "visits", Decimal(100))],
        {"visits": Decimal(0)},
        participants=0,
        conversions=0,
        attributed_revenue=Money("0"),
        cost=Money("0"),
        budget=Money("0"),
    )
    assert (numbers["conversion_rate"], numbers["roi"], numbers["cost_variance_pct"]) == (
        None,
        None,
        None,
    )
    assert numbers["cost_per_participant"] is None
    assert numbers["goal_achievement_rate"] == Decimal("0.0000")


def test_R_A7_evaluation_is_refused_with_inconsistent_numbers(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    summarised_activity(mem_loop, clock)
    before = mem_loop.position()
    with pytest.raises(InvalidInput):
        mem_loop.execute(
            "activity.evaluate",
            HEAD,
            {**A, "participants": 10, "conversions": 11, "attributed_revenue": "0 CNY"},
        )
    with refused("R-A5"):
        mem_loop.execute(
            "activity.evaluate",
            HEAD,
            {**A, "participants": 10, "conversions": 1, "attributed_revenue": "10 USD"},
        )
    assert mem_loop.position() == before


# --- R-A8 missed objectives become findings --------------------------------------------------


def test_R_A8_objectives_missed_at_evaluation_are_recorded(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    objectives = [
        {"name": "leads", "metric": "leads", "target": "300"},
        {"name": "cost per lead", "metric": "CNY per lead", "target": "300", "direction": "lower"},
        {"name": "orders", "metric": "orders", "target": "60"},
    ]
    results = {"leads": "330", "cost per lead": "300", "orders": "45"}  # 300 per lead: met
    summarised_activity(mem_loop, clock, objectives=objectives, results=results)
    activity = mem_loop.reader().get(Activity, "SPRING-FAIR")
    assert activity.missed_objectives() == []  # not evaluated yet
    mem_loop.execute(
        "activity.evaluate",
        CFO,
        {**A, "participants": 400, "conversions": 45, "attributed_revenue": "270000 CNY"},
    )
    activity = mem_loop.reader().get(Activity, "SPRING-FAIR")
    assert activity.missed_objectives() == ["orders"]
    assert (activity.owner_id, activity.window) == (
        LI.id,
        Window(date(2026, 3, 1), date(2026, 3, 31)),
    )
    assert mem_loop.activity("SPRING-FAIR")["missed_objectives"] == ["orders"]


# --- R-A9 satisfaction follow-up -------------------------------------------------------------


def test_R_A9_satisfaction_is_collected_after_the_activity(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    running_activity(mem_loop, clock)
    survey = {**A, "score": "4.6", "respondents": 120}
    before = mem_loop.position()
    with refused("R-A9"):
        mem_loop.execute("activity.record_satisfaction", LI, survey)
    assert mem_loop.position() == before
    mem_loop.execute("activity.complete", LI, {**A, "results": {"leads": "330", "orders": "45"}})
    with pytest.raises(InvalidInput):
        mem_loop.execute("activity.record_satisfaction", LI, {**survey, "score": "5.5"})
    mem_loop.execute("activity.record_satisfaction", LI, survey)
    follow_up = mem_loop.activity("SPRING-FAIR")["satisfaction"]
    assert [(f["score"], f["scale"], f["respondents"]) for f in follow_up] == [
        (Decimal("4.6"), Decimal(5), 120)
    ]


# --- L1 and L2 over any sequence of commands -------------------------------------------------

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
LEXICON = Lexicon("test-1", ["第一"])
POLICY = ActivityPolicy()


def _fresh() -> Activity:
    return Activity.draft(
        id=uuid4(),
        actor=LI,
        at=AT,
        kind=Kind.ADVERTISING,
        theme="spring",
        window=Window(date(2026, 3, 1), date(2026, 3, 31)),
        objectives=[Objective("leads", "leads", Decimal(300))],
        target_customers=["core"],
        channels=["wechat"],
        content="全国第一",
        budget_lines=[BudgetLine("media", Money("1000"))],
    )


ACTORS = [LI, HEAD, LEAD, CFO, CEO, LEGAL]
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(600), places=2)


def _operations() -> st.SearchStrategy[tuple[str, Actor, Decimal]]:
    """Any command by anyone; the money commands, by whoever may give them, more often."""
    lifecycle = st.sampled_from(
        ["propose", "review", "approve", "plan", "approve_plan", "check", "exempt", "prepare"]
    )
    anyone = st.tuples(lifecycle | st.just("start"), st.sampled_from(ACTORS), AMOUNTS)
    money = st.tuples(
        st.sampled_from(["expense", "expense", "overspend", "cut_budget", "approve_change"]),
        st.sampled_from([LI, HEAD, CFO]),
        AMOUNTS,
    )
    return anyone | money | money


def _apply(activity: Activity, name: str, actor: Actor, amount: Decimal, n: int) -> None:
    money = Money(amount)
    steps = [Step("run", LI.id, date(2026, 3, 1), date(2026, 3, 31))]
    evidence = Evidence(date(2026, 1, 1), date(2026, 12, 31), "CN", "ranking")
    commands: dict[str, Any] = {
        "propose": lambda: activity.propose(actor, AT),
        "review": lambda: activity.review(actor, AT),
        "approve": lambda: activity.approve(actor, AT),
        "plan": lambda: activity.submit_execution_plan(actor, AT, steps),
        "approve_plan": lambda: activity.approve_execution_plan(actor, AT),
        "check": lambda: activity.check_copy(actor, AT, LEXICON),
        "exempt": lambda: activity.record_exemption(actor, AT, "第一", evidence),
        "prepare": lambda: activity.prepare(actor, AT),
        "start": lambda: activity.start(actor, AT, LEXICON.version),
        "expense": lambda: activity.record_expense(actor, AT, f"R{n}", money, "media"),
        "overspend": lambda: activity.approve_overspend(actor, AT, money, "more", POLICY),
        "cut_budget": lambda: activity.request_change(
            actor, AT, Change(budget_lines=(BudgetLine("media", money),)), "cut"
        ),
        "approve_change": lambda: activity.approve_change(actor, AT),
    }
    commands[name]()


#: The way to a running activity; a walk starts somewhere along it, then goes anywhere.
HAPPY = [
    ("propose", LI),
    ("review", HEAD),
    ("approve", CFO),
    ("plan", LI),
    ("approve_plan", HEAD),
    ("check", LI),
    ("exempt", LEGAL),
    ("prepare", LI),
    ("start", LI),
]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(HAPPY)) | st.just(len(HAPPY)), st.lists(_operations(), max_size=40))
def test_L1_L2_hold_over_any_sequence_of_commands(
    stage: int, operations: list[tuple[str, Actor, Decimal]]
) -> None:
    """L1: running implies approved, execution plan approved and copy cleared;
    L2: spend <= approved budget + approved overspend; a refusal records nothing (L6)."""
    activity = _fresh()
    for name, actor in HAPPY[:stage]:
        _apply(activity, name, actor, Decimal(1), 0)
    for n, (name, actor, amount) in enumerate(operations):
        events = len(activity.pending_events)
        try:
            _apply(activity, name, actor, amount, n)
        except ClosedLoopError:
            assert len(activity.pending_events) == events
        if activity.status == "running":
            assert activity.approval is not None
            assert activity.execution_plan is not None
            assert activity.execution_plan.approval is not None
            assert activity.blocked_terms(LEXICON.version, AT.date()) == []
        assert activity.spend <= activity.budget + activity.approved_overspend
