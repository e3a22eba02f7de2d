"""Plan views: one plan, its current revision against the revision in force (R-P6, R-G5)."""

from __future__ import annotations

from typing import Any

from closedloop.application.reader import Reader
from closedloop.application.views.common import approval_view
from closedloop.domain.money import Money
from closedloop.domain.plan import ActionItem, Plan, PlanContent, Status
from closedloop.domain.policy import Policy


def money_view(amount: Money) -> dict[str, Any]:
    return {"amount": amount.amount, "currency": amount.currency}


def action_item_view(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "what": item.what,
        "owner": item.owner_id,
        "start": item.start,
        "due": item.due,
        "expected_effect": item.expected_effect,
        "budget": money_view(item.budget),
        "target": str(item.target_id) if item.target_id else None,
    }


def content_view(content: PlanContent) -> dict[str, Any]:
    """What one revision says, with its money: budget, allocated to items, unallocated (R-P4)."""
    allocated = content.allocated
    return {
        "title": content.title,
        "market_analysis": content.market_analysis,
        "strategies": {
            "product": content.strategies.product,
            "price": content.strategies.price,
            "channel": content.strategies.channel,
            "promotion": content.strategies.promotion,
        },
        "budget": money_view(content.budget),
        "allocated": money_view(allocated),
        "unallocated": money_view(content.budget - allocated),
        "action_items": [action_item_view(item) for item in content.items],
        "linked_targets": [str(target_id) for target_id in content.target_ids],
        "cited_research": [str(study_id) for study_id in content.research_ids],
    }


def plan_view(plan: Plan, reader: Reader, policy: Policy) -> dict[str, Any]:
    """The plan as it is (or was, at the reader's ``as_of``): current content at the top level.

    Related plans and targets appear by id only: an ``as_of`` version is this plan's alone.
    """
    current = content_view(plan.content)
    in_force = None
    if plan.approved_content is not None and plan.approval is not None:
        in_force = {"revision": plan.approval.revision, **content_view(plan.approved_content)}
    rejection = plan.rejection
    return {
        "kind": Plan.KIND,
        "id": str(plan.id),
        "ref": plan.ref,
        "version": plan.version,
        "status": plan.status,
        "revision": plan.revision,
        "level": plan.level.value,
        "period": str(plan.period),
        "author": plan.author_id,
        "author_superior": plan.author_superior,
        "parent": str(plan.parent_id) if plan.parent_id else None,
        "children": [str(child) for child in plan.children],
        **current,
        "missing": plan.missing_parts() if plan.status == Status.DRAFT.value else [],
        "submitted_by": plan.submitted_by,
        "approval": approval_view(plan.approval),
        "rejection": (
            {
                "by": rejection.actor_id,
                "revision": rejection.revision,
                "at": rejection.at,
                "reason": rejection.reason,
            }
            if rejection is not None
            else None
        ),
        "current": {"revision": plan.revision, **current},
        "approved": in_force,
        "unapproved_changes": plan.unapproved_changes(),
        "created_on": plan.created_on,
        "modified_on": plan.modified_on,
    }
