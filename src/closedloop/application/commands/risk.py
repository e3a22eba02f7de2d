"""Risk commands (R-K1 … R-K5): register, assess, treat, accept, monitor, review, occur, close.

The policy's grid and cadence are read here, in the command, and the events store what they
gave (the grid itself, the next review's due date), so replay never reads the policy.
``risk.record_occurrence`` raises its rectification in the same save (R-K5, R-X1).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.commands.rectification import outcome as rectification_outcome
from closedloop.application.commands.rectification import raise_rectification
from closedloop.application.inputs import Day, Input, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.activity import Activity
from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import NotFound
from closedloop.domain.ids import aggregate_id, new_id
from closedloop.domain.rectification import Rectification, Source
from closedloop.domain.risk import Category, Response, Risk, SourceKind, SourceLink, Stage
from closedloop.domain.target import Target

#: Sources that live in this store, so must exist; customers are named by reference only.
_CHECKED_SOURCES: dict[SourceKind, type[LoopAggregate]] = {
    SourceKind.TARGET: Target,
    SourceKind.ACTIVITY: Activity,
}


def outcome(risk: Risk) -> Result:
    return {
        "id": str(risk.id),
        "ref": risk.ref,
        "version": risk.version,
        "status": risk.status,
        "level": risk.level.value if risk.level is not None else None,
    }


class SourceIn(Input):
    kind: Literal["target", "activity", "customer"]
    ref: Ref = Field(description="the target's or activity's reference, or the customer's ref")


class RegisterRisk(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. RISK-PRICE-WAR")
    title: Text
    description: str = ""
    category: Literal["market", "activity", "customer", "legal"]
    sources: list[SourceIn] = Field(default_factory=list, description="where it was found")
    owner: Ref


@catalogue.command("risk.register", permission="draft")
def register(uow: UnitOfWork, actor: Actor, args: RegisterRisk) -> Result:
    """Register a risk: category, sources (targets and activities must exist), owner."""
    links = []
    for source in args.sources:
        kind = SourceKind(source.kind)
        cls = _CHECKED_SOURCES.get(kind)
        if cls is not None and not uow.exists(cls, source.ref):
            raise NotFound(f"no {kind.value} {source.ref} (a risk's source)")
        links.append(SourceLink(kind, source.ref.strip()))
    risk = Risk.register(
        id=new_id(Risk.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        title=args.title,
        description=args.description,
        category=Category(args.category),
        sources=tuple(links),
        owner_id=args.owner,
    )
    uow.add(risk)
    return outcome(risk)


class AssessRisk(Input):
    risk: Ref
    likelihood: Text = Field(description="a label of the matrix's likelihood scale (low …)")
    impact: Text = Field(description="a label of the matrix's impact scale (low …)")
    stage: Literal["inherent", "current", "residual"] | None = Field(
        None, description="default: inherent for the first assessment, current after"
    )
    note: str = ""


@catalogue.command("risk.assess", permission="draft")
def assess(uow: UnitOfWork, actor: Actor, args: AssessRisk) -> Result:
    """Assess likelihood × impact on the policy's matrix; every assessment is kept (R-K1, R-K3)."""
    risk = uow.get(Risk, args.risk)
    assessment = risk.assess(
        actor,
        uow.now,
        likelihood=args.likelihood,
        impact=args.impact,
        stage=Stage(args.stage) if args.stage else None,
        note=args.note,
        grid=uow.policy.risk.matrix.grid(),
        cadence=uow.policy.risk.review_months,
    )
    return {
        **outcome(risk),
        "assessment": assessment.number,
        "stage": assessment.stage.value,
        "assessed_level": assessment.level.value,
        "next_review_due": risk.next_review_due,
    }


class PlanTreatment(Input):
    risk: Ref
    response: Literal["avoid", "mitigate", "transfer", "accept"] = Field(
        description="accept is refused here with a pointer to risk.accept (reason, expiry)"
    )
    plan: Text


@catalogue.command("risk.plan_treatment", permission="draft")
def plan_treatment(uow: UnitOfWork, actor: Actor, args: PlanTreatment) -> Result:
    """Plan the response: avoid, mitigate or transfer, then add its measures (R-K2)."""
    risk = uow.get(Risk, args.risk)
    risk.plan_treatment(actor, uow.now, Response(args.response), args.plan)
    return outcome(risk)


class AddRiskMeasure(Input):
    risk: Ref
    what: Text
    owner: Ref
    due: Day


@catalogue.command("risk.add_measure", permission="draft")
def add_measure(uow: UnitOfWork, actor: Actor, args: AddRiskMeasure) -> Result:
    """Add a measure of the response, with its owner and due date (R-K2)."""
    risk = uow.get(Risk, args.risk)
    measure = risk.add_measure(actor, uow.now, what=args.what, owner_id=args.owner, due=args.due)
    return {**outcome(risk), "measure": measure.id}


class CompleteRiskMeasure(Input):
    risk: Ref
    measure: Ref = Field(description="M1, M2 …")


@catalogue.command("risk.complete_measure", permission="record")
def complete_measure(uow: UnitOfWork, actor: Actor, args: CompleteRiskMeasure) -> Result:
    """Mark a measure of the response done (R-K2)."""
    risk = uow.get(Risk, args.risk)
    risk.complete_measure(actor, uow.now, args.measure)
    return outcome(risk)


class AcceptRisk(Input):
    risk: Ref
    reason: Text
    expires_on: Day = Field(description="the last day the acceptance holds")


@catalogue.command("risk.accept", permission="approve")
def accept(uow: UnitOfWork, actor: Actor, args: AcceptRisk) -> Result:
    """Accept a risk with a reason and an expiry; a high one by leadership only (R-K2)."""
    risk = uow.get(Risk, args.risk)
    risk.accept(actor, uow.now, args.reason, args.expires_on)
    return outcome(risk)


class RiskReason(Input):
    risk: Ref
    reason: Text


@catalogue.command("risk.revoke_acceptance", permission="approve")
def revoke_acceptance(uow: UnitOfWork, actor: Actor, args: RiskReason) -> Result:
    """Revoke a risk's acceptance, with a reason; a high one by leadership only (R-K2)."""
    risk = uow.get(Risk, args.risk)
    risk.revoke_acceptance(actor, uow.now, args.reason)
    return outcome(risk)


class RiskRef(Input):
    risk: Ref


@catalogue.command("risk.monitor", permission="draft")
def monitor(uow: UnitOfWork, actor: Actor, args: RiskRef) -> Result:
    """Start monitoring; a high risk needs its response plan in force first (R-K2)."""
    risk = uow.get(Risk, args.risk)
    risk.monitor(actor, uow.now)
    return outcome(risk)


class ReviewRisk(Input):
    risk: Ref
    note: Text = Field(description="what the review found")


@catalogue.command("risk.review", permission="record")
def review(uow: UnitOfWork, actor: Actor, args: ReviewRisk) -> Result:
    """Review a risk; the next review is due by the policy's cadence for its level (R-K4)."""
    risk = uow.get(Risk, args.risk)
    risk.review(actor, uow.now, args.note, uow.policy.risk.review_months)
    return {**outcome(risk), "next_review_due": risk.next_review_due}


class RecordOccurrence(Input):
    risk: Ref
    what_happened: Text
    occurred_on: Day | None = Field(None, description="default: today")
    rectification_owner: Ref | None = Field(None, description="default: the risk's owner")
    deadline: Day | None = None
    cause_code: str | None = Field(None, description="e.g. PRICING; recurrences share it (R-X6)")


@catalogue.command("risk.record_occurrence", permission="record")
def record_occurrence(uow: UnitOfWork, actor: Actor, args: RecordOccurrence) -> Result:
    """Record that the risk occurred; it raises a rectification in the same save (R-K5)."""
    risk = uow.get(Risk, args.risk)
    source = risk.occurrence_label(risk.next_occurrence)
    occurrence = risk.record_occurrence(
        actor,
        uow.now,
        args.what_happened,
        args.occurred_on or uow.now.date(),
        rectification_id=aggregate_id(Rectification.KIND, source),
    )
    rectification = raise_rectification(
        uow,
        actor,
        source_kind=Source.RISK_OCCURRENCE,
        source_ref=source,
        problem=f"{risk.title}: {occurrence.what_happened}",
        owner=args.rectification_owner or risk.owner_id,
        deadline=args.deadline,
        cause_code=args.cause_code,
        ref=source,
    )
    return {
        **outcome(risk),
        "occurrence": occurrence.number,
        "rectification": rectification_outcome(rectification),
    }


@catalogue.command("risk.close", permission="close")
def close(uow: UnitOfWork, actor: Actor, args: RiskReason) -> Result:
    """Close a risk that no longer applies, with the reason; its history stays."""
    risk = uow.get(Risk, args.risk)
    risk.close(actor, uow.now, args.reason)
    return outcome(risk)
