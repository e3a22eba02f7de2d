"""Governance rules R-G1 … R-G5, exercised through targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from closedloop import (
    Actor,
    ClosedLoop,
    ClosedLoopError,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    Policy,
    RuleViolation,
)
from closedloop.domain.base import LoopAggregate
from tests.cast import AUDITOR, CEO, CFO, HEAD, LEAD, LI
from tests.scenario import approved_revenue_target, draft_revenue_target, quarters

ADJUSTMENT = {
    "target": "REV-2026",
    "value": "10000000",
    "reason": "a key distributor closed",
    "analysis": "channel loss of 2.0 M CNY",
}


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]]]:
    """Everything a refused command must leave alone: the history and every target view."""
    return loop.position(), loop.targets()


def stored_events(loop: ClosedLoop) -> list[LoopAggregate.Event]:
    """The aggregate events in the store's own order, decoded by the store's mapper."""
    store = loop._store
    events = (
        store.mapper.to_domain_event(notification)
        for notification in store.recorder.select_notifications(start=1, limit=10_000)
    )
    return [event for event in events if isinstance(event, LoopAggregate.Event)]


def submitted_by(loop: ClosedLoop, submitter: Actor, **overrides: Any) -> None:
    draft_revenue_target(loop, **overrides)
    loop.execute("target.submit", submitter, {"target": "REV-2026"})


# --- R-G1 four eyes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("target.approve", {}),
        ("target.reject", {"reason": "too low"}),
    ],
)
@pytest.mark.parametrize("party", ["owner", "submitter"])
def test_R_G1_neither_owner_nor_submitter_decides_on_a_target(
    loop: ClosedLoop, command: str, args: dict[str, str], party: str
) -> None:
    submitted_by(loop, LEAD, owner=HEAD.id)
    actor = {"owner": HEAD, "submitter": LEAD}[party]
    before = snapshot(loop)
    with pytest.raises(RuleViolation, match="R-G1") as error:
        loop.execute(command, actor, {"target": "REV-2026", **args})
    assert actor.id in str(error.value)
    assert snapshot(loop) == before


def test_R_G1_a_third_person_decides(mem_loop: ClosedLoop) -> None:
    submitted_by(mem_loop, LEAD, owner=HEAD.id)
    assert mem_loop.execute("target.approve", CFO, {"target": "REV-2026"})["status"] == "approved"
    assert mem_loop.target("REV-2026")["approval"]["by"] == CFO.id


def test_R_G1_whoever_asks_for_an_adjustment_does_not_decide_on_it(mem_loop: ClosedLoop) -> None:
    approved_revenue_target(mem_loop)
    mem_loop.execute("target.request_adjustment", CEO, ADJUSTMENT)
    for command, args in (
        ("target.approve_adjustment", {}),
        ("target.reject_adjustment", {"reason": "keep the target"}),
    ):
        with pytest.raises(RuleViolation, match="R-G1") as error:
            mem_loop.execute(command, CEO, {"target": "REV-2026", **args})
        assert CEO.id in str(error.value)
    mem_loop.execute("target.approve_adjustment", CFO, {"target": "REV-2026"})


def test_R_G1_the_owner_does_not_reject_an_adjustment_of_their_target(
    mem_loop: ClosedLoop,
) -> None:
    approved_revenue_target(mem_loop, owner=CEO.id)
    mem_loop.execute("target.request_adjustment", HEAD, ADJUSTMENT)
    with pytest.raises(RuleViolation, match="R-G1") as error:
        mem_loop.execute(
            "target.reject_adjustment", CEO, {"target": "REV-2026", "reason": "keep the target"}
        )
    assert CEO.id in str(error.value)


# --- R-G2 authority --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        Actor("temp.worker", "no roles at all"),
        Actor("intern", "a role the policy does not know", {"intern"}),
        AUDITOR,
    ],
    ids=["no-roles", "unknown-role", "read-only"],
)
def test_R_G2_an_actor_without_the_permission_is_refused(loop: ClosedLoop, actor: Actor) -> None:
    before = snapshot(loop)
    with pytest.raises(NotAuthorised) as error:
        loop.execute("target.create", actor, {"metric": "revenue", "period": "2026"})
    message = str(error.value)
    for part in ("R-G2", actor.id, "target.create", "'draft'"):
        assert part in message
    assert snapshot(loop) == before


def test_R_G2_a_marketer_does_not_approve(loop: ClosedLoop) -> None:
    submitted_by(loop, HEAD)
    before = snapshot(loop)
    with pytest.raises(NotAuthorised, match="R-G2") as error:
        loop.execute("target.approve", LI, {"target": "REV-2026"})
    assert "target.approve" in str(error.value)
    assert "'approve'" in str(error.value)
    assert snapshot(loop) == before


def test_R_G2_authority_is_checked_before_anything_is_looked_up(mem_loop: ClosedLoop) -> None:
    """An unauthorised actor learns nothing, not even whether the target exists."""
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("target.approve", LI, {"target": "NO-SUCH-TARGET"})


def test_R_G2_an_actor_given_as_plain_data_is_held_to_the_same_rule(mem_loop: ClosedLoop) -> None:
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute(
            "target.create",
            {"id": "li.marketer", "roles": ["auditor"]},
            {"metric": "revenue", "period": "2026"},
        )
    assert mem_loop.position() == 0


def test_R_G2_a_custom_role_map_takes_effect(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"roles": {"marketer": ["read"], "analyst": ["read", "record"]}})
    analyst = Actor("wu.analyst", "Wu", {"analyst"})
    with ClosedLoop("memory:", policy=policy, clock=clock) as loop:
        with pytest.raises(NotAuthorised, match="R-G2"):
            loop.execute("target.create", LI, {"metric": "revenue", "period": "2026"})
        approved_revenue_target(loop)  # managers and leadership keep their default rights
        loop.execute(
            "target.record_actual",
            analyst,
            {"target": "REV-2026", "value": "100", "as_of": "2026-01-31", "source": "ERP"},
        )
        assert loop.target("REV-2026")["measurements"][0]["by"] == analyst.id


# --- R-G3 who / when / why -------------------------------------------------------------------


def test_R_G3_every_event_records_the_actor_and_the_clocks_time(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    steps: list[tuple[str, Actor, dict[str, Any]]] = [
        (
            "target.create",
            CEO,
            {
                "ref": "REV-2026",
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": "12000000",
                "owner": HEAD.id,
                "basis": "2026 strategy",
            },
        ),
        ("target.submit", HEAD, {"target": "REV-2026"}),
        ("target.reject", CFO, {"target": "REV-2026", "reason": "too timid"}),
        ("target.update", HEAD, {"target": "REV-2026", "value": "13000000"}),
        ("target.submit", HEAD, {"target": "REV-2026"}),
        ("target.approve", CFO, {"target": "REV-2026"}),
        ("target.request_adjustment", HEAD, {**ADJUSTMENT, "value": "11000000"}),
        ("target.reject_adjustment", CEO, {"target": "REV-2026", "reason": "hold the line"}),
        (
            "target.record_actual",
            LI,
            {"target": "REV-2026", "value": "900000", "as_of": "2026-01-31", "source": "ERP"},
        ),
    ]
    expected: list[tuple[str, datetime]] = []
    for command, actor, args in steps:
        clock.advance(hours=7, seconds=13)
        loop.execute(command, actor, args)
        expected.append((actor.id, clock.now()))
    events = stored_events(loop)
    assert [(event.actor_id, event.timestamp) for event in events] == expected
    assert [type(event).__name__ for event in events] == [
        "Created",
        "Submitted",
        "Rejected",
        "Updated",
        "Submitted",
        "Approved",
        "AdjustmentRequested",
        "AdjustmentRejected",
        "ActualRecorded",
    ]


def test_R_G3_rejections_record_their_reason(loop: ClosedLoop) -> None:
    submitted_by(loop, HEAD)
    loop.execute("target.reject", CFO, {"target": "REV-2026", "reason": "  too timid "})
    loop.execute("target.submit", HEAD, {"target": "REV-2026"})
    loop.execute("target.approve", CFO, {"target": "REV-2026"})
    loop.execute("target.request_adjustment", HEAD, ADJUSTMENT)
    loop.execute(
        "target.reject_adjustment",
        CEO,
        {"target": "REV-2026", "reason": "the distributor is replaced"},
    )
    reasons = {type(e).__name__: e.reason for e in stored_events(loop) if hasattr(e, "reason")}
    assert reasons["Rejected"] == "too timid"
    assert reasons["AdjustmentRejected"] == "the distributor is replaced"
    assert loop.target("REV-2026")["adjustments"][0]["decision_reason"] == (
        "the distributor is replaced"
    )


@pytest.mark.parametrize("command", ["target.reject", "target.reject_adjustment"])
def test_R_G3_a_rejection_without_a_reason_is_refused(mem_loop: ClosedLoop, command: str) -> None:
    approved_revenue_target(mem_loop, ref="ADJ")
    mem_loop.execute("target.request_adjustment", HEAD, {**ADJUSTMENT, "target": "ADJ"})
    submitted_by(mem_loop, HEAD)
    target = "ADJ" if command == "target.reject_adjustment" else "REV-2026"
    before = snapshot(mem_loop)
    with pytest.raises(RuleViolation, match="R-G3"):
        mem_loop.execute(command, CEO, {"target": target, "reason": "   "})
    with pytest.raises(InvalidInput, match="reason"):
        mem_loop.execute(command, CEO, {"target": target})
    assert snapshot(mem_loop) == before


def test_R_G3_times_come_from_the_injected_clock_in_any_zone(clock: FixedClock) -> None:
    clock.set("2019-06-01T08:30:00+08:00")
    with ClosedLoop("memory:", clock=clock) as loop:
        draft_revenue_target(loop)
        view = loop.target("REV-2026")
        (created,) = stored_events(loop)
    moment = datetime.fromisoformat("2019-06-01T00:30:00+00:00")
    assert created.timestamp == view["created_on"] == view["modified_on"] == moment


# --- R-G4 nothing partial --------------------------------------------------------------------

REFUSALS: dict[str, tuple[str, Actor, dict[str, Any], type[ClosedLoopError], str]] = {
    "decomposition-not-adding-up": (
        "target.decompose",
        HEAD,
        {
            "target": "REV-2026",
            "dimension": "period",
            "children": quarters("REV-2026", ["3000000", "3000000", "3000000", "2999999.99"]),
        },
        RuleViolation,
        "R-T2",
    ),
    "decomposition-onto-an-existing-ref": (  # refused after the domain accepted the split
        "target.decompose",
        HEAD,
        {
            "target": "REV-2026",
            "dimension": "period",
            "children": [
                {"ref": "NEW-1", "value": "6000000", "period": "2026-Q1"},
                {"ref": "OTHER", "value": "6000000", "period": "2026-Q2"},
            ],
        },
        ConcurrencyConflict,
        "OTHER already exists",
    ),
    "second-approval": ("target.approve", CEO, {"target": "REV-2026"}, RuleViolation, "R-G5"),
    "adjustment-without-analysis": (
        "target.request_adjustment",
        HEAD,
        {**ADJUSTMENT, "analysis": " "},
        RuleViolation,
        "R-T3",
    ),
    "adjustment-decided-without-authority": (
        "target.approve_adjustment",
        HEAD,
        {"target": "REV-2026"},
        NotAuthorised,
        "R-G2",
    ),
    "adjustment-rejected-when-none-pending": (
        "target.reject_adjustment",
        CEO,
        {"target": "REV-2026", "reason": "no"},
        RuleViolation,
        "R-T3",
    ),
    "actual-as-a-float": (
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": 1.5, "as_of": "2026-01-31", "source": "ERP"},
        InvalidInput,
        "float",
    ),
    "actual-with-an-unknown-field": (
        "target.record_actual",
        LI,
        {"target": "REV-2026", "value": "1", "as_of": "2026-01-31", "source": "ERP", "x": 1},
        InvalidInput,
        "x: Extra inputs",
    ),
    "close-before-the-period-ends": (
        "target.close",
        HEAD,
        {"target": "REV-2026"},
        RuleViolation,
        "R-T5",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_R_G4_a_refused_command_changes_nothing(loop: ClosedLoop, case: str) -> None:
    approved_revenue_target(loop)
    draft_revenue_target(loop, ref="OTHER")
    command, actor, args, error, reason = REFUSALS[case]
    before = snapshot(loop)
    tree = loop.target_tree("REV-2026")
    with pytest.raises(error, match=reason):
        loop.execute(command, actor, args)
    assert snapshot(loop) == before
    assert loop.target_tree("REV-2026") == tree


# --- R-G5 approval binds to a version --------------------------------------------------------


def test_R_G5_a_target_rejected_changed_and_resubmitted_is_approved_at_revision_2(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    submitted_by(loop, HEAD)
    loop.execute("target.reject", CFO, {"target": "REV-2026", "reason": "too timid"})
    loop.execute("target.update", HEAD, {"target": "REV-2026", "value": "13000000"})
    loop.execute("target.submit", HEAD, {"target": "REV-2026"})
    approved_at = clock.advance(days=2)
    loop.execute("target.approve", CFO, {"target": "REV-2026"})
    view = loop.target("REV-2026")
    assert view["revision"] == 2
    assert view["approval"] == {"by": CFO.id, "revision": 2, "at": approved_at}
    assert view["original_value"] == view["value"] == 13000000
    approved = stored_events(loop)[-1]
    assert (type(approved).__name__, approved.revision) == ("Approved", 2)  # type: ignore[attr-defined]


def test_R_G5_an_approved_adjustment_moves_the_approval_to_the_new_revision(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    approved_revenue_target(loop)
    first_approval = loop.target("REV-2026")["approval"]
    loop.execute("target.request_adjustment", HEAD, ADJUSTMENT)
    pending = loop.target("REV-2026")
    assert (pending["revision"], pending["approval"], pending["value"]) == (
        1,
        first_approval,
        12000000,
    )  # until decided, what was approved stays in force
    decided_at = clock.advance(days=30)
    loop.execute("target.approve_adjustment", CEO, {"target": "REV-2026"})
    view = loop.target("REV-2026")
    assert view["revision"] == 2
    assert view["approval"] == {"by": CEO.id, "revision": 2, "at": decided_at}
    assert (view["value"], view["original_value"]) == (10000000, 12000000)
