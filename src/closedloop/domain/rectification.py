"""Rectification (整改): a problem fixed from its root cause, verified by another, its lesson kept.

Lifecycle: open → analysed (root cause recorded) → in_progress (measures planned and carried
out) → completed (every measure done, evidence given) → verified (effective, by someone
other than the owner) → closed (lessons learned). A verification that finds the fix
ineffective reopens it: back to in_progress, where further measures can be added.

Deadlines (R-X4): a rectification may state its own deadline; without one, its deadline is
the latest of its measures'. Both move only through an approved extension.

Recurrence (R-X6): a :class:`CauseCode` aggregate per cause code remembers the rectifications
closed with it, so a new finding or rectification with the same code finds the last one
without scanning every rectification.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor, four_eyes
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput, NotFound, RuleViolation, require


class Source(StrEnum):
    """R-X1: where the problem was found."""

    FINDING = "finding"  # a review finding (R-E4)
    INCIDENT = "incident"  # a severe activity incident (R-A6)
    COMPLAINT = "complaint"  # a dissatisfied complaint close (R-C7)
    RISK_OCCURRENCE = "risk_occurrence"  # a risk that occurred (R-K5)
    AUDIT = "audit"  # an audit or inspection
    OTHER = "other"  # anything else, named by its source reference


class Status(StrEnum):
    OPEN = "open"
    ANALYSED = "analysed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    VERIFIED = "verified"
    CLOSED = "closed"


#: Not yet completed: these can be overdue (R-X4) and take extensions.
UNFINISHED = (Status.OPEN.value, Status.ANALYSED.value, Status.IN_PROGRESS.value)


def normalise_cause_code(value: str | None) -> str | None:
    """A cause code as compared for recurrences (R-X6): trimmed, upper case; blank is none."""
    if value is None or not value.strip():
        return None
    return value.strip().upper()


def problem_label(source: Source, source_ref: str) -> str:
    """One name per problem, so a finding and the rectification raised from it count as one
    recurrence (R-X6)."""
    return f"{Source(source).value} {source_ref.strip()}"


def _texts(values: Iterable[str]) -> tuple[str, ...]:
    """Lower-case tags, each once, in the order given."""
    return tuple(dict.fromkeys(value.strip().lower() for value in values if value.strip()))


@attrs.frozen
class Measure:
    """R-X2: one corrective step, with its owner and deadline."""

    id: str
    what: str
    owner_id: str
    deadline: date
    done_on: date | None = None
    done_by: str | None = None
    note: str = ""

    @property
    def done(self) -> bool:
        return self.done_on is not None


@attrs.frozen
class Verification:
    """R-X3: whether the fix worked, judged by someone other than the owner."""

    actor_id: str
    at: datetime
    effective: bool
    notes: str


@attrs.frozen
class Extension:
    """R-X4: a requested later deadline (of the rectification, or of one measure)."""

    number: int
    measure_id: str | None
    from_date: date
    to_date: date
    reason: str
    requested_by: str
    decision: str = "pending"  # pending | approved | rejected
    decided_by: str | None = None
    decision_reason: str | None = None


@attrs.frozen
class Lessons:
    """R-X5: what the next cycle should know."""

    text: str
    tags: tuple[str, ...]
    actor_id: str
    at: datetime


def overdue(status: str, deadline: date | None, today: date) -> bool:
    """R-X4: not completed, and past its deadline."""
    return status in UNFINISHED and deadline is not None and today > deadline


class Rectification(LoopAggregate):
    KIND = "rectification"

    ref: str | None
    source: Source
    source_ref: str
    problem: str
    owner_id: str
    deadline: date | None
    cause_code: str | None
    recurrence_of: UUID | None
    recurrence_count: int
    raised_by: str
    status: str
    root_cause: str | None
    measures: list[Measure]
    evidence: str | None
    completed_by: str | None
    completed_at: datetime | None
    verifications: list[Verification]
    extensions: list[Extension]
    lessons: Lessons | None
    recurred_by: list[str]

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        source: Source,
        source_ref: str,
        problem: str,
        owner_id: str,
        deadline: date | None,
        cause_code: str | None,
        recurrence_of: UUID | None,
        recurrence_count: int,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.source = Source(source)
        self.source_ref = source_ref
        self.problem = problem
        self.owner_id = owner_id
        self.deadline = deadline
        self.cause_code = cause_code
        self.recurrence_of = recurrence_of
        self.recurrence_count = recurrence_count
        self.raised_by = actor_id
        self.status = Status.OPEN.value
        self.root_cause = None
        self.measures = []
        self.evidence = None
        self.completed_by = None
        self.completed_at = None
        self.verifications = []
        self.extensions = []
        self.lessons = None
        self.recurred_by = []

    class RootCauseRecorded(LoopAggregate.Event):
        root_cause: str
        cause_code: str | None
        recurrence_of: UUID | None
        recurrence_count: int

        def apply(self, rectification: Rectification) -> None:
            rectification.status = Status.ANALYSED.value
            rectification.root_cause = self.root_cause
            rectification.cause_code = self.cause_code
            rectification.recurrence_of = self.recurrence_of
            rectification.recurrence_count = self.recurrence_count

    class MeasureAdded(LoopAggregate.Event):
        measure_id: str
        what: str
        owner_id: str
        deadline: date

        def apply(self, rectification: Rectification) -> None:
            rectification.status = Status.IN_PROGRESS.value
            rectification.measures.append(
                Measure(self.measure_id, self.what, self.owner_id, self.deadline)
            )

    class MeasureCompleted(LoopAggregate.Event):
        measure_id: str
        done_on: date
        note: str

        def apply(self, rectification: Rectification) -> None:
            rectification.measures = [
                attrs.evolve(m, done_on=self.done_on, done_by=self.actor_id, note=self.note)
                if m.id == self.measure_id
                else m
                for m in rectification.measures
            ]

    class Completed(LoopAggregate.Event):
        evidence: str

        def apply(self, rectification: Rectification) -> None:
            rectification.status = Status.COMPLETED.value
            rectification.evidence = self.evidence
            rectification.completed_by = self.actor_id
            rectification.completed_at = self.timestamp

    class Verified(LoopAggregate.Event):
        effective: bool
        notes: str

        def apply(self, rectification: Rectification) -> None:
            rectification.verifications.append(
                Verification(self.actor_id, self.timestamp, self.effective, self.notes)
            )
            if self.effective:
                rectification.status = Status.VERIFIED.value
            else:  # R-X3: reopened
                rectification.status = Status.IN_PROGRESS.value
                rectification.completed_by = None
                rectification.completed_at = None

    class ExtensionRequested(LoopAggregate.Event):
        measure_id: str | None
        from_date: date
        to_date: date
        reason: str

        def apply(self, rectification: Rectification) -> None:
            rectification.extensions.append(
                Extension(
                    number=len(rectification.extensions) + 1,
                    measure_id=self.measure_id,
                    from_date=self.from_date,
                    to_date=self.to_date,
                    reason=self.reason,
                    requested_by=self.actor_id,
                )
            )

    class ExtensionApproved(LoopAggregate.Event):
        def apply(self, rectification: Rectification) -> None:
            extension = attrs.evolve(
                rectification.extensions[-1], decision="approved", decided_by=self.actor_id
            )
            rectification.extensions[-1] = extension
            if extension.measure_id is None:
                rectification.deadline = extension.to_date
            else:
                rectification.measures = [
                    attrs.evolve(m, deadline=extension.to_date)
                    if m.id == extension.measure_id
                    else m
                    for m in rectification.measures
                ]

    class ExtensionRejected(LoopAggregate.Event):
        reason: str

        def apply(self, rectification: Rectification) -> None:
            rectification.extensions[-1] = attrs.evolve(
                rectification.extensions[-1],
                decision="rejected",
                decided_by=self.actor_id,
                decision_reason=self.reason,
            )

    class Closed(LoopAggregate.Event):
        lessons: str
        tags: tuple[str, ...]

        def apply(self, rectification: Rectification) -> None:
            rectification.status = Status.CLOSED.value
            rectification.lessons = Lessons(
                self.lessons, tuple(self.tags), self.actor_id, self.timestamp
            )

    class Recurred(LoopAggregate.Event):
        by: str

        def apply(self, rectification: Rectification) -> None:
            rectification.recurred_by.append(self.by)

    # --- derived state ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def current_deadline(self) -> date | None:
        """R-X4: its own deadline, or else the latest of its measures'."""
        if self.deadline is not None:
            return self.deadline
        return max((m.deadline for m in self.measures), default=None)

    def is_overdue(self, today: date) -> bool:
        return overdue(self.status, self.current_deadline, today)

    def overdue_measures(self, today: date) -> list[Measure]:
        return [m for m in self.measures if not m.done and today > m.deadline]

    @property
    def verified_by(self) -> str | None:
        """L4: who found the fix effective (never the owner, R-X3)."""
        effective = [v for v in self.verifications if v.effective]
        return effective[-1].actor_id if effective else None

    @property
    def next_recurrence_count(self) -> int:
        """R-X6: what a recurrence of this problem counts (this one's count plus one)."""
        return self.recurrence_count + 1

    @property
    def pending_extension(self) -> Extension | None:
        if self.extensions and self.extensions[-1].decision == "pending":
            return self.extensions[-1]
        return None

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise NotFound(f"rectification {self.label} has no measure {measure_id}")

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        source: Source,
        source_ref: str,
        problem: str,
        owner_id: str,
        deadline: date | None = None,
        cause_code: str | None = None,
        recurrence_of: Rectification | None = None,
        ref: str | None = None,
    ) -> Rectification:
        """R-X1: a problem with its source; ``recurrence_of`` is the last rectification closed
        with the same cause code within the recurrence window (R-X6)."""
        require(bool(problem.strip()), "R-X1", "a rectification states the problem")
        require(
            bool(source_ref.strip()),
            "R-X1",
            f"a rectification names its source: which {Source(source).value}",
        )
        require(bool(owner_id.strip()), "R-X1", "a rectification has an owner")
        if deadline is not None:
            _require_not_past(deadline, at, "the deadline")
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            source=Source(source),
            source_ref=source_ref.strip(),
            problem=problem.strip(),
            owner_id=owner_id.strip(),
            deadline=deadline,
            cause_code=cause_code,
            recurrence_of=recurrence_of.id if recurrence_of is not None else None,
            recurrence_count=recurrence_of.next_recurrence_count if recurrence_of else 0,
        )

    def record_root_cause(
        self,
        actor: Actor,
        at: datetime,
        root_cause: str,
        code: str | None,
        recurrence_of: Rectification | None,
    ) -> None:
        """R-X2: the root cause comes before any measure. A cause code given here (when none
        was given at raising) is checked for recurrence (R-X6): ``recurrence_of``."""
        self._require_status("R-X2", "record the root cause of", Status.OPEN.value)
        require(bool(root_cause.strip()), "R-X2", "a root cause analysis states the cause")
        if self.cause_code is not None and code not in (None, self.cause_code):
            raise InvalidInput(
                f"rectification {self.label} has cause code {self.cause_code}; it cannot "
                f"become {code}"
            )
        link, count = self.recurrence_of, self.recurrence_count
        if link is None and recurrence_of is not None:
            link, count = recurrence_of.id, recurrence_of.next_recurrence_count
        self._trigger(
            self.RootCauseRecorded,
            actor,
            at,
            root_cause=root_cause.strip(),
            cause_code=self.cause_code or code,
            recurrence_of=link,
            recurrence_count=count,
        )

    def add_measure(
        self, actor: Actor, at: datetime, *, what: str, owner_id: str, deadline: date
    ) -> Measure:
        """R-X2: measures follow the root cause; each has an owner and a deadline, within
        the rectification's deadline when it has one (R-X4)."""
        if self.status == Status.OPEN.value:
            raise RuleViolation(
                "R-X2",
                f"rectification {self.label} has no root cause yet: analyse it before "
                "planning measures",
            )
        self._require_status(
            "R-X2", "add a measure to", Status.ANALYSED.value, Status.IN_PROGRESS.value
        )
        require(bool(what.strip()), "R-X2", "a measure states what is done")
        require(bool(owner_id.strip()), "R-X2", "every measure has an owner")
        _require_not_past(deadline, at, "a measure's deadline")
        if self.deadline is not None:
            require(
                deadline <= self.deadline,
                "R-X4",
                f"a measure due {deadline} falls after rectification {self.label}'s deadline "
                f"{self.deadline}; extend the rectification first",
            )
        measure_id = f"M{len(self.measures) + 1}"
        self._trigger(
            self.MeasureAdded,
            actor,
            at,
            measure_id=measure_id,
            what=what.strip(),
            owner_id=owner_id.strip(),
            deadline=deadline,
        )
        return self.measure(measure_id)

    def complete_measure(self, actor: Actor, at: datetime, measure_id: str, note: str) -> None:
        self._require_status("R-X2", "complete a measure of", Status.IN_PROGRESS.value)
        measure = self.measure(measure_id)
        require(
            not measure.done,
            "R-X2",
            f"measure {measure_id} of rectification {self.label} is already done",
        )
        self._trigger(
            self.MeasureCompleted,
            actor,
            at,
            measure_id=measure_id,
            done_on=at.date(),
            note=note.strip(),
        )

    def complete(self, actor: Actor, at: datetime, evidence: str) -> None:
        """R-X2: complete only with every measure done, and evidence of it."""
        self._require_status("R-X2", "complete", Status.IN_PROGRESS.value)
        open_measures = [m.id for m in self.measures if not m.done]
        require(
            not open_measures,
            "R-X2",
            f"rectification {self.label} has measures not done: {', '.join(open_measures)}",
        )
        require(bool(evidence.strip()), "R-X2", "completion needs evidence")
        self._trigger(self.Completed, actor, at, evidence=evidence.strip())

    def verify(
        self,
        actor: Actor,
        at: datetime,
        *,
        effective: bool,
        notes: str,
        verify_after_days: int,
    ) -> None:
        """R-X3: someone other than the owner (or whoever completed it) judges the effect,
        not before ``verify_after_days`` after completion; ineffective reopens it."""
        self._require_status("R-X3", "verify", Status.COMPLETED.value)
        four_eyes(
            actor,
            self.owner_id,
            self.completed_by,
            doing=f"verify rectification {self.label}",
            rule="R-X3",
        )
        assert self.completed_at is not None  # set with the completed status
        waited = (at.date() - self.completed_at.date()).days
        require(
            waited >= verify_after_days,
            "R-X3",
            f"rectification {self.label} was completed {waited} days ago; its effect is "
            f"verified after {verify_after_days} days",
        )
        require(bool(notes.strip()), "R-X3", "a verification states what was checked")
        self._trigger(self.Verified, actor, at, effective=effective, notes=notes.strip())

    def request_extension(
        self, actor: Actor, at: datetime, to_date: date, reason: str, measure_id: str | None
    ) -> None:
        """R-X4: ask for a later deadline of the rectification (or of one measure)."""
        self._require_status("R-X4", "extend", *UNFINISHED)
        require(
            self.pending_extension is None,
            "R-X4",
            f"rectification {self.label} already has extension #{len(self.extensions)} pending",
        )
        require(bool(reason.strip()), "R-X4", "an extension request needs a reason")
        if measure_id is None:
            current = self.current_deadline
            if current is None:
                raise RuleViolation(
                    "R-X4", f"rectification {self.label} has no deadline to extend yet"
                )
        else:
            measure = self.measure(measure_id)
            require(not measure.done, "R-X4", f"measure {measure_id} is already done")
            current = measure.deadline
            if self.deadline is not None:
                require(
                    to_date <= self.deadline,
                    "R-X4",
                    f"{to_date} falls after rectification {self.label}'s deadline "
                    f"{self.deadline}; extend the rectification first",
                )
        require(
            to_date > current,
            "R-X4",
            f"an extension moves the deadline later than {current}, not to {to_date}",
        )
        self._trigger(
            self.ExtensionRequested,
            actor,
            at,
            measure_id=measure_id,
            from_date=current,
            to_date=to_date,
            reason=reason.strip(),
        )

    def approve_extension(self, actor: Actor, at: datetime) -> None:
        """R-X4: approved by someone other than who asked and the owner."""
        self._require_decider(actor, "approve")
        self._trigger(self.ExtensionApproved, actor, at)

    def reject_extension(self, actor: Actor, at: datetime, reason: str) -> None:
        self._require_decider(actor, "reject")
        require(bool(reason.strip()), "R-G3", "a rejection needs a reason")
        self._trigger(self.ExtensionRejected, actor, at, reason=reason.strip())

    def _require_decider(self, actor: Actor, doing: str) -> None:
        pending = self.pending_extension
        if pending is None:
            raise RuleViolation("R-X4", f"rectification {self.label} has no extension pending")
        four_eyes(
            actor,
            pending.requested_by,
            self.owner_id,
            doing=f"{doing} an extension of rectification {self.label}",
            rule="R-X4",
        )

    def close(self, actor: Actor, at: datetime, lessons: str, tags: Iterable[str]) -> None:
        """R-X5: closing records the lessons learned; only a verified fix closes (L4)."""
        self._require_status("R-X3", "close", Status.VERIFIED.value)
        require(bool(lessons.strip()), "R-X5", "closing records the lessons learned")
        self._trigger(self.Closed, actor, at, lessons=lessons.strip(), tags=_texts(tags))

    def note_recurrence(self, actor: Actor, at: datetime, by: str) -> None:
        """R-X6: a later finding or rectification with this cause code recurred; each once."""
        if by not in self.recurred_by:
            self._trigger(self.Recurred, actor, at, by=by)


def _require_not_past(deadline: date, at: datetime, what: str) -> None:
    require(deadline >= at.date(), "R-X4", f"{what} {deadline} has already passed ({at.date()})")


@attrs.frozen
class Closure:
    rectification_id: UUID
    closed_on: date


class CauseCode(LoopAggregate):
    """R-X6: the rectifications closed with one cause code (its id derives from the code)."""

    KIND = "cause_code"

    code: str
    status: str
    closures: list[Closure]

    def __init__(self, actor_id: str, code: str) -> None:
        self.code = code
        self.status = "active"
        self.closures = []

    class ClosureRecorded(LoopAggregate.Event):
        rectification_id: UUID

        def apply(self, index: CauseCode) -> None:
            index.closures.append(Closure(self.rectification_id, self.timestamp.date()))

    @classmethod
    def start(cls, *, id: UUID, actor: Actor, at: datetime, code: str) -> CauseCode:
        return cls._start(id=id, actor=actor, at=at, code=code)

    def record_closure(self, actor: Actor, at: datetime, rectification: Rectification) -> None:
        require(
            rectification.cause_code == self.code,
            "R-X6",
            f"rectification {rectification.label} has cause code {rectification.cause_code}, "
            f"not {self.code}",
        )
        self._trigger(self.ClosureRecorded, actor, at, rectification_id=rectification.id)

    def latest_within(self, today: date, days: int) -> UUID | None:
        """R-X6: the rectification closed most recently, if within ``days`` of ``today``."""
        recent = [c for c in self.closures if (today - c.closed_on).days <= days]
        return recent[-1].rectification_id if recent else None
