"""What the HTML report shows, gathered from the public ``ClosedLoop`` API only.

The report is a read: it runs the same queries as ``closedloop view`` and friends, for one
period and one ``as_of``, and derives only what no view answers yet (the burn-down of open
rectifications, from their raised and closed days in the facts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from closedloop.api import ClosedLoop
from closedloop.application.reader import AsOf
from closedloop.domain.customer_values import Tier
from closedloop.domain.errors import RuleViolation


@dataclass(frozen=True)
class Certificate:
    """The closure certificate of the period, or why it is refused (R-E4)."""

    issued: dict[str, Any] | None
    refusal: str | None


@dataclass(frozen=True)
class ReportData:
    """Everything one report page shows, as the API answered it."""

    period: str | None
    certified_period: str
    as_of: AsOf
    made_at: datetime
    day: date
    store: str
    achievement: list[dict[str, Any]]
    activities: dict[str, Any]
    rectifications: dict[str, Any]
    loop_health: dict[str, Any]
    certificate: Certificate
    burn_down: list[tuple[date, int]]
    customers: list[dict[str, Any]]
    tiers: list[tuple[str, int]]
    points_outstanding: int
    quality: dict[str, Any]
    churn: dict[str, Any]
    heat_maps: dict[str, dict[str, Any]]
    audit: dict[str, Any]


def gather(loop: ClosedLoop, *, period: str | None = None, as_of: AsOf = None) -> ReportData:
    """Ask the loop every question the report answers, for ``period`` as of ``as_of``."""
    made_at = loop.clock.now()
    day = as_of.date() if isinstance(as_of, datetime) else made_at.date()
    certified = period or str(day.year)
    rectifications = loop.evaluation("rectifications", period=period, as_of=as_of)
    customers = loop.customers(as_of=as_of)
    return ReportData(
        period=period,
        certified_period=certified,
        as_of=as_of,
        made_at=made_at,
        day=day,
        store=printable_url(loop.store_url),
        achievement=loop.evaluation("achievement", period=period, as_of=as_of),
        activities=loop.evaluation("activities", period=period, as_of=as_of),
        rectifications=rectifications,
        loop_health=loop.evaluation("loop-health", period=period, as_of=as_of),
        certificate=_certificate(loop, certified, as_of),
        burn_down=burn_down(rectifications["rectifications"], day),
        customers=customers,
        tiers=tier_counts(customers),
        points_outstanding=sum(int(c["points"]["balance"]) for c in customers),
        quality=loop.customer_quality(as_of=as_of),
        churn=loop.churn_rate(certified),
        heat_maps={
            stage: loop.risk_heat_map(stage=stage, as_of=as_of)
            for stage in ("inherent", "residual")
        },
        audit=loop.audit_digest(),
    )


def tier_counts(customers: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Customers per tier (R-C4), every tier highest first, then any without one."""
    counts = Counter(c["tier"] for c in customers)
    tiers = [(tier.value.replace("_", " "), counts.pop(tier.value, 0)) for tier in Tier]
    return tiers + [("no tier", count) for count in counts.values()]


def _certificate(loop: ClosedLoop, period: str, as_of: AsOf) -> Certificate:
    try:
        return Certificate(loop.closure_certificate(period, as_of=as_of), None)
    except RuleViolation as refused:
        return Certificate(None, str(refused))


def burn_down(rectifications: Iterable[Mapping[str, Any]], until: date) -> list[tuple[date, int]]:
    """How many rectifications were open after each day one was raised or closed, up to
    ``until`` (a rectification closed later still counts as open then)."""
    changes: Counter[date] = Counter()
    for rectification in rectifications:
        raised, closed = rectification["raised_on"], rectification["closed_on"]
        if raised is None or date.fromisoformat(str(raised)) > until:
            continue
        changes[date.fromisoformat(str(raised))] += 1
        if closed is not None and date.fromisoformat(str(closed)) <= until:
            changes[date.fromisoformat(str(closed))] -= 1
    steps, open_now = [], 0
    for day in sorted(changes):
        open_now += changes[day]
        steps.append((day, open_now))
    return steps


def printable_url(url: str) -> str:
    """The store's URL as the report may print it: never a password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
