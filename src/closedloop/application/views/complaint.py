"""Complaint view (R-C7): each SLA clock's hours, elapsed time (paused spans excluded), due
time, and whether it is overdue as of a given moment (the clock's, or ``as_of``'s)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from closedloop.domain.complaint import Complaint, Milestone

_HOUR = Decimal(3600)


def hours(span: timedelta) -> Decimal:
    """A span in hours, to two places (``26.50``)."""
    return (Decimal(int(span.total_seconds())) / _HOUR).quantize(Decimal("0.01"))


def _sla(complaint: Complaint, sla_hours: int, done: Milestone | None, now: datetime) -> Any:
    elapsed = done.elapsed if done is not None else complaint.elapsed(now)
    return {
        "hours": sla_hours,
        "elapsed_hours": hours(elapsed),
        "due_at": complaint.due(sla_hours) if done is None else None,
        "done_at": done.at if done is not None else None,
        "on_time": done.on_time if done is not None else None,
        "overdue": done is None and elapsed > timedelta(hours=sla_hours),
    }


def complaint_view(complaint: Complaint, now: datetime) -> dict[str, Any]:
    """The complaint as it is (or was), its SLA clocks judged at ``now``."""
    feedback = complaint.feedback
    ack, resolution = complaint.acknowledgement, complaint.resolution
    return {
        "kind": Complaint.KIND,
        "id": str(complaint.id),
        "ref": complaint.ref,
        "version": complaint.version,
        "customer": complaint.customer_ref,
        "subject": complaint.subject,
        "description": complaint.description,
        "channel": complaint.channel,
        "owner": complaint.owner_id,
        "status": complaint.status,
        "received_at": complaint.received_at,
        "waiting_on_customer": complaint.waiting_on_customer,
        "overdue": bool(complaint.overdue(now)),
        "overdue_slas": complaint.overdue(now),
        "acknowledge": _sla(complaint, complaint.acknowledge_hours, ack, now),
        "resolve": _sla(complaint, complaint.resolve_hours, resolution, now),
        "acknowledgement": ack.text if ack is not None else None,
        "resolution": resolution.text if resolution is not None else None,
        "pauses": [
            {"since": p.since, "until": p.until, "reason": p.reason, "by": p.actor_id}
            for p in complaint.pauses
        ],
        "feedback": (
            {
                "satisfied": feedback.satisfied,
                "comment": feedback.comment,
                "by": feedback.actor_id,
                "at": feedback.at,
            }
            if feedback is not None
            else None
        ),
        "rectification": (
            str(complaint.rectification_id) if complaint.rectification_id is not None else None
        ),
        "closed_at": complaint.closed_at,
        "created_on": complaint.created_on,
        "modified_on": complaint.modified_on,
    }
