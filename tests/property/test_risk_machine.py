"""Random walks through the risk and complaint commands, checked against a plain model.

A hypothesis ``RuleBasedStateMachine`` issues risk and complaint commands (valid and invalid)
as random actors while the clock moves. Each command's outcome must be the model's: accepted
exactly when the model says the rules allow it (R-K2, R-K3, R-C7). After every step:

- L6: a refused command changed neither the history (position) nor a view;
- R-K3: every assessment is kept, and the inherent, current and residual levels are the
  model's latest of each;
- R-C7: the complaint's SLA time is the wall time since receipt less the paused spans, and it
  is overdue exactly when that exceeds the SLA hours;
- R-K4, R-K5: reviews and occurrences are kept, and each occurrence (like each dissatisfied
  close, R-C7) raised its own rectification.

At the end of each walk, L7 (:class:`tests.walks.LiveViews`): the facts rows, the audit
trail, the complaints, risks and rectifications evaluation views and the risk, complaint and
rectification views kept live equal those rebuilt from the history, and as of the walk's
moments equal what was seen then. The default run is the same 50 walks of up to 60 steps
every time; ``pytest --slow`` walks further.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
)

from closedloop import Actor, ClosedLoop, ClosedLoopError, FixedClock
from closedloop.domain.risk_matrix import DEFAULT_GRID
from tests.cast import AUDITOR, CEO, HEAD, LI
from tests.walks import LiveViews, walk

SCALE = st.sampled_from(["low", "medium", "high"])
STAGES = st.sampled_from([None, None, "current", "residual", "inherent"])
ACCEPTORS = st.sampled_from([CEO, HEAD, LI])
HANDLERS = st.sampled_from([LI, LI, HEAD, AUDITOR])


class RiskComplaintMachine(RuleBasedStateMachine):
    def __init__(self, reach: Counter[str]) -> None:
        super().__init__()
        self.reach = reach  # in how many walks each command succeeded at least once
        self.succeeded: set[str] = set()
        self.clock = FixedClock("2026-01-05T09:00:00+00:00")
        self.loop = ClosedLoop("memory:", clock=self.clock)
        self.loop.execute(
            "risk.register", LI, {"ref": "R", "title": "t", "category": "market", "owner": LI.id}
        )
        self.loop.execute("customer.register", LI, {"ref": "K", "name": "王伟"})
        self.loop.execute("complaint.receive", LI, {"ref": "C", "customer": "K", "subject": "s"})
        self.received = self.clock.now()
        # the risk's model
        self.status = "identified"
        self.assessments: list[tuple[str, str]] = []  # (stage, level)
        self.response: str | None = None
        self.measures = 0
        self.acceptance: dict[str, Any] | None = None
        # the complaint's model
        self.complaint = "received"
        self.pauses: list[list[datetime | None]] = []
        self.satisfied: bool | None = None
        self.reviews = 0
        self.occurrences = 0
        self.raised = 0  # rectifications raised by occurrences and dissatisfied closes
        self.live = LiveViews(
            self.loop,
            [("complaints", None), ("risks", None), ("rectifications", None)],
            {
                "risks": self.loop.risks,
                "complaints": self.loop.complaints,
                "rectifications": self.loop.rectifications,
            },
        )

    def teardown(self) -> None:
        self.reach.update(self.succeeded)
        try:
            self.live.check()
        finally:
            self.loop.close()

    def run(self, command: str, actor: Actor, args: dict[str, Any], allowed: bool) -> bool:
        """Issue ``command``: it succeeds exactly when ``allowed``, and a refusal changes
        nothing (L6)."""
        position, views = self.loop.position(), self.views()
        try:
            self.loop.execute(command, actor, args)
        except ClosedLoopError as error:
            refusal: str | None = error.message
        else:
            refusal = None
        if refusal is None:
            assert allowed, f"{command} accepted, the model refuses it"
            self.succeeded.add(command)
            return True
        assert not allowed, f"{command} refused, the model allows it: {refusal}"
        assert self.loop.position() == position, f"L6: refused {command} wrote events"
        assert self.views() == views, f"L6: refused {command} changed a view"
        return False

    def views(self) -> tuple[Any, ...]:
        return self.loop.risks(), self.loop.complaints(), self.loop.rectifications()

    @property
    def today(self) -> Any:
        return self.clock.now().date()

    @property
    def level(self) -> str | None:
        current = [level for stage, level in self.assessments if stage != "residual"]
        return current[-1] if current else None

    @property
    def open_and_assessed(self) -> bool:
        return self.status not in ("identified", "closed")

    def gaps(self) -> bool:
        """R-K2 in the model: does a high risk still lack its plan in force?"""
        if self.level != "high":
            return False
        if self.response is None:
            return True
        if self.response == "accept":
            acceptance = self.acceptance
            return not (
                acceptance is not None
                and not acceptance["revoked"]
                and self.today <= acceptance["expires"]
                and acceptance["level"] == "high"
            )
        return self.measures == 0

    # --- time ------------------------------------------------------------------------------

    @rule(hours=st.integers(min_value=1, max_value=24 * 40))
    def time_passes(self, hours: int) -> None:
        self.live.moment()
        self.clock.advance(hours=hours)

    # --- risk --------------------------------------------------------------------------------

    @rule(likelihood=SCALE, impact=SCALE, stage=STAGES)
    def assess(self, likelihood: str, impact: str, stage: str | None) -> None:
        chosen = stage or ("current" if self.assessments else "inherent")
        allowed = self.status != "closed" and (chosen != "residual" or self.level is not None)
        args = {"risk": "R", "likelihood": likelihood, "impact": impact, "stage": stage}
        if self.run("risk.assess", LI, args, allowed):
            self.assessments.append((chosen, DEFAULT_GRID.level(likelihood, impact).value))
            if self.status == "identified":
                self.status = "assessed"

    @rule(response=st.sampled_from(["avoid", "mitigate", "transfer"]))
    def plan(self, response: str) -> None:
        args = {"risk": "R", "response": response, "plan": "do it"}
        if self.run("risk.plan_treatment", LI, args, self.open_and_assessed):
            self.response, self.status = response, "treating"

    @rule(days=st.integers(min_value=-2, max_value=60))
    def add_measure(self, days: int) -> None:
        due = self.today + timedelta(days=days)
        allowed = self.open_and_assessed and self.response not in (None, "accept") and days >= 0
        args = {"risk": "R", "what": "w", "owner": HEAD.id, "due": due.isoformat()}
        if self.run("risk.add_measure", LI, args, allowed):
            self.measures += 1

    @rule(actor=ACCEPTORS, days=st.integers(min_value=-1, max_value=90))
    def accept(self, actor: Actor, days: int) -> None:
        expires = self.today + timedelta(days=days)
        allowed = (
            self.open_and_assessed
            and actor.id != LI.id
            and (self.level != "high" or actor.has_role("leadership"))
            and days > 0
        )
        args = {"risk": "R", "reason": "fine", "expires_on": expires.isoformat()}
        if self.run("risk.accept", actor, args, allowed):
            self.response, self.status = "accept", "treating"
            self.acceptance = {"level": self.level, "expires": expires, "revoked": False}

    @rule(actor=st.sampled_from([CEO, HEAD]))
    def revoke(self, actor: Actor) -> None:
        acceptance = self.acceptance
        allowed = (
            self.open_and_assessed
            and acceptance is not None
            and not acceptance["revoked"]
            and (acceptance["level"] != "high" or actor.has_role("leadership"))
        )
        if self.run("risk.revoke_acceptance", actor, {"risk": "R", "reason": "no"}, allowed):
            assert acceptance is not None
            acceptance["revoked"], self.status = True, "treating"

    @rule()
    def monitor(self) -> None:
        allowed = self.open_and_assessed and self.status != "monitoring" and not self.gaps()
        if self.run("risk.monitor", LI, {"risk": "R"}, allowed):
            self.status = "monitoring"

    @rule(
        stages=st.integers(min_value=1, max_value=6),
        then=st.sampled_from(["review", "occur", "revoke"]),
        days=st.integers(min_value=1, max_value=90),
    )
    def the_risk_is_managed(self, stages: int, then: str, days: int) -> None:
        """The valid path a few steps at a time, so walks reach acceptances in force,
        monitoring, reviews, occurrences and revocations: the risk is assessed if it is
        not, leadership accepts it when no acceptance is in force, it is monitored (its plan
        now in force, R-K2), then reviewed, occurs, or its acceptance is revoked."""
        for _ in range(stages):
            acceptance = self.acceptance
            if self.status == "closed":
                return
            if self.status == "identified":
                self.assess("high", "high", None)
            elif acceptance is None or acceptance["revoked"]:
                self.accept(CEO, days)
            elif self.status != "monitoring":
                self.monitor()
            elif then == "review":
                self.review(LI, "on track")
            elif then == "occur":
                self.occur(LI, 0)
            else:
                self.revoke(CEO)

    @rule(actor=HANDLERS, note=st.sampled_from(["on track", "on track", " "]))
    def review(self, actor: Actor, note: str) -> None:
        """R-K4: a review of an assessed, open risk, saying what it found."""
        allowed = actor != AUDITOR and self.open_and_assessed and bool(note.strip())
        if self.run("risk.review", actor, {"risk": "R", "note": note}, allowed):
            self.reviews += 1

    @rule(actor=HANDLERS, days_ago=st.sampled_from([0, 0, 3, -1]))
    def occur(self, actor: Actor, days_ago: int) -> None:
        """R-K5: the risk happened (not in the future) and raises a rectification."""
        on = self.today - timedelta(days=days_ago)
        allowed = actor != AUDITOR and self.status != "closed" and days_ago >= 0
        args = {"risk": "R", "what_happened": "dealer undercut us", "occurred_on": on.isoformat()}
        if self.run("risk.record_occurrence", actor, args, allowed):
            self.occurrences += 1
            self.raised += 1

    @rule(actor=st.sampled_from([HEAD, LI, LI, AUDITOR]))
    def close_risk(self, actor: Actor) -> None:
        allowed = actor == HEAD and self.status != "closed"
        if self.run("risk.close", actor, {"risk": "R", "reason": "market left"}, allowed):
            self.status = "closed"

    @invariant()
    def reviews_and_occurrences_are_kept_each_with_its_rectification(self) -> None:
        view = self.loop.risk("R")
        assert len(view["reviews"]) == self.reviews, "R-K4: a review is missing"
        assert len(view["occurrences"]) == self.occurrences, "R-K5: an occurrence is missing"
        assert len(self.loop.rectifications()) == self.raised, "R-K5, R-C7: one rectification each"

    @invariant()
    def views_follow_the_events(self) -> None:
        self.live.step()

    @invariant()
    def every_assessment_is_kept_side_by_side(self) -> None:
        view = self.loop.risk("R")
        assert [(a["stage"], a["level"]) for a in view["assessments"]] == self.assessments
        for name, stages in (
            ("inherent", ("inherent",)),
            ("current", ("inherent", "current")),
            ("residual", ("residual",)),
        ):
            levels = [level for stage, level in self.assessments if stage in stages]
            shown = view[name]["level"] if view[name] else None
            assert shown == (levels[-1] if levels else None)
        assert view["status"] == self.status

    # --- complaint ---------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @rule(actor=HANDLERS)
    def acknowledge(self, actor: Actor) -> None:
        allowed = actor != AUDITOR and self.complaint == "received" and not self.paused
        if self.run("complaint.acknowledge", actor, {"complaint": "C"}, allowed):
            self.complaint = "acknowledged"

    @rule(actor=HANDLERS)
    def wait_on_customer(self, actor: Actor) -> None:
        running = self.complaint in ("received", "acknowledged")
        allowed = actor != AUDITOR and running and not self.paused
        args = {"complaint": "C", "reason": "details"}
        if self.run("complaint.await_customer", actor, args, allowed):
            self.pauses.append([self.clock.now(), None])

    @rule(actor=HANDLERS)
    def resume(self, actor: Actor) -> None:
        allowed = actor != AUDITOR and self.paused
        if self.run("complaint.resume", actor, {"complaint": "C"}, allowed):
            self.pauses[-1][1] = self.clock.now()

    @rule(actor=HANDLERS)
    def resolve(self, actor: Actor) -> None:
        allowed = actor != AUDITOR and self.complaint == "acknowledged" and not self.paused
        args = {"complaint": "C", "resolution": "fixed"}
        if self.run("complaint.resolve", actor, args, allowed):
            self.complaint = "resolved"

    @rule(satisfied=st.booleans())
    def feedback(self, satisfied: bool) -> None:
        args = {"complaint": "C", "satisfied": satisfied}
        if self.run("complaint.record_feedback", LI, args, self.complaint == "resolved"):
            self.complaint, self.satisfied = "feedback_received", satisfied

    @rule()
    def close(self) -> None:
        before = len(self.loop.rectifications())
        if self.run(
            "complaint.close", HEAD, {"complaint": "C"}, self.complaint == "feedback_received"
        ):
            self.complaint = "closed"
            raised = len(self.loop.rectifications()) - before
            assert raised == (0 if self.satisfied else 1), "R-C7: dissatisfied raises one"
            self.raised += raised

    @rule(
        stages=st.integers(min_value=1, max_value=6),
        satisfied=st.booleans(),
        hours=st.integers(min_value=1, max_value=48),
    )
    def the_complaint_goes_forward(self, stages: int, satisfied: bool, hours: int) -> None:
        """The valid path a few steps at a time, so walks reach paused SLA clocks and closes,
        satisfied or not (R-C7: a dissatisfied close raises a rectification): the first
        time it is acknowledged, the handler waits ``hours`` on the customer."""
        for _ in range(stages):
            if self.paused:
                self.time_passes(hours)
                self.resume(LI)
            elif self.complaint == "received":
                self.acknowledge(LI)
            elif self.complaint == "acknowledged" and not self.pauses:
                self.wait_on_customer(LI)
            elif self.complaint == "acknowledged":
                self.resolve(LI)
            elif self.complaint == "resolved":
                self.feedback(satisfied)
            elif self.complaint == "feedback_received":
                self.close()

    @invariant()
    def sla_time_excludes_the_pauses(self) -> None:
        view = self.loop.complaint("C")
        assert view["status"] == self.complaint
        now = self.clock.now()
        paused = sum(((until or now) - since for since, until in self.pauses), timedelta(0))
        elapsed = now - self.received - paused
        for key, hours in (("acknowledge", 24), ("resolve", 72)):
            sla = view[key]
            if sla["done_at"] is None:
                expected = Decimal(int(elapsed.total_seconds())) / 3600
                assert sla["elapsed_hours"] == expected.quantize(Decimal("0.01"))
                assert sla["overdue"] == (elapsed > timedelta(hours=hours))


#: Commands the walks must reach (each succeeds in some walk), or they prove little.
MILESTONES = (
    "risk.accept",
    "risk.revoke_acceptance",
    "risk.monitor",
    "risk.review",
    "risk.record_occurrence",
    "risk.close",
    "complaint.await_customer",
    "complaint.resume",
    "complaint.close",
)


def test_R_K2_R_K3_R_K4_R_K5_R_C7_L7_risks_and_complaints_follow_the_model(
    request: pytest.FixtureRequest,
) -> None:
    walk(RiskComplaintMachine, request, examples=50, steps=60, milestones=MILESTONES)
