"""Customer views: never a personal field's value (R-C1), only which ones are held or erased.

``customer_view`` is one customer as of a day (points, tier, consent, revisits, quality);
``information_quality`` (R-C8) and ``churn_rate`` (R-C10) are about every customer.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from closedloop.application.reader import Reader
from closedloop.domain.customer import ACTIVE, Customer, assess_tier, revisit_days
from closedloop.domain.customer_values import (
    PERSONAL_FIELDS,
    PROFILE_FIELDS,
    Channel,
    Purpose,
    Tier,
)
from closedloop.domain.money import RATIO, Money, share
from closedloop.domain.period import Period
from closedloop.domain.policy import Policy


def customer_view(customer: Customer, policy: Policy, today: date) -> dict[str, Any]:
    """The customer as they are (or were, at the reader's ``as_of``), judged on ``today``."""
    rules = policy.customer
    at = datetime.combine(today, time.max, tzinfo=customer.modified_on.tzinfo)
    _, spend, count, tenure = assess_tier(customer.recent, customer.registered_on, today, rules)
    satisfaction = [s.satisfaction for s in customer.services if s.satisfaction is not None]
    next_lot = min(
        (lot for lot in customer.lots if lot.remaining > 0 and lot.expires_on > today),
        key=lambda lot: lot.expires_on,
        default=None,
    )
    last_revisit = customer.last_revisit
    filled = customer.filled()
    return {
        "kind": Customer.KIND,
        "id": str(customer.id),
        "ref": customer.ref,
        "version": customer.version,
        "status": customer.status,
        "personal_data": "erased" if customer.erased else "held",
        "personal_fields": {
            name: "erased" if customer.erased else ("held" if name in customer.personal else None)
            for name in PERSONAL_FIELDS
        },
        "erased_at": customer.erased_at,
        "source": customer.source,
        "owner": customer.owner_id,
        "preferences": list(customer.preferences),
        "referrer": str(customer.referrer_id) if customer.referrer_id else None,
        "referrals_rewarded": [str(r) for r in customer.referrals_rewarded],
        "registered_on": customer.registered_on,
        "tier": customer.tier,
        "tier_since": customer.tier_since,
        "spend_12_months": Money(spend, rules.currency),
        "purchases_12_months": count,
        "tenure_days": tenure,
        "purchases": customer.purchase_count,
        "total_spend": Money(customer.total_spend, rules.currency),
        "last_purchase_on": customer.last_purchase_on,
        "points": {
            "earned": customer.earned,
            "redeemed": customer.redeemed,
            "expired": customer.expired,
            "balance": customer.balance,
            "available": customer.available(today),
            "next_expiry": (
                {"on": next_lot.expires_on, "points": next_lot.remaining} if next_lot else None
            ),
        },
        "consent": {
            channel.value: {
                purpose.value: customer.consent(channel, purpose, at) for purpose in Purpose
            }
            for channel in Channel
        },
        "contacts": [
            {"kind": c.kind.value, "channel": c.channel.value, "at": c.at, "by": c.actor_id}
            for c in customer.contacts
        ],
        "revisit": {
            "every_days": revisit_days(Tier(customer.tier), rules),
            "last": last_revisit,
            "due": customer.revisit_due(rules),
            "missed": customer.revisit_missed(today, rules),
        },
        "satisfaction": (
            RATIO.divide(Decimal(sum(satisfaction)), Decimal(len(satisfaction))).quantize(
                Decimal("0.01")
            )
            if satisfaction
            else None
        ),
        "services": len(customer.services),
        "quality": {
            "completeness": share(len(filled), len(PROFILE_FIELDS)),
            "missing": [name for name in PROFILE_FIELDS if name not in filled],
            "verified_on": customer.verified_on,
            "timely": customer.timely(today, rules),
            "accurate": customer.accurate,
        },
        "churn_day": customer.churn_day(rules) if customer.status == ACTIVE else None,
        "churned_on": customer.churns[-1] if customer.churns else None,
        "personal_data_reads": [
            {"by": r.actor_id, "at": r.at, "reason": r.reason, "fields": list(r.fields)}
            for r in customer.reads
        ],
        "created_on": customer.created_on,
        "modified_on": customer.modified_on,
    }


def information_quality(customers: list[Customer], policy: Policy, today: date) -> dict[str, Any]:
    """R-C8: completeness (share of profile fields filled), timeliness (share verified within
    ``verify_every_days``) and accuracy (share of checked profiles found accurate)."""
    rules = policy.customer
    checked = [c for c in customers if c.accurate is not None]
    filled = sum(len(c.filled()) for c in customers)
    return {
        "customers": len(customers),
        "completeness": share(filled, len(customers) * len(PROFILE_FIELDS)),
        "timeliness": share(sum(c.timely(today, rules) for c in customers), len(customers)),
        "accuracy": share(sum(bool(c.accurate) for c in checked), len(checked)),
        "overdue_verification": [c.label for c in customers if not c.timely(today, rules)],
        "inaccurate": [c.label for c in checked if not c.accurate],
    }


def churn_rate(reader_at_start: Reader, reader_at_end: Reader, period: Period) -> dict[str, Any]:
    """R-C10: customers churned during ``period`` / customers active at its start.

    The readers hold the store as it was at the period's start and end.
    """
    base = [c for c in reader_at_start.all(Customer) if c.status == ACTIVE]
    base_ids = {c.id for c in base}
    churned = [
        c
        for c in reader_at_end.all(Customer)
        if c.id in base_ids and any(period.start <= day <= period.end for day in c.churns)
    ]
    return {
        "period": str(period),
        "customers_at_start": len(base),
        "churned": len(churned),
        "churn_rate": share(len(churned), len(base)),
        "churned_customers": [c.label for c in churned],
    }
