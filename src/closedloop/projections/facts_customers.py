"""Facts of customers, complaints and risks: what their evaluation views need of each.

A customer's row holds no personal data (R-C1): neither a sealed field nor a free-text note,
only status, tier, counts, days, the points balance, satisfaction scores and how complete
and how recently confirmed the profile is. A complaint's row names no customer and keeps no
text; a risk's row keeps its register entry and the grid each assessment used (R-K1).
Values are JSON, as in :mod:`closedloop.projections.facts`.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import zip_longest
from typing import Any

from closedloop.domain.complaint import Complaint
from closedloop.domain.customer import Customer
from closedloop.domain.risk import Assessment, Risk


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def customer_facts(customer: Customer) -> dict[str, Any]:
    return {
        "ref": customer.ref,
        "status": customer.status,
        "owner": customer.owner_id,
        "tier": customer.tier,
        "registered_on": _iso(customer.registered_on),
        "churns": [  # [churn day, the reactivating purchase's day or None] (R-C10)
            [_iso(day), _iso(until)]
            for day, until in zip_longest(customer.churns, customer.reactivations)
        ],
        "purchases": customer.purchase_count,
        "last_purchase_on": _iso(customer.last_purchase_on),
        "referred": customer.referrer_id is not None,
        "points_balance": customer.balance,
        "satisfaction": [s.satisfaction for s in customer.services if s.satisfaction is not None],
        "fields_filled": len(customer.filled()),
        "verified_on": _iso(customer.verified_on),
        "accurate": customer.accurate,
        "erased": customer.erased,
    }


def complaint_facts(complaint: Complaint) -> dict[str, Any]:
    ack, resolution, feedback = complaint.acknowledgement, complaint.resolution, complaint.feedback
    return {
        "ref": complaint.ref,
        "status": complaint.status,
        "owner": complaint.owner_id,
        "channel": complaint.channel,
        "received_at": _iso(complaint.received_at),
        "acknowledge_hours": complaint.acknowledge_hours,
        "resolve_hours": complaint.resolve_hours,
        "pauses": [[_iso(p.since), _iso(p.until)] for p in complaint.pauses],
        "acknowledged_on_time": ack.on_time if ack is not None else None,
        "resolved_on_time": resolution.on_time if resolution is not None else None,
        "satisfied": feedback.satisfied if feedback is not None else None,
        "rectification": str(complaint.rectification_id) if complaint.rectification_id else None,
        "closed_at": _iso(complaint.closed_at),
    }


def _assessment(assessment: Assessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    grid = assessment.grid
    return {
        "likelihood": assessment.likelihood,
        "impact": assessment.impact,
        "level": assessment.level.value,
        "grid": {
            "likelihoods": list(grid.likelihoods),
            "impacts": list(grid.impacts),
            "levels": [[level.value for level in row] for row in grid.levels],
        },
    }


def risk_facts(risk: Risk) -> dict[str, Any]:
    acceptance = risk.acceptance
    return {
        "ref": risk.ref,
        "title": risk.title,
        "category": risk.category.value,
        "owner": risk.owner_id,
        "status": risk.status,
        "registered_on": _iso(risk.created_on.date()),
        "inherent": _assessment(risk.inherent),
        "current": _assessment(risk.current),
        "residual": _assessment(risk.residual),
        "next_review_due": _iso(risk.next_review_due),
        "missed_reviews": [_iso(day) for day in risk.missed_reviews],
        "acceptance": None
        if acceptance is None
        else {
            "level": acceptance.level.value,
            "expires_on": _iso(acceptance.expires_on),
            "by": acceptance.actor_id,
            "revoked": acceptance.revoked_by is not None,
        },
    }
