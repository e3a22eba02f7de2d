"""The evaluation views, computed from the facts rows of one moment (live, or as of a time).

Every view takes a period (``2026``, ``2026-Q2``, ``2026-05``: what lies wholly inside it)
and a scope (``company``, ``team``, ``person``, optionally ``:REF``, e.g. ``person:li.na``)
and answers in plain JSON-able data. Judgements that depend on policy or on the day (grades,
overdue) are made here, when asked, never stored.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from closedloop.domain.errors import InvalidInput, RuleViolation
from closedloop.domain.money import exact_sum, share
from closedloop.domain.period import Period
from closedloop.domain.policy import Policy
from closedloop.domain.rectification import overdue
from closedloop.domain.target import Aggregation, Direction, achievement, current_actual
from closedloop.projections import evaluation_customers

Facts = dict[str, Any]

#: Rectification states in which the fix has been found effective.
VERIFIED = ("verified", "closed")


def decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def decimals(facts: Facts, *keys: str) -> Facts:
    """``facts`` with the amounts and ratios under ``keys`` as decimals again."""
    return {**facts, **{key: decimal(facts[key]) for key in keys if key in facts}}


def day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


@attrs.frozen
class Filter:
    """``--period`` and ``--scope``: which aggregates a view covers."""

    period: Period | None = None
    scope: str | None = None
    scope_ref: str | None = None

    @classmethod
    def parse(cls, period: str | None = None, scope: str | None = None) -> Filter:
        parsed = Period.parse(period) if period else None
        kind, _, ref = (scope or "").partition(":")
        if kind and kind not in ("company", "team", "person"):
            raise InvalidInput(
                f"scope {scope!r}: it is company, team or person, optionally with :REF"
            )
        return cls(parsed, kind or None, ref or None)

    def covers_period(self, period: str | None) -> bool:
        return self.period is None or (
            period is not None and self.period.contains(Period.parse(period))
        )

    def covers_day(self, value: str | None) -> bool:
        when = day(value)
        return self.period is None or (when is not None and self.period.contains(when))

    def covers_scope(self, scope: str, scope_ref: str | None) -> bool:
        if self.scope is None:
            return True
        return scope == self.scope and (self.scope_ref is None or scope_ref == self.scope_ref)

    def covers_person(self, person: str | None) -> bool:
        """Plans and activities belong to a person (their author or owner): a person scope
        with a ref picks theirs; any other scope covers them all."""
        return self.scope != "person" or self.scope_ref is None or person == self.scope_ref


class Evidence:
    """The facts rows of one moment, by kind and id."""

    def __init__(self, rows: Iterable[tuple[str, Facts]]) -> None:
        self.kinds: dict[str, dict[str, Facts]] = defaultdict(dict)
        for key, facts in rows:
            kind, _, _ = key.partition(":")
            self.kinds[kind][facts["id"]] = facts

    def of(self, kind: str) -> list[Facts]:
        """The facts of every aggregate of ``kind``, by reference (ids without one last)."""
        return sorted(
            self.kinds[kind].values(), key=lambda f: (f["ref"] is None, f["ref"] or f["id"])
        )

    def get(self, kind: str, aggregate_id: str | None) -> Facts | None:
        return self.kinds[kind].get(aggregate_id) if aggregate_id else None


# --- targets (R-T2, R-T3, R-T4) -----------------------------------------------------------


@attrs.frozen
class _Measured:
    """A target's facts as the domain's roll-up reads a target."""

    actual: Decimal | None
    period: Period
    aggregation: Aggregation
    decompositions: Mapping[str, list[UUID]]

    @classmethod
    def of(cls, facts: Facts) -> _Measured:
        return cls(
            decimal(facts["actual"]),
            Period.parse(facts["period"]),
            Aggregation(facts["aggregation"]),
            {dim: [UUID(i) for i in ids] for dim, ids in facts["decompositions"].items()},
        )


def achievement_tree(evidence: Evidence, policy: Policy, where: Filter) -> list[Facts]:
    """The targets of the period and scope, as trees of their decompositions, each node
    with its actual (rolled up from its children when it has none of its own) and its
    achievement against the adjusted and the original value."""
    targets = evidence.kinds["target"]

    def load(target_id: UUID) -> _Measured:
        return _Measured.of(targets[str(target_id)])

    def node(facts: Facts) -> Facts:
        actual = current_actual(_Measured.of(facts), load)
        direction = Direction(facts["direction"])
        value = decimal(facts["value"])
        adjusted = achievement(actual, value, direction)
        original = achievement(actual, decimal(facts["original_value"]) or value, direction)
        return {
            **{
                k: v
                for k, v in decimals(facts, "value", "original_value").items()
                if k != "decompositions"
            },
            "actual": actual,
            "achievement": adjusted,
            "achievement_original": original,
            "grade": policy.grades.grade(adjusted) if adjusted is not None else None,
            "children": {
                dim: [node(targets[i]) for i in ids if i in targets]
                for dim, ids in facts["decompositions"].items()
            },
        }

    chosen = [
        t
        for t in evidence.of("target")
        if where.covers_period(t["period"]) and where.covers_scope(t["scope"], t["scope_ref"])
    ]
    chosen_ids = {t["id"] for t in chosen}
    return [node(t) for t in chosen if t["parent"] not in chosen_ids]


# --- plans and activities (R-P4, R-A5, R-A7) -------------------------------------------------


def _spend_by_plan(evidence: Evidence) -> dict[str, list[Decimal]]:
    spend: dict[str, list[Decimal]] = defaultdict(list)
    for activity in evidence.of("activity"):
        if activity["plan"]:
            spend[activity["plan"]].append(Decimal(activity["spend"]))
    return spend


def plans(evidence: Evidence, where: Filter) -> list[Facts]:
    """Each plan's status, the revision approved against the current one, and its budget:
    allocated to action items, and spent by the activities that carry it out."""
    spend = _spend_by_plan(evidence)
    found = []
    for plan in evidence.of("plan"):
        if not (where.covers_period(plan["period"]) and where.covers_person(plan["author"])):
            continue
        budget = Decimal(plan["approved_budget"] or plan["budget"])
        spent = exact_sum(spend.get(plan["id"], []))
        amounts = decimals(plan, "budget", "approved_budget", "allocated")
        found.append({**amounts, "spent": spent, "remaining": budget - spent})
    return sorted(found, key=lambda plan: Period.parse(plan["period"]))


def activities(evidence: Evidence, where: Filter) -> dict[str, Any]:
    """Each activity's money and evaluation figures, and the totals per currency."""
    rows = [
        a
        for a in evidence.of("activity")
        if where.covers_day(a["start"]) and where.covers_person(a["owner"])
    ]
    rows.sort(key=lambda a: a["start"])
    totals: dict[str, dict[str, Decimal]] = {}
    for currency in sorted({a["currency"] for a in rows}):
        mine = [a for a in rows if a["currency"] == currency]
        totals[currency] = {
            key: exact_sum(Decimal(a[key]) for a in mine)
            for key in ("budget", "spend", "approved_overspend")
        }
    return {"activities": [_money_and_figures(a) for a in rows], "totals": totals}


FIGURES = (
    "attributed_revenue",
    "goal_achievement_rate",
    "conversion_rate",
    "cost_per_participant",
    "cost_variance",
    "cost_variance_pct",
    "roi",
)


def _money_and_figures(activity: Facts) -> Facts:
    evaluated = activity["evaluation"]
    return {
        **decimals(activity, "budget", "spend", "approved_overspend"),
        "evaluation": decimals(evaluated, *FIGURES) if evaluated else None,
    }


# --- rectifications (R-X3 … R-X6) ------------------------------------------------------------


def _days(rectification: Facts) -> int | None:
    raised, closed = day(rectification["raised_on"]), day(rectification["closed_on"])
    return (closed - raised).days if raised and closed else None


def rectifications(evidence: Evidence, where: Filter, today: date) -> dict[str, Any]:
    """Open, overdue and closed rectifications raised in the period; the share closed by
    their deadline, the mean days to close, the share reopened by a failed verification,
    and recurrences."""
    rows = [
        {**r, "overdue": overdue(r["status"], day(r["deadline"]), today)}
        for r in evidence.of("rectification")
        if where.covers_day(r["raised_on"]) and where.covers_person(r["owner"])
    ]
    rows.sort(key=lambda r: r["raised_on"])
    closed = [r for r in rows if r["closed_on"]]
    with_deadline = [r for r in closed if r["deadline"]]
    on_time = [r for r in with_deadline if r["closed_on"][:10] <= r["deadline"]]  # ISO dates
    verified_once = [r for r in rows if r["verified_by"] or r["failed_verifications"]]
    days = [d for d in (_days(r) for r in closed) if d is not None]
    return {
        "rectifications": rows,
        "open": sum(1 for r in rows if not r["closed_on"]),
        "overdue": sum(1 for r in rows if r["overdue"]),
        "closed": len(closed),
        "on_time_closure_rate": share(len(on_time), len(with_deadline)),
        "mean_days_to_close": (Decimal(sum(days)) / len(days) if days else None),
        "reopen_rate": share(
            sum(1 for r in verified_once if r["failed_verifications"]), len(verified_once)
        ),
        "recurrences": sum(r["recurrence_count"] for r in rows),
    }


# --- loop health (R-E1, R-E4, L3, L4) --------------------------------------------------------


def _reviews(evidence: Evidence, where: Filter) -> list[Facts]:
    return [
        r
        for r in evidence.of("review")
        if where.covers_period(r["period"]) and where.covers_scope(r["scope"], r["scope_ref"])
    ]


def loops(evidence: Evidence, where: Filter) -> Iterator[Facts]:
    """Every finding of the period's reviews, with how far its loop has come."""
    for review in _reviews(evidence, where):
        for finding in review["findings"]:
            fix = evidence.get("rectification", finding["rectification"])
            stage = (
                "waived"
                if finding["waived_by"]
                else "open"
                if fix is None
                else "closed"
                if fix["closed_on"]
                else "verified"
                if fix["status"] in VERIFIED
                else "rectifying"
            )
            yield {
                "review": review["ref"] or review["id"],
                "period": review["period"],
                "finding": finding["id"],
                "description": finding["description"],
                "stage": stage,
                "rectification": fix["ref"] or fix["id"] if fix else None,
                "verified_by": fix["verified_by"] if fix else None,
                "closed_on": fix["closed_on"] if fix else None,
                "waived_by": finding["waived_by"],
                "loop_days": _days(fix) if fix else None,
            }


def loop_health(evidence: Evidence, where: Filter) -> dict[str, Any]:
    """Findings → rectified → verified → closed (or waived), the median loop time from
    raising a rectification to closing it, and the reviews finalised on time."""
    found = list(loops(evidence, where))
    reviews = _reviews(evidence, where)
    stages = Counter(loop["stage"] for loop in found)
    days = [loop["loop_days"] for loop in found if loop["loop_days"] is not None]
    finalised = [r for r in reviews if r["finalised_at"]]
    return {
        "findings": len(found),
        "rectified": len(found) - stages["open"] - stages["waived"],
        "verified": stages["verified"] + stages["closed"],
        "closed": stages["closed"],
        "waived": stages["waived"],
        "open": stages["open"] + stages["rectifying"] + stages["verified"],
        "median_loop_days": Decimal(str(statistics.median(days))) if days else None,
        "reviews": len(reviews),
        "reviews_finalised": len(finalised),
        "reviews_finalised_on_time": sum(1 for r in finalised if r["on_time"]),
        "loops": found,
    }


# --- the closure certificate -------------------------------------------------------------


def closure_certificate(
    evidence: Evidence, period: str, audit_head: Mapping[str, Any]
) -> dict[str, Any]:
    """A statement that every finding of ``period``'s reviews is closed and verified by
    someone other than its owner (or waived by leadership), with the SHA-256 digest of that
    evidence and of the audit trail's head it was read at; refused (R-E4) with every open
    loop listed otherwise."""
    where = Filter.parse(period)
    reviews = _reviews(evidence, where)
    if not reviews:
        raise RuleViolation("R-E4", f"no review of {period} or within it: nothing to certify")
    found = list(loops(evidence, where))
    open_loops = [
        f"review {r['ref'] or r['id']} is {r['status']}, not finalised"
        for r in reviews
        if not r["finalised_at"]
    ] + [
        f"{loop['review']} finding {loop['finding']} is {loop['stage']}"
        + (f" (rectification {loop['rectification']})" if loop["rectification"] else "")
        for loop in found
        if loop["stage"] not in ("closed", "waived")
    ]
    if open_loops:
        raise RuleViolation(
            "R-E4", f"{period} is not closed: {len(open_loops)} open: " + "; ".join(open_loops)
        )
    statement = {
        "period": period,
        "reviews": sorted(r["ref"] or r["id"] for r in reviews),
        "findings": len(found),
        "closed": sum(1 for loop in found if loop["stage"] == "closed"),
        "waived": sum(1 for loop in found if loop["stage"] == "waived"),
        "evidence": found,
        "audit_head": dict(audit_head),
    }
    body = json.dumps(statement, sort_keys=True, separators=(",", ":"), default=str)
    return {**statement, "digest": hashlib.sha256(body.encode()).hexdigest()}


#: Each evaluation view: (evidence, filter, policy, the day judged on) -> its data.
VIEWS: dict[str, Callable[[Evidence, Filter, Policy, date], Any]] = {
    "achievement": lambda evidence, where, policy, today: achievement_tree(evidence, policy, where),
    "plans": lambda evidence, where, policy, today: plans(evidence, where),
    "activities": lambda evidence, where, policy, today: activities(evidence, where),
    "rectifications": lambda evidence, where, policy, today: rectifications(evidence, where, today),
    "loop-health": lambda evidence, where, policy, today: loop_health(evidence, where),
    "customers": evaluation_customers.customers,
    "complaints": lambda evidence, where, policy, today: evaluation_customers.complaints(
        evidence, where, today
    ),
    "risks": evaluation_customers.risks,
}
