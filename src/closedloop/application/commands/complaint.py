"""Complaint commands (R-C7): receive, acknowledge, wait on the customer, resume, resolve,
record feedback, close.

The SLA hours are read from the policy at receipt and kept with the complaint; a
dissatisfied close raises its rectification in the same save (R-C7, R-X1).
"""

from __future__ import annotations

from pydantic import Field

from closedloop.application.catalogue import Result, catalogue
from closedloop.application.commands.rectification import outcome as rectification_outcome
from closedloop.application.commands.rectification import raise_rectification
from closedloop.application.inputs import Day, Input, Ref, Text
from closedloop.application.unit_of_work import UnitOfWork
from closedloop.domain.actor import Actor
from closedloop.domain.complaint import Complaint
from closedloop.domain.customer import Customer
from closedloop.domain.ids import aggregate_id, new_id
from closedloop.domain.rectification import Rectification, Source


def outcome(complaint: Complaint) -> Result:
    return {
        "id": str(complaint.id),
        "ref": complaint.ref,
        "version": complaint.version,
        "status": complaint.status,
    }


class ReceiveComplaint(Input):
    ref: Ref | None = Field(None, description="your name for it, e.g. CMP-2026-0042")
    customer: Ref = Field(description="the customer's reference")
    subject: Text
    description: str = ""
    channel: str = Field("", description="phone, e-mail, store, social media …")
    owner: Ref | None = Field(None, description="who handles it; default: whoever receives it")


@catalogue.command("complaint.receive", permission="record")
def receive(uow: UnitOfWork, actor: Actor, args: ReceiveComplaint) -> Result:
    """Receive a complaint from a registered customer (else ``NotFound``); its acknowledge
    and resolve SLA clocks start now (R-C7)."""
    uow.get(Customer, args.customer)
    policy = uow.policy.customer
    complaint = Complaint.receive(
        id=new_id(Complaint.KIND, args.ref),
        actor=actor,
        at=uow.now,
        ref=args.ref,
        customer_ref=args.customer,
        subject=args.subject,
        description=args.description,
        channel=args.channel,
        owner_id=args.owner or actor.id,
        acknowledge_hours=policy.complaint_acknowledge_hours,
        resolve_hours=policy.complaint_resolve_hours,
    )
    uow.add(complaint)
    return outcome(complaint)


class ComplaintRef(Input):
    complaint: Ref


class ComplaintNote(Input):
    complaint: Ref
    note: str = ""


@catalogue.command("complaint.acknowledge", permission="record")
def acknowledge(uow: UnitOfWork, actor: Actor, args: ComplaintNote) -> Result:
    """Acknowledge the complaint to the customer; on time within its SLA hours (R-C7)."""
    complaint = uow.get(Complaint, args.complaint)
    complaint.acknowledge(actor, uow.now, args.note)
    ack = complaint.acknowledgement
    assert ack is not None  # set by the event just triggered
    return {**outcome(complaint), "on_time": ack.on_time}


class AwaitCustomer(Input):
    complaint: Ref
    reason: Text = Field(description="what the customer is asked for")


@catalogue.command("complaint.await_customer", permission="record")
def await_customer(uow: UnitOfWork, actor: Actor, args: AwaitCustomer) -> Result:
    """Wait on the customer: the SLA clocks pause until resumed (R-C7)."""
    complaint = uow.get(Complaint, args.complaint)
    complaint.await_customer(actor, uow.now, args.reason)
    return outcome(complaint)


@catalogue.command("complaint.resume", permission="record")
def resume(uow: UnitOfWork, actor: Actor, args: ComplaintRef) -> Result:
    """The customer answered: the SLA clocks run again (R-C7)."""
    complaint = uow.get(Complaint, args.complaint)
    complaint.resume(actor, uow.now)
    return outcome(complaint)


class ResolveComplaint(Input):
    complaint: Ref
    resolution: Text


@catalogue.command("complaint.resolve", permission="record")
def resolve(uow: UnitOfWork, actor: Actor, args: ResolveComplaint) -> Result:
    """Resolve an acknowledged complaint; on time within its SLA hours (R-C7)."""
    complaint = uow.get(Complaint, args.complaint)
    complaint.resolve(actor, uow.now, args.resolution)
    resolution = complaint.resolution
    assert resolution is not None  # set by the event just triggered
    return {**outcome(complaint), "on_time": resolution.on_time}


class RecordFeedback(Input):
    complaint: Ref
    satisfied: bool
    comment: str = ""


@catalogue.command("complaint.record_feedback", permission="record")
def record_feedback(uow: UnitOfWork, actor: Actor, args: RecordFeedback) -> Result:
    """Record whether the customer is satisfied with the resolution (R-C7)."""
    complaint = uow.get(Complaint, args.complaint)
    complaint.record_feedback(actor, uow.now, args.satisfied, args.comment)
    return outcome(complaint)


class CloseComplaint(Input):
    complaint: Ref
    rectification_owner: Ref | None = Field(
        None, description="for a dissatisfied close; default: the complaint's owner"
    )
    deadline: Day | None = None
    cause_code: str | None = Field(None, description="e.g. PRICING; recurrences share it (R-X6)")


@catalogue.command("complaint.close", permission="record")
def close(uow: UnitOfWork, actor: Actor, args: CloseComplaint) -> Result:
    """Close after feedback; a dissatisfied close raises a rectification in the same save."""
    complaint = uow.get(Complaint, args.complaint)
    feedback = complaint.feedback
    source = complaint.close_label()
    dissatisfied = feedback is not None and not feedback.satisfied
    complaint.close(
        actor,
        uow.now,
        rectification_id=aggregate_id(Rectification.KIND, source) if dissatisfied else None,
    )
    if feedback is None or feedback.satisfied:
        return outcome(complaint)
    rectification = raise_rectification(
        uow,
        actor,
        source_kind=Source.COMPLAINT,
        source_ref=source,
        problem=f"customer {complaint.customer_ref} dissatisfied with the resolution of "
        f"'{complaint.subject}'" + (f": {feedback.comment}" if feedback.comment else ""),
        owner=args.rectification_owner or complaint.owner_id,
        deadline=args.deadline,
        cause_code=args.cause_code,
        ref=source,
    )
    return {**outcome(complaint), "rectification": rectification_outcome(rectification)}
