"""What every aggregate shares: events that say who (R-G3), and approvals bound to a revision.

Command methods take the ``actor`` and the time ``at`` from the application (the domain
never reads a clock), check their rules first, then trigger one past-tense event whose
``apply`` only assigns: replay never recomputes anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from closedloop.domain.actor import Actor
from closedloop.domain.errors import RuleViolation


@attrs.frozen
class Approval:
    """R-G5: who approved which revision, and when."""

    actor_id: str
    revision: int
    at: datetime


class LoopAggregate(Aggregate):
    """Base of every closedloop aggregate."""

    #: Short name used in ids, errors and listings (``target``, ``plan`` …).
    KIND = "aggregate"
    status: str

    class Event(Aggregate.Event):
        actor_id: str  # R-G3: who; the timestamp is when

        #: The library's default, said once: its mapper asks every event's class for it,
        #: and a class without one raised and caught an ``AttributeError`` for every event
        #: decoded. An event class that changes its stored form sets its own (and upcasts).
        class_version = 1

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _start(
        cls,
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        **fields: Any,
    ) -> Self:
        return cls._create(cls.Created, id=id, timestamp=at, actor_id=actor.id, **fields)

    def _trigger(
        self, event_class: type[LoopAggregate.Event], actor: Actor, at: datetime, **fields: Any
    ) -> None:
        self.trigger_event(event_class, timestamp=at, actor_id=actor.id, **fields)

    def _require_status(self, rule: str, doing: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise RuleViolation(
                rule,
                f"cannot {doing} {self.KIND} {self.id}: it is {self.status}, "
                f"it must be {' or '.join(allowed)}",
            )


class Approvable(LoopAggregate):
    """An aggregate that is submitted, then approved at a revision (R-G5) or sent back.

    Who may decide is each aggregate's own rule (R-G1, R-P1, R-R2 …); what a submission and
    an approval record is the same everywhere, and lives here.
    """

    revision: int
    submitted_by: str | None
    approval: Approval | None

    class Created(LoopAggregate.Created):
        """Declared so the library does not derive one from the annotations above."""

    class Submitted(LoopAggregate.Event):
        def apply(self, aggregate: Approvable) -> None:
            aggregate.status = "submitted"
            aggregate.submitted_by = self.actor_id

    class Approved(LoopAggregate.Event):
        revision: int

        def apply(self, aggregate: Approvable) -> None:
            aggregate.status = "approved"
            aggregate.approval = Approval(self.actor_id, self.revision, self.timestamp)
            aggregate.on_approved()

    def on_approved(self) -> None:
        """What else an approval fixes (a target's original value, a plan's content)."""
