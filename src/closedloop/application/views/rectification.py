"""Rectification views: one rectification as of a day (overdue, R-X4), and the lessons learned
searchable for the next cycle (R-X5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from closedloop.application.reader import Reader
from closedloop.domain.policy import Policy
from closedloop.domain.rectification import Rectification, Status


def rectification_view(
    rectification: Rectification, reader: Reader, policy: Policy, today: date
) -> dict[str, Any]:
    """The rectification as it is (or was, at the reader's ``as_of``), judged on ``today``."""
    completed = rectification.completed_at
    lessons = rectification.lessons
    return {
        "kind": Rectification.KIND,
        "id": str(rectification.id),
        "ref": rectification.ref,
        "version": rectification.version,
        "status": rectification.status,
        "source": rectification.source.value,
        "source_ref": rectification.source_ref,
        "problem": rectification.problem,
        "owner": rectification.owner_id,
        "raised_by": rectification.raised_by,
        "root_cause": rectification.root_cause,
        "cause_code": rectification.cause_code,
        "deadline": rectification.current_deadline,
        "overdue": rectification.is_overdue(today),
        "measures": [
            {
                "id": m.id,
                "what": m.what,
                "owner": m.owner_id,
                "deadline": m.deadline,
                "done_on": m.done_on,
                "done_by": m.done_by,
                "note": m.note,
                "overdue": not m.done and today > m.deadline,
            }
            for m in rectification.measures
        ],
        "evidence": rectification.evidence,
        "completed_by": rectification.completed_by,
        "completed_at": completed,
        "verifiable_from": (
            completed.date() + timedelta(days=policy.rectification.verify_after_days)
            if completed is not None and rectification.status == Status.COMPLETED.value
            else None
        ),
        "verifications": [
            {"by": v.actor_id, "at": v.at, "effective": v.effective, "notes": v.notes}
            for v in rectification.verifications
        ],
        "verified_by": rectification.verified_by,
        "extensions": [
            {
                "number": e.number,
                "measure": e.measure_id,
                "from": e.from_date,
                "to": e.to_date,
                "reason": e.reason,
                "requested_by": e.requested_by,
                "decision": e.decision,
                "decided_by": e.decided_by,
                "decision_reason": e.decision_reason,
            }
            for e in rectification.extensions
        ],
        "lessons": (
            {"text": lessons.text, "tags": list(lessons.tags), "by": lessons.actor_id}
            if lessons is not None
            else None
        ),
        "closed_at": lessons.at if lessons is not None else None,
        "recurrence_of": (
            str(rectification.recurrence_of) if rectification.recurrence_of else None
        ),
        "recurrence_count": rectification.recurrence_count,
        "recurred_by": list(rectification.recurred_by),
        "created_on": rectification.created_on,
        "modified_on": rectification.modified_on,
    }


def lessons_learned(reader: Reader, search: str = "") -> list[dict[str, Any]]:
    """R-X5: the lessons of closed rectifications, latest first, matching every word of
    ``search`` (case-insensitive) in the lessons, tags, problem, root cause or cause code."""
    words = search.casefold().split()
    found = []
    for rectification in reader.all(Rectification):
        lessons = rectification.lessons
        if lessons is None:
            continue
        text = " ".join(
            [
                lessons.text,
                *lessons.tags,
                rectification.problem,
                rectification.root_cause or "",
                rectification.cause_code or "",
            ]
        ).casefold()
        if all(word in text for word in words):
            found.append(
                {
                    "rectification": str(rectification.id),
                    "ref": rectification.ref,
                    "problem": rectification.problem,
                    "root_cause": rectification.root_cause,
                    "cause_code": rectification.cause_code,
                    "lessons": lessons.text,
                    "tags": list(lessons.tags),
                    "by": lessons.actor_id,
                    "closed_at": lessons.at,
                }
            )
    return sorted(found, key=lambda lesson: lesson["closed_at"], reverse=True)
