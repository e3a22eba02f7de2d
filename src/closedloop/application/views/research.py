"""Research views: one study, and a year's coverage of comprehensive studies (R-R1)."""

from __future__ import annotations

from typing import Any

from closedloop.application.reader import Reader
from closedloop.application.views.common import approval_view
from closedloop.domain.policy import Policy
from closedloop.domain.research import Kind, Research, Status, annual_coverage


def research_view(study: Research, reader: Reader, policy: Policy) -> dict[str, Any]:
    report = study.report
    return {
        "kind": Research.KIND,
        "id": str(study.id),
        "ref": study.ref,
        "version": study.version,
        "status": study.status,
        "revision": study.revision,
        "title": study.title,
        "study_kind": study.kind.value,
        "period": str(study.period),
        "purpose": study.purpose,
        "subjects": list(study.subjects),
        "methods": [method.value for method in study.methods],
        "schedule": (
            {"start": study.schedule.start, "end": study.schedule.end} if study.schedule else None
        ),
        "topics": list(study.topics),
        "covers_required_topics": study.covers_required_topics,
        "author": study.author_id,
        "superior": study.author_superior,
        "missing": (
            study.missing_parts()
            if study.kind is Kind.SPECIAL and study.status == Status.DRAFT.value
            else []
        ),
        "submitted_by": study.submitted_by,
        "approval": approval_view(study.approval),
        "rejections": [
            {"by": r.actor_id, "reason": r.reason, "at": r.at} for r in study.rejections
        ],
        "started_at": study.started_at,
        "report": (
            {
                "purpose": report.purpose,
                "methods": [method.value for method in report.methods],
                "findings": report.findings,
                "conclusions": report.conclusions,
                "recommendations": report.recommendations,
                "submitted_by": report.submitted_by,
                "submitted_at": report.submitted_at,
            }
            if report
            else None
        ),
        "citable": study.reported,
        "created_on": study.created_on,
        "modified_on": study.modified_on,
    }


def research_coverage(reader: Reader, policy: Policy, year: int) -> dict[str, Any]:
    """R-R1: the year's comprehensive studies against the policy minimum; short is a finding."""
    coverage = annual_coverage(reader.all(Research), year, policy.research)
    return {
        "year": coverage.year,
        "required": coverage.required,
        "planned": coverage.planned,
        "completed": coverage.completed,
        "shortfall": coverage.shortfall,
        "finding": coverage.finding,
        "studies": [
            {
                "id": str(study.id),
                "ref": study.ref,
                "title": study.title,
                "period": str(study.period),
                "status": study.status,
                "completed": study.reported,
            }
            for study in coverage.studies
        ],
    }
