"""Target views: one target, and its decomposition tree with achievement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from closedloop.application.reader import Reader
from closedloop.application.views.common import approval_view
from closedloop.domain.money import EXACT, exact_sum
from closedloop.domain.policy import Policy
from closedloop.domain.target import Dimension, Target, achievement, current_actual


def target_view(target: Target, reader: Reader, policy: Policy) -> dict[str, Any]:
    related = reader.related(target)
    actual = current_actual(target, lambda child_id: related.get(Target, child_id))
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
        related = reader.related(target)
        children = [target_tree(related.get(Target, cid), related, policy) for cid in child_ids]
        node["children"][dimension] = children
        if target.aggregation.value == "sum" and target.value is not None:
            parts = exact_sum(child["value"] or Decimal(0) for child in children)
            node.setdefault("gaps", {})[dimension] = EXACT.subtract(target.value, parts)
    return node
