"""Review commands (R-E1 … R-E4): open, measure, find, rectify or waive, finalise.

``review.raise_rectification`` is the cross-aggregate flow: the finding's link and the new
rectification are saved in one unit of work, so neither exists without the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, TypeVar

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.commands.rectification import outcome as rectification_outcome
from closedloop.application.commands.rectification import raise_rectification, recurrence_of
from closedloop.application.inputs import Day, Exact, Input, PeriodText, Ref, Text
from closedloop.application.listing import listed_ids
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.activity import Activity
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.complaint import Complaint
from closedloop.domain.ids import new_id
from closedloop.domain.period import Granularity
from closedloop.domain.rectification import (
    Rectification,
    Source,
    normalise_cause_code,
    problem_label,
)
from closedloop.domain.research import Research, annual_coverage
from closedloop.domain.review import (
    Category,
    FindingSource,
    Review,
    Shortfall,
    metric,
    target_metric,
)
from closedloop.domain.risk import Risk
from closedloop.domain.shortfalls import complaint_shortfalls, risk_review_shortfalls
from closedloop.domain.target import Direction, Scope, Target, current_actual

A = TypeVar("A", bound=LoopAggregate)


def outcome(review: Review) -> Result:
    return {
        "id": str(review.id),
        "ref": review.ref,
        "version": review.version,
        "status": review.status,
    }


def every(uow: UnitOfWork, cls: type[A]) -> Iterator[A]:
    """Every ``cls`` aggregate in the store, in creation order, loaded through ``uow``."""
    for aggregate_id in listed_ids(uow.store, cls.KIND):
        yield uow.get(cls, aggregate_id)


class OpenReview(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. REVIEW-2026-03")
    period: PeriodText = Field(description="2026-03 (monthly), 2026-Q1 (quarterly), 2026 (annual)")
    scope: Literal["company", "team", "person"] = "company"
    scope_ref: str = Field("", description="which team or person (for team and person scope)")


@catalogue.command("review.open", permission="draft")
def open_review(uow: UnitOfWork, actor: Actor, args: OpenReview) -> Result:
    """Open the review of a month, quarter or year, for a scope; its due date is set (R-E1)."""
    review = Review.open(
        id=new_id(Review.KIND, args.ref),
        actor=actor,
        at=uow.now,
        period=args.period,
        scope=Scope(args.scope),
        scope_ref=args.scope_ref,
        policy=uow.policy.review,
        ref=args.ref,
    )
    uow.add(review)
    return {**outcome(review), "due": review.due}


class RecordMetric(Input):
    review: Ref
    name: Text = Field(description="satisfaction, repeat purchase rate, awareness, ROI, …")
    category: Literal["sales", "customer", "market", "cost", "information"]
    unit: str = ""
    direction: Literal["higher", "lower"] = "higher"
    actual: Exact | None = None
    target: Exact | None = None


@catalogue.command("review.record_metric", permission="record")
def record_metric(uow: UnitOfWork, actor: Actor, args: RecordMetric) -> Result:
    """Record a metric result; achievement and grade follow from actual and target (R-E2, R-E3)."""
    review = uow.get(Review, args.review)
    result = metric(
        name=args.name.strip(),
        category=Category(args.category),
        unit=args.unit.strip(),
        direction=Direction(args.direction),
        actual=args.actual,
        target=args.target,
        grades=uow.policy.grades,
        recorded_by=actor.id,
    )
    review.record_metric(actor, uow.now, result)
    return {**outcome(review), "achievement": result.achievement, "grade": result.grade}


class ReviewRef(Input):
    review: Ref


@catalogue.command("review.generate_findings", permission="record")
def generate_findings(uow: UnitOfWork, actor: Actor, args: ReviewRef) -> Result:
    """Read the period's evidence into metrics and findings (R-E2, R-E4).

    Targets of the review's period and scope (approved or closed) give its sales and other
    results; each graded fail is a finding, as is every metric a reviewer recorded graded
    fail, each objective missed by an activity that ended in the period (the company's, or
    the person's own), and, in a company's annual review, too few comprehensive studies
    (R-R1), and complaints with an SLA missed (R-C7) and risk reviews late (R-K4) in the
    period. Running it again adds only what is new.
    """
    review = uow.get(Review, args.review)
    grades = uow.policy.grades
    targets = [target for target in every(uow, Target) if review.covers(target)]
    metrics = [
        target_metric(
            target,
            current_actual(target, lambda child_id: uow.get(Target, child_id)),
            grades,
            actor.id,
        )
        for target in targets
    ]
    shortfalls = [
        Shortfall(
            FindingSource.ACTIVITY,
            f"{activity.id}:{objective}",
            f"activity {activity.label} ({activity.window}): objective {objective} missed",
        )
        for activity in every(uow, Activity)
        if review.covers_activity(activity.owner_id, activity.window.end)
        for objective in activity.missed_objectives()
    ]
    if review.period.granularity is Granularity.YEAR and review.scope is Scope.COMPANY:
        coverage = annual_coverage(every(uow, Research), review.period.year, uow.policy.research)
        if coverage.finding is not None:
            shortfalls.append(
                Shortfall(FindingSource.RESEARCH, str(coverage.year), coverage.finding)
            )
    shortfalls += complaint_shortfalls(review, every(uow, Complaint), uow.now)
    shortfalls += risk_review_shortfalls(review, every(uow, Risk), uow.now)
    new = review.evaluate(actor, uow.now, metrics, shortfalls)
    return {**outcome(review), "new_findings": [finding.id for finding in new]}


class AddFinding(Input):
    review: Ref
    description: Text
    cause_code: str | None = Field(None, description="e.g. PRICING; recurrences share it")


@catalogue.command("review.add_finding", permission="record")
def add_finding(uow: UnitOfWork, actor: Actor, args: AddFinding) -> Result:
    """Add a reviewer's finding; one whose cause code was closed lately is a recurrence (R-X6)."""
    review = uow.get(Review, args.review)
    code = normalise_cause_code(args.cause_code)
    earlier = recurrence_of(uow, code)
    finding = review.add_finding(
        actor,
        uow.now,
        args.description,
        code,
        recurrence_of=earlier.id if earlier else None,
        recurrence_count=earlier.next_recurrence_count if earlier else 0,
    )
    if earlier is not None:
        earlier.note_recurrence(
            actor, uow.now, problem_label(Source.FINDING, review.source_label(finding.id))
        )
    return {**outcome(review), "finding": finding.id}


class RaiseFromFinding(Input):
    review: Ref
    finding: Ref = Field(description="F1, F2 …")
    owner: Ref
    deadline: Day | None = None
    problem: str | None = Field(None, description="defaults to the finding's description")
    cause_code: str | None = Field(None, description="defaults to the finding's")
    ref: Ref | None = Field(None, description="defaults to <review>/<finding>")


@catalogue.command("review.raise_rectification", permission="draft")
def raise_from_finding(uow: UnitOfWork, actor: Actor, args: RaiseFromFinding) -> Result:
    """Raise the rectification of a finding; the finding is linked to it in the same save."""
    review = uow.get(Review, args.review)
    finding = review.finding(args.finding)
    ref = args.ref or f"{review.label}/{finding.id}"
    review.link_rectification(actor, uow.now, finding.id, new_id(Rectification.KIND, ref))
    rectification = raise_rectification(
        uow,
        actor,
        source_kind=Source.FINDING,
        source_ref=review.source_label(finding.id),
        problem=args.problem or finding.description,
        owner=args.owner,
        deadline=args.deadline,
        cause_code=args.cause_code or finding.cause_code,
        ref=ref,
    )
    return {
        **outcome(review),
        "finding": finding.id,
        "rectification": rectification_outcome(rectification),
    }


class RequestWaiver(Input):
    review: Ref
    finding: Ref
    reason: Text


@catalogue.command("review.request_waiver", permission="draft")
def request_waiver(uow: UnitOfWork, actor: Actor, args: RequestWaiver) -> Result:
    """Ask leadership to waive a finding, with a reason (R-E4)."""
    review = uow.get(Review, args.review)
    review.request_waiver(actor, uow.now, args.finding, args.reason)
    return outcome(review)


class ApproveWaiver(Input):
    review: Ref
    finding: Ref


@catalogue.command("review.approve_waiver", permission="waive_findings")
def approve_waiver(uow: UnitOfWork, actor: Actor, args: ApproveWaiver) -> Result:
    """Approve a requested waiver: leadership, never who asked for it (R-E4, R-G1)."""
    review = uow.get(Review, args.review)
    review.approve_waiver(actor, uow.now, args.finding)
    return outcome(review)


@catalogue.command("review.finalise", permission="approve")
def finalise(uow: UnitOfWork, actor: Actor, args: ReviewRef) -> Result:
    """Finalise after the period, every finding covered, not by its author (R-E1, R-E4)."""
    review = uow.get(Review, args.review)
    review.finalise(actor, uow.now, uow.policy.grades)
    final = review.finalisation
    assert final is not None  # set by the event just triggered
    return {**outcome(review), "on_time": final.on_time, "grade": final.grade}
