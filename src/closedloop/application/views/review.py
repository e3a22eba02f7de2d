"""Review views: due date and timeliness (R-E1), metrics and grades (R-E2, R-E3), findings and
what covers each (R-E4), recurrences (R-X6)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from closedloop.application.reader import Reader
from closedloop.domain.policy import Policy
from closedloop.domain.rectification import Rectification
from closedloop.domain.review import Review, overall_achievement


def review_view(review: Review, reader: Reader, policy: Policy, today: date) -> dict[str, Any]:
    """The review as it is (or was, at the reader's ``as_of``), judged on ``today``.

    Until it is finalised, the overall achievement and grade are those of its metrics now;
    after, those it was finalised with.
    """
    final = review.finalisation
    if final is not None:
        overall, grade = final.achievement, final.grade
    else:
        overall = overall_achievement(review.metrics)
        grade = policy.grades.grade(overall) if overall is not None else None
    related = reader.related(review)
    findings = []
    for finding in review.findings:
        rectification_id = review.rectifications.get(finding.id)
        waiver = review.waivers.get(finding.id)
        findings.append(
            {
                "id": finding.id,
                "description": finding.description,
                "source": finding.source.value,
                "source_ref": finding.source_ref,
                "cause_code": finding.cause_code,
                "raised_by": finding.raised_by,
                "covered_by": review.covered_by(finding.id),
                "rectification": (
                    _rectification(related, rectification_id) if rectification_id else None
                ),
                "waiver": (
                    {
                        "reason": waiver.reason,
                        "requested_by": waiver.requested_by,
                        "approved_by": waiver.approved_by,
                    }
                    if waiver is not None
                    else None
                ),
                "recurrence_of": str(finding.recurrence_of) if finding.recurrence_of else None,
                "recurrence_count": finding.recurrence_count,
            }
        )
    return {
        "kind": Review.KIND,
        "id": str(review.id),
        "ref": review.ref,
        "version": review.version,
        "status": review.status,
        "cycle": review.cycle.value,
        "period": str(review.period),
        "scope": review.scope.value,
        "scope_ref": review.scope_ref,
        "author": review.author_id,
        "due": review.due,
        "late": final is None and today > review.due,
        "finalised_by": final.actor_id if final else None,
        "finalised_at": final.at if final else None,
        "on_time": final.on_time if final else None,
        "metrics": [
            {
                "name": m.name,
                "category": m.category.value,
                "unit": m.unit,
                "direction": m.direction.value,
                "actual": m.actual,
                "target": m.target,
                "achievement": m.achievement,
                "grade": m.grade,
                "from_target": str(m.target_id) if m.target_id else None,
                "recorded_by": m.recorded_by,
            }
            for m in review.metrics
        ],
        "achievement": overall,
        "grade": grade,
        "findings": findings,
        "uncovered": review.uncovered(),
        "recurrences": sum(1 for f in review.findings if f.recurrence_of is not None),
        "created_on": review.created_on,
        "modified_on": review.modified_on,
    }


def _rectification(reader: Reader, rectification_id: UUID) -> dict[str, Any]:
    rectification = reader.get(Rectification, rectification_id)
    return {
        "id": str(rectification.id),
        "ref": rectification.ref,
        "status": rectification.status,
        "recurrence_count": rectification.recurrence_count,
    }
