"""Plan commands (R-P1 … R-P6): inputs and handlers.

Content commands (``plan.update`` and the action-item commands) work on a draft only. An
approved or rejected plan is changed by first running ``plan.revise`` with a reason: that
opens the next revision as a draft while the approved revision stays in force (R-P6), and
the reason is on record (R-G3). Content commands on an approved, rejected or submitted plan
are refused, never turned into a revision silently.
"""

from __future__ import annotations

from typing import Any, Literal, Self
from uuid import UUID

import attrs
from pydantic import Field, model_validator

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.commands.target import cited_research
from closedloop.application.inputs import Day, Input, MoneyIn, PeriodText, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.ids import new_id
from closedloop.domain.plan import Level, Plan, Strategies
from closedloop.domain.target import Target


def outcome(plan: Plan) -> Result:
    return {
        "id": str(plan.id),
        "ref": plan.ref,
        "version": plan.version,
        "status": plan.status,
        "revision": plan.revision,
    }


def linked_targets(uow: UnitOfWork, refs: list[str]) -> tuple[UUID, ...]:
    """The ids of the targets named (each must exist), once each, in the order given."""
    return tuple(dict.fromkeys(uow.get(Target, ref).id for ref in refs))


class StrategiesIn(Input):
    """The four Ps; on ``plan.update`` only the ones given change."""

    product: str = ""
    price: str = ""
    channel: str = ""
    promotion: str = ""


class CreatePlan(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. MKT-2026")
    level: Literal["annual", "quarterly", "monthly"]
    period: PeriodText = Field(description="2026 (annual), 2026-Q1 (quarterly), 2026-03 (monthly)")
    title: Text
    market_analysis: str = ""
    strategies: StrategiesIn = Field(default_factory=StrategiesIn)
    budget: MoneyIn | None = Field(None, description="zero in the parent's currency (or CNY)")
    linked_targets: list[Ref] = Field(default_factory=list)
    cited_research: list[Ref] = Field(default_factory=list, description="studies it rests on")
    parent: Ref | None = Field(None, description="the plan this one details (R-P5)")


@catalogue.command("plan.create", permission="draft")
def create_plan(uow: UnitOfWork, actor: Actor, args: CreatePlan) -> Result:
    """Draft a plan; the actor is its author (R-P1 records the author's superior)."""
    parent = uow.get(Plan, args.parent) if args.parent else None
    plan = Plan.draft(
        id=new_id(Plan.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        level=Level(args.level),
        period=args.period,
        title=args.title,
        market_analysis=args.market_analysis,
        strategies=Strategies(**args.strategies.model_dump()),
        budget=args.budget,
        target_ids=linked_targets(uow, args.linked_targets),
        research_ids=cited_research(uow, args.cited_research),
        parent=parent,
    )
    uow.add(plan)
    return outcome(plan)


class UpdatePlan(Input):
    plan: Ref
    title: Text | None = None
    market_analysis: str | None = None
    strategies: StrategiesIn | None = None
    budget: MoneyIn | None = None
    linked_targets: list[Ref] | None = None
    cited_research: list[Ref] | None = None


@catalogue.command("plan.update", permission="draft")
def update_plan(uow: UnitOfWork, actor: Actor, args: UpdatePlan) -> Result:
    """Edit a draft plan's content (R-P4: the budget still covers its action items)."""
    plan = uow.get(Plan, args.plan)
    strategies = None
    if args.strategies is not None:
        given = args.strategies.model_dump(exclude_unset=True)
        strategies = attrs.evolve(plan.content.strategies, **given)
    plan.update(
        actor,
        uow.now,
        title=args.title,
        market_analysis=args.market_analysis,
        strategies=strategies,
        budget=args.budget,
        target_ids=(
            linked_targets(uow, args.linked_targets) if args.linked_targets is not None else None
        ),
        research_ids=(
            cited_research(uow, args.cited_research) if args.cited_research is not None else None
        ),
    )
    return outcome(plan)


class AddActionItem(Input):
    plan: Ref
    item: Ref | None = Field(None, description="its id in the plan; A1, A2 … when omitted")
    what: Text
    owner: Ref | None = None
    start: Day | None = None
    due: Day | None = Field(None, description="inside the plan's period (R-P3)")
    expected_effect: str = ""
    budget: MoneyIn | None = Field(None, description="zero when omitted")
    target: Ref | None = Field(None, description="one of the plan's linked targets")


@catalogue.command("plan.add_action_item", permission="draft")
def add_action_item(uow: UnitOfWork, actor: Actor, args: AddActionItem) -> Result:
    """Add an action item to a draft plan (R-P4: its budget fits what the plan has left)."""
    plan = uow.get(Plan, args.plan)
    item = plan.add_action_item(
        actor,
        uow.now,
        item_id=args.item,
        what=args.what,
        owner_id=args.owner,
        start=args.start,
        due=args.due,
        expected_effect=args.expected_effect,
        budget=args.budget,
        target_id=uow.get(Target, args.target).id if args.target else None,
    )
    return {**outcome(plan), "item": item.id}


class UpdateActionItem(Input):
    """Only the fields given change; ``null`` clears owner, start, due or target."""

    plan: Ref
    item: Ref
    what: Text | None = None
    owner: Ref | None = None
    start: Day | None = None
    due: Day | None = None
    expected_effect: str | None = None
    budget: MoneyIn | None = None
    target: Ref | None = None

    @model_validator(mode="after")
    def _required_stay(self) -> Self:
        cleared = [
            name
            for name in ("what", "expected_effect", "budget")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be cleared, only changed")
        return self


_ITEM_FIELDS = {"owner": "owner_id", "target": "target_id"}


@catalogue.command("plan.update_action_item", permission="draft")
def update_action_item(uow: UnitOfWork, actor: Actor, args: UpdateActionItem) -> Result:
    """Change an action item of a draft plan (R-P4: a new budget still fits)."""
    plan = uow.get(Plan, args.plan)
    given = args.model_fields_set - {"plan", "item"}
    changes: dict[str, Any] = {_ITEM_FIELDS.get(name, name): getattr(args, name) for name in given}
    if args.target is not None:
        changes["target_id"] = uow.get(Target, args.target).id
    plan.change_action_item(actor, uow.now, attrs.evolve(plan.action_item(args.item), **changes))
    return {**outcome(plan), "item": args.item}


class ItemRef(Input):
    plan: Ref
    item: Ref


@catalogue.command("plan.remove_action_item", permission="draft")
def remove_action_item(uow: UnitOfWork, actor: Actor, args: ItemRef) -> Result:
    """Remove an action item from a draft plan."""
    plan = uow.get(Plan, args.plan)
    plan.remove_action_item(actor, uow.now, args.item)
    return outcome(plan)


class PlanRef(Input):
    plan: Ref


class PlanReason(Input):
    plan: Ref
    reason: Text


@catalogue.command("plan.submit", permission="draft")
def submit_plan(uow: UnitOfWork, actor: Actor, args: PlanRef) -> Result:
    """Submit a complete draft for approval (R-P3; R-P4 against parent and children)."""
    plan = uow.get(Plan, args.plan)
    plan.submit(actor, uow.now, load=lambda plan_id: uow.get(Plan, plan_id))
    return outcome(plan)


@catalogue.command("plan.approve", permission="approve")
def approve_plan(uow: UnitOfWork, actor: Actor, args: PlanRef) -> Result:
    """Approve the submitted revision: leadership, or a monthly author's superior (R-P1, R-P2)."""
    plan = uow.get(Plan, args.plan)
    plan.approve(actor, uow.now)
    return outcome(plan)


@catalogue.command("plan.reject", permission="approve")
def reject_plan(uow: UnitOfWork, actor: Actor, args: PlanReason) -> Result:
    """Reject the submitted revision, with a reason (R-P1, R-P2, R-G3)."""
    plan = uow.get(Plan, args.plan)
    plan.reject(actor, uow.now, args.reason)
    return outcome(plan)


@catalogue.command("plan.revise", permission="draft")
def revise_plan(uow: UnitOfWork, actor: Actor, args: PlanReason) -> Result:
    """Open the next revision of an approved or rejected plan, with a reason (R-P6)."""
    plan = uow.get(Plan, args.plan)
    plan.revise(actor, uow.now, args.reason)
    return outcome(plan)
