"""Risk (风险): registered, assessed on the matrix, treated, monitored, reviewed, closed.

Lifecycle: identified → assessed → treating (a response planned) → monitoring → closed.

- Assessment (R-K1, R-K3): each one looks its level up in the policy's grid and stores that
  grid, so a later policy change never rewrites it. The first is the *inherent* level (before
  any treatment); later ones are *current* unless named *residual* (what is expected to
  remain once the treatment works). Every assessment is kept; the view shows the latest of
  each side by side. The current level (latest inherent or current) governs R-K2 and R-K4.
- Treatment (R-K2): avoid, mitigate or transfer with measures (owner, due date), or an
  acceptance (reason, expiry; by ``leadership`` for a high risk), which can be revoked.
  A high risk is monitored only with such a plan in force.
- Reviews (R-K4): due a cadence after the last review or assessment, by the current level;
  a review or assessment after its due date records the missed date (late reviews).
- Occurrence (R-K5): what happened, with the rectification it raised in the same save.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput, NotFound, RuleViolation, require
from closedloop.domain.plan import LEADERSHIP
from closedloop.domain.policy import ReviewCadence
from closedloop.domain.risk_matrix import Grid, Level


class Category(StrEnum):
    MARKET = "market"  # 市场风险
    ACTIVITY = "activity"  # 营销活动风险
    CUSTOMER = "customer"  # 客户风险
    LEGAL = "legal"  # 法律法规风险 (legal and compliance)


class SourceKind(StrEnum):
    """What a risk was found in; customers are named by their reference."""

    TARGET = "target"
    ACTIVITY = "activity"
    CUSTOMER = "customer"


class Response(StrEnum):
    AVOID = "avoid"
    MITIGATE = "mitigate"
    TRANSFER = "transfer"
    ACCEPT = "accept"


class Stage(StrEnum):
    """R-K3: which level an assessment gives."""

    INHERENT = "inherent"
    CURRENT = "current"
    RESIDUAL = "residual"


class Status(StrEnum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    TREATING = "treating"
    MONITORING = "monitoring"
    CLOSED = "closed"


_ASSESSED = (Status.ASSESSED.value, Status.TREATING.value, Status.MONITORING.value)
_OPEN = (Status.IDENTIFIED.value, *_ASSESSED)


@attrs.frozen
class SourceLink:
    kind: SourceKind = attrs.field(converter=SourceKind)
    ref: str


@attrs.frozen
class Assessment:
    """R-K1, R-K3: one assessment, with the grid its level was looked up in."""

    number: int
    stage: Stage
    likelihood: str
    impact: str
    level: Level
    grid: Grid
    note: str
    actor_id: str
    at: datetime


@attrs.frozen
class Measure:
    """R-K2: one step of the response, with its owner and due date."""

    id: str
    what: str
    owner_id: str
    due: date
    done_on: date | None = None
    done_by: str | None = None


@attrs.frozen
class Acceptance:
    """R-K2: a risk accepted as it is, at ``level``, until ``expires_on``; revocable."""

    reason: str
    expires_on: date
    level: Level
    actor_id: str
    at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    def in_force(self, today: date) -> bool:
        return self.revoked_by is None and today <= self.expires_on


@attrs.frozen
class RiskReview:
    """R-K4: a periodic review; ``missed`` is the due date it came after, if it was late."""

    number: int
    note: str
    missed: date | None
    next_due: date
    actor_id: str
    at: datetime


@attrs.frozen
class Occurrence:
    """R-K5: the risk happened; ``rectification_id`` was raised in the same save."""

    number: int
    what_happened: str
    occurred_on: date
    rectification_id: UUID
    actor_id: str
    at: datetime


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` later, on the month's last day when it is shorter (Jan 31 → Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def review_overdue(status: str, due: date | None, today: date) -> bool:
    """R-K4: open, and past the date its next review was due."""
    return status in _OPEN and due is not None and today > due


def acceptance_expiring(status: str, expires_on: date, revoked: bool, horizon: date) -> bool:
    """R-K2: an acceptance of an open risk, not revoked, whose expiry falls by ``horizon``
    (expired and not replaced included)."""
    return not revoked and status != Status.CLOSED.value and expires_on <= horizon


class Risk(LoopAggregate):
    KIND = "risk"

    ref: str | None
    title: str
    description: str
    category: Category
    sources: tuple[SourceLink, ...]
    owner_id: str
    status: str
    assessments: list[Assessment]
    response: Response | None
    treatment_plan: str | None
    measures: list[Measure]
    acceptance: Acceptance | None
    reviews: list[RiskReview]
    next_review_due: date | None
    missed_reviews: list[date]
    occurrences: list[Occurrence]
    closing_reason: str | None

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        title: str,
        description: str,
        category: Category,
        sources: tuple[SourceLink, ...],
        owner_id: str,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.title = title
        self.description = description
        self.category = Category(category)
        self.sources = tuple(sources)
        self.owner_id = owner_id
        self.status = Status.IDENTIFIED.value
        self.assessments = []
        self.response = None
        self.treatment_plan = None
        self.measures = []
        self.acceptance = None
        self.reviews = []
        self.next_review_due = None
        self.missed_reviews = []
        self.occurrences = []
        self.closing_reason = None

    class Assessed(LoopAggregate.Event):
        stage: str
        likelihood: str
        impact: str
        level: str
        grid: Grid
        note: str
        missed: date | None
        next_review_due: date | None

        def apply(self, risk: Risk) -> None:
            risk.assessments.append(
                Assessment(
                    number=len(risk.assessments) + 1,
                    stage=Stage(self.stage),
                    likelihood=self.likelihood,
                    impact=self.impact,
                    level=Level(self.level),
                    grid=self.grid,
                    note=self.note,
                    actor_id=self.actor_id,
                    at=self.timestamp,
                )
            )
            if risk.status == Status.IDENTIFIED.value:
                risk.status = Status.ASSESSED.value
            if self.missed is not None:
                risk.missed_reviews.append(self.missed)
            risk.next_review_due = self.next_review_due

    class TreatmentPlanned(LoopAggregate.Event):
        response: str
        plan: str

        def apply(self, risk: Risk) -> None:
            risk.status = Status.TREATING.value
            risk.response = Response(self.response)
            risk.treatment_plan = self.plan

    class MeasureAdded(LoopAggregate.Event):
        measure_id: str
        what: str
        owner_id: str
        due: date

        def apply(self, risk: Risk) -> None:
            risk.measures.append(Measure(self.measure_id, self.what, self.owner_id, self.due))

    class MeasureCompleted(LoopAggregate.Event):
        measure_id: str
        done_on: date

        def apply(self, risk: Risk) -> None:
            risk.measures = [
                attrs.evolve(m, done_on=self.done_on, done_by=self.actor_id)
                if m.id == self.measure_id
                else m
                for m in risk.measures
            ]

    class Accepted(LoopAggregate.Event):
        reason: str
        expires_on: date
        level: str

        def apply(self, risk: Risk) -> None:
            risk.status = Status.TREATING.value
            risk.response = Response.ACCEPT
            risk.treatment_plan = self.reason
            risk.acceptance = Acceptance(
                self.reason, self.expires_on, Level(self.level), self.actor_id, self.timestamp
            )

    class AcceptanceRevoked(LoopAggregate.Event):
        reason: str

        def apply(self, risk: Risk) -> None:
            assert risk.acceptance is not None  # revoked only when there is one
            risk.acceptance = attrs.evolve(
                risk.acceptance,
                revoked_by=self.actor_id,
                revoked_at=self.timestamp,
                revoke_reason=self.reason,
            )
            risk.status = Status.TREATING.value

    class MonitoringStarted(LoopAggregate.Event):
        def apply(self, risk: Risk) -> None:
            risk.status = Status.MONITORING.value

    class Reviewed(LoopAggregate.Event):
        note: str
        missed: date | None
        next_review_due: date

        def apply(self, risk: Risk) -> None:
            risk.reviews.append(
                RiskReview(
                    number=len(risk.reviews) + 1,
                    note=self.note,
                    missed=self.missed,
                    next_due=self.next_review_due,
                    actor_id=self.actor_id,
                    at=self.timestamp,
                )
            )
            if self.missed is not None:
                risk.missed_reviews.append(self.missed)
            risk.next_review_due = self.next_review_due

    class OccurrenceRecorded(LoopAggregate.Event):
        what_happened: str
        occurred_on: date
        rectification_id: UUID

        def apply(self, risk: Risk) -> None:
            risk.occurrences.append(
                Occurrence(
                    number=len(risk.occurrences) + 1,
                    what_happened=self.what_happened,
                    occurred_on=self.occurred_on,
                    rectification_id=self.rectification_id,
                    actor_id=self.actor_id,
                    at=self.timestamp,
                )
            )

    class Closed(LoopAggregate.Event):
        reason: str

        def apply(self, risk: Risk) -> None:
            risk.status = Status.CLOSED.value
            risk.closing_reason = self.reason
            risk.next_review_due = None

    # --- derived state ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    def latest(self, *stages: Stage) -> Assessment | None:
        found = [a for a in self.assessments if a.stage in stages]
        return found[-1] if found else None

    @property
    def inherent(self) -> Assessment | None:
        return self.latest(Stage.INHERENT)

    @property
    def current(self) -> Assessment | None:
        """R-K3: the latest inherent or current assessment; it governs R-K2 and R-K4."""
        return self.latest(Stage.INHERENT, Stage.CURRENT)

    @property
    def residual(self) -> Assessment | None:
        return self.latest(Stage.RESIDUAL)

    @property
    def level(self) -> Level | None:
        current = self.current
        return current.level if current is not None else None

    @property
    def next_occurrence(self) -> int:
        return len(self.occurrences) + 1

    def occurrence_label(self, number: int) -> str:
        """How a rectification raised by an occurrence names its source (R-X1)."""
        return f"risk {self.label} occurrence {number}"

    def review_late(self, today: date) -> bool:
        """R-K4: open, and past the date its next review was due."""
        return review_overdue(self.status, self.next_review_due, today)

    def late_reviews(self, today: date) -> list[date]:
        """R-K4: every due date passed without a review: the missed ones, and the one open."""
        pending = [self.next_review_due] if self.review_late(today) else []
        return [*self.missed_reviews, *(due for due in pending if due is not None)]

    def treatment_gaps(self, today: date) -> list[str]:
        """R-K2: what a high risk still lacks before it can be monitored (empty if nothing)."""
        if self.level is not Level.HIGH:
            return []
        if self.response is None:
            return ["a response (avoid, mitigate, transfer or accept)"]
        if self.response is Response.ACCEPT:
            acceptance = self.acceptance
            if acceptance is None or not acceptance.in_force(today):
                return ["an acceptance in force"]
            if acceptance.level is not Level.HIGH:
                return ["an acceptance of the high level by leadership"]
            return []
        if not self.measures:
            return ["a measure with an owner and a due date"]
        return []

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise NotFound(f"risk {self.label} has no measure {measure_id}")

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        title: str,
        description: str,
        category: Category,
        sources: tuple[SourceLink, ...],
        owner_id: str,
        ref: str | None = None,
    ) -> Risk:
        """A risk in the register: what it is, its category, where it was found, its owner."""
        if not title.strip():
            raise InvalidInput("a risk has a title")
        if not owner_id.strip():
            raise InvalidInput("a risk has an owner")
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            title=title.strip(),
            description=description.strip(),
            category=Category(category),
            sources=tuple(sources),
            owner_id=owner_id.strip(),
        )

    def assess(
        self,
        actor: Actor,
        at: datetime,
        *,
        likelihood: str,
        impact: str,
        stage: Stage | None,
        note: str,
        grid: Grid,
        cadence: ReviewCadence,
    ) -> Assessment:
        """R-K1: the level from ``grid`` (stored with it); R-K3: kept with every earlier one.

        Without ``stage`` the first assessment is the inherent one and later ones current.
        An inherent or current assessment reviews the risk (R-K4): the next review is due
        a cadence later, by its level.
        """
        self._require_status("R-K3", "assess", *_OPEN)
        chosen = stage or (Stage.CURRENT if self.assessments else Stage.INHERENT)
        if chosen is Stage.RESIDUAL:
            require(
                self.current is not None,
                "R-K3",
                f"risk {self.label} has no inherent or current level yet: a residual level "
                "is assessed against one",
            )
        level = grid.level(likelihood, impact)
        if chosen is Stage.RESIDUAL:
            missed, next_due = None, self.next_review_due
        else:
            missed = self._missed(at)
            next_due = add_months(at.date(), cadence.months(level))
        self._trigger(
            self.Assessed,
            actor,
            at,
            stage=chosen.value,
            likelihood=likelihood.strip().lower(),
            impact=impact.strip().lower(),
            level=level.value,
            grid=grid,
            note=note.strip(),
            missed=missed,
            next_review_due=next_due,
        )
        return self.assessments[-1]

    def _missed(self, at: datetime) -> date | None:
        due = self.next_review_due
        return due if due is not None and at.date() > due else None

    def _require_assessed(self, rule: str, doing: str) -> None:
        if self.status == Status.IDENTIFIED.value:
            raise RuleViolation(rule, f"cannot {doing} risk {self.label}: assess it first")
        self._require_status(rule, doing, *_ASSESSED)

    def plan_treatment(self, actor: Actor, at: datetime, response: Response, plan: str) -> None:
        """R-K2: avoid, mitigate or transfer, with what is planned; accepting is
        :meth:`accept` (a reason and an expiry)."""
        self._require_assessed("R-K2", "plan the treatment of")
        if Response(response) is Response.ACCEPT:
            raise InvalidInput(
                f"accept risk {self.label} with risk.accept: it needs a reason and an expiry"
            )
        require(bool(plan.strip()), "R-K2", "a response plan says what is done")
        self._trigger(self.TreatmentPlanned, actor, at, response=response.value, plan=plan.strip())

    def add_measure(
        self, actor: Actor, at: datetime, *, what: str, owner_id: str, due: date
    ) -> Measure:
        """R-K2: a step of an avoid, mitigate or transfer response, with owner and due date."""
        self._require_assessed("R-K2", "add a measure to")
        require(
            self.response not in (None, Response.ACCEPT),
            "R-K2",
            f"risk {self.label} has no avoid, mitigate or transfer response planned",
        )
        require(bool(what.strip()), "R-K2", "a measure states what is done")
        require(bool(owner_id.strip()), "R-K2", "every measure has an owner")
        require(due >= at.date(), "R-K2", f"a measure's due date {due} has already passed")
        measure_id = f"M{len(self.measures) + 1}"
        self._trigger(
            self.MeasureAdded,
            actor,
            at,
            measure_id=measure_id,
            what=what.strip(),
            owner_id=owner_id.strip(),
            due=due,
        )
        return self.measure(measure_id)

    def complete_measure(self, actor: Actor, at: datetime, measure_id: str) -> None:
        self._require_assessed("R-K2", "complete a measure of")
        require(
            not self.measure(measure_id).done_on,
            "R-K2",
            f"measure {measure_id} of risk {self.label} is already done",
        )
        self._trigger(self.MeasureCompleted, actor, at, measure_id=measure_id, done_on=at.date())

    def accept(self, actor: Actor, at: datetime, reason: str, expires_on: date) -> None:
        """R-K2: accept the risk as it is, with a reason, until ``expires_on``; a high risk
        only by leadership, never by its owner. Accepting again renews it."""
        self._require_assessed("R-K2", "accept")
        level = self.level
        assert level is not None  # assessed
        four_eyes(actor, self.owner_id, doing=f"accept risk {self.label}", rule="R-K2")
        if level is Level.HIGH:
            require(
                actor.has_role(LEADERSHIP),
                "R-K2",
                f"risk {self.label} is high: only leadership accepts it, not {actor.id}",
            )
        require(bool(reason.strip()), "R-K2", "an acceptance states its reason")
        require(
            expires_on > at.date(),
            "R-K2",
            f"an acceptance expires after today ({at.date()}), not on {expires_on}",
        )
        self._trigger(
            self.Accepted,
            actor,
            at,
            reason=reason.strip(),
            expires_on=expires_on,
            level=level.value,
        )

    def revoke_acceptance(self, actor: Actor, at: datetime, reason: str) -> None:
        """R-K2: an acceptance is revoked with a reason (a high one by leadership); the risk
        leaves monitoring until it has a response again."""
        self._require_assessed("R-K2", "revoke the acceptance of")
        acceptance = self.acceptance
        if acceptance is None or acceptance.revoked_by is not None:
            raise RuleViolation("R-K2", f"risk {self.label} has no acceptance to revoke")
        if acceptance.level is Level.HIGH:
            require(
                actor.has_role(LEADERSHIP),
                "R-K2",
                f"risk {self.label} was accepted as high: only leadership revokes it",
            )
        require(bool(reason.strip()), "R-K2", "a revocation states its reason")
        self._trigger(self.AcceptanceRevoked, actor, at, reason=reason.strip())

    def monitor(self, actor: Actor, at: datetime) -> None:
        """R-K2: a high risk is monitored only with a response plan in force."""
        self._require_assessed("R-K2", "monitor")
        require(
            self.status != Status.MONITORING.value,
            "R-K2",
            f"risk {self.label} is already monitored",
        )
        gaps = self.treatment_gaps(at.date())
        require(
            not gaps,
            "R-K2",
            f"risk {self.label} is high: before monitoring it needs {'; '.join(gaps)}",
        )
        self._trigger(self.MonitoringStarted, actor, at)

    def review(self, actor: Actor, at: datetime, note: str, cadence: ReviewCadence) -> None:
        """R-K4: a periodic review; the next one is due a cadence later, by the level."""
        self._require_assessed("R-K4", "review")
        level = self.level
        assert level is not None  # assessed
        require(bool(note.strip()), "R-K4", "a review records what was found")
        self._trigger(
            self.Reviewed,
            actor,
            at,
            note=note.strip(),
            missed=self._missed(at),
            next_review_due=add_months(at.date(), cadence.months(level)),
        )

    def record_occurrence(
        self,
        actor: Actor,
        at: datetime,
        what_happened: str,
        occurred_on: date,
        rectification_id: UUID,
    ) -> Occurrence:
        """R-K5: the risk happened; the rectification it raises is saved with it."""
        self._require_status("R-K5", "record an occurrence of", *_OPEN)
        require(bool(what_happened.strip()), "R-K5", "an occurrence records what happened")
        require(
            occurred_on <= at.date(),
            "R-K5",
            f"an occurrence on {occurred_on} is in the future ({at.date()})",
        )
        self._trigger(
            self.OccurrenceRecorded,
            actor,
            at,
            what_happened=what_happened.strip(),
            occurred_on=occurred_on,
            rectification_id=rectification_id,
        )
        return self.occurrences[-1]

    def close(self, actor: Actor, at: datetime, reason: str) -> None:
        """The risk no longer applies: no review is due any more (R-K4); its history stays."""
        self._require_status("R-K4", "close", *_OPEN)
        require(bool(reason.strip()), "R-G3", "closing a risk states why")
        self._trigger(self.Closed, actor, at, reason=reason.strip())
