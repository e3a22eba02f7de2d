"""R-C9 care plan: the greetings due now, the revisits due, and the care that was missed.

A greeting is due in the ``greeting_days_before`` days up to its occasion until it is sent;
it is missed when the occasion passed without one although the customer was a customer then
and had care consent on some channel. A revisit is due by the tier's cadence and missed when
late. Erased customers are left out (R-C2: there is no one left to contact). A birthday
entry carries no day (R-C1: the plan shows that a birthday is near, not when it is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from closedloop.domain.care import Occasion, birthday_occasions, holiday_occasions
from closedloop.domain.customer import Customer
from closedloop.domain.customer_values import Channel, ContactKind, Purpose
from closedloop.domain.policy import CustomerPolicy


def care_plan(
    customers: Iterable[Customer],
    birthdays: Mapping[UUID, date],
    policy: CustomerPolicy,
    today: date,
) -> list[dict[str, Any]]:
    """Every care task due or missed on ``today``: soonest first, missed ones before."""
    past_holidays, coming_holidays = holiday_occasions(policy.holidays, today)
    tasks: list[dict[str, Any]] = []
    for customer in customers:
        if customer.erased:
            continue
        greetings = [(ContactKind.HOLIDAY_GREETING, past_holidays, coming_holidays)]
        if customer.id in birthdays:
            last, upcoming = birthday_occasions(birthdays[customer.id], today)
            greetings.append((ContactKind.BIRTHDAY_GREETING, [last], [upcoming]))
        for kind, past, coming in greetings:
            tasks += [
                _task(customer, kind, o, missed=True) for o in past if _missed(customer, kind, o)
            ]
            tasks += [
                _task(customer, kind, o, missed=False)
                for o in coming
                if _in_window(o, today, policy)
                and not customer.greeted(kind, o)
                and _may_greet(customer, today)
            ]
        due = customer.revisit_due(policy)
        if due is not None and due <= today:
            tasks.append(_revisit(customer, due, missed=customer.revisit_missed(today, policy)))
    return sorted(
        tasks, key=lambda task: (not task["missed"], task["due"] or today, task["customer"])
    )


def _in_window(occasion: Occasion, today: date, policy: CustomerPolicy) -> bool:
    first, last = occasion.window(policy.greeting_days_before)
    return first <= today <= last


def _missed(customer: Customer, kind: ContactKind, occasion: Occasion) -> bool:
    """Passed without a greeting, though the customer was one then and could be greeted."""
    if customer.registered_on > occasion.on or customer.greeted(kind, occasion):
        return False
    return _may_greet(customer, occasion.on)


def _may_greet(customer: Customer, day: date) -> bool:
    """R-C3: care consent on some channel at the end of ``day``."""
    end = datetime.combine(day, time.max, tzinfo=UTC)
    return any(customer.consent(channel, Purpose.CARE, end) for channel in Channel)


def _task(
    customer: Customer, kind: ContactKind, occasion: Occasion, *, missed: bool
) -> dict[str, Any]:
    birthday = kind is ContactKind.BIRTHDAY_GREETING
    return {
        "customer": customer.label,
        "care": kind.value,
        "occasion": occasion.name,
        "due": None if birthday else occasion.on,
        "missed": missed,
    }


def _revisit(customer: Customer, due: date, *, missed: bool) -> dict[str, Any]:
    return {
        "customer": customer.label,
        "care": ContactKind.REVISIT.value,
        "occasion": customer.tier,
        "due": due,
        "missed": missed,
    }
