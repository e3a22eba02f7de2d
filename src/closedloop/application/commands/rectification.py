"""Rectification commands (R-X1 … R-X6), and :func:`raise_rectification` for other commands.

A rectification found by another aggregate's command (a review finding, an activity's
severe incident, a complaint closed dissatisfied, a risk occurrence) is raised by that
command through :func:`raise_rectification`, in the same unit of work: the event that caused
it and the new rectification are saved together or not at all. ``rectification.raise``
is for problems no aggregate records: audits and other sources.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.inputs import Day, Input, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.ids import aggregate_id, new_id
from closedloop.domain.rectification import (
    CauseCode,
    Rectification,
    Source,
    normalise_cause_code,
    problem_label,
)


def outcome(rectification: Rectification) -> Result:
    return {
        "id": str(rectification.id),
        "ref": rectification.ref,
        "version": rectification.version,
        "status": rectification.status,
    }


def recurrence_of(uow: UnitOfWork, code: str | None) -> Rectification | None:
    """R-X6: the rectification closed with ``code`` most recently, within
    ``rectification.recurrence_days`` of today; None when there is none."""
    if code is None or not uow.exists(CauseCode, code):
        return None
    closed = uow.get(CauseCode, code).latest_within(
        uow.now.date(), uow.policy.rectification.recurrence_days
    )
    return uow.get(Rectification, closed) if closed is not None else None


def raise_rectification(
    uow: UnitOfWork,
    actor: Actor,
    *,
    source_kind: Source,
    source_ref: str,
    problem: str,
    owner: str,
    deadline: date | None = None,
    cause_code: str | None = None,
    ref: str | None = None,
) -> Rectification:
    """Raise a rectification in ``uow``, to be saved with whatever else its command changed.

    R-X1: ``problem`` and its source (``source_kind``, ``source_ref``: e.g. the activity and
    incident) are required; ``owner`` is an actor id. R-X6: with a ``cause_code``, the
    rectification closed with the same code within the recurrence window is linked as
    what this one recurs, and notes the recurrence. Raises ``RuleViolation`` for a missing
    part and ``ConcurrencyConflict`` when ``ref`` names an existing rectification.
    """
    code = normalise_cause_code(cause_code)
    earlier = recurrence_of(uow, code)
    rectification = Rectification.open(
        id=new_id(Rectification.KIND, ref),
        actor=actor,
        at=uow.now,
        source=source_kind,
        source_ref=source_ref,
        problem=problem,
        owner_id=owner,
        deadline=deadline,
        cause_code=code,
        recurrence_of=earlier,
        ref=ref,
    )
    uow.add(rectification)
    if earlier is not None:
        earlier.note_recurrence(actor, uow.now, problem_label(source_kind, source_ref))
    return rectification


class RaiseRectification(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. RX-2026-07")
    source: Literal["audit", "other"] = Field(
        description="findings, incidents, complaints and risk occurrences raise theirs "
        "through their own commands"
    )
    source_ref: Text = Field(description="which audit or other source, e.g. AUDIT-2026-H1 item 3")
    problem: Text
    owner: Ref
    deadline: Day | None = None
    cause_code: str | None = Field(None, description="e.g. PRICING; recurrences share it")


@catalogue.command("rectification.raise", permission="draft")
def raise_from_audit(uow: UnitOfWork, actor: Actor, args: RaiseRectification) -> Result:
    """Raise a rectification of a problem found by an audit or another source (R-X1)."""
    rectification = raise_rectification(
        uow,
        actor,
        source_kind=Source(args.source),
        source_ref=args.source_ref,
        problem=args.problem,
        owner=args.owner,
        deadline=args.deadline,
        cause_code=args.cause_code,
        ref=args.ref,
    )
    return outcome(rectification)


class RectificationRef(Input):
    rectification: Ref


class RecordRootCause(Input):
    rectification: Ref
    root_cause: Text
    cause_code: str | None = Field(None, description="when none was given at raising")


@catalogue.command("rectification.record_root_cause", permission="record")
def record_root_cause(uow: UnitOfWork, actor: Actor, args: RecordRootCause) -> Result:
    """Record the root cause, before any measure (R-X2); a new cause code may recur (R-X6)."""
    rectification = uow.get(Rectification, args.rectification)
    code = normalise_cause_code(args.cause_code)
    earlier = recurrence_of(uow, code) if rectification.cause_code is None else None
    rectification.record_root_cause(actor, uow.now, args.root_cause, code, earlier)
    if earlier is not None:
        earlier.note_recurrence(
            actor, uow.now, problem_label(rectification.source, rectification.source_ref)
        )
    return outcome(rectification)


class AddMeasure(Input):
    rectification: Ref
    what: Text
    owner: Ref
    deadline: Day


@catalogue.command("rectification.add_measure", permission="draft")
def add_measure(uow: UnitOfWork, actor: Actor, args: AddMeasure) -> Result:
    """Plan a measure with its owner and deadline, after the root cause (R-X2)."""
    rectification = uow.get(Rectification, args.rectification)
    measure = rectification.add_measure(
        actor, uow.now, what=args.what, owner_id=args.owner, deadline=args.deadline
    )
    return {**outcome(rectification), "measure": measure.id}


class CompleteMeasure(Input):
    rectification: Ref
    measure: Ref = Field(description="M1, M2 …")
    note: str = ""


@catalogue.command("rectification.complete_measure", permission="record")
def complete_measure(uow: UnitOfWork, actor: Actor, args: CompleteMeasure) -> Result:
    """Mark a measure done (R-X2)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.complete_measure(actor, uow.now, args.measure, args.note)
    return outcome(rectification)


class CompleteRectification(Input):
    rectification: Ref
    evidence: Text


@catalogue.command("rectification.complete", permission="record")
def complete(uow: UnitOfWork, actor: Actor, args: CompleteRectification) -> Result:
    """Complete a rectification: every measure done, with evidence (R-X2)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.complete(actor, uow.now, args.evidence)
    return outcome(rectification)


class VerifyRectification(Input):
    rectification: Ref
    effective: bool
    notes: Text


@catalogue.command("rectification.verify", permission="verify")
def verify(uow: UnitOfWork, actor: Actor, args: VerifyRectification) -> Result:
    """Verify the effect: someone other than the owner; ineffective reopens it (R-X3)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.verify(
        actor,
        uow.now,
        effective=args.effective,
        notes=args.notes,
        verify_after_days=uow.policy.rectification.verify_after_days,
    )
    return outcome(rectification)


class RequestExtension(Input):
    rectification: Ref
    deadline: Day = Field(description="the later deadline asked for")
    reason: Text
    measure: Ref | None = Field(None, description="a measure's deadline instead of the whole")


@catalogue.command("rectification.request_extension", permission="draft")
def request_extension(uow: UnitOfWork, actor: Actor, args: RequestExtension) -> Result:
    """Ask for a later deadline, with a reason (R-X4)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.request_extension(actor, uow.now, args.deadline, args.reason, args.measure)
    return outcome(rectification)


@catalogue.command("rectification.approve_extension", permission="approve")
def approve_extension(uow: UnitOfWork, actor: Actor, args: RectificationRef) -> Result:
    """Approve the pending extension: neither who asked nor the owner (R-X4)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.approve_extension(actor, uow.now)
    return outcome(rectification)


class RejectExtension(Input):
    rectification: Ref
    reason: Text


@catalogue.command("rectification.reject_extension", permission="approve")
def reject_extension(uow: UnitOfWork, actor: Actor, args: RejectExtension) -> Result:
    """Refuse the pending extension, with a reason (R-X4, R-G3)."""
    rectification = uow.get(Rectification, args.rectification)
    rectification.reject_extension(actor, uow.now, args.reason)
    return outcome(rectification)


class CloseRectification(Input):
    rectification: Ref
    lessons: Text = Field(description="what the next cycle should know (经验总结)")
    tags: list[str] = Field(default_factory=list)


@catalogue.command("rectification.close", permission="record")
def close(uow: UnitOfWork, actor: Actor, args: CloseRectification) -> Result:
    """Close a verified rectification with its lessons learned (R-X5).

    The owner may close it: what guards the closure is the verification by someone
    else (R-X3, L4). Its cause code remembers the closure, for recurrences (R-X6).
    """
    rectification = uow.get(Rectification, args.rectification)
    rectification.close(actor, uow.now, args.lessons, args.tags)
    code = rectification.cause_code
    if code is not None:
        if uow.exists(CauseCode, code):
            index = uow.get(CauseCode, code)
        else:
            index = CauseCode.start(
                id=aggregate_id(CauseCode.KIND, code), actor=actor, at=uow.now, code=code
            )
            uow.add(index)
        index.record_closure(actor, uow.now, rectification)
    return outcome(rectification)
