"""Target (营销目标): SMART, decomposed exactly, adjusted only by leadership, measured, closed.

Lifecycle: draft → submitted → approved → closed (a rejection returns it to draft).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import Approvable, Approval, LoopAggregate
from closedloop.domain.errors import RuleViolation, require
from closedloop.domain.money import EXACT, RATIO, exact_sum
from closedloop.domain.period import Period
from closedloop.domain.policy import Grades


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better (revenue)
    LOWER = "lower"  # lower is better (churn rate)


class Aggregation(StrEnum):
    SUM = "sum"  # children add up to the parent (revenue, volume)
    AVERAGE = "average"  # the parent is the mean of its children (satisfaction)
    LATEST = "latest"  # the parent is its latest child (market share)


class Scope(StrEnum):
    COMPANY = "company"
    TEAM = "team"
    PERSON = "person"


_SCOPE_DEPTH = {Scope.COMPANY: 0, Scope.TEAM: 1, Scope.PERSON: 2}


class Dimension(StrEnum):
    """How a target is split (R-T2): into shorter periods, or into narrower scopes."""

    PERIOD = "period"
    SCOPE = "scope"


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CLOSED = "closed"


@attrs.frozen
class Measurement:
    """R-T4: an actual value as of a date, from a named source."""

    value: Decimal
    as_of: date
    source: str
    actor_id: str


@attrs.frozen
class Adjustment:
    """R-T3: a requested change of an approved target's value, and its outcome."""

    number: int
    from_value: Decimal
    to_value: Decimal
    reason: str
    analysis: str
    requested_by: str
    decision: str = "pending"  # pending | approved | rejected
    decided_by: str | None = None
    decision_reason: str | None = None


@attrs.frozen
class ChildSpec:
    """One part of a decomposition: its own period or scope, value and owner."""

    id: UUID
    value: Decimal
    period: Period
    scope: Scope
    scope_ref: str
    owner_id: str
    ref: str | None = None


def achievement(
    actual: Decimal | None, target: Decimal | None, direction: Direction
) -> Decimal | None:
    """R-T4: actual/target when higher is better, target/actual when lower is; 4 places."""
    if actual is None or target is None:
        return None
    numerator, denominator = (actual, target) if direction is Direction.HIGHER else (target, actual)
    if denominator == 0:
        return None
    with localcontext(RATIO):
        return (numerator / denominator).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def roll_up(actuals: Sequence[tuple[Period, Decimal]], aggregation: Aggregation) -> Decimal | None:
    """R-T4: a parent's actual from its children's (period, actual) pairs."""
    if not actuals:
        return None
    values = [value for _, value in actuals]
    if aggregation is Aggregation.SUM:
        return exact_sum(values)
    if aggregation is Aggregation.AVERAGE:
        with localcontext(RATIO):
            return exact_sum(values) / len(values)
    return max(actuals, key=lambda pair: pair[0])[1]


class Target(Approvable):
    KIND = "target"

    ref: str | None
    metric: str
    unit: str
    direction: Direction
    aggregation: Aggregation
    period: Period
    scope: Scope
    scope_ref: str
    owner_id: str | None
    value: Decimal | None
    baseline: Decimal | None
    basis: str | None
    basis_research: tuple[UUID, ...]
    parent_id: UUID | None
    created_by: str
    status: str
    original_value: Decimal | None
    decompositions: dict[str, tuple[UUID, ...]]
    adjustments: list[Adjustment]
    measurements: list[Measurement]
    final: dict[str, object] | None

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        metric: str,
        unit: str,
        direction: Direction,
        aggregation: Aggregation,
        period: Period,
        scope: Scope,
        scope_ref: str,
        owner_id: str | None,
        value: Decimal | None,
        baseline: Decimal | None,
        basis: str | None,
        basis_research: tuple[UUID, ...],
        parent_id: UUID | None,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.metric = metric
        self.unit = unit
        self.direction = Direction(direction)
        self.aggregation = Aggregation(aggregation)
        self.period = period
        self.scope = Scope(scope)
        self.scope_ref = scope_ref
        self.owner_id = owner_id
        self.value = value
        self.baseline = baseline
        self.basis = basis
        self.basis_research = tuple(basis_research)
        self.parent_id = parent_id
        self.created_by = actor_id
        self.status = Status.DRAFT.value
        self.revision = 1
        self.submitted_by = None
        self.approval = None
        self.original_value = None
        self.decompositions = {}
        self.adjustments = []
        self.measurements = []
        self.final = None

    class Updated(LoopAggregate.Event):
        changes: dict[str, object]

        def apply(self, target: Target) -> None:
            for name, value in self.changes.items():
                if name == "basis_research":
                    value = tuple(value)  # type: ignore[arg-type]
                setattr(target, name, value)

    class Decomposed(LoopAggregate.Event):
        dimension: Dimension
        child_ids: tuple[UUID, ...]

        def apply(self, target: Target) -> None:
            target.decompositions = {
                **target.decompositions,
                Dimension(self.dimension).value: tuple(self.child_ids),
            }

    class Rejected(LoopAggregate.Event):
        reason: str

        def apply(self, target: Target) -> None:
            target.status = Status.DRAFT.value
            target.revision += 1

    class AdjustmentRequested(LoopAggregate.Event):
        to_value: Decimal
        reason: str
        analysis: str

        def apply(self, target: Target) -> None:
            assert target.value is not None  # approved targets always have a value
            target.adjustments.append(
                Adjustment(
                    number=len(target.adjustments) + 1,
                    from_value=target.value,
                    to_value=self.to_value,
                    reason=self.reason,
                    analysis=self.analysis,
                    requested_by=self.actor_id,
                )
            )

    class AdjustmentApproved(LoopAggregate.Event):
        revision: int

        def apply(self, target: Target) -> None:
            pending = target.adjustments[-1]
            target.adjustments[-1] = attrs.evolve(
                pending, decision="approved", decided_by=self.actor_id
            )
            target.value = pending.to_value
            target.revision = self.revision
            target.approval = Approval(self.actor_id, self.revision, self.timestamp)

    class AdjustmentRejected(LoopAggregate.Event):
        reason: str

        def apply(self, target: Target) -> None:
            target.adjustments[-1] = attrs.evolve(
                target.adjustments[-1],
                decision="rejected",
                decided_by=self.actor_id,
                decision_reason=self.reason,
            )

    class ActualRecorded(LoopAggregate.Event):
        value: Decimal
        as_of: date
        source: str

        def apply(self, target: Target) -> None:
            target.measurements.append(
                Measurement(self.value, self.as_of, self.source, self.actor_id)
            )

    class Closed(LoopAggregate.Event):
        final_actual: Decimal
        achievement: Decimal | None
        achievement_original: Decimal | None
        grade: str
        shortfall: bool

        def apply(self, target: Target) -> None:
            target.status = Status.CLOSED.value
            target.final = {
                "actual": self.final_actual,
                "achievement": self.achievement,
                "achievement_original": self.achievement_original,
                "grade": self.grade,
                "shortfall": self.shortfall,
            }

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def draft(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        metric: str,
        unit: str,
        period: Period,
        scope: Scope,
        scope_ref: str = "",
        direction: Direction = Direction.HIGHER,
        aggregation: Aggregation = Aggregation.SUM,
        owner_id: str | None = None,
        value: Decimal | None = None,
        baseline: Decimal | None = None,
        basis: str | None = None,
        basis_research: tuple[UUID, ...] = (),
        parent_id: UUID | None = None,
        ref: str | None = None,
    ) -> Target:
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            metric=metric.strip(),
            unit=unit.strip(),
            direction=direction,
            aggregation=aggregation,
            period=period,
            scope=scope,
            scope_ref=scope_ref.strip(),
            owner_id=owner_id,
            value=value,
            baseline=baseline,
            basis=basis,
            basis_research=tuple(basis_research),
            parent_id=parent_id,
        )

    EDITABLE = (
        "metric",
        "unit",
        "owner_id",
        "value",
        "baseline",
        "basis",
        "basis_research",
        "scope_ref",
    )

    def update(self, actor: Actor, at: datetime, **changes: object) -> None:
        """Fill in or correct a draft; an approved target changes only by adjustment (R-T3)."""
        self._require_status("R-T3", "edit", Status.DRAFT.value)
        unknown = set(changes) - set(self.EDITABLE)
        require(not unknown, "R-T1", f"fields {sorted(unknown)} cannot be edited")
        if "value" in changes and self.decompositions:
            raise RuleViolation(
                "R-T2", f"target {self.id} is decomposed; its value no longer changes in draft"
            )
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if changed:
            self._trigger(self.Updated, actor, at, changes=changed)

    def decompose(
        self, actor: Actor, at: datetime, dimension: Dimension, children: Sequence[ChildSpec]
    ) -> list[Target]:
        """R-T2: split into children that keep metric and unit and add up exactly."""
        self._require_status("R-T2", "decompose", Status.DRAFT.value, Status.APPROVED.value)
        require(
            dimension.value not in self.decompositions,
            "R-T2",
            f"target {self.id} is already decomposed by {dimension.value}",
        )
        require(len(children) >= 2, "R-T2", "a decomposition needs at least two children")
        require(self.value is not None, "R-T2", f"target {self.id} has no value to decompose")
        assert self.value is not None
        for child in children:
            require(
                self.period.contains(child.period),
                "R-T2",
                f"child period {child.period} lies outside parent period {self.period}",
            )
        if dimension is Dimension.PERIOD:
            self._check_period_split(children)
        else:
            self._check_scope_split(children)
        if self.aggregation is Aggregation.SUM:
            parts = exact_sum(child.value for child in children)
            require(
                parts == self.value,
                "R-T2",
                f"children add up to {parts} {self.unit}, parent is {self.value} {self.unit}"
                f" (difference {EXACT.subtract(self.value, parts)})",
            )
        created = [
            Target.draft(
                id=child.id,
                actor=actor,
                at=at,
                ref=child.ref,
                metric=self.metric,
                unit=self.unit,
                direction=self.direction,
                aggregation=self.aggregation,
                period=child.period,
                scope=child.scope,
                scope_ref=child.scope_ref,
                owner_id=child.owner_id,
                value=child.value,
                parent_id=self.id,
            )
            for child in children
        ]
        self._trigger(
            self.Decomposed,
            actor,
            at,
            dimension=dimension,
            child_ids=tuple(child.id for child in created),
        )
        return created

    def _check_period_split(self, children: Sequence[ChildSpec]) -> None:
        ordered = sorted(children, key=lambda child: child.period)
        for before, after in itertools.pairwise(ordered):
            require(
                before.period.end < after.period.start,
                "R-T2",
                f"child periods {before.period} and {after.period} overlap",
            )
        for child in children:
            require(
                child.period != self.period,
                "R-T2",
                f"a split by period needs periods shorter than {self.period}",
            )
            require(
                (child.scope, child.scope_ref) == (self.scope, self.scope_ref),
                "R-T2",
                "a split by period keeps the parent's scope",
            )

    def _check_scope_split(self, children: Sequence[ChildSpec]) -> None:
        refs = [child.scope_ref for child in children]
        require(len(set(refs)) == len(refs), "R-T2", "each child needs its own scope")
        for child in children:
            require(
                _SCOPE_DEPTH[child.scope] > _SCOPE_DEPTH[self.scope],
                "R-T2",
                f"a {child.scope.value} is not narrower than a {self.scope.value}",
            )
            require(
                bool(child.scope_ref),
                "R-T1",
                f"a {child.scope.value} target names its {child.scope.value}",
            )

    def on_approved(self) -> None:
        """The first approval fixes the original value that adjustments are measured against."""
        if self.original_value is None:
            self.original_value = self.value

    def submit(self, actor: Actor, at: datetime) -> None:
        """R-T1: only a SMART target can be submitted."""
        self._require_status("R-T1", "submit", Status.DRAFT.value)
        missing = self.missing_parts()
        require(
            not missing,
            "R-T1",
            f"target {self.ref or self.id} is not SMART, missing: {', '.join(missing)}",
        )
        self._trigger(self.Submitted, actor, at)

    def missing_parts(self) -> list[str]:
        """What R-T1 still needs: specific, measurable, assigned, relevant, time-bound."""
        missing = []
        if not self.metric:
            missing.append("metric (specific)")
        if self.scope is not Scope.COMPANY and not self.scope_ref:
            missing.append(f"which {self.scope.value} (specific)")
        if self.value is None:
            missing.append("numeric value (measurable)")
        if not self.unit:
            missing.append("unit (measurable)")
        if not self.owner_id:
            missing.append("owner (assigned)")
        if not (self.basis or self.basis_research or self.parent_id):
            missing.append("basis or parent target (relevant)")
        return missing

    def approve(self, actor: Actor, at: datetime) -> None:
        self._require_status("R-G5", "approve", Status.SUBMITTED.value)
        four_eyes(actor, self.owner_id, self.submitted_by, doing=f"approve target {self.id}")
        self._trigger(self.Approved, actor, at, revision=self.revision)

    def reject(self, actor: Actor, at: datetime, reason: str) -> None:
        self._require_status("R-G5", "reject", Status.SUBMITTED.value)
        four_eyes(actor, self.owner_id, self.submitted_by, doing=f"reject target {self.id}")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.Rejected, actor, at, reason=reason.strip())

    @property
    def pending_adjustment(self) -> Adjustment | None:
        if self.adjustments and self.adjustments[-1].decision == "pending":
            return self.adjustments[-1]
        return None

    def request_adjustment(
        self, actor: Actor, at: datetime, to_value: Decimal, reason: str, analysis: str
    ) -> None:
        """R-T3: an approved target changes value only through a reasoned request."""
        self._require_status("R-T3", "adjust", Status.APPROVED.value)
        require(
            self.pending_adjustment is None,
            "R-T3",
            f"target {self.id} already has adjustment #{len(self.adjustments)} pending",
        )
        require(bool(reason.strip()), "R-T3", "an adjustment request needs a reason")
        require(bool(analysis.strip()), "R-T3", "an adjustment request needs an analysis")
        require(to_value != self.value, "R-T3", f"the target is already {to_value}")
        self._trigger(
            self.AdjustmentRequested,
            actor,
            at,
            to_value=to_value,
            reason=reason.strip(),
            analysis=analysis.strip(),
        )

    def approve_adjustment(self, actor: Actor, at: datetime) -> None:
        pending = self._require_pending_adjustment()
        require(
            actor.id != self.owner_id,
            "R-T3",
            f"{actor.id} owns target {self.id} and cannot approve its adjustment",
        )
        four_eyes(actor, pending.requested_by, doing=f"approve an adjustment of target {self.id}")
        self._trigger(self.AdjustmentApproved, actor, at, revision=self.revision + 1)

    def reject_adjustment(self, actor: Actor, at: datetime, reason: str) -> None:
        pending = self._require_pending_adjustment()
        four_eyes(
            actor,
            pending.requested_by,
            self.owner_id,
            doing=f"reject an adjustment of target {self.id}",
        )
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.AdjustmentRejected, actor, at, reason=reason.strip())

    def _require_pending_adjustment(self) -> Adjustment:
        pending = self.pending_adjustment
        if pending is None:
            raise RuleViolation("R-T3", f"target {self.id} has no adjustment pending")
        return pending

    def record_actual(
        self, actor: Actor, at: datetime, value: Decimal, as_of: date, source: str
    ) -> None:
        """R-T4: measurements go on approved targets only."""
        self._require_status("R-T4", "record an actual on", Status.APPROVED.value)
        require(bool(source.strip()), "R-T4", "a measurement names its source")
        self._trigger(
            self.ActualRecorded, actor, at, value=value, as_of=as_of, source=source.strip()
        )

    @property
    def actual(self) -> Decimal | None:
        """The latest measurement by as-of date (the last recorded wins a tie)."""
        if not self.measurements:
            return None
        return max(enumerate(self.measurements), key=lambda im: (im[1].as_of, im[0]))[1].value

    def close(
        self, actor: Actor, at: datetime, final_actual: Decimal | None, grades: Grades
    ) -> None:
        """R-T5: after the period, close with the final achievement; a fail is a shortfall."""
        self._require_status("R-T5", "close", Status.APPROVED.value)
        require(
            self.period.has_ended(at.date()),
            "R-T5",
            f"period {self.period} runs until {self.period.end}; it is {at.date()}",
        )
        require(final_actual is not None, "R-T5", f"target {self.id} has no actual to close with")
        assert final_actual is not None
        adjusted = achievement(final_actual, self.value, self.direction)
        original = achievement(final_actual, self.original_value, self.direction)
        grade = grades.grade(adjusted) if adjusted is not None else "fail"
        self._trigger(
            self.Closed,
            actor,
            at,
            final_actual=final_actual,
            achievement=adjusted,
            achievement_original=original,
            grade=grade,
            shortfall=grade == "fail",
        )


class Measured(Protocol):
    """What a roll-up reads of a target: a target, or the facts a view keeps of one."""

    @property
    def actual(self) -> Decimal | None: ...
    @property
    def period(self) -> Period: ...
    @property
    def aggregation(self) -> Aggregation: ...
    @property
    def decompositions(self) -> Mapping[str, Sequence[UUID]]: ...


def current_actual(target: Measured, load: Callable[[UUID], Measured]) -> Decimal | None:
    """R-T4: the latest measurement, or else the roll-up of the children's actuals."""
    if target.actual is not None:
        return target.actual
    for dimension in (Dimension.PERIOD.value, Dimension.SCOPE.value):
        child_ids = target.decompositions.get(dimension)
        if not child_ids:
            continue
        pairs: list[tuple[Period, Decimal]] = []
        for child_id in child_ids:
            child = load(child_id)
            actual = current_actual(child, load)
            if actual is not None:
                pairs.append((child.period, actual))
        return roll_up(pairs, target.aggregation)
    return None
