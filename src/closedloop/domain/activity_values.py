"""Activity value objects (R-A1 … R-A9) and the evaluation's arithmetic (R-A7, R-A8).

Everything here is immutable and carried in, or built from, the events of
:class:`~closedloop.domain.activity.Activity`: objectives, window, budget lines, the execution
plan's steps, change requests, copy checks and exemptions, expenses, incidents, the summary,
the evaluation and satisfaction follow-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.base import Approval
from closedloop.domain.compliance import Evidence, Hit
from closedloop.domain.errors import InvalidInput
from closedloop.domain.money import RATIO, Money, exact_sum
from closedloop.domain.target import Direction, achievement


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"  # raises a rectification (R-A6)


#: Ratios keep four places, amounts per participant two.
RATIO_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


def _stripped(value: str) -> str:
    return value.strip()


@attrs.frozen
class Window:
    """When the activity runs, both days included."""

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                f"an activity cannot end ({self.end}) before it starts ({self.start})"
            )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start} … {self.end}"


@attrs.frozen
class Objective:
    """A measurable objective: what is measured, the value aimed at, its unit."""

    name: str = attrs.field(converter=_stripped)
    metric: str = attrs.field(converter=_stripped)
    target: Decimal
    unit: str = ""
    direction: Direction = attrs.field(default=Direction.HIGHER, converter=Direction)

    def __attrs_post_init__(self) -> None:
        if not (self.name and self.metric):
            raise InvalidInput("an objective has a name and a metric")
        if not self.target > 0:
            raise InvalidInput(f"objective {self.name}: its target {self.target} is not above zero")

    def met_by(self, actual: Decimal) -> bool:
        """Exactly: the actual reaches the target in the objective's direction (R-A8)."""
        return (
            actual >= self.target if self.direction is Direction.HIGHER else actual <= self.target
        )


@attrs.frozen
class BudgetLine:
    category: str = attrs.field(converter=_stripped)
    amount: Money

    def __attrs_post_init__(self) -> None:
        if not self.category:
            raise InvalidInput("a budget line names its category")
        if self.amount.amount < 0:
            raise InvalidInput(f"budget line {self.category}: {self.amount} is negative")


@attrs.frozen
class Step:
    """One step of the execution plan's timeline: what, who, from when, by when (R-A2)."""

    what: str = attrs.field(converter=_stripped)
    owner_id: str = attrs.field(converter=_stripped)
    start: date
    due: date

    def __attrs_post_init__(self) -> None:
        if not (self.what and self.owner_id):
            raise InvalidInput("a step says what is done and who owns it")
        if self.due < self.start:
            raise InvalidInput(
                f"step {self.what!r} is due ({self.due}) before it starts ({self.start})"
            )


def _lines(values: Iterable[BudgetLine] | None) -> tuple[BudgetLine, ...] | None:
    return None if values is None else tuple(values)


@attrs.frozen
class Change:
    """R-A4: what a change request changes (``None`` keeps a part), or a cancellation."""

    window: Window | None = None
    place: str | None = None
    budget_lines: tuple[BudgetLine, ...] | None = attrs.field(default=None, converter=_lines)
    content: str | None = None
    cancel: bool = False

    def __attrs_post_init__(self) -> None:
        if self.cancel and self.parts():
            raise InvalidInput("a cancellation is requested on its own, without other changes")
        if not self.cancel and not self.parts():
            raise InvalidInput(
                "a change request changes time, place, budget or content, or cancels"
            )

    def parts(self) -> list[str]:
        """The parts of the activity this request changes."""
        given = {
            "time": self.window,
            "place": self.place,
            "budget": self.budget_lines,
            "content": self.content,
        }
        return [name for name, value in given.items() if value is not None]


@attrs.frozen
class ChangeRequest:
    number: int
    change: Change
    reason: str
    requested_by: str
    requested_at: datetime
    decision: str = "pending"  # pending | approved | rejected
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


@attrs.frozen
class ExecutionPlan:
    """R-A2: the timeline, by its author; approved by someone else before the start."""

    steps: tuple[Step, ...]
    author_id: str
    submitted_at: datetime
    approval: Approval | None = None


@attrs.frozen
class Rejection:
    actor_id: str
    revision: int
    stage: str  # the status it was rejected in: proposed or reviewed
    reason: str
    at: datetime


@attrs.frozen
class CopyCheckRecord:
    """R-A3: one check of one content version against one lexicon version."""

    content_version: int
    lexicon_version: str
    hits: tuple[Hit, ...]
    actor_id: str
    at: datetime

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(hit.term for hit in self.hits))


@attrs.frozen
class Exemption:
    """R-A3: a compliance reviewer's exemption of one term of one content version."""

    term: str
    content_version: int
    evidence: Evidence
    note: str
    actor_id: str
    at: datetime

    def valid_on(self, day: date) -> bool:
        return self.evidence.covers(day)


@attrs.frozen
class Expense:
    receipt: str
    amount: Money
    category: str
    actor_id: str
    at: datetime


@attrs.frozen
class Overspend:
    amount: Money
    reason: str
    actor_id: str
    at: datetime


@attrs.frozen
class Incident:
    """R-A6: what went wrong, how badly, to whom it was escalated; a severe one raised the
    rectification ``rectification_id`` (which states the problem, the incident its source)."""

    number: int
    problem: str
    severity: Severity
    escalated_to: str | None
    needs_rectification: bool
    rectification_id: UUID | None
    actor_id: str
    at: datetime


@attrs.frozen
class Summary:
    """R-A7: the summary report (活动总结报告)."""

    objectives_met: str
    effect: str
    problems: str
    improvements: str
    actor_id: str
    at: datetime


@attrs.frozen
class Evaluation:
    """R-A7: the numbers, computed once when evaluated; R-A8: the objectives missed."""

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
    actor_id: str
    at: datetime


@attrs.frozen
class Satisfaction:
    """R-A9: a follow-up survey's score on its scale, and how many answered."""

    score: Decimal
    scale: Decimal
    respondents: int
    actor_id: str
    at: datetime


def _ratio(
    numerator: Decimal, denominator: Decimal, places: Decimal = RATIO_PLACES
) -> Decimal | None:
    """``numerator / denominator`` rounded once, half-even, to ``places``; None over zero."""
    if denominator == 0:
        return None
    with localcontext(RATIO):
        return (numerator / denominator).quantize(places, rounding=ROUND_HALF_EVEN)


def evaluate_results(
    objectives: Iterable[Objective],
    results: Mapping[str, Decimal],
    *,
    participants: int,
    conversions: int,
    attributed_revenue: Money,
    cost: Money,
    budget: Money,
) -> dict[str, Any]:
    """R-A7 and R-A8: the evaluation's numbers, for the ``Evaluated`` event to carry.

    Achievement that cannot be computed (lower is better, actual 0) is ``None`` and left out
    of the mean; ROI, conversion, cost per participant and the variance percentage are
    ``None`` over a zero.
    """
    achievements: dict[str, Decimal | None] = {}
    missed: list[str] = []
    for objective in objectives:
        actual = results[objective.name]
        achievements[objective.name] = achievement(actual, objective.target, objective.direction)
        if not objective.met_by(actual):
            missed.append(objective.name)
    known = [value for value in achievements.values() if value is not None]
    per_participant = _ratio(cost.amount, Decimal(participants), CENTS)
    variance = cost - budget
    return {
        "participants": participants,
        "conversions": conversions,
        "attributed_revenue": attributed_revenue,
        "cost": cost,
        "budget": budget,
        "achievements": achievements,
        "goal_achievement_rate": _ratio(exact_sum(known), Decimal(len(known))),
        "conversion_rate": _ratio(Decimal(conversions), Decimal(participants)),
        "cost_per_participant": (
            Money(per_participant, cost.currency) if per_participant is not None else None
        ),
        "cost_variance": variance,
        "cost_variance_pct": _ratio(variance.amount, budget.amount),
        "roi": _ratio((attributed_revenue - cost).amount, cost.amount),
        "missed_objectives": tuple(missed),
    }
