"""R-G1 for any actors: the one who decides is neither the owner nor the submitter."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, ClosedLoop, FixedClock, RuleViolation
from closedloop.domain.period import Period
from closedloop.domain.target import Scope, Target

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)
#: A small alphabet, so that the same person often plays several parts.
people = st.sampled_from(["an", "bo", "cai"])


def submitted(owner: str, submitter: str) -> Target:
    target = Target.draft(
        id=uuid4(),
        actor=Actor("drafter"),
        at=AT,
        metric="revenue",
        unit="CNY",
        period=Period.parse("2026"),
        scope=Scope.COMPANY,
        owner_id=owner,
        value=Decimal(100),
        basis="strategy",
    )
    target.submit(Actor(submitter), AT)
    return target


@given(owner=people, submitter=people, decider=people, approve=st.booleans())
def test_R_G1_a_decision_stands_iff_the_decider_is_a_third_person(
    owner: str, submitter: str, decider: str, approve: bool
) -> None:
    target = submitted(owner, submitter)
    decide = target.approve if approve else lambda a, at: target.reject(a, at, "too low")
    if decider in (owner, submitter):
        with pytest.raises(RuleViolation, match=f"R-G1: {decider} cannot"):
            decide(Actor(decider), AT)
        assert target.status == "submitted"
    else:
        decide(Actor(decider), AT)
        assert target.status == ("approved" if approve else "draft")


@given(owner=people, requester=people, decider=people)
def test_R_G1_an_adjustment_is_rejected_by_neither_owner_nor_requester(
    owner: str, requester: str, decider: str
) -> None:
    target = submitted(owner, "drafter")
    target.approve(Actor("approver"), AT)
    target.request_adjustment(Actor(requester), AT, Decimal(90), "market", "analysis")
    if decider in (owner, requester):
        with pytest.raises(RuleViolation, match=f"R-G1: {decider} cannot"):
            target.reject_adjustment(Actor(decider), AT, "keep it")
        assert target.pending_adjustment is not None
    else:
        target.reject_adjustment(Actor(decider), AT, "keep it")
        assert target.adjustments[-1].decision == "rejected"


roles = {"an": {"leadership"}, "bo": {"leadership"}, "cai": {"leadership"}}


@settings(max_examples=40, deadline=None)
@given(owner=people, submitter=people, decider=people)
def test_R_G1_through_the_api_a_refused_approval_records_nothing(
    owner: str, submitter: str, decider: str
) -> None:
    with ClosedLoop("memory:", clock=FixedClock(AT)) as loop:
        loop.execute(
            "target.create",
            Actor("drafter", roles={"marketer"}),
            {
                "ref": "T",
                "metric": "revenue",
                "unit": "CNY",
                "period": "2026",
                "value": "100",
                "owner": owner,
                "basis": "strategy",
            },
        )
        loop.execute("target.submit", Actor(submitter, roles=roles[submitter]), {"target": "T"})
        before = loop.position()
        approve = ("target.approve", Actor(decider, roles=roles[decider]), {"target": "T"})
        if decider in (owner, submitter):
            with pytest.raises(RuleViolation, match="R-G1"):
                loop.execute(*approve)
            assert loop.position() == before
        else:
            loop.execute(*approve)
            assert loop.target("T")["approval"]["by"] == decider
