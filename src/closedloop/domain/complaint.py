"""Complaint (客户投诉, R-C7): received → acknowledged → resolved → feedback → closed.

Two SLA clocks run from receipt: acknowledge within ``complaint_acknowledge_hours``,
resolve within ``complaint_resolve_hours`` (the policy's values at receipt are stored with
the complaint, so a later policy change never moves its deadlines). Both pause while the
complaint waits on the customer: elapsed SLA time excludes paused spans. A dissatisfied
close raises a rectification, saved with it. The customer is named by reference only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import attrs

from closedloop.domain.actor import Actor
from closedloop.domain.base import LoopAggregate
from closedloop.domain.errors import InvalidInput, RuleViolation, require


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    FEEDBACK = "feedback_received"
    CLOSED = "closed"


#: While these last, an SLA clock runs (and can pause).
_RUNNING = (Status.RECEIVED.value, Status.ACKNOWLEDGED.value)


@attrs.frozen
class Pause:
    """A span waiting on the customer; ``until`` is None while it lasts."""

    since: datetime
    until: datetime | None
    reason: str
    actor_id: str


class Span(Protocol):
    """A paused span as the SLA clock reads it (a :class:`Pause`, or a facts row's copy)."""

    @property
    def since(self) -> datetime: ...

    @property
    def until(self) -> datetime | None: ...


def sla_elapsed(start: datetime, pauses: Sequence[Span], until: datetime) -> timedelta:
    """SLA time from ``start`` to ``until``, paused spans excluded (never negative)."""
    if until <= start:
        return timedelta(0)
    paused = timedelta(0)
    for pause in pauses:
        begin = max(pause.since, start)
        end = min(pause.until or until, until)
        if end > begin:
            paused += end - begin
    return until - start - paused


def overdue_slas(elapsed: timedelta, pending: Mapping[str, int]) -> list[str]:
    """R-C7: the pending SLAs (name: hours) whose hours have run out after ``elapsed``."""
    return [name for name, hours in pending.items() if elapsed > timedelta(hours=hours)]


def sla_due(start: datetime, pauses: Sequence[Pause], hours: int) -> datetime | None:
    """When ``hours`` of SLA time will have run; None while paused before that."""
    remaining = timedelta(hours=hours)
    cursor = start
    for pause in sorted(pauses, key=lambda p: p.since):
        if pause.since - cursor >= remaining:
            break
        remaining -= max(pause.since - cursor, timedelta(0))
        if pause.until is None:
            return None
        cursor = max(cursor, pause.until)
    return cursor + remaining


@attrs.frozen
class Milestone:
    """An acknowledgement or resolution: when, by whom, and against its SLA."""

    text: str
    actor_id: str
    at: datetime
    elapsed: timedelta
    on_time: bool


@attrs.frozen
class Feedback:
    satisfied: bool
    comment: str
    actor_id: str
    at: datetime


class Complaint(LoopAggregate):
    KIND = "complaint"

    ref: str | None
    customer_ref: str
    subject: str
    description: str
    channel: str
    owner_id: str
    acknowledge_hours: int
    resolve_hours: int
    status: str
    pauses: list[Pause]
    acknowledgement: Milestone | None
    resolution: Milestone | None
    feedback: Feedback | None
    rectification_id: UUID | None
    closed_at: datetime | None

    def __init__(
        self,
        actor_id: str,
        ref: str | None,
        customer_ref: str,
        subject: str,
        description: str,
        channel: str,
        owner_id: str,
        acknowledge_hours: int,
        resolve_hours: int,
    ) -> None:
        """The ``Created`` event carries exactly these arguments (replay passes them again)."""
        self.ref = ref
        self.customer_ref = customer_ref
        self.subject = subject
        self.description = description
        self.channel = channel
        self.owner_id = owner_id
        self.acknowledge_hours = acknowledge_hours
        self.resolve_hours = resolve_hours
        self.status = Status.RECEIVED.value
        self.pauses = []
        self.acknowledgement = None
        self.resolution = None
        self.feedback = None
        self.rectification_id = None
        self.closed_at = None

    class Acknowledged(LoopAggregate.Event):
        note: str
        elapsed_seconds: int
        on_time: bool

        def apply(self, complaint: Complaint) -> None:
            complaint.status = Status.ACKNOWLEDGED.value
            complaint.acknowledgement = _milestone(self)

    class WaitingOnCustomer(LoopAggregate.Event):
        reason: str

        def apply(self, complaint: Complaint) -> None:
            complaint.pauses.append(Pause(self.timestamp, None, self.reason, self.actor_id))

    class Resumed(LoopAggregate.Event):
        def apply(self, complaint: Complaint) -> None:
            complaint.pauses[-1] = attrs.evolve(complaint.pauses[-1], until=self.timestamp)

    class Resolved(LoopAggregate.Event):
        note: str
        elapsed_seconds: int
        on_time: bool

        def apply(self, complaint: Complaint) -> None:
            complaint.status = Status.RESOLVED.value
            complaint.resolution = _milestone(self)

    class FeedbackRecorded(LoopAggregate.Event):
        satisfied: bool
        comment: str

        def apply(self, complaint: Complaint) -> None:
            complaint.status = Status.FEEDBACK.value
            complaint.feedback = Feedback(
                self.satisfied, self.comment, self.actor_id, self.timestamp
            )

    class Closed(LoopAggregate.Event):
        rectification_id: UUID | None

        def apply(self, complaint: Complaint) -> None:
            complaint.status = Status.CLOSED.value
            complaint.rectification_id = self.rectification_id
            complaint.closed_at = self.timestamp

    # --- derived state ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.ref or str(self.id)

    @property
    def received_at(self) -> datetime:
        return self.created_on

    @property
    def waiting_on_customer(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].until is None

    def elapsed(self, until: datetime) -> timedelta:
        """SLA time since receipt, as of ``until``, paused spans excluded."""
        return sla_elapsed(self.received_at, self.pauses, until)

    def due(self, hours: int) -> datetime | None:
        return sla_due(self.received_at, self.pauses, hours)

    def overdue(self, now: datetime) -> list[str]:
        """R-C7: the SLAs (``acknowledge``, ``resolve``) pending and past their hours at ``now``."""
        pending = {
            name: hours
            for name, hours, done in (
                ("acknowledge", self.acknowledge_hours, self.acknowledgement),
                ("resolve", self.resolve_hours, self.resolution),
            )
            if done is None
        }
        return overdue_slas(self.elapsed(now), pending)

    def missed_slas(self, now: datetime) -> list[str]:
        """R-C7: every SLA missed, met late or still overdue at ``now``."""
        late = [
            name
            for name, done in (("acknowledge", self.acknowledgement), ("resolve", self.resolution))
            if done is not None and not done.on_time
        ]
        return [*late, *self.overdue(now)]

    def close_label(self) -> str:
        """How the rectification raised by a dissatisfied close names its source (R-X1)."""
        return f"complaint {self.label}"

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def receive(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        customer_ref: str,
        subject: str,
        description: str,
        channel: str,
        owner_id: str,
        acknowledge_hours: int,
        resolve_hours: int,
        ref: str | None = None,
    ) -> Complaint:
        """R-C7: received now; the SLA hours in force now are kept with it."""
        for value, what in ((customer_ref, "the customer"), (subject, "the subject")):
            if not value.strip():
                raise InvalidInput(f"a complaint names {what}")
        if not owner_id.strip():
            raise InvalidInput("a complaint has an owner who handles it")
        return cls._start(
            id=id,
            actor=actor,
            at=at,
            ref=ref,
            customer_ref=customer_ref.strip(),
            subject=subject.strip(),
            description=description.strip(),
            channel=channel.strip(),
            owner_id=owner_id.strip(),
            acknowledge_hours=acknowledge_hours,
            resolve_hours=resolve_hours,
        )

    def _require_running(self, doing: str) -> None:
        self._require_status("R-C7", doing, *_RUNNING)
        require(
            not self.waiting_on_customer,
            "R-C7",
            f"complaint {self.label} is waiting on the customer: resume it first",
        )

    def acknowledge(self, actor: Actor, at: datetime, note: str) -> None:
        """R-C7: acknowledged, on time when within ``acknowledge_hours`` of SLA time."""
        self._require_status("R-C7", "acknowledge", Status.RECEIVED.value)
        self._require_running("acknowledge")
        self._trigger(
            self.Acknowledged,
            actor,
            at,
            note=note.strip(),
            **self._clock(at, self.acknowledge_hours),
        )

    def _clock(self, at: datetime, hours: int) -> dict[str, int | bool]:
        elapsed = self.elapsed(at)
        return {
            "elapsed_seconds": int(elapsed.total_seconds()),
            "on_time": elapsed <= timedelta(hours=hours),
        }

    def await_customer(self, actor: Actor, at: datetime, reason: str) -> None:
        """R-C7: the SLA clocks pause while the complaint waits on the customer."""
        self._require_running("wait on the customer for")
        require(bool(reason.strip()), "R-C7", "waiting on the customer states for what")
        self._trigger(self.WaitingOnCustomer, actor, at, reason=reason.strip())

    def resume(self, actor: Actor, at: datetime) -> None:
        """R-C7: the customer answered; the SLA clocks run again."""
        if not self.waiting_on_customer:
            raise RuleViolation("R-C7", f"complaint {self.label} is not waiting on the customer")
        self._trigger(self.Resumed, actor, at)

    def resolve(self, actor: Actor, at: datetime, resolution: str) -> None:
        """R-C7: resolved, on time when within ``resolve_hours`` of SLA time."""
        if self.status == Status.RECEIVED.value:
            raise RuleViolation(
                "R-C7", f"complaint {self.label} is not acknowledged yet: acknowledge it first"
            )
        self._require_running("resolve")
        require(bool(resolution.strip()), "R-C7", "a resolution states what was done")
        self._trigger(
            self.Resolved, actor, at, note=resolution.strip(), **self._clock(at, self.resolve_hours)
        )

    def record_feedback(self, actor: Actor, at: datetime, satisfied: bool, comment: str) -> None:
        """R-C7: the customer's verdict on the resolution."""
        self._require_status("R-C7", "record feedback on", Status.RESOLVED.value)
        self._trigger(
            self.FeedbackRecorded, actor, at, satisfied=satisfied, comment=comment.strip()
        )

    def close(self, actor: Actor, at: datetime, rectification_id: UUID | None) -> None:
        """R-C7: closed after feedback; a dissatisfied customer's comes with the rectification
        it raises (``rectification_id``, saved in the same command)."""
        self._require_status("R-C7", "close", Status.FEEDBACK.value)
        assert self.feedback is not None  # set with the feedback status
        dissatisfied = not self.feedback.satisfied
        require(
            dissatisfied == (rectification_id is not None),
            "R-C7",
            "a dissatisfied close raises a rectification"
            if dissatisfied
            else "a satisfied close raises no rectification",
        )
        self._trigger(self.Closed, actor, at, rectification_id=rectification_id)


def _milestone(event: Complaint.Acknowledged | Complaint.Resolved) -> Milestone:
    return Milestone(
        event.note,
        event.actor_id,
        event.timestamp,
        timedelta(seconds=event.elapsed_seconds),
        event.on_time,
    )
