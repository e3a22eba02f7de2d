"""Read side for embedders and the CLI: plain data, optionally as of a version or a time.

``as_of`` is an ``int`` (the aggregate's version) or a timezone-aware ``datetime`` (the
state as it was at that moment, replayed from the events recorded up to then).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from closedloop.application.listing import listed_ids
from closedloop.application.store import EventStoreApp
from closedloop.domain.base import Approval, LoopAggregate
from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.ids import aggregate_id
from closedloop.domain.policy import Policy
from closedloop.domain.target import Dimension, Target, achievement, current_actual

A = TypeVar("A", bound=LoopAggregate)
AsOf = int | datetime | None


class Reader:
    """Loads aggregates as they are now, or as they were at ``as_of``."""

    def __init__(self, store: EventStoreApp, as_of: AsOf = None) -> None:
        if isinstance(as_of, datetime) and as_of.tzinfo is None:
            raise InvalidInput("as_of needs a timezone (e.g. 2026-03-31T23:59:59+00:00)")
        if isinstance(as_of, int) and as_of < 1:
            raise InvalidInput("as_of version starts at 1")
        self.store = store
        self.as_of = as_of

    def get(self, cls: type[A], ref: str | UUID) -> A:
        agg_id = aggregate_id(cls.KIND, ref)
        aggregate: Any
        if isinstance(self.as_of, datetime):
            aggregate = self._at_time(agg_id, self.as_of)
        else:
            try:
                aggregate = self.store.repository.get(agg_id, version=self.as_of)
            except AggregateNotFoundError:
                aggregate = None
        if not isinstance(aggregate, cls):
            when = f" as of {self.as_of}" if self.as_of is not None else ""
            raise NotFound(f"no {cls.KIND} {ref}{when}")
        return aggregate

    def _at_time(self, agg_id: UUID, at: datetime) -> Aggregate | None:
        """Replay the events recorded up to ``at`` (the library reads by version only)."""
        aggregate: Aggregate | None = None
        for event in self.store.events.get(agg_id):
            if event.timestamp > at:  # type: ignore[attr-defined]
                break
            aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def all(self, cls: type[A]) -> list[A]:
        found = []
        for agg_id in listed_ids(self.store, cls.KIND):
            try:
                found.append(self.get(cls, agg_id))
            except NotFound:  # created after as_of
                continue
        return found


def approval_view(approval: Approval | None) -> dict[str, Any] | None:
    if approval is None:
        return None
    return {"by": approval.actor_id, "revision": approval.revision, "at": approval.at}


def target_view(target: Target, reader: Reader, policy: Policy) -> dict[str, Any]:
    actual = current_actual(target, lambda child_id: reader.get(Target, child_id))
    adjusted = achievement(actual, target.value, target.direction)
    original = achievement(actual, target.original_value or target.value, target.direction)
    return {
        "kind": Target.KIND,
        "id": str(target.id),
        "ref": target.ref,
        "version": target.version,
        "status": target.status,
        "revision": target.revision,
        "metric": target.metric,
        "unit": target.unit,
        "direction": target.direction.value,
        "aggregation": target.aggregation.value,
        "period": str(target.period),
        "scope": target.scope.value,
        "scope_ref": target.scope_ref,
        "owner": target.owner_id,
        "value": target.value,
        "original_value": target.original_value,
        "baseline": target.baseline,
        "basis": target.basis,
        "basis_research": [str(ref) for ref in target.basis_research],
        "parent": str(target.parent_id) if target.parent_id else None,
        "missing": target.missing_parts() if target.status == "draft" else [],
        "approval": approval_view(target.approval),
        "actual": actual,
        "achievement": adjusted,
        "achievement_original": original,
        "grade": policy.grades.grade(adjusted) if adjusted is not None else None,
        "measurements": [
            {"value": m.value, "as_of": m.as_of, "source": m.source, "by": m.actor_id}
            for m in target.measurements
        ],
        "adjustments": [
            {
                "number": a.number,
                "from": a.from_value,
                "to": a.to_value,
                "reason": a.reason,
                "analysis": a.analysis,
                "requested_by": a.requested_by,
                "decision": a.decision,
                "decided_by": a.decided_by,
                "decision_reason": a.decision_reason,
            }
            for a in target.adjustments
        ],
        "decompositions": {
            dim: [str(child) for child in children]
            for dim, children in target.decompositions.items()
        },
        "final": target.final,
        "created_on": target.created_on,
        "modified_on": target.modified_on,
    }


def target_tree(target: Target, reader: Reader, policy: Policy) -> dict[str, Any]:
    """The decomposition tree below ``target``, each node with its achievement (R-T2, R-T4)."""
    node = target_view(target, reader, policy)
    node["children"] = {}
    for dimension in (Dimension.PERIOD.value, Dimension.SCOPE.value):
        child_ids = target.decompositions.get(dimension)
        if not child_ids:
            continue
        children = [target_tree(reader.get(Target, cid), reader, policy) for cid in child_ids]
        node["children"][dimension] = children
        if target.aggregation.value == "sum" and target.value is not None:
            parts = sum((child["value"] or Decimal(0) for child in children), Decimal(0))
            node.setdefault("gaps", {})[dimension] = target.value - parts
    return node
