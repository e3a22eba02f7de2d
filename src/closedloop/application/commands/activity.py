"""Activity commands (R-A1 … R-A9): inputs and handlers.

Content changes in draft only (``activity.update``); once approved, time, place, budget and
content change, and an activity is cancelled, only through ``activity.request_change`` and
its approval (R-A4). The copy check (R-A3) runs against the policy's lexicon here, in the
command, and the event records its result, so replay never checks again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.commands.rectification import raise_rectification
from closedloop.application.inputs import Day, Exact, Input, MoneyIn, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.activity import Activity, Kind
from closedloop.domain.activity_values import BudgetLine, Change, Objective, Severity, Step, Window
from closedloop.domain.actor import Actor
from closedloop.domain.compliance import Evidence
from closedloop.domain.ids import aggregate_id, new_id
from closedloop.domain.plan import Plan
from closedloop.domain.rectification import Rectification, Source
from closedloop.domain.target import Direction

KindName = Literal[
    "advertising",
    "promotion",
    "market_event",
    "retention_event",
    "social_media",
    "referral_campaign",
]


def outcome(activity: Activity) -> Result:
    return {
        "id": str(activity.id),
        "ref": activity.ref,
        "version": activity.version,
        "status": activity.status,
        "revision": activity.revision,
    }


class ObjectiveIn(Input):
    name: Text
    metric: Text = Field(description="what is measured: leads, sales, sign-ups …")
    target: Exact = Field(description="the value aimed at, above zero")
    unit: str = ""
    direction: Literal["higher", "lower"] = "higher"

    def to_objective(self) -> Objective:
        return Objective(self.name, self.metric, self.target, self.unit, Direction(self.direction))


class BudgetLineIn(Input):
    category: Text = Field(description="media, venue, gifts, staff …")
    amount: MoneyIn


class CreateActivity(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. SPRING-FAIR-2026")
    kind: KindName
    theme: Text
    start: Day = Field(description="first day of the activity")
    end: Day = Field(description="last day of the activity")
    objectives: list[ObjectiveIn] = Field(default_factory=list)
    target_customers: list[str] = Field(default_factory=list, description="tiers or segments")
    channels: list[str] = Field(default_factory=list)
    place: str = ""
    content: str = Field("", description="content and flow; for advertising, the ad copy")
    promotion_plan: str = ""
    budget_lines: list[BudgetLineIn] = Field(default_factory=list)
    currency: str = Field("CNY", description="the one currency of its budget and spend")
    plan: Ref | None = Field(None, description="the plan it carries out")
    action_item: Ref | None = Field(None, description="the plan's action item it carries out")


@catalogue.command("activity.create", permission="draft")
def create_activity(uow: UnitOfWork, actor: Actor, args: CreateActivity) -> Result:
    """Draft an activity; the actor owns it and their superior reviews it (R-A1)."""
    activity = Activity.draft(
        id=new_id(Activity.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        kind=Kind(args.kind),
        theme=args.theme,
        window=Window(args.start, args.end),
        objectives=[objective.to_objective() for objective in args.objectives],
        target_customers=args.target_customers,
        channels=args.channels,
        place=args.place,
        content=args.content,
        promotion_plan=args.promotion_plan,
        budget_lines=[BudgetLine(line.category, line.amount) for line in args.budget_lines],
        currency=args.currency,
        plan=uow.get(Plan, args.plan) if args.plan else None,
        action_item=args.action_item,
    )
    uow.add(activity)
    return outcome(activity)


class UpdateActivity(Input):
    """Only the fields given change; the window changes with ``start`` and/or ``end``."""

    activity: Ref
    theme: Text | None = None
    start: Day | None = None
    end: Day | None = None
    objectives: list[ObjectiveIn] | None = None
    target_customers: list[str] | None = None
    channels: list[str] | None = None
    place: str | None = None
    content: str | None = None
    promotion_plan: str | None = None
    budget_lines: list[BudgetLineIn] | None = None


def _window(activity: Activity, start: Day | None, end: Day | None) -> Window | None:
    """The window ``start``/``end`` make of the activity's current one; ``None`` if neither."""
    if start is None and end is None:
        return None
    return Window(start or activity.window.start, end or activity.window.end)


def _lines(lines: list[BudgetLineIn] | None) -> list[BudgetLine] | None:
    if lines is None:
        return None
    return [BudgetLine(line.category, line.amount) for line in lines]


@catalogue.command("activity.update", permission="draft")
def update_activity(uow: UnitOfWork, actor: Actor, args: UpdateActivity) -> Result:
    """Edit a draft activity (a proposed or approved one is refused: R-A4)."""
    activity = uow.get(Activity, args.activity)
    activity.update(
        actor,
        uow.now,
        theme=args.theme,
        window=_window(activity, args.start, args.end),
        objectives=(
            [objective.to_objective() for objective in args.objectives]
            if args.objectives is not None
            else None
        ),
        target_customers=args.target_customers,
        channels=args.channels,
        place=args.place,
        content=args.content,
        promotion_plan=args.promotion_plan,
        budget_lines=_lines(args.budget_lines),
    )
    return outcome(activity)


class ActivityRef(Input):
    activity: Ref


class ActivityReason(Input):
    activity: Ref
    reason: Text


@catalogue.command("activity.propose", permission="draft")
def propose_activity(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Put a complete draft up for review by the owner's department head (R-A1)."""
    activity = uow.get(Activity, args.activity)
    activity.propose(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.review", permission="approve")
def review_activity(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Pass the proposal on for approval: the owner's department head only (R-A1)."""
    activity = uow.get(Activity, args.activity)
    activity.review(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.approve", permission="approve")
def approve_activity(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Approve a reviewed activity: not its owner or reviewer; leadership for retention (R-A1)."""
    activity = uow.get(Activity, args.activity)
    activity.approve(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.reject", permission="approve")
def reject_activity(uow: UnitOfWork, actor: Actor, args: ActivityReason) -> Result:
    """Send a proposal back to draft with a reason, at review or at approval (R-A1, R-G3)."""
    activity = uow.get(Activity, args.activity)
    activity.reject(actor, uow.now, args.reason)
    return outcome(activity)


class StepIn(Input):
    what: Text
    owner: Ref
    start: Day
    due: Day


class SubmitExecutionPlan(Input):
    activity: Ref
    steps: list[StepIn] = Field(description="the timeline: what, who, from when, by when")


@catalogue.command("activity.submit_execution_plan", permission="draft")
def submit_execution_plan(uow: UnitOfWork, actor: Actor, args: SubmitExecutionPlan) -> Result:
    """Submit the execution plan of an approved activity; the actor is its author (R-A2)."""
    activity = uow.get(Activity, args.activity)
    activity.submit_execution_plan(
        actor, uow.now, [Step(s.what, s.owner, s.start, s.due) for s in args.steps]
    )
    return outcome(activity)


@catalogue.command("activity.approve_execution_plan", permission="approve")
def approve_execution_plan(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Approve the execution plan: not its author nor the activity's owner (R-A2)."""
    activity = uow.get(Activity, args.activity)
    activity.approve_execution_plan(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.check_copy", permission="draft")
def check_activity_copy(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Check the current content against the policy's prohibited-claims lexicon (R-A3)."""
    activity = uow.get(Activity, args.activity)
    check = activity.check_copy(actor, uow.now, uow.policy.compliance.lexicon())
    return {
        **outcome(activity),
        "content_version": check.content_version,
        "lexicon_version": check.lexicon_version,
        "hits": [hit.term for hit in check.hits],
    }


class RecordExemption(Input):
    activity: Ref
    term: Text = Field(description="a term the latest check found")
    valid_from: Day = Field(description="first day the evidence proves the claim")
    valid_until: Day = Field(description="last day the evidence proves the claim")
    region: Text = Field(description="where the claim holds")
    source: Text = Field(description="who proves it: a ranking, an official statistic …")
    note: str = ""


@catalogue.command("activity.record_exemption", permission="review_ads")
def record_exemption(uow: UnitOfWork, actor: Actor, args: RecordExemption) -> Result:
    """Exempt a prohibited term of the current copy with evidence: compliance only (R-A3)."""
    activity = uow.get(Activity, args.activity)
    evidence = Evidence(args.valid_from, args.valid_until, args.region, args.source)
    activity.record_exemption(actor, uow.now, args.term, evidence, args.note)
    return outcome(activity)


@catalogue.command("activity.prepare", permission="draft")
def prepare_activity(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Mark the activity prepared, once its execution plan is approved (R-A2)."""
    activity = uow.get(Activity, args.activity)
    activity.prepare(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.start", permission="draft")
def start_activity(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Launch a prepared activity inside its window; ad copy must be cleared (R-A1 … R-A4)."""
    activity = uow.get(Activity, args.activity)
    activity.start(actor, uow.now, uow.policy.compliance.lexicon().version)
    return outcome(activity)


class RecordExpense(Input):
    activity: Ref
    receipt: Text = Field(description="the receipt or invoice reference, unique per activity")
    amount: MoneyIn
    category: Text


@catalogue.command("activity.record_expense", permission="record")
def record_expense(uow: UnitOfWork, actor: Actor, args: RecordExpense) -> Result:
    """Record an expense within budget + approved overspend (R-A5)."""
    activity = uow.get(Activity, args.activity)
    activity.record_expense(actor, uow.now, args.receipt, args.amount, args.category)
    return {**outcome(activity), "spend": activity.spend.to_text()}


class ApproveOverspend(Input):
    activity: Ref
    amount: MoneyIn
    reason: Text


@catalogue.command("activity.approve_overspend", permission="approve_overspend")
def approve_overspend(uow: UnitOfWork, actor: Actor, args: ApproveOverspend) -> Result:
    """Cover spend beyond the budget: the owner's superior within the limit, or leadership."""
    activity = uow.get(Activity, args.activity)
    activity.approve_overspend(actor, uow.now, args.amount, args.reason, uow.policy.activity)
    return outcome(activity)


class RequestChange(Input):
    """What changes (time, place, budget, content) and why, or a cancellation."""

    activity: Ref
    reason: Text
    start: Day | None = None
    end: Day | None = None
    place: str | None = None
    budget_lines: list[BudgetLineIn] | None = None
    content: str | None = None
    cancel: bool = False


@catalogue.command("activity.request_change", permission="draft")
def request_change(uow: UnitOfWork, actor: Actor, args: RequestChange) -> Result:
    """Ask to change or cancel an approved activity (R-A4)."""
    activity = uow.get(Activity, args.activity)
    lines = _lines(args.budget_lines)
    change = Change(
        window=_window(activity, args.start, args.end),
        place=args.place.strip() if args.place is not None else None,
        budget_lines=tuple(lines) if lines is not None else None,
        content=args.content.strip() if args.content is not None else None,
        cancel=args.cancel,
    )
    activity.request_change(actor, uow.now, change, args.reason)
    return {**outcome(activity), "change_request": len(activity.change_requests)}


@catalogue.command("activity.approve_change", permission="approve")
def approve_change(uow: UnitOfWork, actor: Actor, args: ActivityRef) -> Result:
    """Approve and apply the pending change request: not its requester or the owner (R-A4)."""
    activity = uow.get(Activity, args.activity)
    activity.approve_change(actor, uow.now)
    return outcome(activity)


@catalogue.command("activity.reject_change", permission="approve")
def reject_change(uow: UnitOfWork, actor: Actor, args: ActivityReason) -> Result:
    """Reject the pending change request, with a reason (R-A4, R-G3)."""
    activity = uow.get(Activity, args.activity)
    activity.reject_change(actor, uow.now, args.reason)
    return outcome(activity)


class LogIncident(Input):
    activity: Ref
    problem: Text
    severity: Literal["low", "medium", "high", "severe"]
    escalated_to: Ref | None = Field(None, description="whom it was reported to (high, severe)")


@catalogue.command("activity.log_incident", permission="record")
def log_incident(uow: UnitOfWork, actor: Actor, args: LogIncident) -> Result:
    """Log an incident during execution, with its escalation; a severe one raises a
    rectification owned by the activity's owner, in the same save (R-A6, R-X1)."""
    activity = uow.get(Activity, args.activity)
    severity = Severity(args.severity)
    source = f"activity {activity.label} incident {activity.next_incident}"
    ref = source if severity is Severity.SEVERE else None
    incident = activity.log_incident(
        actor,
        uow.now,
        args.problem,
        severity,
        args.escalated_to,
        rectification_id=aggregate_id(Rectification.KIND, ref) if ref else None,
    )
    if ref is not None:
        raise_rectification(
            uow,
            actor,
            source_kind=Source.INCIDENT,
            source_ref=source,
            problem=incident.problem,
            owner=activity.owner_id,
            ref=ref,
        )
    return {
        **outcome(activity),
        "incident": incident.number,
        "needs_rectification": incident.needs_rectification,
        "rectification": str(incident.rectification_id) if incident.rectification_id else None,
    }


class CompleteActivity(Input):
    activity: Ref
    results: dict[str, Exact] = Field(description="each objective's name → its actual value")


@catalogue.command("activity.complete", permission="record")
def complete_activity(uow: UnitOfWork, actor: Actor, args: CompleteActivity) -> Result:
    """Complete a running activity with a result for every objective (R-A7)."""
    activity = uow.get(Activity, args.activity)
    activity.complete(actor, uow.now, args.results)
    return outcome(activity)


class SubmitSummary(Input):
    activity: Ref
    objectives_met: Text
    effect: Text
    problems: Text
    improvements: Text


@catalogue.command("activity.submit_summary", permission="record")
def submit_summary(uow: UnitOfWork, actor: Actor, args: SubmitSummary) -> Result:
    """Submit the summary report of a completed activity (R-A7)."""
    activity = uow.get(Activity, args.activity)
    activity.submit_summary(
        actor,
        uow.now,
        objectives_met=args.objectives_met,
        effect=args.effect,
        problems=args.problems,
        improvements=args.improvements,
    )
    return outcome(activity)


class EvaluateActivity(Input):
    activity: Ref
    participants: int = Field(ge=0)
    conversions: int = Field(ge=0)
    attributed_revenue: MoneyIn


@catalogue.command("activity.evaluate", permission="approve")
def evaluate_activity(uow: UnitOfWork, actor: Actor, args: EvaluateActivity) -> Result:
    """Evaluate a summarised activity: achievement, conversion, cost, ROI (R-A7, R-A8)."""
    activity = uow.get(Activity, args.activity)
    activity.evaluate(
        actor,
        uow.now,
        participants=args.participants,
        conversions=args.conversions,
        attributed_revenue=args.attributed_revenue,
    )
    return {**outcome(activity), "missed_objectives": activity.missed_objectives()}


class RecordSatisfaction(Input):
    activity: Ref
    score: Exact
    scale: Exact = Field(default=Decimal(5), description="the highest score possible")
    respondents: int = Field(ge=1)


@catalogue.command("activity.record_satisfaction", permission="record")
def record_satisfaction(uow: UnitOfWork, actor: Actor, args: RecordSatisfaction) -> Result:
    """Record participants' satisfaction after the activity (R-A9)."""
    activity = uow.get(Activity, args.activity)
    activity.record_satisfaction(actor, uow.now, args.score, args.scale, args.respondents)
    return outcome(activity)
