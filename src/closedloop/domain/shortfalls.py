"""Shortfalls of customer care and risk management that a review turns into findings (R-E4):
complaints whose SLA was missed (R-C7) and risk reviews that came late (R-K4).

A review covers what was received, or was due, in its period: anything in a company
review, the person's own in a person's (complaints and risks belong to no team).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from closedloop.domain.complaint import Complaint
from closedloop.domain.review import FindingSource, Review, Shortfall
from closedloop.domain.risk import Risk


def complaint_shortfalls(
    review: Review, complaints: Iterable[Complaint], now: datetime
) -> list[Shortfall]:
    """R-C7: each complaint received in the period with an SLA met late or overdue at ``now``."""
    found = []
    for complaint in complaints:
        missed = complaint.missed_slas(now)
        if missed and review.covers_activity(complaint.owner_id, complaint.received_at.date()):
            found.append(
                Shortfall(
                    FindingSource.COMPLAINT,
                    str(complaint.id),
                    f"complaint {complaint.label} of customer {complaint.customer_ref} "
                    f"(received {complaint.received_at.date()}): {' and '.join(missed)} SLA "
                    "missed",
                )
            )
    return found


def risk_review_shortfalls(review: Review, risks: Iterable[Risk], now: datetime) -> list[Shortfall]:
    """R-K4: each review of a risk due in the period that came late, or is late at ``now``."""
    return [
        Shortfall(
            FindingSource.RISK_REVIEW,
            f"{risk.id}:{due}",
            f"risk {risk.label} ({risk.title}): the review due {due} came late or not at all",
        )
        for risk in risks
        for due in risk.late_reviews(now.date())
        if review.covers_activity(risk.owner_id, due)
    ]
