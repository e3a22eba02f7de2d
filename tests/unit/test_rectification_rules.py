"""Rectification rules R-X1 … R-X6, and L4 (closed only when verified by a non-owner)."""

from __future__ import annotations

import contextlib
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import event, given, settings

from closedloop import (
    Actor,
    ClosedLoop,
    ClosedLoopError,
    FixedClock,
    InvalidInput,
    NotAuthorised,
    Policy,
    RuleViolation,
)
from tests.cast import AUDITOR, CEO, HEAD, LEAD, LI, ZHOU
from tests.review_scenario import closed, completed, in_progress, raised

#: Li and Zhou given verifying rights, to show that rights alone do not beat four eyes.
LI_MANAGER = Actor(LI.id, LI.name, {"manager"})
ZHOU_MANAGER = Actor(ZHOU.id, ZHOU.name, {"manager"})


def refused(rule: str):  # type: ignore[no-untyped-def]
    return pytest.raises(RuleViolation, match=rule)


def snapshot(loop: ClosedLoop) -> tuple[int, list[dict[str, Any]]]:
    """Everything a refused command must leave alone (R-G4): history and every view."""
    return loop.position(), loop.rectifications()


def verify(loop: ClosedLoop, actor: Any = HEAD, ref: str = "RX-1", effective: bool = True) -> Any:
    return loop.execute(
        "rectification.verify",
        actor,
        {"rectification": ref, "effective": effective, "notes": "checked 5 dealers"},
    )


# --- R-X1 problem and source -----------------------------------------------------------------


def test_R_X1_a_rectification_states_its_problem_and_source(loop: ClosedLoop) -> None:
    raised(loop)
    view = loop.rectification("RX-1")
    assert (view["source"], view["source_ref"]) == ("audit", "AUDIT-2025-H2 item 3")
    assert view["problem"].startswith("dealer price lists")
    assert (view["status"], view["owner"], view["raised_by"]) == ("open", LI.id, HEAD.id)

    before = snapshot(loop)
    with refused("R-X1") as error:
        raised(loop, "RX-2", problem="   ")
    assert "states the problem" in str(error.value)
    with refused("R-X1"):
        raised(loop, "RX-2", source_ref="  ")
    assert snapshot(loop) == before


def test_R_X1_findings_incidents_and_complaints_raise_theirs_through_their_own_commands(
    mem_loop: ClosedLoop,
) -> None:
    """``rectification.raise`` takes audits and other sources; a finding's goes through its
    review, so the link cannot be missing (R-E4)."""
    with pytest.raises(InvalidInput, match="source"):
        raised(mem_loop, source="finding")
    assert mem_loop.position() == 0


# --- R-X2 root cause, measures, completion ---------------------------------------------------


def test_R_X2_root_cause_comes_before_measures(loop: ClosedLoop) -> None:
    raised(loop)
    measure = {
        "rectification": "RX-1",
        "what": "name a price-list owner",
        "owner": LI.id,
        "deadline": "2026-01-31",
    }
    before = snapshot(loop)
    with refused("R-X2") as error:
        loop.execute("rectification.add_measure", LI, measure)
    assert "no root cause yet" in str(error.value)
    assert snapshot(loop) == before

    loop.execute(
        "rectification.record_root_cause",
        LI,
        {"rectification": "RX-1", "root_cause": "no owner for distribution"},
    )
    result = loop.execute("rectification.add_measure", LI, measure)
    assert (result["status"], result["measure"]) == ("in_progress", "M1")


def test_R_X2_every_measure_has_an_owner_and_a_deadline(mem_loop: ClosedLoop) -> None:
    in_progress(mem_loop)
    with pytest.raises(InvalidInput, match="deadline"):
        mem_loop.execute(
            "rectification.add_measure",
            LI,
            {"rectification": "RX-1", "what": "retrain dealers", "owner": LI.id},
        )
    with refused("R-X2") as error:
        mem_loop.execute(
            "rectification.add_measure",
            LI,
            {"rectification": "RX-1", "what": "retrain", "owner": " ", "deadline": "2026-02-01"},
        )
    assert "owner" in str(error.value)
    measures = mem_loop.rectification("RX-1")["measures"]
    assert [(m["id"], m["owner"], m["deadline"].isoformat()) for m in measures] == [
        ("M1", LI.id, "2026-01-31")
    ]


def test_R_X2_completion_needs_every_measure_done_and_evidence(loop: ClosedLoop) -> None:
    in_progress(loop)
    complete = {"rectification": "RX-1", "evidence": "owner list signed"}
    with refused("R-X2") as error:
        loop.execute("rectification.complete", LI, complete)
    assert "measures not done: M1" in str(error.value)

    loop.execute("rectification.complete_measure", LI, {"rectification": "RX-1", "measure": "M1"})
    before = snapshot(loop)
    with refused("R-X2") as error:
        loop.execute("rectification.complete", LI, {**complete, "evidence": "  "})
    assert "evidence" in str(error.value)
    assert snapshot(loop) == before

    assert loop.execute("rectification.complete", LI, complete)["status"] == "completed"
    view = loop.rectification("RX-1")
    assert (view["evidence"], view["completed_by"]) == ("owner list signed", LI.id)


# --- R-X3 verification -----------------------------------------------------------------------


@pytest.mark.parametrize("party", ["owner", "completer"])
def test_R_X3_neither_owner_nor_completer_verifies(loop: ClosedLoop, party: str) -> None:
    """Zhou completes Li's rectification: neither of them may judge its effect."""
    in_progress(loop)
    loop.execute("rectification.complete_measure", LI, {"rectification": "RX-1", "measure": "M1"})
    loop.execute(
        "rectification.complete", ZHOU, {"rectification": "RX-1", "evidence": "lists re-issued"}
    )
    actor = {"owner": LI_MANAGER, "completer": ZHOU_MANAGER}[party]
    before = snapshot(loop)
    with refused("R-X3") as error:
        verify(loop, actor)
    assert actor.id in str(error.value)
    assert snapshot(loop) == before
    assert verify(loop, HEAD)["status"] == "verified"
    assert loop.rectification("RX-1")["verified_by"] == HEAD.id


def test_R_X3_verification_needs_the_verify_permission(mem_loop: ClosedLoop) -> None:
    completed(mem_loop)
    with pytest.raises(NotAuthorised, match="R-G2"):
        verify(mem_loop, ZHOU)


def test_R_X3_not_verified_before_verify_after_days(clock: FixedClock) -> None:
    policy = Policy.from_mapping({"rectification": {"verify_after_days": 14}})
    with ClosedLoop("memory:", clock=clock, policy=policy) as loop:
        completed(loop)
        assert loop.rectification("RX-1")["verifiable_from"].isoformat() == "2026-01-19"
        clock.advance(days=13)
        with refused("R-X3") as error:
            verify(loop)
        assert "completed 13 days ago" in str(error.value)
        assert "after 14 days" in str(error.value)
        clock.advance(days=1)
        assert verify(loop)["status"] == "verified"


def test_R_X3_an_ineffective_fix_reopens_the_rectification(loop: ClosedLoop) -> None:
    completed(loop)
    assert verify(loop, effective=False)["status"] == "in_progress"
    view = loop.rectification("RX-1")
    assert view["verified_by"] is None
    assert [(v["by"], v["effective"]) for v in view["verifications"]] == [(HEAD.id, False)]
    with refused("R-X3"):
        loop.execute("rectification.close", LI, {"rectification": "RX-1", "lessons": "x"})

    loop.execute(
        "rectification.add_measure",
        LI,
        {
            "rectification": "RX-1",
            "what": "monthly audit",
            "owner": LI.id,
            "deadline": "2026-02-28",
        },
    )
    loop.execute("rectification.complete_measure", LI, {"rectification": "RX-1", "measure": "M2"})
    loop.execute("rectification.complete", LI, {"rectification": "RX-1", "evidence": "audit log"})
    assert verify(loop)["status"] == "verified"


# --- R-X4 deadlines --------------------------------------------------------------------------


def test_R_X4_an_extension_needs_approval_by_someone_else(loop: ClosedLoop) -> None:
    in_progress(loop, deadline="2026-01-31")
    request = {"rectification": "RX-1", "deadline": "2026-02-28", "reason": "dealer summit moved"}
    loop.execute("rectification.request_extension", LI, request)
    assert loop.rectification("RX-1")["deadline"].isoformat() == "2026-01-31"

    before = snapshot(loop)
    with refused("R-X4"):
        loop.execute("rectification.approve_extension", LI_MANAGER, {"rectification": "RX-1"})
    with pytest.raises(NotAuthorised, match="R-G2"):
        loop.execute("rectification.approve_extension", ZHOU, {"rectification": "RX-1"})
    assert snapshot(loop) == before

    loop.execute("rectification.approve_extension", HEAD, {"rectification": "RX-1"})
    view = loop.rectification("RX-1")
    assert view["deadline"].isoformat() == "2026-02-28"
    assert [
        (e["from"].isoformat(), e["to"].isoformat(), e["decided_by"]) for e in view["extensions"]
    ] == [("2026-01-31", "2026-02-28", HEAD.id)]


def test_R_X4_an_extension_moves_a_deadline_later_and_needs_a_reason(mem_loop: ClosedLoop) -> None:
    in_progress(mem_loop)
    with refused("R-X4") as error:
        mem_loop.execute(
            "rectification.request_extension",
            LI,
            {"rectification": "RX-1", "deadline": "2026-01-20", "reason": "earlier?"},
        )
    assert "later than 2026-01-31" in str(error.value)
    with refused("R-X4"):
        mem_loop.execute(
            "rectification.request_extension",
            LI,
            {"rectification": "RX-1", "deadline": "2026-02-20", "reason": " "},
        )


def test_R_X4_a_rejected_extension_keeps_the_deadline(mem_loop: ClosedLoop) -> None:
    in_progress(mem_loop)
    mem_loop.execute(
        "rectification.request_extension",
        LI,
        {"rectification": "RX-1", "measure": "M1", "deadline": "2026-02-15", "reason": "holiday"},
    )
    mem_loop.execute(
        "rectification.reject_extension",
        HEAD,
        {"rectification": "RX-1", "reason": "the price change is urgent"},
    )
    view = mem_loop.rectification("RX-1")
    assert view["measures"][0]["deadline"].isoformat() == "2026-01-31"
    assert view["extensions"][0]["decision"] == "rejected"


def test_R_X4_measures_stay_within_the_rectifications_deadline(mem_loop: ClosedLoop) -> None:
    raised(mem_loop, deadline="2026-01-31")
    mem_loop.execute(
        "rectification.record_root_cause",
        LI,
        {"rectification": "RX-1", "root_cause": "no owner"},
    )
    with refused("R-X4") as error:
        mem_loop.execute(
            "rectification.add_measure",
            LI,
            {"rectification": "RX-1", "what": "x", "owner": LI.id, "deadline": "2026-02-01"},
        )
    assert "extend the rectification first" in str(error.value)
    with refused("R-X4"):
        raised(mem_loop, "RX-2", deadline="2026-01-04")  # already passed on 2026-01-05


def test_R_X4_past_deadline_open_rectifications_are_overdue(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    in_progress(loop, "RX-1")
    completed(loop, "RX-2")
    assert loop.rectifications(overdue=True) == []

    clock.set("2026-02-01T09:00:00+00:00")
    overdue = loop.rectifications(overdue=True)
    assert [view["ref"] for view in overdue] == ["RX-1"]  # RX-2 was completed in time
    assert overdue[0]["measures"][0]["overdue"] is True
    as_of_january = loop.rectification("RX-1", as_of=clock.now().replace(month=1, day=20))
    assert as_of_january["overdue"] is False


# --- R-X5 lessons ----------------------------------------------------------------------------


def test_R_X5_closing_records_lessons_searchable_for_the_next_cycle(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    closed(loop, "RX-1", lessons="Every dealer document needs a named owner")
    clock.advance(days=1)
    closed(loop, "RX-2", lessons="Launch events need a rain plan", problem="fair rained off")
    assert [lesson["ref"] for lesson in loop.lessons()] == ["RX-2", "RX-1"]  # latest first
    found = loop.lessons(search="DOCUMENT owner")
    assert [lesson["ref"] for lesson in found] == ["RX-1"]
    assert found[0]["tags"] == ["pricing", "dealers"]
    assert found[0]["by"] == LI.id
    assert [lesson["ref"] for lesson in loop.lessons(search="rain")] == ["RX-2"]
    assert loop.lessons(search="warranty") == []


def test_R_X5_closing_needs_the_lessons(mem_loop: ClosedLoop) -> None:
    completed(mem_loop)
    verify(mem_loop)
    before = snapshot(mem_loop)
    with refused("R-X5"):
        mem_loop.execute("rectification.close", LI, {"rectification": "RX-1", "lessons": "  "})
    assert snapshot(mem_loop) == before


# --- R-X6 recurrence -------------------------------------------------------------------------


def test_R_X6_the_same_cause_within_recurrence_days_is_a_recurrence(
    loop: ClosedLoop, clock: FixedClock
) -> None:
    closed(loop, "RX-1", cause_code="pricing")
    clock.advance(days=30)
    raised(loop, "RX-2", cause_code=" PRICING ")
    second = loop.rectification("RX-2")
    first = loop.rectification("RX-1")
    assert (second["recurrence_of"], second["recurrence_count"]) == (first["id"], 1)
    assert first["recurred_by"] == ["audit AUDIT-2025-H2 item 3"]

    closed_rx2 = {"rectification": "RX-2"}
    loop.execute("rectification.record_root_cause", LI, {**closed_rx2, "root_cause": "again"})
    loop.execute(
        "rectification.add_measure",
        LI,
        {**closed_rx2, "what": "x", "owner": LI.id, "deadline": "2026-03-01"},
    )
    loop.execute("rectification.complete_measure", LI, {**closed_rx2, "measure": "M1"})
    loop.execute("rectification.complete", LI, {**closed_rx2, "evidence": "done"})
    verify(loop, ref="RX-2")
    loop.execute("rectification.close", LI, {**closed_rx2, "lessons": "owners again"})
    raised(loop, "RX-3", cause_code="pricing", source_ref="AUDIT-2026-Q1 item 1")
    third = loop.rectification("RX-3")
    assert (third["recurrence_of"], third["recurrence_count"]) == (second["id"], 2)


def test_R_X6_a_cause_closed_longer_ago_than_recurrence_days_is_new(
    mem_loop: ClosedLoop, clock: FixedClock
) -> None:
    closed(mem_loop, "RX-1", cause_code="PRICING")
    clock.advance(days=181)
    raised(mem_loop, "RX-2", cause_code="PRICING")
    assert mem_loop.rectification("RX-2")["recurrence_of"] is None
    assert mem_loop.rectification("RX-1")["recurred_by"] == []


def test_R_X6_a_cause_code_found_at_root_cause_links_the_recurrence(mem_loop: ClosedLoop) -> None:
    closed(mem_loop, "RX-1", cause_code="PRICING")
    raised(mem_loop, "RX-2", source_ref="AUDIT-2026-Q1 item 2")
    mem_loop.execute(
        "rectification.record_root_cause",
        LI,
        {"rectification": "RX-2", "root_cause": "no owner", "cause_code": "pricing"},
    )
    view = mem_loop.rectification("RX-2")
    assert (view["cause_code"], view["recurrence_count"]) == ("PRICING", 1)
    assert mem_loop.rectification("RX-1")["recurred_by"] == ["audit AUDIT-2026-Q1 item 2"]


# --- R-G4 and L4 -----------------------------------------------------------------------------


def test_R_G4_a_refused_rectification_command_changes_nothing(loop: ClosedLoop) -> None:
    completed(loop)
    before = snapshot(loop)
    attempts: list[tuple[str, Actor, dict[str, Any]]] = [
        ("rectification.verify", LI, {"rectification": "RX-1", "effective": True, "notes": "ok"}),
        ("rectification.close", LI, {"rectification": "RX-1", "lessons": "early"}),
        ("rectification.add_measure", AUDITOR, {"rectification": "RX-1", "what": "x"}),
        ("rectification.complete", LI, {"rectification": "RX-1", "evidence": "again"}),
        ("rectification.approve_extension", CEO, {"rectification": "RX-1"}),
    ]
    for command, actor, args in attempts:
        with pytest.raises((RuleViolation, NotAuthorised, InvalidInput)):
            loop.execute(command, actor, args)
        assert snapshot(loop) == before, command


ANYONE = st.sampled_from([CEO, HEAD, LEAD, LI, ZHOU, LI_MANAGER, ZHOU_MANAGER, AUDITOR])


@settings(max_examples=100, deadline=None)
@given(
    completer=st.sampled_from([LI, ZHOU]),
    verdicts=st.lists(st.tuples(ANYONE, st.booleans()), min_size=1, max_size=4),
    closer=ANYONE,
)
def test_L4_no_rectification_is_closed_without_a_verification_by_a_non_owner(
    completer: Actor, verdicts: list[tuple[Actor, bool]], closer: Actor
) -> None:
    """Li's rectification, completed by Li or Zhou, judged by anyone (an ineffective verdict
    reopens it, and it is completed again), then closed by anyone: once closed, someone
    other than Li and than its completer found it effective."""
    with ClosedLoop("memory:", clock=FixedClock("2026-01-05T09:00:00+00:00")) as loop:
        in_progress(loop)
        ref = {"rectification": "RX-1"}
        loop.execute("rectification.complete_measure", LI, {**ref, "measure": "M1"})
        complete = ("rectification.complete", completer, {**ref, "evidence": "lists re-issued"})
        loop.execute(*complete)
        for verifier, effective in verdicts:
            with contextlib.suppress(ClosedLoopError):
                loop.execute(
                    "rectification.verify",
                    verifier,
                    {**ref, "effective": effective, "notes": "checked 5 dealers"},
                )
            if loop.rectification("RX-1")["status"] == "in_progress":
                loop.execute(*complete)
        with contextlib.suppress(ClosedLoopError):
            loop.execute("rectification.close", closer, {**ref, "lessons": "owners for documents"})
        view = loop.rectification("RX-1")
        event(f"rectification {view['status']}")
        if view["status"] == "closed":
            assert view["verified_by"] not in (None, LI.id, completer.id)
