"""Activity (营销活动): approved before it runs, run to an approved plan, spent within budget,
summarised, evaluated and followed up (R-A1 … R-A9).

Lifecycle: draft → proposed → reviewed → approved → execution_plan_approved → prepared →
running → completed → summarised → evaluated. A rejection (at review or approval) returns it
to draft as the next revision. Once approved, its time, place, budget and content change, and
it is cancelled, only through an approved change request (R-A4).

Choices the rule catalogue leaves open, made here:

- The owner is whoever creates the activity; the department head who reviews it (R-A1) is the
  owner's superior on record at creation (上级审核), like a monthly plan's approver.
- Expenses are recorded from preparation (筹备资源 costs money) until evaluation, which fixes
  the cost; an overspend can be approved from approval until evaluation, by the owner's
  superior up to ``activity.superior_overspend_limit`` of the budget in total, or by
  leadership beyond it (R-A5).
- Goal achievement is per objective (actual/target, or target/actual when lower is better);
  the activity's rate is the mean of those as reported (four places). An objective is missed
  when its actual does not reach its target, compared exactly (R-A7, R-A8).
- Advertising copy is what R-A3 checks; exemptions hold for the content version they were
  given for, and their evidence must be valid on the launch day.
- A severe incident raises its rectification in the same command (R-A6).
- Ratios keep four places, amounts per participant two (half-even); sums are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.activity_values import (
    BudgetLine,
    Change,
    ChangeRequest,
    CopyCheckRecord,
    Evaluation,
    ExecutionPlan,
    Exemption,
    Expense,
    Incident,
    Objective,
    Overspend,
    Rejection,
    Satisfaction,
    Severity,
    Step,
    Summary,
    Window,
    evaluate_results,
)
from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import Approvable, Approval, LoopAggregate
from closedloop.domain.compliance import Evidence, Hit, Lexicon, check_copy
from closedloop.domain.errors import InvalidInput, RuleViolation, require
from closedloop.domain.money import EXACT, Money, total
from closedloop.domain.plan import LEADERSHIP, Plan
from closedloop.domain.policy import ActivityPolicy


class Kind(StrEnum):
    ADVERTISING = "advertising"  # 广告投放
    PROMOTION = "promotion"  # 促销活动
    MARKET_EVENT = "market_event"  # 市场活动、展会
    RETENTION_EVENT = "retention_event"  # 保客营销活动: leadership approves (R-A1)
    SOCIAL_MEDIA = "social_media"  # 社交媒体推广
    REFERRAL_CAMPAIGN = "referral_campaign"  # 转介绍活动


class Status(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    EXECUTION_PLAN_APPROVED = "execution_plan_approved"
    PREPARED = "prepared"
    RUNNING = "running"
    COMPLETED = "completed"
    SUMMARISED = "summarised"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"


#: R-A4: what an approved activity may still become through a change request.
CHANGEABLE = (
    Status.APPROVED,
    Status.EXECUTION_PLAN_APPROVED,
    Status.PREPARED,
    Status.RUNNING,
)
#: R-A5: expenses are recorded from preparation until evaluation fixes the cost.
SPENDING = (Status.PREPARED, Status.RUNNING, Status.COMPLETED, Status.SUMMARISED)
#: R-A5: an overspend may be approved from approval until evaluation.
OVERSPEND = (Status.APPROVED, Status.EXECUTION_PLAN_APPROVED, *SPENDING)
#: R-A6: incidents happen while the activity is being executed.
EXECUTING = (Status.PREPARED, Status.RUNNING)
#: R-A9: satisfaction is collected after the activity.
AFTER = (Status.COMPLETED, Status.SUMMARISED, Status.EVALUATED)
#: R-A3: the kinds whose copy must pass the prohibited-claims check before launch.
COPY_CHECKED = (Kind.ADVERTISING,)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty")
    return value.strip()


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty and each once, in the order given."""
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


_TUPLES = ("objectives", "target_customers", "channels", "budget_lines")


def _stored(name: str, value: Any) -> Any:
    """A field's value as the aggregate holds it (JSON gives lists back for tuples)."""
    return tuple(value) if name in _TUPLES else value


class Activity(Approvable):
    KIND = "activity"

    ref: str | None
    kind: Kind
    theme: str
    objectives: tuple[Objective, ...]
    target_customers: tuple[str, ...]
    channels: tuple[str, ...]
    window: Window
    place: str
    content: str
    promotion_plan: str
    budget_lines: tuple[BudgetLine, ...]
    currency: str
    owner_id: str
    owner_superior: str | None
    plan_id: UUID | None
    action_item: str | None
    content_version: int
    content_by: str
    reviewed: Approval | None
    rejections: list[Rejection]
    execution_plan: ExecutionPlan | None
    copy_checks: list[CopyCheckRecord]
    exemptions: list[Exemption]
    expenses: list[Expense]
    overspends: list[Overspend]
    change_requests: list[ChangeRequest]
    incidents: list[Incident]
    started_at: datetime | None
    completed_at: datetime | None
    results: dict[str, Decimal]
    summary: Summary | None
    evaluation: Evaluation | None
    satisfaction: list[Satisfaction]

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        kind: Kind,
        theme: str,
        objectives: tuple[Objective, ...],
        target_customers: tuple[str, ...],
        channels: tuple[str, ...],
        window: Window,
        place: str,
        content: str,
        promotion_plan: str,
        budget_lines: tuple[BudgetLine, ...],
        currency: str,
        owner_superior: str | None,
        plan_id: UUID | None,
        action_item: str | None,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.kind = Kind(kind)
        self.theme = theme
        self.objectives = tuple(objectives)
        self.target_customers = tuple(target_customers)
        self.channels = tuple(channels)
        self.window = window
        self.place = place
        self.content = content
        self.promotion_plan = promotion_plan
        self.budget_lines = tuple(budget_lines)
        self.currency = currency
        self.owner_id = actor_id
        self.owner_superior = owner_superior
        self.plan_id = plan_id
        self.action_item = action_item
        self.status = Status.DRAFT.value
        self.revision = 1
        self.submitted_by = None
        self.approval = None
        self.content_version = 1
        self.content_by = actor_id
        self.reviewed = None
        self.rejections = []
        self.execution_plan = None
        self.copy_checks = []
        self.exemptions = []
        self.expenses = []
        self.overspends = []
        self.change_requests = []
        self.incidents = []
        self.started_at = None
        self.completed_at = None
        self.results = {}
        self.summary = None
        self.evaluation = None
        self.satisfaction = []

    # --- events -------------------------------------------------------------------------------

    class Updated(LoopAggregate.Event):
        changes: dict[str, Any]

        def apply(self, activity: Activity) -> None:
            for name, value in self.changes.items():
                setattr(activity, name, _stored(name, value))
            if "content" in self.changes:
                activity.content_version += 1
                activity.content_by = self.actor_id

    class Submitted(Approvable.Submitted):
        """Proposed for review: the lifecycle calls a submitted activity ``proposed``."""

        def apply(self, activity: Activity) -> None:  # type: ignore[override]
            super().apply(activity)
            activity.status = Status.PROPOSED.value

    class Reviewed(LoopAggregate.Event):
        revision: int

        def apply(self, activity: Activity) -> None:
            activity.status = Status.REVIEWED.value
            activity.reviewed = Approval(self.actor_id, self.revision, self.timestamp)

    class Rejected(LoopAggregate.Event):
        revision: int
        stage: str
        reason: str

        def apply(self, activity: Activity) -> None:
            activity.rejections.append(
                Rejection(self.actor_id, self.revision, self.stage, self.reason, self.timestamp)
            )
            activity.status = Status.DRAFT.value
            activity.revision = self.revision + 1
            activity.submitted_by = None
            activity.reviewed = None

    class ExecutionPlanSubmitted(LoopAggregate.Event):
        steps: tuple[Step, ...]

        def apply(self, activity: Activity) -> None:
            activity.execution_plan = ExecutionPlan(
                tuple(self.steps), self.actor_id, self.timestamp
            )

    class ExecutionPlanApproved(LoopAggregate.Event):
        revision: int

        def apply(self, activity: Activity) -> None:
            assert activity.execution_plan is not None  # checked by the command
            activity.execution_plan = attrs.evolve(
                activity.execution_plan,
                approval=Approval(self.actor_id, self.revision, self.timestamp),
            )
            activity.status = Status.EXECUTION_PLAN_APPROVED.value

    class CopyChecked(LoopAggregate.Event):
        content_version: int
        lexicon_version: str
        hits: tuple[Hit, ...]

        def apply(self, activity: Activity) -> None:
            activity.copy_checks.append(
                CopyCheckRecord(
                    self.content_version,
                    self.lexicon_version,
                    tuple(self.hits),
                    self.actor_id,
                    self.timestamp,
                )
            )

    class ExemptionRecorded(LoopAggregate.Event):
        term: str
        content_version: int
        evidence: Evidence
        note: str

        def apply(self, activity: Activity) -> None:
            activity.exemptions.append(
                Exemption(
                    self.term,
                    self.content_version,
                    self.evidence,
                    self.note,
                    self.actor_id,
                    self.timestamp,
                )
            )

    class Prepared(LoopAggregate.Event):
        def apply(self, activity: Activity) -> None:
            activity.status = Status.PREPARED.value

    class Started(LoopAggregate.Event):
        def apply(self, activity: Activity) -> None:
            activity.status = Status.RUNNING.value
            activity.started_at = self.timestamp

    class ExpenseRecorded(LoopAggregate.Event):
        receipt: str
        amount: Money
        category: str

        def apply(self, activity: Activity) -> None:
            activity.expenses.append(
                Expense(self.receipt, self.amount, self.category, self.actor_id, self.timestamp)
            )

    class OverspendApproved(LoopAggregate.Event):
        amount: Money
        reason: str

        def apply(self, activity: Activity) -> None:
            activity.overspends.append(
                Overspend(self.amount, self.reason, self.actor_id, self.timestamp)
            )

    class ChangeRequested(LoopAggregate.Event):
        number: int
        change: Change
        reason: str

        def apply(self, activity: Activity) -> None:
            activity.change_requests.append(
                ChangeRequest(self.number, self.change, self.reason, self.actor_id, self.timestamp)
            )

    class ChangeApproved(LoopAggregate.Event):
        number: int
        revision: int

        def apply(self, activity: Activity) -> None:
            request = activity.change_requests[self.number - 1]
            activity.change_requests[self.number - 1] = attrs.evolve(
                request, decision="approved", decided_by=self.actor_id, decided_at=self.timestamp
            )
            change = request.change
            if change.cancel:
                activity.status = Status.CANCELLED.value
                return
            if change.window is not None:
                activity.window = change.window
            if change.place is not None:
                activity.place = change.place
            if change.budget_lines is not None:
                activity.budget_lines = change.budget_lines
            if change.content is not None:
                activity.content = change.content
                activity.content_version += 1
                activity.content_by = request.requested_by
            activity.revision = self.revision
            activity.approval = Approval(self.actor_id, self.revision, self.timestamp)

    class ChangeRejected(LoopAggregate.Event):
        number: int
        reason: str

        def apply(self, activity: Activity) -> None:
            activity.change_requests[self.number - 1] = attrs.evolve(
                activity.change_requests[self.number - 1],
                decision="rejected",
                decided_by=self.actor_id,
                decided_at=self.timestamp,
                decision_reason=self.reason,
            )

    class IncidentLogged(LoopAggregate.Event):
        number: int
        problem: str
        severity: str
        escalated_to: str | None
        needs_rectification: bool
        rectification_id: UUID | None

        def apply(self, activity: Activity) -> None:
            activity.incidents.append(
                Incident(
                    self.number,
                    self.problem,
                    Severity(self.severity),
                    self.escalated_to,
                    self.needs_rectification,
                    self.rectification_id,
                    self.actor_id,
                    self.timestamp,
                )
            )

    class Completed(LoopAggregate.Event):
        results: dict[str, Decimal]

        def apply(self, activity: Activity) -> None:
            activity.status = Status.COMPLETED.value
            activity.completed_at = self.timestamp
            activity.results = dict(self.results)

    class SummarySubmitted(LoopAggregate.Event):
        objectives_met: str
        effect: str
        problems: str
        improvements: str

        def apply(self, activity: Activity) -> None:
            activity.status = Status.SUMMARISED.value
            activity.summary = Summary(
                self.objectives_met,
                self.effect,
                self.problems,
                self.improvements,
                self.actor_id,
                self.timestamp,
            )

    class Evaluated(LoopAggregate.Event):
        participants: int
        conversions: int
        attributed_revenue: Money
        cost: Money
        budget: Money
        achievements: dict[str, Decimal | None]
        goal_achievement_rate: Decimal | None
        conversion_rate: Decimal | None
        cost_per_participant: Money | None
        cost_variance: Money
        cost_variance_pct: Decimal | None
        roi: Decimal | None
        missed_objectives: tuple[str, ...]

        def apply(self, activity: Activity) -> None:
            activity.status = Status.EVALUATED.value
            activity.evaluation = Evaluation(
                participants=self.participants,
                conversions=self.conversions,
                attributed_revenue=self.attributed_revenue,
                cost=self.cost,
                budget=self.budget,
                achievements=dict(self.achievements),
                goal_achievement_rate=self.goal_achievement_rate,
                conversion_rate=self.conversion_rate,
                cost_per_participant=self.cost_per_participant,
                cost_variance=self.cost_variance,
                cost_variance_pct=self.cost_variance_pct,
                roi=self.roi,
                missed_objectives=tuple(self.missed_objectives),
                actor_id=self.actor_id,
                at=self.timestamp,
            )

    class SatisfactionRecorded(LoopAggregate.Event):
        score: Decimal
        scale: Decimal
        respondents: int

        def apply(self, activity: Activity) -> None:
            activity.satisfaction.append(
                Satisfaction(
                    self.score, self.scale, self.respondents, self.actor_id, self.timestamp
                )
            )

    # --- derived state ------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def budget(self) -> Money:
        """The budget lines added up; once approved, the approved budget (R-A4 keeps it so)."""
        return total([line.amount for line in self.budget_lines], self.currency)

    @property
    def spend(self) -> Money:
        return total([expense.amount for expense in self.expenses], self.currency)

    @property
    def approved_overspend(self) -> Money:
        return total([overspend.amount for overspend in self.overspends], self.currency)

    @property
    def remaining(self) -> Money:
        """R-A5: what may still be spent: budget + approved overspend − spend."""
        return self.budget + self.approved_overspend - self.spend

    @property
    def pending_change(self) -> ChangeRequest | None:
        pending = [r for r in self.change_requests if r.decision == "pending"]
        return pending[0] if pending else None

    @property
    def copy_check_required(self) -> bool:
        return self.kind in COPY_CHECKED

    def latest_copy_check(self) -> CopyCheckRecord | None:
        return self.copy_checks[-1] if self.copy_checks else None

    def blocked_terms(self, lexicon_version: str, day: date) -> list[str] | None:
        """R-A3: the terms that block launch on ``day``; ``None`` when no check of the current
        content against lexicon ``lexicon_version`` exists."""
        check = self.latest_copy_check()
        if check is None or (check.content_version, check.lexicon_version) != (
            self.content_version,
            lexicon_version,
        ):
            return None
        exempt = {
            exemption.term
            for exemption in self.exemptions
            if exemption.content_version == self.content_version and exemption.valid_on(day)
        }
        return [term for term in check.terms if term not in exempt]

    def missed_objectives(self) -> list[str]:
        """R-A8: the objectives missed at evaluation (empty before it): each is a finding."""
        return list(self.evaluation.missed_objectives) if self.evaluation else []

    def missing_parts(self) -> list[str]:
        """What a proposal still needs (R-A1: only a complete activity is put up for review)."""
        missing = []
        if not self.theme:
            missing.append("theme")
        if not self.objectives:
            missing.append("at least one measurable objective")
        if not self.target_customers:
            missing.append("target customers (tier or segment)")
        if not self.channels:
            missing.append("channels")
        if not self.budget_lines:
            missing.append("budget lines")
        if self.kind is Kind.ADVERTISING and not self.content:
            missing.append("the ad copy (content)")
        return missing

    # --- commands: drafting and approval (R-A1) -----------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        kind: Kind,
        theme: str,
        window: Window,
        objectives: Iterable[Objective] = (),
        target_customers: Iterable[str] = (),
        channels: Iterable[str] = (),
        place: str = "",
        content: str = "",
        promotion_plan: str = "",
        budget_lines: Iterable[BudgetLine] = (),
        currency: str = "CNY",
        plan: Plan | None = None,
        action_item: str | None = None,
        ref: str | None = None,
    ) -> Activity:
        """A draft owned by ``actor``; their superior then is the one who reviews it (R-A1)."""
        if action_item is not None:
            if plan is None:
                raise InvalidInput("an action item is named together with its plan")
            plan.action_item(action_item)
        lines = tuple(budget_lines)
        goals = tuple(objectives)
        currency = Money.zero(currency).currency
        _require_currency(lines, currency)
        _require_unique_names(goals)
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            kind=kind,
            theme=theme.strip(),
            objectives=goals,
            target_customers=_texts(target_customers),
            channels=_texts(channels),
            window=window,
            place=place.strip(),
            content=content.strip(),
            promotion_plan=promotion_plan.strip(),
            budget_lines=lines,
            currency=currency,
            owner_superior=actor.superior,
            plan_id=plan.id if plan is not None else None,
            action_item=action_item,
        )

    EDITABLE = (
        "theme",
        "objectives",
        "target_customers",
        "channels",
        "window",
        "place",
        "content",
        "promotion_plan",
        "budget_lines",
    )

    def update(self, actor: Actor, at: datetime, **changes: Any) -> None:
        """Edit a draft (``None`` keeps a field); once proposed it changes only after a
        rejection, once approved only through a change request (R-A4)."""
        if self.status in (Status.PROPOSED, Status.REVIEWED):
            raise RuleViolation(
                "R-A4",
                f"cannot edit activity {self.label}: revision {self.revision} is {self.status} "
                "and awaits a decision; it changes after a rejection",
            )
        if self.status != Status.DRAFT:
            raise RuleViolation(
                "R-A4",
                f"cannot edit activity {self.label}: it is {self.status}; changing an approved "
                "activity needs an approved change request (activity.request_change)",
            )
        unknown = set(changes) - set(self.EDITABLE)
        if unknown:
            raise InvalidInput(f"fields {sorted(unknown)} of an activity cannot be edited")
        given = {
            name: _normalised(name, value) for name, value in changes.items() if value is not None
        }
        if "budget_lines" in given:
            _require_currency(given["budget_lines"], self.currency)
        if "objectives" in given:
            _require_unique_names(given["objectives"])
        changed = {name: value for name, value in given.items() if getattr(self, name) != value}
        if changed:
            self._trigger(self.Updated, actor, at, changes=changed)

    def propose(self, actor: Actor, at: datetime) -> None:
        """Put a complete draft up for the department head's review (R-A1)."""
        self._require_status("R-A1", "propose", Status.DRAFT.value)
        missing = self.missing_parts()
        require(
            not missing,
            "R-A1",
            f"activity {self.label} is not complete, it needs: {'; '.join(missing)}",
        )
        self._trigger(self.Submitted, actor, at)

    def review(self, actor: Actor, at: datetime) -> None:
        """R-A1: the department head (the owner's superior) reviews the proposal."""
        self._require_status("R-A1", "review", Status.PROPOSED.value)
        self._require_reviewer(actor, "review")
        self._trigger(self.Reviewed, actor, at, revision=self.revision)

    def approve(self, actor: Actor, at: datetime) -> None:
        """R-A1: approval after review; retention activities by leadership (保客营销领导小组)."""
        self._require_status("R-A1", "approve", Status.REVIEWED.value)
        self._require_approver(actor, "approve")
        self._trigger(self.Approved, actor, at, revision=self.revision)

    def reject(self, actor: Actor, at: datetime, reason: str) -> None:
        """Send a proposal back to draft: at review by the reviewer, after it by an approver."""
        self._require_status("R-A1", "reject", Status.PROPOSED.value, Status.REVIEWED.value)
        if self.status == Status.PROPOSED:
            self._require_reviewer(actor, "reject")
        else:
            self._require_approver(actor, "reject")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(
            self.Rejected,
            actor,
            at,
            revision=self.revision,
            stage=self.status,
            reason=reason.strip(),
        )

    def _require_reviewer(self, actor: Actor, doing: str) -> None:
        require(
            self.owner_superior is not None,
            "R-A1",
            f"activity {self.label} cannot be {doing}ed: its owner {self.owner_id} had no "
            "superior (department head) on record when it was created",
        )
        require(
            actor.id == self.owner_superior,
            "R-A1",
            f"activity {self.label} is reviewed by {self.owner_superior}, the department head "
            f"of its owner {self.owner_id}; not by {actor.id}",
        )
        four_eyes(actor, self.owner_id, self.submitted_by, doing=f"{doing} activity {self.label}")

    def _require_approver(self, actor: Actor, doing: str) -> None:
        four_eyes(actor, self.owner_id, self.submitted_by, doing=f"{doing} activity {self.label}")
        reviewer = self.reviewed.actor_id if self.reviewed else None
        require(
            actor.id != reviewer,
            "R-A1",
            f"{actor.id} reviewed activity {self.label} and cannot also {doing} it: "
            "review and approval are two people",
        )
        if self.kind is Kind.RETENTION_EVENT:
            require(
                actor.has_role(LEADERSHIP),
                "R-A1",
                f"retention activities are decided by {LEADERSHIP} (保客营销领导小组); "
                f"{actor.id} is not",
            )

    # --- commands: execution plan (R-A2), copy check (R-A3), start ----------------------------

    def submit_execution_plan(self, actor: Actor, at: datetime, steps: Iterable[Step]) -> None:
        """R-A2: the timeline (steps with owner, start and due) for an approved activity."""
        self._require_status("R-A2", "plan the execution of", Status.APPROVED.value)
        timeline = tuple(steps)
        require(
            bool(timeline),
            "R-A2",
            f"the execution plan of activity {self.label} needs at least one step",
        )
        self._trigger(self.ExecutionPlanSubmitted, actor, at, steps=timeline)

    def approve_execution_plan(self, actor: Actor, at: datetime) -> None:
        """R-A2: approved by someone other than its author (and the activity's owner)."""
        self._require_status("R-A2", "approve the execution plan of", Status.APPROVED.value)
        plan = self.execution_plan
        if plan is None:
            raise RuleViolation(
                "R-A2", f"activity {self.label} has no execution plan to approve; submit one first"
            )
        four_eyes(
            actor,
            plan.author_id,
            self.owner_id,
            doing=f"approve the execution plan of activity {self.label}",
            rule="R-A2",
        )
        self._trigger(self.ExecutionPlanApproved, actor, at, revision=self.revision)

    def check_copy(self, actor: Actor, at: datetime, lexicon: Lexicon) -> CopyCheckRecord:
        """R-A3: check the current content version against ``lexicon``; the hits are recorded."""
        self._require_copy_open("check the copy of")
        require(bool(self.content), "R-A3", f"activity {self.label} has no content to check")
        result = check_copy(self.content, lexicon)
        self._trigger(
            self.CopyChecked,
            actor,
            at,
            content_version=self.content_version,
            lexicon_version=result.lexicon_version,
            hits=result.hits,
        )
        return self.copy_checks[-1]

    def record_exemption(
        self, actor: Actor, at: datetime, term: str, evidence: Evidence, note: str = ""
    ) -> None:
        """R-A3: a compliance reviewer (not the author or owner) exempts a term with evidence."""
        self._require_copy_open("exempt a term of")
        four_eyes(
            actor,
            self.owner_id,
            self.content_by,
            doing=f"exempt a term of activity {self.label}'s copy",
            rule="R-A3",
        )
        check = self.latest_copy_check()
        if check is None or check.content_version != self.content_version:
            raise RuleViolation(
                "R-A3",
                f"content version {self.content_version} of activity {self.label} has not "
                "been checked; run activity.check_copy first",
            )
        require(
            term in check.terms,
            "R-A3",
            f"{term!r} is not a hit of the latest check of activity {self.label} "
            f"(hits: {', '.join(check.terms) or 'none'})",
        )
        self._trigger(
            self.ExemptionRecorded,
            actor,
            at,
            term=term,
            content_version=self.content_version,
            evidence=evidence,
            note=note.strip(),
        )

    def _require_copy_open(self, doing: str) -> None:
        require(
            self.status not in (*AFTER, Status.CANCELLED),
            "R-A3",
            f"cannot {doing} activity {self.label}: it is {self.status}; copy is cleared "
            "before and while it runs",
        )

    def prepare(self, actor: Actor, at: datetime) -> None:
        """Resources are ready as the approved execution plan says (R-A1, R-A2)."""
        self._require_execution_plan_approved("prepare")
        self._require_status("R-A2", "prepare", Status.EXECUTION_PLAN_APPROVED.value)
        self._trigger(self.Prepared, actor, at)

    def _require_execution_plan_approved(self, doing: str) -> None:
        """R-A1 before approval, R-A2 before the execution plan's approval."""
        if self.status in (Status.DRAFT, Status.PROPOSED, Status.REVIEWED):
            raise RuleViolation(
                "R-A1",
                f"cannot {doing} activity {self.label}: it is {self.status}; "
                "nothing runs before approval",
            )
        require(
            self.status != Status.APPROVED,
            "R-A2",
            f"cannot {doing} activity {self.label}: its execution plan is not approved",
        )

    def start(self, actor: Actor, at: datetime, lexicon_version: str) -> None:
        """Launch: R-A1 approved, R-A2 execution plan approved and prepared, R-A4 inside the
        approved window, R-A3 the current copy passed the current lexicon's check."""
        self._require_execution_plan_approved("start")
        self._require_status("R-A2", "start", Status.PREPARED.value)
        day = at.date()
        require(
            self.window.contains(day),
            "R-A4",
            f"activity {self.label} runs {self.window}; starting on {day} changes its time, "
            "which needs an approved change request",
        )
        if self.copy_check_required:
            self._require_cleared_copy(lexicon_version, day)
        self._trigger(self.Started, actor, at)

    def _require_cleared_copy(self, lexicon_version: str, day: date) -> None:
        blocked = self.blocked_terms(lexicon_version, day)
        if blocked is None:
            check = self.latest_copy_check()
            last = (
                f"the last check was of content version {check.content_version} against "
                f"lexicon {check.lexicon_version}"
                if check is not None
                else "it was never checked"
            )
            raise RuleViolation(
                "R-A3",
                f"advertising copy version {self.content_version} of activity {self.label} "
                f"has not passed a check against lexicon {lexicon_version} ({last}); "
                "run activity.check_copy",
            )
        require(
            not blocked,
            "R-A3",
            f"advertising copy version {self.content_version} of activity {self.label} "
            f"contains prohibited terms without an exemption valid on {day}: "
            f"{', '.join(blocked)}",
        )

    # --- commands: money (R-A5) ---------------------------------------------------------------

    def record_expense(
        self, actor: Actor, at: datetime, receipt: str, amount: Money, category: str
    ) -> None:
        """R-A5: an expense with a unique receipt, within budget + approved overspend."""
        self._require_status("R-A5", "record an expense on", *SPENDING)
        receipt = _text(receipt, "the receipt reference")
        category = _text(category, "the expense category")
        self._require_amount(amount, "an expense")
        require(
            receipt not in {expense.receipt for expense in self.expenses},
            "R-A5",
            f"receipt {receipt} is already recorded on activity {self.label}",
        )
        remaining = self.remaining
        require(
            amount <= remaining,
            "R-A5",
            f"expense of {amount} would bring spend from {self.spend} to "
            f"{self.spend + amount}, over the budget {self.budget} plus approved overspend "
            f"{self.approved_overspend}: {remaining} left; an overspend approval must cover "
            f"{amount - remaining} more",
        )
        self._trigger(
            self.ExpenseRecorded, actor, at, receipt=receipt, amount=amount, category=category
        )

    def approve_overspend(
        self, actor: Actor, at: datetime, amount: Money, reason: str, policy: ActivityPolicy
    ) -> None:
        """R-A5: the owner's superior (within the policy limit) or leadership covers more."""
        self._require_status("R-A5", "approve an overspend on", *OVERSPEND)
        self._require_amount(amount, "an overspend")
        require(bool(reason.strip()), "R-G3", "an overspend approval needs a reason")
        four_eyes(actor, self.owner_id, doing=f"approve an overspend on activity {self.label}")
        is_leadership = actor.has_role(LEADERSHIP)
        require(
            actor.id == self.owner_superior or is_leadership,
            "R-A5",
            f"an overspend on activity {self.label} is approved by {self.owner_superior}, "
            f"the superior of its owner {self.owner_id}, or by {LEADERSHIP}; not by {actor.id}",
        )
        if not is_leadership:
            share = policy.superior_overspend_limit
            limit = Money(EXACT.multiply(self.budget.amount, share), self.currency)
            after = self.approved_overspend + amount
            require(
                after <= limit,
                "R-A5",
                f"{actor.id} may approve overspend up to {limit} in total on activity "
                f"{self.label} ({EXACT.multiply(share, 100).normalize():f} % of its budget "
                f"{self.budget}); {after} needs {LEADERSHIP}",
            )
        self._trigger(self.OverspendApproved, actor, at, amount=amount, reason=reason.strip())

    def _require_amount(self, amount: Money, what: str) -> None:
        require(
            amount.currency == self.currency,
            "R-A5",
            f"{what} in {amount.currency} on activity {self.label}, which is in {self.currency}",
        )
        if amount.amount <= 0:
            raise InvalidInput(f"{what} of {amount} is not above zero")

    # --- commands: change control (R-A4) ------------------------------------------------------

    def request_change(self, actor: Actor, at: datetime, change: Change, reason: str) -> None:
        """R-A4: what changes and why, for an approver to decide."""
        self._require_status("R-A4", "request a change of", *CHANGEABLE)
        pending = self.pending_change
        require(
            pending is None,
            "R-A4",
            f"change request #{pending.number if pending else 0} of activity {self.label} "
            "is pending; decide it first",
        )
        require(bool(reason.strip()), "R-G3", "a change request needs a reason")
        if change.budget_lines is not None:
            _require_currency(change.budget_lines, self.currency)
        unchanged = [
            part
            for part, name in (
                ("time", "window"),
                ("place", "place"),
                ("budget", "budget_lines"),
                ("content", "content"),
            )
            if getattr(change, name) is not None and getattr(change, name) == getattr(self, name)
        ]
        if unchanged:
            raise InvalidInput(
                f"the change request leaves {', '.join(unchanged)} of activity {self.label} "
                "as it is"
            )
        self._trigger(
            self.ChangeRequested,
            actor,
            at,
            number=len(self.change_requests) + 1,
            change=change,
            reason=reason.strip(),
        )

    def approve_change(self, actor: Actor, at: datetime) -> None:
        """R-A4: apply the pending change (a budget must still cover the spend, R-A5)."""
        request = self._require_pending_change(actor, "approve")
        self._require_status("R-A4", "change", *CHANGEABLE)
        lines = request.change.budget_lines
        if lines is not None:
            budget = total([line.amount for line in lines], self.currency)
            require(
                self.spend <= budget + self.approved_overspend,
                "R-A5",
                f"a budget of {budget} plus approved overspend {self.approved_overspend} "
                f"would not cover the {self.spend} activity {self.label} has spent",
            )
        revision = self.revision if request.change.cancel else self.revision + 1
        self._trigger(self.ChangeApproved, actor, at, number=request.number, revision=revision)

    def reject_change(self, actor: Actor, at: datetime, reason: str) -> None:
        request = self._require_pending_change(actor, "reject")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.ChangeRejected, actor, at, number=request.number, reason=reason.strip())

    def _require_pending_change(self, actor: Actor, doing: str) -> ChangeRequest:
        request = self.pending_change
        if request is None:
            raise RuleViolation("R-A4", f"activity {self.label} has no change request pending")
        four_eyes(
            actor,
            request.requested_by,
            self.owner_id,
            doing=f"{doing} change request #{request.number} of activity {self.label}",
        )
        return request

    # --- commands: execution, completion and evaluation (R-A6 … R-A9) -------------------------

    @property
    def next_incident(self) -> int:
        return len(self.incidents) + 1

    def log_incident(
        self,
        actor: Actor,
        at: datetime,
        problem: str,
        severity: Severity,
        escalated_to: str | None,
        rectification_id: UUID | None = None,
    ) -> Incident:
        """R-A6: high and severe incidents are escalated to someone; a severe one comes with
        the rectification it raises (``rectification_id``, saved in the same command)."""
        self._require_status("R-A6", "log an incident on", *EXECUTING)
        problem = _text(problem, "the incident's problem")
        escalated = escalated_to.strip() if escalated_to and escalated_to.strip() else None
        require(
            escalated is not None or severity in (Severity.LOW, Severity.MEDIUM),
            "R-A6",
            f"a {severity.value} incident is escalated: name whom it was escalated to",
        )
        severe = severity is Severity.SEVERE
        require(
            severe == (rectification_id is not None),
            "R-A6",
            "a severe incident raises a rectification"
            if severe
            else f"a {severity.value} incident raises no rectification",
        )
        self._trigger(
            self.IncidentLogged,
            actor,
            at,
            number=self.next_incident,
            problem=problem,
            severity=severity.value,
            escalated_to=escalated,
            needs_rectification=severe,
            rectification_id=rectification_id,
        )
        return self.incidents[-1]

    def complete(self, actor: Actor, at: datetime, results: Mapping[str, Decimal]) -> None:
        """R-A7: completion records a result for every objective."""
        self._require_status("R-A7", "complete", Status.RUNNING.value)
        names = [objective.name for objective in self.objectives]
        unknown = sorted(set(results) - set(names))
        if unknown:
            raise InvalidInput(f"activity {self.label} has no objectives {unknown}")
        missing = [name for name in names if name not in results]
        require(
            not missing,
            "R-A7",
            f"completing activity {self.label} records a result for every objective; "
            f"missing: {', '.join(missing)}",
        )
        self._trigger(self.Completed, actor, at, results={n: results[n] for n in names})

    def submit_summary(
        self,
        actor: Actor,
        at: datetime,
        *,
        objectives_met: str,
        effect: str,
        problems: str,
        improvements: str,
    ) -> None:
        """R-A7: the summary report states objectives met, effect, problems, improvements."""
        self._require_status("R-A7", "summarise", Status.COMPLETED.value)
        report = {
            "objectives_met": objectives_met.strip(),
            "effect": effect.strip(),
            "problems": problems.strip(),
            "improvements": improvements.strip(),
        }
        missing = [name.replace("_", " ") for name, value in report.items() if not value]
        require(
            not missing,
            "R-A7",
            f"the summary of activity {self.label} is missing: {', '.join(missing)}",
        )
        self._trigger(self.SummarySubmitted, actor, at, **report)

    def evaluate(
        self,
        actor: Actor,
        at: datetime,
        *,
        participants: int,
        conversions: int,
        attributed_revenue: Money,
    ) -> None:
        """R-A7: after the summary, by someone other than the owner; R-A8: misses recorded."""
        if self.status == Status.COMPLETED:
            raise RuleViolation(
                "R-A7",
                f"activity {self.label} cannot be evaluated before its summary report",
            )
        self._require_status("R-A7", "evaluate", Status.SUMMARISED.value)
        four_eyes(actor, self.owner_id, doing=f"evaluate activity {self.label}")
        if participants < 0 or not 0 <= conversions <= participants:
            raise InvalidInput(
                f"{conversions} conversions of {participants} participants: conversions "
                "lie between zero and the participants"
            )
        require(
            attributed_revenue.currency == self.currency,
            "R-A5",
            f"attributed revenue in {attributed_revenue.currency} on activity {self.label}, "
            f"which is in {self.currency}",
        )
        numbers = evaluate_results(
            self.objectives,
            self.results,
            participants=participants,
            conversions=conversions,
            attributed_revenue=attributed_revenue,
            cost=self.spend,
            budget=self.budget,
        )
        self._trigger(self.Evaluated, actor, at, **numbers)

    def record_satisfaction(
        self, actor: Actor, at: datetime, score: Decimal, scale: Decimal, respondents: int
    ) -> None:
        """R-A9: participants' satisfaction, collected after the activity."""
        require(
            self.status in AFTER,
            "R-A9",
            f"activity {self.label} is {self.status}: satisfaction is collected after "
            "it is completed",
        )
        if not scale > 0 or not 0 <= score <= scale:
            raise InvalidInput(f"a score of {score} is not on a scale of 0 … {scale}")
        if respondents < 1:
            raise InvalidInput("a satisfaction follow-up has at least one respondent")
        self._trigger(
            self.SatisfactionRecorded, actor, at, score=score, scale=scale, respondents=respondents
        )


def _normalised(name: str, value: Any) -> Any:
    if name in ("target_customers", "channels"):
        return _texts(value)
    if name in _TUPLES:
        return tuple(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _require_currency(lines: Iterable[BudgetLine], currency: str) -> None:
    """R-A5: one currency per activity."""
    for line in lines:
        require(
            line.amount.currency == currency,
            "R-A5",
            f"budget line {line.category} is in {line.amount.currency}; "
            f"the activity budgets in {currency}",
        )


def _require_unique_names(objectives: Iterable[Objective]) -> None:
    names = [objective.name for objective in objectives]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InvalidInput(f"objective names are unique; repeated: {', '.join(twice)}")
