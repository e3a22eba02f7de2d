"""Review (营销效果评估): monthly, quarterly and annual reviews of a scope, graded, with findings.

Lifecycle: open → evaluated → finalised. ``evaluate`` reads the evidence of the period
(targets, activities, research coverage) into metric results and findings; it can run again
while the review is not finalised (new evidence adds findings, never removes one). Reviewers
add metrics and findings of their own meanwhile. Finalising needs the evaluation, the
period's end (R-E1), someone other than the review's author (R-G1: the author reports, a
second person signs off) and every finding covered by a rectification or an approved
waiver (R-E4, L3).

Due dates (R-E1, policy ``review``): a monthly review by ``monthly_due_day`` of the next
month; a quarterly one by the same day of the month after the quarter (the quarter's
review comes with that month's); an annual one by the end of ``annual_due_month`` of the
next year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import cast
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import NotFound, RuleViolation, require
from closedloop.domain.money import RATIO, exact_sum
from closedloop.domain.period import Granularity, Period
from closedloop.domain.policy import Grades, ReviewPolicy
from closedloop.domain.target import Direction, Scope, Target, achievement
from closedloop.domain.target import Status as TargetStatus


class Cycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


_CYCLES = {
    Granularity.MONTH: Cycle.MONTHLY,
    Granularity.QUARTER: Cycle.QUARTERLY,
    Granularity.YEAR: Cycle.ANNUAL,
}


class Category(StrEnum):
    """R-E2: what a metric measures."""

    SALES = "sales"  # revenue, volume, growth, share
    CUSTOMER = "customer"  # satisfaction, repeat purchase, referral, new customers, churn
    MARKET = "market"  # awareness, share
    COST = "cost"  # ROI, budget use
    INFORMATION = "information"  # information quality


#: Words in a target's metric that place it in a category other than sales (R-E2).
_CATEGORY_WORDS = {
    Category.CUSTOMER: ("customer", "satisfaction", "repeat", "referral", "churn", "loyalty"),
    Category.MARKET: ("awareness", "brand", "reputation"),
    Category.COST: ("roi", "cost", "budget", "spend"),
    Category.INFORMATION: ("information", "data quality", "completeness"),
}


def category_of(metric: str) -> Category:
    """The category of a target's metric; sales unless its name says otherwise."""
    name = metric.casefold()
    for category, words in _CATEGORY_WORDS.items():
        if any(word in name for word in words):
            return category
    return Category.SALES


class FindingSource(StrEnum):
    """R-E4: what a finding was found in."""

    TARGET = "target"  # a target of the period graded fail (R-T5)
    METRIC = "metric"  # a metric recorded by a reviewer, graded fail
    ACTIVITY = "activity_objective"  # an activity objective missed (R-A8)
    RESEARCH = "research_coverage"  # too few comprehensive studies in the year (R-R1)
    COMPLAINT = "complaint"  # a complaint's SLA missed (R-C7)
    RISK_REVIEW = "risk_review"  # a risk's review came late or not at all (R-K4)
    REVIEWER = "reviewer"  # added by a reviewer


class Status(StrEnum):
    OPEN = "open"
    EVALUATED = "evaluated"
    FINALISED = "finalised"


_CHANGEABLE = (Status.OPEN.value, Status.EVALUATED.value)


def due_date(period: Period, policy: ReviewPolicy) -> date:
    """R-E1: when the review of ``period`` is due (see the module docstring)."""
    if period.granularity is Granularity.YEAR:
        return Period(period.year + 1, Granularity.MONTH, policy.annual_due_month).end
    return (period.end + timedelta(days=1)).replace(day=policy.monthly_due_day)


def percent(ratio: Decimal) -> str:
    """``0.7500`` → ``75.00 %``."""
    return f"{ratio * 100:.2f} %"


@attrs.frozen
class MetricResult:
    """R-E2: one measured result of the period; ``target_id`` when generated from a target."""

    name: str
    category: Category = attrs.field(converter=Category)
    unit: str
    direction: Direction = attrs.field(converter=Direction)
    actual: Decimal | None
    target: Decimal | None
    achievement: Decimal | None
    grade: str | None  # R-E3
    target_id: UUID | None
    recorded_by: str

    @property
    def key(self) -> str:
        """Recording a metric again replaces it: one result per target, or per name."""
        return str(self.target_id) if self.target_id else self.name.casefold()


def metric(
    *,
    name: str,
    category: Category,
    unit: str,
    direction: Direction,
    actual: Decimal | None,
    target: Decimal | None,
    grades: Grades,
    recorded_by: str,
) -> MetricResult:
    """A reviewer's metric result, with achievement (R-T4) and grade (R-E3) computed now."""
    ratio, grade = _graded(actual, target, direction, grades)
    return MetricResult(
        name=name,
        category=category,
        unit=unit,
        direction=direction,
        actual=actual,
        target=target,
        achievement=ratio,
        grade=grade,
        target_id=None,
        recorded_by=recorded_by,
    )


def _graded(
    actual: Decimal | None, target: Decimal | None, direction: Direction, grades: Grades
) -> tuple[Decimal | None, str | None]:
    """Achievement (R-T4) and its grade (R-E3); neither without an actual and a target."""
    ratio = achievement(actual, target, direction)
    return ratio, grades.grade(ratio) if ratio is not None else None


def target_metric(
    target: Target, actual: Decimal | None, grades: Grades, recorded_by: str
) -> MetricResult:
    """R-E2: a target's result. A closed target keeps what it closed with (R-T5): its
    ``final`` grade is fail exactly when it closed with a shortfall."""
    final = target.final
    if final is not None:
        actual = cast(Decimal, final["actual"])
        ratio = cast(Decimal | None, final["achievement"])
        grade: str | None = cast(str, final["grade"])
    else:
        ratio, grade = _graded(actual, target.value, target.direction, grades)
    return MetricResult(
        name=f"{target.metric} ({target.ref or target.id})",
        category=category_of(target.metric),
        unit=target.unit,
        direction=target.direction,
        actual=actual,
        target=target.value,
        achievement=ratio,
        grade=grade,
        target_id=target.id,
        recorded_by=recorded_by,
    )


def overall_achievement(metrics: Iterable[MetricResult]) -> Decimal | None:
    """R-E3: the mean achievement of the metrics that have one (4 places)."""
    ratios = [m.achievement for m in metrics if m.achievement is not None]
    if not ratios:
        return None
    with localcontext(RATIO):
        mean = exact_sum(ratios) / len(ratios)
        return mean.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


@attrs.frozen
class Shortfall:
    """Evidence of a shortfall that becomes a finding (R-E4), once per source."""

    source: FindingSource = attrs.field(converter=FindingSource)
    source_ref: str
    description: str


@attrs.frozen
class Finding:
    """R-E4: a shortfall, covered by a rectification or a waiver approved by leadership."""

    id: str
    description: str
    source: FindingSource = attrs.field(converter=FindingSource)
    source_ref: str | None
    cause_code: str | None
    raised_by: str
    recurrence_of: UUID | None  # R-X6: the rectification with this cause code closed lately
    recurrence_count: int


@attrs.frozen
class Waiver:
    reason: str
    requested_by: str
    approved_by: str | None = None


@attrs.frozen
class Finalisation:
    """R-E1, R-E3: who finalised it, when, whether on time, and its overall grade."""

    actor_id: str
    at: datetime
    on_time: bool
    achievement: Decimal | None
    grade: str | None


class Review(LoopAggregate):
    KIND = "review"

    ref: str | None
    period: Period
    scope: Scope
    scope_ref: str
    due: date
    author_id: str
    status: str
    metrics: list[MetricResult]
    findings: list[Finding]
    rectifications: dict[str, UUID]  # finding id → rectification raised from it
    waivers: dict[str, Waiver]  # finding id → waiver
    finalisation: Finalisation | None

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        period: Period,
        scope: Scope,
        scope_ref: str,
        due: date,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.period = period
        self.scope = Scope(scope)
        self.scope_ref = scope_ref
        self.due = due
        self.author_id = actor_id
        self.status = Status.OPEN.value
        self.metrics = []
        self.findings = []
        self.rectifications = {}
        self.waivers = {}
        self.finalisation = None

    class MetricRecorded(LoopAggregate.Event):
        metric: MetricResult

        def apply(self, review: Review) -> None:
            review.metrics = _upserted(review.metrics, [self.metric])

    class Evaluated(LoopAggregate.Event):
        metrics: tuple[MetricResult, ...]
        findings: tuple[Finding, ...]

        def apply(self, review: Review) -> None:
            review.status = Status.EVALUATED.value
            review.metrics = _upserted(review.metrics, self.metrics)
            review.findings = [*review.findings, *self.findings]

    class FindingAdded(LoopAggregate.Event):
        finding: Finding

        def apply(self, review: Review) -> None:
            review.findings = [*review.findings, self.finding]

    class FindingRectificationLinked(LoopAggregate.Event):
        finding_id: str
        rectification_id: UUID

        def apply(self, review: Review) -> None:
            review.rectifications = {
                **review.rectifications,
                self.finding_id: self.rectification_id,
            }

    class WaiverRequested(LoopAggregate.Event):
        finding_id: str
        reason: str

        def apply(self, review: Review) -> None:
            review.waivers = {**review.waivers, self.finding_id: Waiver(self.reason, self.actor_id)}

    class WaiverApproved(LoopAggregate.Event):
        finding_id: str

        def apply(self, review: Review) -> None:
            waiver = attrs.evolve(review.waivers[self.finding_id], approved_by=self.actor_id)
            review.waivers = {**review.waivers, self.finding_id: waiver}

    class Finalised(LoopAggregate.Event):
        on_time: bool
        achievement: Decimal | None
        grade: str | None

        def apply(self, review: Review) -> None:
            review.status = Status.FINALISED.value
            review.finalisation = Finalisation(
                self.actor_id, self.timestamp, self.on_time, self.achievement, self.grade
            )

    # --- derived state ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def cycle(self) -> Cycle:
        return _CYCLES[self.period.granularity]

    def covers(self, target: Target) -> bool:
        """R-E2: an approved or closed target of exactly this period and scope."""
        return (
            target.status in (TargetStatus.APPROVED.value, TargetStatus.CLOSED.value)
            and target.period == self.period
            and target.scope is self.scope
            and target.scope_ref == self.scope_ref
        )

    def covers_activity(self, owner_id: str, last_day: date) -> bool:
        """R-E4: an activity that ended in the period: any, in a company review; the
        person's own, in a person's (activities belong to no team)."""
        if not self.period.contains(last_day):
            return False
        if self.scope is Scope.COMPANY:
            return True
        return self.scope is Scope.PERSON and owner_id == self.scope_ref

    def finding(self, finding_id: str) -> Finding:
        for finding in self.findings:
            if finding.id == finding_id:
                return finding
        raise NotFound(f"review {self.label} has no finding {finding_id}")

    def covered_by(self, finding_id: str) -> str | None:
        """R-E4: ``rectification``, ``waiver`` (approved) or None (still open)."""
        if finding_id in self.rectifications:
            return "rectification"
        waiver = self.waivers.get(finding_id)
        if waiver is not None and waiver.approved_by is not None:
            return "waiver"
        return None

    def uncovered(self) -> list[str]:
        return [f.id for f in self.findings if self.covered_by(f.id) is None]

    def source_label(self, finding_id: str) -> str:
        """How a rectification raised from a finding names its source (R-X1)."""
        return f"{self.label}#{finding_id}"

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        period: Period,
        scope: Scope,
        scope_ref: str,
        policy: ReviewPolicy,
        ref: str | None = None,
    ) -> Review:
        """R-E1: a monthly, quarterly or annual review of the company, a team or a person."""
        scope_ref = scope_ref.strip()
        if scope is Scope.COMPANY:
            require(not scope_ref, "R-E1", "a company review names no team or person")
        else:
            require(bool(scope_ref), "R-E1", f"a {scope.value} review names its {scope.value}")
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            period=period,
            scope=scope,
            scope_ref=scope_ref,
            due=due_date(period, policy),
        )

    def record_metric(self, actor: Actor, at: datetime, result: MetricResult) -> None:
        """R-E2: a reviewer's result (customer, market, cost, information …); the same name
        again corrects it."""
        self._require_status("R-E2", "record a metric on", *_CHANGEABLE)
        require(bool(result.name.strip()), "R-E2", "a metric has a name")
        self._trigger(self.MetricRecorded, actor, at, metric=result)

    def evaluate(
        self,
        actor: Actor,
        at: datetime,
        metrics: Sequence[MetricResult],
        shortfalls: Sequence[Shortfall],
    ) -> list[Finding]:
        """R-E2, R-E4: record the targets' results, and make a finding of every shortfall
        not found before: each metric graded fail, and ``shortfalls`` (activities, research).
        Returns the new findings."""
        self._require_status("R-E4", "evaluate", *_CHANGEABLE)
        results = _upserted(self.metrics, metrics)
        evidence = [
            Shortfall(
                FindingSource.TARGET if m.target_id else FindingSource.METRIC,
                str(m.target_id) if m.target_id else m.name,
                f"{m.name}: {m.actual} {m.unit} against {m.target} {m.unit}, achievement "
                f"{percent(m.achievement) if m.achievement is not None else 'unknown'}, "
                "graded fail",
            )
            for m in results
            if m.grade == "fail"
        ]
        known = {(f.source, f.source_ref) for f in self.findings}
        new: list[Finding] = []
        for shortfall in [*evidence, *shortfalls]:
            if (shortfall.source, shortfall.source_ref) in known:
                continue
            known.add((shortfall.source, shortfall.source_ref))
            new.append(
                Finding(
                    id=f"F{len(self.findings) + len(new) + 1}",
                    description=shortfall.description,
                    source=shortfall.source,
                    source_ref=shortfall.source_ref,
                    cause_code=None,
                    raised_by=actor.id,
                    recurrence_of=None,
                    recurrence_count=0,
                )
            )
        self._trigger(self.Evaluated, actor, at, metrics=tuple(metrics), findings=tuple(new))
        return new

    def add_finding(
        self,
        actor: Actor,
        at: datetime,
        description: str,
        cause_code: str | None,
        recurrence_of: UUID | None,
        recurrence_count: int,
    ) -> Finding:
        """R-E4: a reviewer's finding; with a cause code it may recur a closed
        rectification's problem (R-X6: ``recurrence_of``)."""
        self._require_status("R-E4", "add a finding to", *_CHANGEABLE)
        require(bool(description.strip()), "R-E4", "a finding describes the shortfall")
        finding = Finding(
            id=f"F{len(self.findings) + 1}",
            description=description.strip(),
            source=FindingSource.REVIEWER,
            source_ref=None,
            cause_code=cause_code,
            raised_by=actor.id,
            recurrence_of=recurrence_of,
            recurrence_count=recurrence_count,
        )
        self._trigger(self.FindingAdded, actor, at, finding=finding)
        return finding

    def link_rectification(
        self, actor: Actor, at: datetime, finding_id: str, rectification_id: UUID
    ) -> None:
        """R-E4: the finding is covered by the rectification raised from it (same save)."""
        self._require_open_finding(finding_id, "raise a rectification for")
        self._trigger(
            self.FindingRectificationLinked,
            actor,
            at,
            finding_id=finding_id,
            rectification_id=rectification_id,
        )

    def request_waiver(self, actor: Actor, at: datetime, finding_id: str, reason: str) -> None:
        """R-E4: ask leadership to accept a finding without rectification, with a reason."""
        self._require_open_finding(finding_id, "waive")
        pending = self.waivers.get(finding_id)
        require(
            pending is None,
            "R-E4",
            f"finding {finding_id} of review {self.label} already has a waiver requested",
        )
        require(bool(reason.strip()), "R-E4", "a waiver request needs a reason")
        self._trigger(self.WaiverRequested, actor, at, finding_id=finding_id, reason=reason.strip())

    def approve_waiver(self, actor: Actor, at: datetime, finding_id: str) -> None:
        """R-E4: leadership (permission ``waive_findings``) approves; never who asked (R-G1)."""
        self._require_open_finding(finding_id, "approve a waiver of")
        waiver = self.waivers.get(finding_id)
        if waiver is None:
            raise RuleViolation(
                "R-E4", f"finding {finding_id} of review {self.label} has no waiver requested"
            )
        four_eyes(actor, waiver.requested_by, doing=f"approve the waiver of finding {finding_id}")
        self._trigger(self.WaiverApproved, actor, at, finding_id=finding_id)

    def _require_open_finding(self, finding_id: str, doing: str) -> None:
        self._require_status("R-E4", f"{doing} a finding of", *_CHANGEABLE)
        self.finding(finding_id)
        covered = self.covered_by(finding_id)
        require(
            covered is None,
            "R-E4",
            f"finding {finding_id} of review {self.label} is already covered by a {covered}",
        )

    def finalise(self, actor: Actor, at: datetime, grades: Grades) -> None:
        """R-E1 after the period; R-E4 every finding covered (L3); R-G1 not by the author.
        Records whether it was on time and the overall grade (R-E3)."""
        if self.status == Status.OPEN.value:
            raise RuleViolation(
                "R-E4",
                f"review {self.label} has not been evaluated: generate its findings from "
                "the evidence first",
            )
        self._require_status("R-E4", "finalise", Status.EVALUATED.value)
        require(
            self.period.has_ended(at.date()),
            "R-E1",
            f"period {self.period} runs until {self.period.end}; it is {at.date()}",
        )
        four_eyes(actor, self.author_id, doing=f"finalise review {self.label}")
        uncovered = self.uncovered()
        require(
            not uncovered,
            "R-E4",
            f"findings {', '.join(uncovered)} of review {self.label} have neither a "
            "rectification nor an approved waiver",
        )
        ratio = overall_achievement(self.metrics)
        self._trigger(
            self.Finalised,
            actor,
            at,
            on_time=at.date() <= self.due,
            achievement=ratio,
            grade=grades.grade(ratio) if ratio is not None else None,
        )


def _upserted(
    metrics: Sequence[MetricResult], updates: Iterable[MetricResult]
) -> list[MetricResult]:
    """``metrics`` with each of ``updates`` replacing the one of the same key, or added."""
    by_key = {m.key: m for m in metrics}
    for update in updates:
        by_key[update.key] = update
    return list(by_key.values())
