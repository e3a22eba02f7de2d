"""Facts: one row per aggregate, what the evaluation views need of it, kept by position.

A row is a pure function of its aggregate's state at that version, and that state is a pure
function of the aggregate's events: the projection folds each event into the state it
belongs to (kept between events in a small cache, reloaded from the store at the previous
version on a miss), then writes the state's facts. The evaluation views are computed from
these rows when asked, with the policy of the day (grades, overdue as of today), so a policy
change never needs a rebuild and a rebuild always equals the live rows (L7).

Values are JSON: amounts and ratios as decimal strings, dates and times in ISO 8601.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from closedloop.application.json_text import loads
from closedloop.application.store import EventStoreApp
from closedloop.domain.activity import Activity
from closedloop.domain.base import LoopAggregate
from closedloop.domain.complaint import Complaint
from closedloop.domain.customer import Customer
from closedloop.domain.plan import Plan
from closedloop.domain.rectification import Rectification
from closedloop.domain.review import Review
from closedloop.domain.risk import Risk
from closedloop.domain.target import Target
from closedloop.projections.audit import stored
from closedloop.projections.facts_customers import complaint_facts, customer_facts, risk_facts
from closedloop.projections.projection import Page, Projection, Rows

#: Aggregates whose state is kept between events (a miss costs one replay from the store).
STATES_KEPT = 1_000


def text(value: Decimal | date | datetime | UUID | None) -> str | None:
    """A fact's JSON form: decimals exact, dates and times ISO, ids as text."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def target_facts(target: Target) -> dict[str, Any]:
    return {
        "ref": target.ref,
        "status": target.status,
        "metric": target.metric,
        "unit": target.unit,
        "direction": target.direction.value,
        "aggregation": target.aggregation.value,
        "period": str(target.period),
        "scope": target.scope.value,
        "scope_ref": target.scope_ref,
        "owner": target.owner_id,
        "value": text(target.value),
        "original_value": text(target.original_value),
        "actual": text(target.actual),
        "parent": text(target.parent_id),
        "decompositions": {
            dimension: [str(child) for child in children]
            for dimension, children in target.decompositions.items()
        },
    }


def plan_facts(plan: Plan) -> dict[str, Any]:
    approved = plan.approved_content
    return {
        "ref": plan.ref,
        "status": plan.status,
        "level": plan.level.value,
        "period": str(plan.period),
        "author": plan.author_id,
        "title": plan.content.title,
        "revision": plan.revision,
        "approved_revision": plan.approval.revision if plan.approval else None,
        "budget": text(plan.content.budget.amount),
        "approved_budget": text(approved.budget.amount) if approved else None,
        "allocated": text(plan.content.allocated.amount),
        "currency": plan.content.budget.currency,
        "parent": text(plan.parent_id),
    }


def activity_facts(activity: Activity) -> dict[str, Any]:
    evaluation = activity.evaluation
    return {
        "ref": activity.ref,
        "status": activity.status,
        "activity_kind": activity.kind.value,
        "owner": activity.owner_id,
        "start": text(activity.window.start),
        "end": text(activity.window.end),
        "plan": text(activity.plan_id),
        "currency": activity.currency,
        "budget": text(activity.budget.amount),
        "spend": text(activity.spend.amount),
        "approved_overspend": text(activity.approved_overspend.amount),
        "incidents": len(activity.incidents),
        "evaluation": None
        if evaluation is None
        else {
            "participants": evaluation.participants,
            "conversions": evaluation.conversions,
            "attributed_revenue": text(evaluation.attributed_revenue.amount),
            "goal_achievement_rate": text(evaluation.goal_achievement_rate),
            "conversion_rate": text(evaluation.conversion_rate),
            "cost_per_participant": text(
                evaluation.cost_per_participant.amount if evaluation.cost_per_participant else None
            ),
            "cost_variance": text(evaluation.cost_variance.amount),
            "cost_variance_pct": text(evaluation.cost_variance_pct),
            "roi": text(evaluation.roi),
            "missed_objectives": list(evaluation.missed_objectives),
        },
    }


def review_facts(review: Review) -> dict[str, Any]:
    final = review.finalisation
    return {
        "ref": review.ref,
        "status": review.status,
        "cycle": review.cycle.value,
        "period": str(review.period),
        "scope": review.scope.value,
        "scope_ref": review.scope_ref,
        "due": text(review.due),
        "finalised_at": text(final.at) if final else None,
        "on_time": final.on_time if final else None,
        "findings": [
            {
                "id": finding.id,
                "description": finding.description,
                "source": finding.source.value,
                "cause_code": finding.cause_code,
                "rectification": text(review.rectifications.get(finding.id)),
                "waived_by": (
                    review.waivers[finding.id].approved_by if finding.id in review.waivers else None
                ),
                "recurrence_of": text(finding.recurrence_of),
            }
            for finding in review.findings
        ],
    }


def rectification_facts(rectification: Rectification) -> dict[str, Any]:
    lessons = rectification.lessons
    return {
        "ref": rectification.ref,
        "status": rectification.status,
        "source": rectification.source.value,
        "source_ref": rectification.source_ref,
        "owner": rectification.owner_id,
        "raised_on": text(rectification.created_on.date()),
        "deadline": text(rectification.current_deadline),
        "completed_at": text(rectification.completed_at),
        "verified_by": rectification.verified_by,
        "failed_verifications": sum(1 for v in rectification.verifications if not v.effective),
        "closed_on": text(lessons.at.date()) if lessons else None,
        "cause_code": rectification.cause_code,
        "recurrence_of": text(rectification.recurrence_of),
        "recurrence_count": rectification.recurrence_count,
    }


FACTS: dict[type[LoopAggregate], Callable[[Any], dict[str, Any]]] = {
    Target: target_facts,
    Plan: plan_facts,
    Activity: activity_facts,
    Review: review_facts,
    Rectification: rectification_facts,
    Customer: customer_facts,
    Complaint: complaint_facts,
    Risk: risk_facts,
}


def row_key(kind: str, aggregate_id: UUID | str) -> str:
    return f"{kind}:{aggregate_id}"


class States:
    """Aggregates' states as of their last event seen, least recently used dropped first.

    A state is only ever used for the event right after it (version + 1); any other event
    reloads the state before it from the store, so the cache can never be stale. States are
    keyed by their id's integer: a ``UUID`` hashes and compares in Python code, and every
    event was hashed three times and compared twice that way."""

    def __init__(self, store: EventStoreApp, size: int = STATES_KEPT) -> None:
        self._store = store
        self._size = size
        self._states: OrderedDict[int, Any] = OrderedDict()

    def fold(self, events: Iterable[DomainEventProtocol[UUID]], into: dict[int, Any]) -> None:
        """Fold each loop aggregate's event into its state, in order; ``into`` gets each
        state as of its last event, by its id's integer (other events change nothing: the
        listings and cause-code indexes are not loop aggregates)."""
        states, size = self._states, self._size
        for event in events:
            if not isinstance(event, LoopAggregate.Event):
                continue
            key, version = event.originator_id.int, event.originator_version
            state = states.pop(key, None)
            if state is not None and state.version != version - 1:
                state = None
            if state is None and version > 1:
                state = self._store.repository.get(event.originator_id, version=version - 1)
            states[key] = into[key] = event.mutate(state)
            if len(states) > size:
                states.popitem(last=False)


class Facts(Projection):
    name = "facts"
    per_aggregate = True  # a row per aggregate, from its state alone

    def __init__(self, store: EventStoreApp) -> None:
        super().__init__(store)
        self.states = States(store)

    def apply(self, notification: Notification, rows: Rows) -> None:
        self.write(self.fold([self.store.mapper.to_domain_event(notification)]), rows)

    def apply_page(self, page: Page, rows: Rows) -> None:
        """Fold the page's events, then write each aggregate's facts once, as of the page's end."""
        self.write(self.fold(page.events()), rows)

    def fold(
        self, events: Iterable[DomainEventProtocol[UUID]], into: dict[int, Any] | None = None
    ) -> dict[int, Any]:
        """The latest state of each aggregate ``events`` change (into ``into``, if given)."""
        latest = {} if into is None else into
        self.states.fold(events, latest)
        return latest

    @staticmethod
    def write(states: dict[int, Any], rows: Rows) -> None:
        """Each state's facts, for the aggregates that have facts."""
        for state in states.values():
            if (facts := FACTS.get(type(state))) is not None:
                rows.put(row_key(state.KIND, state.id), {"id": str(state.id), **facts(state)})


class _Scratch(Rows):
    """Rows of a replay kept only in memory (time travel): nothing is read or written."""

    def __init__(self) -> None:
        self._pending: dict[str, Any] = {}


def facts_as_of(store: EventStoreApp, at: datetime | int) -> list[tuple[str, Any]]:
    """The facts rows as they were at time ``at`` (every event recorded by then) or at
    position ``at``: a replay of the history up to there, in memory (L7)."""
    projection = Facts(store)
    latest: dict[int, Any] = {}
    stop = store.recorder.max_notification_id() or 0
    for notification in stored(store, stop):
        if isinstance(at, int) and notification.id > at:
            break
        event = store.mapper.to_domain_event(notification)
        if isinstance(at, datetime) and event.timestamp > at:  # type: ignore[attr-defined]
            continue
        projection.fold([event], latest)
    rows = _Scratch()
    projection.write(latest, rows)
    changes = rows.changes()  # as JSON, the same as the rows a live view keeps
    return [(key, loads(text)) for key, text in changes.items() if text is not None]
