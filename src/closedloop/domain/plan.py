"""Plan (营销计划): annual, quarterly and monthly plans whose money nests (R-P1 … R-P6).

Each revision goes draft → submitted → approved or rejected. Content changes in draft only.
R-P6: an approved or rejected plan changes only after ``revise`` (which needs a reason, R-G3)
opens the next revision as a draft; edits before that are refused, so every revision says
why it exists. Until the new revision is approved, the last approved content stays in force
(``approved_content``, bound to its ``approval``: R-G5).

A plan's currency is set when it is created (its parent's, when it has one) and never
changes, so every sum in a plan tree is in one currency (R-P4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import Approvable, LoopAggregate
from closedloop.domain.errors import InvalidInput, NotFound, RuleViolation, require
from closedloop.domain.money import Money, total
from closedloop.domain.period import Granularity, Period


class Level(StrEnum):
    ANNUAL = "annual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


_GRANULARITY = {
    Level.ANNUAL: Granularity.YEAR,
    Level.QUARTERLY: Granularity.QUARTER,
    Level.MONTHLY: Granularity.MONTH,
}
_DEPTH = {Level.ANNUAL: 0, Level.QUARTERLY: 1, Level.MONTHLY: 2}

#: R-P1: the role that approves annual and quarterly plans.
LEADERSHIP = "leadership"


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


@attrs.frozen
class Strategies:
    """The four Ps of a plan, as text."""

    product: str = ""
    price: str = ""
    channel: str = ""
    promotion: str = ""


@attrs.frozen
class ActionItem:
    """One thing a plan does: what, who, when, to what effect, with how much, for which target."""

    id: str
    what: str
    owner_id: str | None
    start: date | None
    due: date | None
    expected_effect: str
    budget: Money
    target_id: UUID | None

    def gaps(self, period: Period, target_ids: tuple[UUID, ...]) -> list[str]:
        """What R-P3 still needs of this item inside a plan for ``period``."""
        gaps = []
        if not self.what.strip():
            gaps.append("what it does")
        if not self.owner_id:
            gaps.append("owner")
        if self.due is None:
            gaps.append("due date")
        elif not period.contains(self.due):
            gaps.append(f"due date {self.due} inside the plan period {period}")
        if self.start is not None and self.due is not None and self.start > self.due:
            gaps.append(f"start {self.start} on or before the due date {self.due}")
        if not self.expected_effect.strip():
            gaps.append("expected effect")
        if self.target_id is not None and self.target_id not in target_ids:
            gaps.append("a target the plan links")
        return gaps


def _ids(values: Iterable[UUID]) -> tuple[UUID, ...]:
    return tuple(values)


def _items(values: Iterable[ActionItem]) -> tuple[ActionItem, ...]:
    return tuple(values)


@attrs.frozen
class PlanContent:
    """What one revision says; the approved one stays in force until the next approval (R-P6)."""

    title: str
    market_analysis: str
    strategies: Strategies
    budget: Money
    target_ids: tuple[UUID, ...] = attrs.field(converter=_ids)
    research_ids: tuple[UUID, ...] = attrs.field(converter=_ids)
    items: tuple[ActionItem, ...] = attrs.field(default=(), converter=_items)

    @property
    def allocated(self) -> Money:
        """The action items' budgets added up."""
        return total([item.budget for item in self.items], self.budget.currency)


@attrs.frozen
class Rejection:
    """Who sent which revision back, when and why (R-G3)."""

    actor_id: str
    revision: int
    at: datetime
    reason: str


def _non_negative(amount: Money, what: str) -> None:
    if amount.amount < 0:
        raise InvalidInput(f"{what} of {amount} is negative")


class Plan(Approvable):
    KIND = "plan"

    ref: str | None
    level: Level
    period: Period
    author_id: str
    author_superior: str | None
    parent_id: UUID | None
    children: tuple[UUID, ...]
    content: PlanContent
    status: str
    approved_content: PlanContent | None
    rejection: Rejection | None
    items_added: int

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        level: Level,
        period: Period,
        author_superior: str | None,
        parent_id: UUID | None,
        title: str,
        market_analysis: str,
        strategies: Strategies,
        budget: Money,
        target_ids: tuple[UUID, ...],
        research_ids: tuple[UUID, ...],
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.level = Level(level)
        self.period = period
        self.author_id = actor_id
        self.author_superior = author_superior
        self.parent_id = parent_id
        self.children = ()
        self.content = PlanContent(
            title, market_analysis, strategies, budget, target_ids, research_ids
        )
        self.status = Status.DRAFT.value
        self.revision = 1
        self.submitted_by = None
        self.approval = None
        self.approved_content = None
        self.rejection = None
        self.items_added = 0

    class Updated(LoopAggregate.Event):
        changes: dict[str, Any]

        def apply(self, plan: Plan) -> None:
            plan.content = attrs.evolve(plan.content, **self.changes)

    class ActionItemAdded(LoopAggregate.Event):
        item: ActionItem

        def apply(self, plan: Plan) -> None:
            plan.content = attrs.evolve(plan.content, items=(*plan.content.items, self.item))
            plan.items_added += 1

    class ActionItemChanged(LoopAggregate.Event):
        item: ActionItem

        def apply(self, plan: Plan) -> None:
            items = (self.item if i.id == self.item.id else i for i in plan.content.items)
            plan.content = attrs.evolve(plan.content, items=items)

    class ActionItemRemoved(LoopAggregate.Event):
        item_id: str

        def apply(self, plan: Plan) -> None:
            items = (i for i in plan.content.items if i.id != self.item_id)
            plan.content = attrs.evolve(plan.content, items=items)

    class ChildLinked(LoopAggregate.Event):
        child_id: UUID

        def apply(self, plan: Plan) -> None:
            plan.children = (*plan.children, self.child_id)

    class Rejected(LoopAggregate.Event):
        revision: int
        reason: str

        def apply(self, plan: Plan) -> None:
            plan.status = Status.REJECTED.value
            plan.rejection = Rejection(self.actor_id, self.revision, self.timestamp, self.reason)

    class Revised(LoopAggregate.Event):
        revision: int
        reason: str

        def apply(self, plan: Plan) -> None:
            plan.status = Status.DRAFT.value
            plan.revision = self.revision
            plan.submitted_by = None

    # --- derived state ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def currency(self) -> str:
        return self.content.budget.currency

    @property
    def budget_in_force(self) -> Money:
        """The approved revision's budget; a plan never approved has its draft's (R-P6)."""
        return (self.approved_content or self.content).budget

    @property
    def claimed_budget(self) -> Money:
        """R-P4: what this plan holds of its parent's budget.

        The budget in force and, while a revision awaits approval, the one submitted,
        whichever is larger; a plan never submitted holds nothing yet.
        """
        return self._claim(pending=self.status == Status.SUBMITTED.value)

    def _claim(self, *, pending: bool) -> Money:
        claims = [self.approved_content.budget] if self.approved_content is not None else []
        if pending:
            claims.append(self.content.budget)
        return max(claims, default=Money.zero(self.currency))

    def missing_parts(self) -> list[str]:
        """What R-P3 still needs before submission."""
        content = self.content
        missing = []
        if not content.title.strip():
            missing.append("title")
        if not content.target_ids:
            missing.append("at least one linked target")
        if not content.items:
            missing.append("at least one action item")
        for item in content.items:
            missing.extend(
                f"action item {item.id}: {gap}"
                for gap in item.gaps(self.period, content.target_ids)
            )
        return missing

    def unapproved_changes(self) -> list[str] | None:
        """R-G5: the content fields the current revision changes against the one in force."""
        if self.approved_content is None:
            return None
        return [
            field.name
            for field in attrs.fields(PlanContent)
            if getattr(self.content, field.name) != getattr(self.approved_content, field.name)
        ]

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        level: Level,
        period: Period,
        title: str,
        market_analysis: str = "",
        strategies: Strategies | None = None,
        budget: Money | None = None,
        target_ids: tuple[UUID, ...] = (),
        research_ids: tuple[UUID, ...] = (),
        parent: Plan | None = None,
        ref: str | None = None,
    ) -> Plan:
        """A draft plan by ``actor`` (its author), linked under ``parent`` when given."""
        granularity = _GRANULARITY[level]
        if period.granularity is not granularity:
            raise InvalidInput(
                f"{level.value} plans run for a {granularity.value}; "
                f"{period} is a {period.granularity.value}"
            )
        if budget is None:
            budget = Money.zero(parent.currency if parent is not None else "CNY")
        _non_negative(budget, "the budget")
        if parent is not None:
            parent._require_can_hold(level, period, budget)
        plan = cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            level=level,
            period=period,
            author_superior=actor.superior,
            parent_id=parent.id if parent is not None else None,
            title=title.strip(),
            market_analysis=market_analysis.strip(),
            strategies=strategies or Strategies(),
            budget=budget,
            target_ids=tuple(target_ids),
            research_ids=tuple(research_ids),
        )
        if parent is not None:
            parent._trigger(cls.ChildLinked, actor, at, child_id=plan.id)
        return plan

    def _require_can_hold(self, level: Level, period: Period, budget: Money) -> None:
        """R-P5 (and the one currency of R-P4) for a new child plan."""
        require(
            _DEPTH[level] > _DEPTH[self.level],
            "R-P5",
            f"{level.value} plans cannot sit under the {self.level.value} plan {self.label}: "
            "a child plan's level is below its parent's",
        )
        require(
            self.period.contains(period),
            "R-P5",
            f"period {period} lies outside period {self.period} of parent plan {self.label}",
        )
        require(
            budget.currency == self.currency,
            "R-P4",
            f"a budget in {budget.currency} cannot nest in plan {self.label}'s {self.currency}",
        )

    def update(
        self,
        actor: Actor,
        at: datetime,
        *,
        title: str | None = None,
        market_analysis: str | None = None,
        strategies: Strategies | None = None,
        budget: Money | None = None,
        target_ids: tuple[UUID, ...] | None = None,
        research_ids: tuple[UUID, ...] | None = None,
    ) -> None:
        """Edit the draft's content (``None`` keeps a field); the budget must still cover the
        action items (R-P4)."""
        self._require_editable("edit")
        if budget is not None:
            _non_negative(budget, "the budget")
            self._require_fits(budget, self.content.items)
        given: dict[str, object] = {
            "title": title.strip() if title is not None else None,
            "market_analysis": market_analysis.strip() if market_analysis is not None else None,
            "strategies": strategies,
            "budget": budget,
            "target_ids": tuple(target_ids) if target_ids is not None else None,
            "research_ids": tuple(research_ids) if research_ids is not None else None,
        }
        changed = {
            name: value
            for name, value in given.items()
            if value is not None and getattr(self.content, name) != value
        }
        if changed:
            self._trigger(self.Updated, actor, at, changes=changed)

    def next_item_id(self) -> str:
        """``A1``, ``A2`` …: never one the plan has used, even for a removed item."""
        used = {item.id for item in self.content.items}
        number = self.items_added + 1
        while f"A{number}" in used:
            number += 1
        return f"A{number}"

    def add_action_item(
        self,
        actor: Actor,
        at: datetime,
        *,
        what: str,
        item_id: str | None = None,
        owner_id: str | None = None,
        start: date | None = None,
        due: date | None = None,
        expected_effect: str = "",
        budget: Money | None = None,
        target_id: UUID | None = None,
    ) -> ActionItem:
        """Add an item; its budget must fit what the plan has left (R-P4)."""
        self._require_editable("add an action item to")
        item_id = (item_id or self.next_item_id()).strip()
        if item_id in {item.id for item in self.content.items}:
            raise InvalidInput(f"plan {self.label} already has an action item {item_id}")
        item = ActionItem(
            id=item_id,
            what=what.strip(),
            owner_id=owner_id,
            start=start,
            due=due,
            expected_effect=expected_effect.strip(),
            budget=budget if budget is not None else Money.zero(self.currency),
            target_id=target_id,
        )
        _non_negative(item.budget, f"the budget of action item {item_id}")
        self._require_fits(self.content.budget, (*self.content.items, item))
        self._trigger(self.ActionItemAdded, actor, at, item=item)
        return item

    def change_action_item(self, actor: Actor, at: datetime, item: ActionItem) -> None:
        """Replace the item with ``item``'s id; a new budget must still fit the plan's (R-P4)."""
        self._require_editable("change an action item of")
        old = self.action_item(item.id)
        _non_negative(item.budget, f"the budget of action item {item.id}")
        items = tuple(item if i.id == item.id else i for i in self.content.items)
        self._require_fits(self.content.budget, items)
        if item != old:
            self._trigger(self.ActionItemChanged, actor, at, item=item)

    def remove_action_item(self, actor: Actor, at: datetime, item_id: str) -> None:
        self._require_editable("remove an action item from")
        self.action_item(item_id)
        self._trigger(self.ActionItemRemoved, actor, at, item_id=item_id)

    def action_item(self, item_id: str) -> ActionItem:
        for item in self.content.items:
            if item.id == item_id:
                return item
        raise NotFound(f"plan {self.label} has no action item {item_id}")

    def _require_editable(self, doing: str) -> None:
        """R-P6: content changes in draft only; an approved or rejected plan is revised first."""
        if self.status == Status.SUBMITTED.value:
            raise RuleViolation(
                "R-P6",
                f"cannot {doing} plan {self.label}: revision {self.revision} is submitted "
                "for approval; it must be rejected before it can change",
            )
        if self.status != Status.DRAFT.value:
            raise RuleViolation(
                "R-P6",
                f"cannot {doing} plan {self.label}: revision {self.revision} is {self.status}; "
                f"revise it (with a reason) to open revision {self.revision + 1} first",
            )

    def _require_fits(self, budget: Money, items: Sequence[ActionItem]) -> None:
        """R-P4: one currency, and the action items' budgets within the plan's."""
        for amount, what in [(budget, "the budget"), *((i.budget, f"item {i.id}") for i in items)]:
            require(
                amount.currency == self.currency,
                "R-P4",
                f"{what} is in {amount.currency}; plan {self.label} budgets in {self.currency}",
            )
        allocated = total([item.budget for item in items], self.currency)
        require(
            allocated <= budget,
            "R-P4",
            f"action items need {allocated}, more than the budget {budget} of plan {self.label}",
        )

    def submit(self, actor: Actor, at: datetime, load: Callable[[UUID], Plan]) -> None:
        """R-P3 completeness; R-P4 the budget covers the children and fits in the parent's.

        ``load`` gives the parent, sibling and child plans by id.
        """
        self._require_status("R-P6", "submit", Status.DRAFT.value)
        missing = self.missing_parts()
        require(
            not missing,
            "R-P3",
            f"plan {self.label} is not complete, it needs: {'; '.join(missing)}",
        )
        held = total([load(child).claimed_budget for child in self.children], self.currency)
        require(
            held <= self.content.budget,
            "R-P4",
            f"child plans hold {held}, more than the budget {self.content.budget} "
            f"of plan {self.label}",
        )
        if self.parent_id is not None:
            parent = load(self.parent_id)
            siblings = [load(child) for child in parent.children if child != self.id]
            needed = total(
                [*(sibling.claimed_budget for sibling in siblings), self._claim(pending=True)],
                self.currency,
            )
            require(
                needed <= parent.budget_in_force,
                "R-P4",
                f"with {self.content.budget} for plan {self.label}, the child plans of "
                f"{parent.label} would hold {needed}, more than its budget in force "
                f"{parent.budget_in_force}",
            )
        self._trigger(self.Submitted, actor, at)

    def _require_authority(self, actor: Actor, doing: str) -> None:
        """R-P2 four eyes, then R-P1: leadership for annual and quarterly plans, the
        author's superior for monthly ones."""
        four_eyes(
            actor,
            self.author_id,
            self.submitted_by,
            doing=f"{doing} plan {self.label}",
            rule="R-P2",
        )
        if self.level is not Level.MONTHLY:
            require(
                actor.has_role(LEADERSHIP),
                "R-P1",
                f"{self.level.value} plans are {doing}d by {LEADERSHIP}; {actor.id} is not",
            )
            return
        require(
            self.author_superior is not None,
            "R-P1",
            f"monthly plan {self.label} cannot be {doing}d: its author {self.author_id} "
            "had no superior on record when it was created",
        )
        require(
            actor.id == self.author_superior,
            "R-P1",
            f"monthly plan {self.label} is {doing}d by {self.author_superior}, the superior "
            f"of its author {self.author_id}; not by {actor.id}",
        )

    def on_approved(self) -> None:
        """The approved content is the revision in force until the next approval (R-P6)."""
        self.approved_content = self.content

    def approve(self, actor: Actor, at: datetime) -> None:
        """Approve the submitted revision; its content comes into force (R-P6, R-G5)."""
        self._require_status("R-G5", "approve", Status.SUBMITTED.value)
        self._require_authority(actor, "approve")
        self._trigger(self.Approved, actor, at, revision=self.revision)

    def reject(self, actor: Actor, at: datetime, reason: str) -> None:
        self._require_status("R-G5", "reject", Status.SUBMITTED.value)
        self._require_authority(actor, "reject")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.Rejected, actor, at, revision=self.revision, reason=reason.strip())

    def revise(self, actor: Actor, at: datetime, reason: str) -> None:
        """R-P6: open the next revision as a draft; the approved one stays in force."""
        self._require_status("R-P6", "revise", Status.APPROVED.value, Status.REJECTED.value)
        require(bool(reason.strip()), "R-G3", "a revision needs a reason")
        self._trigger(self.Revised, actor, at, revision=self.revision + 1, reason=reason.strip())
