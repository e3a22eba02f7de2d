"""Complaint rule R-C7: the lifecycle, two SLA clocks that pause, overdue flags, and the
rectification a dissatisfied close raises."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from closedloop import (
    ClosedLoop,
    ConcurrencyConflict,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    NotFound,
    Policy,
    RuleViolation,
)
from tests.cast import AUDITOR, HEAD, LI
from tests.risk_scenario import received, resolved


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    return loop.position(), loop.complaints(), loop.rectifications()


def feedback(loop: ClosedLoop, satisfied: bool, comment: str = "") -> dict[str, Any]:
    return loop.execute(
        "complaint.record_feedback",
        LI,
        {"complaint": "CMP-1", "satisfied": satisfied, "comment": comment},
    )


def test_R_C7_a_complaint_naming_a_customer_that_does_not_exist_is_refused(
    loop: ClosedLoop,
) -> None:
    args = {"ref": "CMP-1", "customer": "CUST-404", "subject": "delivery two weeks late"}
    with pytest.raises(NotFound, match="no customer CUST-404"):
        loop.execute("complaint.receive", LI, args)
    assert (loop.position(), loop.complaints()) == (0, [])
    loop.execute("customer.register", LI, {"ref": "CUST-404", "name": "王伟"})
    assert loop.execute("complaint.receive", LI, args)["status"] == "received"


def test_R_C7_received_acknowledged_resolved_feedback_closed(loop: ClosedLoop) -> None:
    assert received(loop)["status"] == "received"
    view = loop.complaint("CMP-1")
    assert (view["customer"], view["owner"], view["channel"]) == ("CUST-7", LI.id, "phone")
    steps = [
        ("complaint.acknowledge", {"note": "called back"}, "acknowledged"),
        ("complaint.resolve", {"resolution": "refunded the shipping"}, "resolved"),
        ("complaint.record_feedback", {"satisfied": True}, "feedback_received"),
        ("complaint.close", {}, "closed"),
    ]
    for command, args, status in steps:
        result = loop.execute(command, LI, {"complaint": "CMP-1", **args})
        assert result["status"] == status
    view = loop.complaint("CMP-1")
    assert view["feedback"]["satisfied"] is True
    assert (view["rectification"], view["overdue"]) == (None, False)
    assert loop.rectifications() == []


def test_R_C7_steps_out_of_order_are_refused_and_change_nothing(mem_loop: ClosedLoop) -> None:
    received(mem_loop)
    before = snapshot(mem_loop)
    with refused("R-C7") as error:
        mem_loop.execute("complaint.resolve", LI, {"complaint": "CMP-1", "resolution": "done"})
    assert "acknowledge it first" in str(error.value)
    for command, args in [
        ("complaint.record_feedback", {"satisfied": True}),
        ("complaint.close", {}),
        ("complaint.resume", {}),
    ]:
        with refused("R-C7"):
            mem_loop.execute(command, LI, {"complaint": "CMP-1", **args})
    with pytest.raises(InvalidInput, match="customer"):
        mem_loop.execute("complaint.receive", LI, {"ref": "CMP-2", "subject": "rude staff"})
    with pytest.raises(NotAuthorised, match="R-G2"):
        mem_loop.execute("complaint.acknowledge", AUDITOR, {"complaint": "CMP-1"})
    assert snapshot(mem_loop) == before


def test_R_C7_each_sla_is_judged_when_met_and_kept(loop: ClosedLoop, clock: FixedClock) -> None:
    received(loop)
    clock.advance(hours=30)
    ack = loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-1"})
    assert ack["on_time"] is False
    clock.advance(hours=40)
    done = loop.execute("complaint.resolve", LI, {"complaint": "CMP-1", "resolution": "refund"})
    assert done["on_time"] is True
    view = loop.complaint("CMP-1")
    assert (view["acknowledge"]["elapsed_hours"], view["acknowledge"]["on_time"]) == (
        Decimal("30.00"),
        False,
    )
    assert (view["resolve"]["elapsed_hours"], view["resolve"]["on_time"]) == (
        Decimal("70.00"),
        True,
    )
    assert view["overdue"] is False


def test_R_C7_the_sla_clock_pauses_while_waiting_on_the_customer(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    received(loop)
    clock.advance(hours=10)
    loop.execute("complaint.await_customer", LI, {"complaint": "CMP-1", "reason": "order number"})
    clock.advance(hours=48)
    view = loop.complaint("CMP-1")
    assert view["waiting_on_customer"] is True
    assert (view["acknowledge"]["elapsed_hours"], view["acknowledge"]["due_at"]) == (
        Decimal("10.00"),
        None,
    )
    assert view["overdue"] is False
    with refused("R-C7") as error:
        loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-1"})
    assert "resume it first" in str(error.value)
    with refused("R-C7"):
        loop.execute("complaint.await_customer", LI, {"complaint": "CMP-1", "reason": "again"})

    loop.execute("complaint.resume", LI, {"complaint": "CMP-1"})
    clock.advance(hours=12)
    result = loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-1"})
    assert result["on_time"] is True  # 22 h of SLA time in 70 h
    view = loop.complaint("CMP-1")
    assert view["acknowledge"]["elapsed_hours"] == Decimal("22.00")
    assert view["resolve"]["due_at"].isoformat() == "2026-01-10T09:00:00+00:00"
    assert [(p["reason"], p["until"] is not None) for p in view["pauses"]] == [
        ("order number", True)
    ]


def test_R_C7_overdue_complaints_are_flagged_as_of_the_clock(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    received(loop, "CMP-1")
    received(loop, "CMP-2")
    loop.execute("complaint.acknowledge", LI, {"complaint": "CMP-2"})
    clock.advance(hours=25)
    assert [v["ref"] for v in loop.complaints(overdue=True)] == ["CMP-1"]
    assert loop.complaint("CMP-1")["overdue_slas"] == ["acknowledge"]
    clock.advance(hours=48)
    assert [v["ref"] for v in loop.complaints(overdue=True)] == ["CMP-1", "CMP-2"]
    assert loop.complaint("CMP-2")["overdue_slas"] == ["resolve"]
    earlier = loop.complaints(overdue=True, as_of=clock.now().replace(day=5, hour=20))
    assert earlier == []


def test_R_C7_a_dissatisfied_close_raises_a_rectification_in_the_same_save(
    loop: ClosedLoop,
) -> None:
    resolved(loop)
    feedback(loop, satisfied=False, comment="refund came late")
    before = loop.position()
    result = loop.execute("complaint.close", HEAD, {"complaint": "CMP-1"})
    assert loop.position() == before + 3  # the close, the rectification, its listing
    rectification = loop.rectification(result["rectification"]["ref"])
    assert (rectification["source"], rectification["source_ref"]) == (
        "complaint",
        "complaint CMP-1",
    )
    assert (rectification["owner"], rectification["raised_by"]) == (LI.id, HEAD.id)
    assert "refund came late" in rectification["problem"]
    assert loop.complaint("CMP-1")["rectification"] == rectification["id"]


def test_R_C7_a_dissatisfied_close_is_all_or_nothing(mem_loop: ClosedLoop) -> None:
    resolved(mem_loop)
    feedback(mem_loop, satisfied=False)
    mem_loop.execute(
        "rectification.raise",
        HEAD,
        {
            "ref": "complaint CMP-1",
            "source": "other",
            "source_ref": "a clash",
            "problem": "taken",
            "owner": LI.id,
        },
    )
    before = snapshot(mem_loop)
    with pytest.raises(ConcurrencyConflict, match="already exists"):
        mem_loop.execute("complaint.close", HEAD, {"complaint": "CMP-1"})
    assert snapshot(mem_loop) == before
    assert mem_loop.complaint("CMP-1")["status"] == "feedback_received"


def test_R_C7_sla_hours_are_policy_kept_from_receipt(clock: FixedClock, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/complaints.db"
    quick = Policy.from_mapping({"customer": {"complaint_acknowledge_hours": 4}})
    with ClosedLoop(url, policy=quick, clock=clock) as loop:
        received(loop)
        clock.advance(hours=5)
        assert loop.complaint("CMP-1")["overdue_slas"] == ["acknowledge"]
    with ClosedLoop(url, clock=clock) as loop:  # the default 24 h applies to new ones only
        received(loop, "CMP-2")
        view = loop.complaint("CMP-1")
        assert (view["acknowledge"]["hours"], view["overdue"]) == (4, True)
        assert loop.complaint("CMP-2")["acknowledge"]["hours"] == 24
