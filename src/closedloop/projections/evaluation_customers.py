"""The evaluation views of customers, complaints and risks, computed from their facts rows.

Like every evaluation view they take a period and a scope (``person:REF`` picks a person's
customers, complaints and risks by owner) and judge what depends on the day (overdue SLAs,
late reviews, acceptances near expiry) when asked, with the policy of the day.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from closedloop.domain.complaint import Status as ComplaintStatus
from closedloop.domain.complaint import overdue_slas, sla_elapsed
from closedloop.domain.customer import verified_in_time
from closedloop.domain.customer_values import PROFILE_FIELDS, Tier
from closedloop.domain.money import RATIO, share
from closedloop.domain.policy import Policy
from closedloop.domain.risk import Status as RiskStatus
from closedloop.domain.risk import acceptance_expiring, review_overdue
from closedloop.domain.risk_matrix import Grid

if TYPE_CHECKING:
    from closedloop.projections.evaluation import Evidence, Facts, Filter


def _day(value: str) -> date:
    return date.fromisoformat(value[:10])


# --- customers (R-C4, R-C8, R-C10, L5) ------------------------------------------------------


def _churns(customer: Facts) -> list[tuple[date, date | None]]:
    """R-C10: the customer's churns, each from its churn day to the day of the purchase that
    reactivated them (None while it lasts). A churn whose reactivating purchase is dated on
    or before its churn day (recorded late) never was: the customer had not gone
    ``churn_after_days`` without buying."""
    spans = [
        (_day(day), _day(until) if until is not None else None) for day, until in customer["churns"]
    ]
    return [(day, until) for day, until in spans if until is None or until > day]


def _in_churn(customer: Facts, on: date) -> bool:
    """R-C10: churned at the start of ``on``: a churn began before it and the purchase that
    ended it, if any, was not made before it."""
    return any(day < on and (until is None or on <= until) for day, until in _churns(customer))


def customers(evidence: Evidence, where: Filter, policy: Policy, today: date) -> dict[str, Any]:
    """Customers (registered by the period's end), new and churned in the period, the churn
    rate (churned in the period / customers at its start, R-C10), tiers (R-C4), repeat
    purchases, referrals, satisfaction, information quality (R-C8) and points outstanding
    (L5: the sum of balances). Without a period there is no start, so no churn rate."""
    mine = [c for c in evidence.of("customer") if where.covers_person(c["owner"])]
    period = where.period
    rows = [c for c in mine if period is None or _day(c["registered_on"]) <= period.end]
    new = [c for c in rows if where.covers_day(c["registered_on"])]
    churned = [c for c in rows if any(where.covers_day(str(day)) for day, _ in _churns(c))]
    start = period.start if period is not None else None
    base = [
        c
        for c in rows
        if start is not None and _day(c["registered_on"]) < start and not _in_churn(c, start)
    ]
    base_ids = {c["id"] for c in base}
    churned_from_base = [c for c in churned if c["id"] in base_ids]
    bought = [c for c in rows if c["purchases"] >= 1]
    scores = [score for c in rows for score in c["satisfaction"]]
    checked = [c for c in rows if c["accurate"] is not None]
    rules = policy.customer
    return {
        "customers": len(rows),
        "new": len(new),
        "churned": len(churned),
        "customers_at_start": len(base) if start is not None else None,
        "churn_rate": share(len(churned_from_base), len(base)) if start is not None else None,
        "tiers": {tier.value: sum(1 for c in rows if c["tier"] == tier.value) for tier in Tier},
        "repeat_purchase_rate": share(sum(1 for c in bought if c["purchases"] >= 2), len(bought)),
        "referral_rate": share(sum(1 for c in rows if c["referred"]), len(rows)),
        "mean_satisfaction": (
            RATIO.divide(Decimal(sum(scores)), Decimal(len(scores))).quantize(Decimal("0.01"))
            if scores
            else None
        ),
        "quality": {
            "completeness": share(
                sum(c["fields_filled"] for c in rows), len(rows) * len(PROFILE_FIELDS)
            ),
            "timeliness": share(
                sum(verified_in_time(_day(c["verified_on"]), today, rules) for c in rows),
                len(rows),
            ),
            "accuracy": share(sum(bool(c["accurate"]) for c in checked), len(checked)),
        },
        "points_outstanding": sum(c["points_balance"] for c in rows),
    }


# --- complaints (R-C7) -----------------------------------------------------------------------


class _Span:
    """A paused span of a complaint's facts, as the SLA clock reads it."""

    def __init__(self, since: str, until: str | None) -> None:
        self.since = datetime.fromisoformat(since)
        self.until = datetime.fromisoformat(until) if until is not None else None


def _overdue(complaint: Facts, now: datetime) -> list[str]:
    """R-C7: the SLAs still pending and past their hours at ``now``."""
    pending = {
        name: complaint[f"{name}_hours"]
        for name, done in (
            ("acknowledge", complaint["acknowledged_on_time"]),
            ("resolve", complaint["resolved_on_time"]),
        )
        if done is None
    }
    spans = [_Span(since, until) for since, until in complaint["pauses"]]
    received = datetime.fromisoformat(complaint["received_at"])
    return overdue_slas(sla_elapsed(received, spans, now), pending)


def complaints(evidence: Evidence, where: Filter, today: date) -> dict[str, Any]:
    """Complaints received in the period: open ones, those overdue by the end of ``today``,
    the shares acknowledged and resolved within their SLA, and the dissatisfied closes with
    the rectification each raised."""
    now = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    rows = [
        {**c, "overdue_slas": _overdue(c, now) if c["closed_at"] is None else []}
        for c in evidence.of("complaint")
        if where.covers_day(c["received_at"]) and where.covers_person(c["owner"])
    ]
    rows.sort(key=lambda c: c["received_at"])
    acknowledged = [
        c["acknowledged_on_time"] for c in rows if c["acknowledged_on_time"] is not None
    ]
    resolved = [c["resolved_on_time"] for c in rows if c["resolved_on_time"] is not None]
    dissatisfied = []
    for c in rows:
        if c["status"] != ComplaintStatus.CLOSED.value or c["satisfied"] is not False:
            continue
        fix = evidence.get("rectification", c["rectification"])
        dissatisfied.append(
            {
                "complaint": c["ref"] or c["id"],
                "rectification": (fix["ref"] or fix["id"]) if fix else c["rectification"],
                "rectification_status": fix["status"] if fix else None,
            }
        )
    return {
        "complaints": rows,
        "received": len(rows),
        "open": sum(1 for c in rows if c["closed_at"] is None),
        "overdue": sum(1 for c in rows if c["overdue_slas"]),
        "acknowledged_within_sla_rate": share(sum(acknowledged), len(acknowledged)),
        "resolved_within_sla_rate": share(sum(resolved), len(resolved)),
        "dissatisfied_closes": dissatisfied,
    }


# --- risks (R-K1 … R-K4) ---------------------------------------------------------------------


def _heat_maps(rows: list[Facts], stage: str) -> list[dict[str, Any]]:
    """R-K1: open risks per likelihood × impact cell, one map per grid the ``stage``'s
    latest assessments recorded (a later policy grid never moves an old assessment)."""
    maps: dict[str, dict[str, Any]] = {}
    for risk in rows:
        assessment = risk[stage]
        if assessment is None or risk["status"] == RiskStatus.CLOSED.value:
            continue
        recorded = assessment["grid"]
        grid = Grid(recorded["likelihoods"], recorded["impacts"], recorded["levels"])
        entry = maps.setdefault(
            repr(recorded),
            {
                **recorded,
                "size": grid.size,
                "cells": [[0 for _ in grid.impacts] for _ in grid.likelihoods],
            },
        )
        cell = grid.cell(assessment["likelihood"], assessment["impact"])
        if cell is not None:
            entry["cells"][cell[0]][cell[1]] += 1
    return list(maps.values())


def _level(assessment: Facts | None) -> str | None:
    return assessment["level"] if assessment is not None else None


def risks(evidence: Evidence, where: Filter, policy: Policy, today: date) -> dict[str, Any]:
    """The register of risks registered in the period (inherent, current and residual level
    side by side, R-K3), heat maps of inherent and residual levels (R-K1), reviews late on
    ``today`` (R-K4) and acceptances expiring within the policy's warning days (R-K2)."""
    rows = [
        r
        for r in evidence.of("risk")
        if where.covers_day(r["registered_on"]) and where.covers_person(r["owner"])
    ]
    register = [
        {
            "ref": r["ref"],
            "title": r["title"],
            "category": r["category"],
            "owner": r["owner"],
            "status": r["status"],
            "inherent": _level(r["inherent"]),
            "current": _level(r["current"]),
            "residual": _level(r["residual"]),
            "next_review_due": r["next_review_due"],
        }
        for r in rows
    ]
    late = []
    for r in rows:
        due = _day(r["next_review_due"]) if r["next_review_due"] else None
        pending = [due] if due is not None and review_overdue(r["status"], due, today) else []
        missed = [_day(d) for d in r["missed_reviews"]] + pending
        if missed:
            late.append(
                {
                    "ref": r["ref"],
                    "owner": r["owner"],
                    "level": _level(r["current"]),
                    "late_reviews": missed,
                    "overdue_since": pending[0] if pending else None,
                    "days_late": (today - pending[0]).days if pending else None,
                }
            )
    horizon = today + timedelta(days=policy.risk.acceptance_warning_days)
    near = [
        {
            "ref": r["ref"],
            "level": r["acceptance"]["level"],
            "accepted_by": r["acceptance"]["by"],
            "expires_on": _day(r["acceptance"]["expires_on"]),
            "days_left": (_day(r["acceptance"]["expires_on"]) - today).days,
            "expired": _day(r["acceptance"]["expires_on"]) < today,
        }
        for r in rows
        if r["acceptance"] is not None
        and acceptance_expiring(
            r["status"], _day(r["acceptance"]["expires_on"]), r["acceptance"]["revoked"], horizon
        )
    ]
    return {
        "register": register,
        "open": sum(1 for r in rows if r["status"] != RiskStatus.CLOSED.value),
        "levels": dict(Counter(_level(r["current"]) or "unassessed" for r in rows)),
        "heat_map_inherent": _heat_maps(rows, "inherent"),
        "heat_map_residual": _heat_maps(rows, "residual"),
        "late_reviews": late,
        "acceptances_near_expiry": sorted(near, key=lambda a: a["expires_on"]),
    }
