"""Target commands (R-T1 … R-T5): inputs and handlers."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.inputs import Day, Exact, Input, PeriodText, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.ids import new_id
from closedloop.domain.research import Research
from closedloop.domain.target import (
    Aggregation,
    ChildSpec,
    Dimension,
    Direction,
    Scope,
    Target,
    current_actual,
)

ScopeName = Literal["company", "team", "person"]


def outcome(target: Target) -> Result:
    return {
        "id": str(target.id),
        "ref": target.ref,
        "version": target.version,
        "status": target.status,
    }


class CreateTarget(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. REV-2026")
    metric: Text = Field(description="revenue, sales volume, market share, … or your own")
    unit: str = Field("", description="CNY, units, %, …")
    direction: Literal["higher", "lower"] = "higher"
    aggregation: Literal["sum", "average", "latest"] = "sum"
    period: PeriodText
    scope: ScopeName = "company"
    scope_ref: str = Field("", description="which team or person (for team and person scope)")
    owner: Ref | None = None
    value: Exact | None = None
    baseline: Exact | None = None
    basis: str | None = Field(None, description="the strategy or reasoning behind it")
    basis_research: list[Ref] = Field(default_factory=list, description="studies it rests on")


@catalogue.command("target.create", permission="draft")
def create_target(uow: UnitOfWork, actor: Actor, args: CreateTarget) -> Result:
    """Draft a target; parts may be missing until it is submitted (R-T1)."""
    target = Target.draft(
        id=new_id(Target.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        metric=args.metric,
        unit=args.unit,
        direction=Direction(args.direction),
        aggregation=Aggregation(args.aggregation),
        period=args.period,
        scope=Scope(args.scope),
        scope_ref=args.scope_ref,
        owner_id=args.owner,
        value=args.value,
        baseline=args.baseline,
        basis=args.basis,
        basis_research=cited_research(uow, args.basis_research),
    )
    uow.add(target)
    return outcome(target)


def cited_research(uow: UnitOfWork, refs: list[str]) -> tuple[UUID, ...]:
    """R-R3: only a study whose report was submitted can be cited as a basis."""
    studies = [uow.get(Research, ref) for ref in refs]
    for study in studies:
        study.require_citable()
    return tuple(study.id for study in studies)


class UpdateTarget(Input):
    target: Ref
    metric: Text | None = None
    unit: str | None = None
    scope_ref: str | None = None
    owner: Ref | None = None
    value: Exact | None = None
    baseline: Exact | None = None
    basis: str | None = None
    basis_research: list[Ref] | None = None


@catalogue.command("target.update", permission="draft")
def update_target(uow: UnitOfWork, actor: Actor, args: UpdateTarget) -> Result:
    """Fill in or correct a draft target."""
    target = uow.get(Target, args.target)
    given = args.model_dump(exclude_unset=True, exclude={"target"})
    changes: dict[str, object] = {
        {"owner": "owner_id"}.get(name, name): getattr(args, name) for name in given
    }
    if "basis_research" in given:  # null clears it, like any other field
        changes["basis_research"] = cited_research(uow, args.basis_research or [])
    target.update(actor, uow.now, **changes)
    return outcome(target)


class ChildIn(Input):
    ref: Ref | None = None
    value: Exact
    period: PeriodText | None = Field(None, description="defaults to the parent's period")
    scope: ScopeName | None = Field(None, description="defaults to the parent's scope")
    scope_ref: str | None = Field(None, description="defaults to the parent's")
    owner: Ref | None = Field(
        None, description="defaults to the scope's person, or the parent's owner"
    )


class DecomposeTarget(Input):
    target: Ref
    dimension: Literal["period", "scope"]
    children: list[ChildIn] = Field(min_length=2)


@catalogue.command("target.decompose", permission="draft")
def decompose_target(uow: UnitOfWork, actor: Actor, args: DecomposeTarget) -> Result:
    """Split a target into quarters or months, or into teams or persons (R-T2)."""
    parent = uow.get(Target, args.target)
    specs = []
    for child in args.children:
        scope = Scope(child.scope) if child.scope else parent.scope
        scope_ref = child.scope_ref if child.scope_ref is not None else parent.scope_ref
        owner = child.owner or (scope_ref if scope is Scope.PERSON else parent.owner_id)
        specs.append(
            ChildSpec(
                id=new_id(Target.KIND, child.ref),
                value=child.value,
                period=child.period or parent.period,
                scope=scope,
                scope_ref=scope_ref,
                owner_id=owner or "",
                ref=child.ref,
            )
        )
    children = parent.decompose(actor, uow.now, Dimension(args.dimension), specs)
    uow.add(*children)
    return {**outcome(parent), "children": [outcome(child) for child in children]}


class TargetRef(Input):
    target: Ref


class TargetReason(Input):
    target: Ref
    reason: Text


@catalogue.command("target.submit", permission="draft")
def submit_target(uow: UnitOfWork, actor: Actor, args: TargetRef) -> Result:
    """Submit a SMART target for approval (R-T1)."""
    target = uow.get(Target, args.target)
    target.submit(actor, uow.now)
    return outcome(target)


@catalogue.command("target.approve", permission="approve")
def approve_target(uow: UnitOfWork, actor: Actor, args: TargetRef) -> Result:
    """Approve a submitted target, binding the approval to its revision (R-G1, R-G5)."""
    target = uow.get(Target, args.target)
    target.approve(actor, uow.now)
    return outcome(target)


@catalogue.command("target.reject", permission="approve")
def reject_target(uow: UnitOfWork, actor: Actor, args: TargetReason) -> Result:
    """Send a submitted target back to draft, with a reason (R-G3)."""
    target = uow.get(Target, args.target)
    target.reject(actor, uow.now, args.reason)
    return outcome(target)


class RequestAdjustment(Input):
    target: Ref
    value: Exact
    reason: Text
    analysis: Text


@catalogue.command("target.request_adjustment", permission="draft")
def request_adjustment(uow: UnitOfWork, actor: Actor, args: RequestAdjustment) -> Result:
    """Ask to change an approved target's value, with reason and analysis (R-T3)."""
    target = uow.get(Target, args.target)
    target.request_adjustment(actor, uow.now, args.value, args.reason, args.analysis)
    return outcome(target)


@catalogue.command("target.approve_adjustment", permission="adjust_targets")
def approve_adjustment(uow: UnitOfWork, actor: Actor, args: TargetRef) -> Result:
    """Approve the pending adjustment: leadership, never the owner (R-T3)."""
    target = uow.get(Target, args.target)
    target.approve_adjustment(actor, uow.now)
    return outcome(target)


@catalogue.command("target.reject_adjustment", permission="adjust_targets")
def reject_adjustment(uow: UnitOfWork, actor: Actor, args: TargetReason) -> Result:
    """Refuse the pending adjustment, with a reason (R-T3)."""
    target = uow.get(Target, args.target)
    target.reject_adjustment(actor, uow.now, args.reason)
    return outcome(target)


class RecordActual(Input):
    target: Ref
    value: Exact
    as_of: Day
    source: Text


@catalogue.command("target.record_actual", permission="record")
def record_actual(uow: UnitOfWork, actor: Actor, args: RecordActual) -> Result:
    """Record a measurement on an approved target (R-T4)."""
    target = uow.get(Target, args.target)
    target.record_actual(actor, uow.now, args.value, args.as_of, args.source)
    return outcome(target)


@catalogue.command("target.close", permission="close")
def close_target(uow: UnitOfWork, actor: Actor, args: TargetRef) -> Result:
    """Close a target after its period with its final achievement (R-T5)."""
    target = uow.get(Target, args.target)
    actual = current_actual(target, lambda child_id: uow.get(Target, child_id))
    target.close(actor, uow.now, actual, uow.policy.grades)
    return {**outcome(target), **(target.final or {})}
