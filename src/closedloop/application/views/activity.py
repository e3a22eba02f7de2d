"""Activity view: approvals, execution plan, copy clearance, money, changes, incidents, results.

Money shows the budget (approved, once approved), spend, approved overspend and what remains
(R-A5); the evaluation's numbers are the ones stored when it was evaluated (R-A7), never
recomputed here.
"""

from __future__ import annotations

from typing import Any

from closedloop.application.reader import Reader
from closedloop.application.views.common import approval_view
from closedloop.application.views.plan import money_view
from closedloop.domain.activity import Activity, Status
from closedloop.domain.activity_values import Change, CopyCheckRecord, Evaluation, ExecutionPlan
from closedloop.domain.money import Money
from closedloop.domain.policy import Policy


def _money(amount: Money | None) -> dict[str, Any] | None:
    return money_view(amount) if amount is not None else None


def _change_view(change: Change) -> dict[str, Any]:
    return {
        "parts": ["cancel"] if change.cancel else change.parts(),
        "window": (
            {"start": change.window.start, "end": change.window.end} if change.window else None
        ),
        "place": change.place,
        "budget_lines": (
            [{"category": line.category, "amount": money_view(line.amount)} for line in lines]
            if (lines := change.budget_lines) is not None
            else None
        ),
        "content": change.content,
        "cancel": change.cancel,
    }


def _execution_plan_view(plan: ExecutionPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "author": plan.author_id,
        "submitted_at": plan.submitted_at,
        "approval": approval_view(plan.approval),
        "steps": [
            {"what": step.what, "owner": step.owner_id, "start": step.start, "due": step.due}
            for step in plan.steps
        ],
    }


def _check_view(check: CopyCheckRecord) -> dict[str, Any]:
    return {
        "content_version": check.content_version,
        "lexicon_version": check.lexicon_version,
        "by": check.actor_id,
        "at": check.at,
        "hits": [
            {"term": hit.term, "start": hit.start, "end": hit.end, "excerpt": hit.excerpt}
            for hit in check.hits
        ],
    }


def _copy_view(activity: Activity, lexicon_version: str) -> dict[str, Any]:
    """R-A3: whether the current copy was checked against the current lexicon, what it hit,
    and which hits carry an exemption (whether one is valid is decided on the launch day)."""
    check = activity.latest_copy_check()
    current = check is not None and (check.content_version, check.lexicon_version) == (
        activity.content_version,
        lexicon_version,
    )
    exempted = {
        e.term for e in activity.exemptions if e.content_version == activity.content_version
    }
    return {
        "required": activity.copy_check_required,
        "content_version": activity.content_version,
        "lexicon_version": lexicon_version,
        "checked_current": current,
        "unexempted_terms": (
            [term for term in check.terms if term not in exempted]
            if check is not None and current
            else None
        ),
        "checks": [_check_view(c) for c in activity.copy_checks],
        "exemptions": [
            {
                "term": e.term,
                "content_version": e.content_version,
                "valid_from": e.evidence.valid_from,
                "valid_until": e.evidence.valid_until,
                "region": e.evidence.region,
                "source": e.evidence.source,
                "note": e.note,
                "by": e.actor_id,
                "at": e.at,
            }
            for e in activity.exemptions
        ],
    }


def _evaluation_view(evaluation: Evaluation | None) -> dict[str, Any] | None:
    if evaluation is None:
        return None
    return {
        "participants": evaluation.participants,
        "conversions": evaluation.conversions,
        "attributed_revenue": money_view(evaluation.attributed_revenue),
        "cost": money_view(evaluation.cost),
        "budget": money_view(evaluation.budget),
        "achievements": dict(evaluation.achievements),
        "goal_achievement_rate": evaluation.goal_achievement_rate,
        "conversion_rate": evaluation.conversion_rate,
        "cost_per_participant": _money(evaluation.cost_per_participant),
        "cost_variance": money_view(evaluation.cost_variance),
        "cost_variance_pct": evaluation.cost_variance_pct,
        "roi": evaluation.roi,
        "missed_objectives": list(evaluation.missed_objectives),
        "by": evaluation.actor_id,
        "at": evaluation.at,
    }


def activity_view(activity: Activity, reader: Reader, policy: Policy) -> dict[str, Any]:
    """The activity as it is (or was, at the reader's ``as_of``); its plan appears by id."""
    summary = activity.summary
    return {
        "kind": Activity.KIND,
        "id": str(activity.id),
        "ref": activity.ref,
        "version": activity.version,
        "status": activity.status,
        "revision": activity.revision,
        "activity_kind": activity.kind.value,
        "theme": activity.theme,
        "objectives": [
            {
                "name": o.name,
                "metric": o.metric,
                "target": o.target,
                "unit": o.unit,
                "direction": o.direction.value,
            }
            for o in activity.objectives
        ],
        "target_customers": list(activity.target_customers),
        "channels": list(activity.channels),
        "window": {"start": activity.window.start, "end": activity.window.end},
        "place": activity.place,
        "content": activity.content,
        "content_version": activity.content_version,
        "promotion_plan": activity.promotion_plan,
        "owner": activity.owner_id,
        "owner_superior": activity.owner_superior,
        "plan": str(activity.plan_id) if activity.plan_id else None,
        "action_item": activity.action_item,
        "missing": activity.missing_parts() if activity.status == Status.DRAFT else [],
        "submitted_by": activity.submitted_by,
        "review": approval_view(activity.reviewed),
        "approval": approval_view(activity.approval),
        "rejections": [
            {
                "by": r.actor_id,
                "revision": r.revision,
                "stage": r.stage,
                "reason": r.reason,
                "at": r.at,
            }
            for r in activity.rejections
        ],
        "execution_plan": _execution_plan_view(activity.execution_plan),
        "copy": _copy_view(activity, policy.compliance.lexicon().version),
        "budget_lines": [
            {"category": line.category, "amount": money_view(line.amount)}
            for line in activity.budget_lines
        ],
        "budget": money_view(activity.budget),
        "spend": money_view(activity.spend),
        "approved_overspend": money_view(activity.approved_overspend),
        "remaining": money_view(activity.remaining),
        "cost_variance": money_view(activity.spend - activity.budget),
        "expenses": [
            {
                "receipt": e.receipt,
                "amount": money_view(e.amount),
                "category": e.category,
                "by": e.actor_id,
                "at": e.at,
            }
            for e in activity.expenses
        ],
        "overspends": [
            {"amount": money_view(o.amount), "reason": o.reason, "by": o.actor_id, "at": o.at}
            for o in activity.overspends
        ],
        "change_requests": [
            {
                "number": r.number,
                **_change_view(r.change),
                "reason": r.reason,
                "requested_by": r.requested_by,
                "requested_at": r.requested_at,
                "decision": r.decision,
                "decided_by": r.decided_by,
                "decided_at": r.decided_at,
                "decision_reason": r.decision_reason,
            }
            for r in activity.change_requests
        ],
        "incidents": [
            {
                "number": i.number,
                "problem": i.problem,
                "severity": i.severity.value,
                "escalated_to": i.escalated_to,
                "needs_rectification": i.needs_rectification,
                "rectification": str(i.rectification_id) if i.rectification_id else None,
                "by": i.actor_id,
                "at": i.at,
            }
            for i in activity.incidents
        ],
        "started_at": activity.started_at,
        "completed_at": activity.completed_at,
        "results": dict(activity.results),
        "summary": (
            {
                "objectives_met": summary.objectives_met,
                "effect": summary.effect,
                "problems": summary.problems,
                "improvements": summary.improvements,
                "by": summary.actor_id,
                "at": summary.at,
            }
            if summary is not None
            else None
        ),
        "evaluation": _evaluation_view(activity.evaluation),
        "missed_objectives": activity.missed_objectives(),
        "satisfaction": [
            {
                "score": s.score,
                "scale": s.scale,
                "respondents": s.respondents,
                "by": s.actor_id,
                "at": s.at,
            }
            for s in activity.satisfaction
        ],
        "created_on": activity.created_on,
        "modified_on": activity.modified_on,
    }
