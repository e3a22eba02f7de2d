"""Risk views: the register (inherent, current and residual side by side, R-K3), late reviews
(R-K4), acceptances near expiry (R-K2) and the heat map (R-K1), all judged on a given day.

Levels are the ones stored with each assessment, never looked up again in today's grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from closedloop.domain.errors import InvalidInput
from closedloop.domain.policy import Policy
from closedloop.domain.risk import (
    Acceptance,
    Assessment,
    Risk,
    Stage,
    Status,
    acceptance_expiring,
)
from closedloop.domain.risk_matrix import Grid


def _assessment_view(assessment: Assessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    return {
        "number": assessment.number,
        "stage": assessment.stage.value,
        "likelihood": assessment.likelihood,
        "impact": assessment.impact,
        "level": assessment.level.value,
        "grid": assessment.grid.size,
        "note": assessment.note,
        "by": assessment.actor_id,
        "at": assessment.at,
    }


def _acceptance_view(acceptance: Acceptance | None, today: date) -> dict[str, Any] | None:
    if acceptance is None:
        return None
    return {
        "reason": acceptance.reason,
        "level": acceptance.level.value,
        "expires_on": acceptance.expires_on,
        "days_left": (acceptance.expires_on - today).days,
        "in_force": acceptance.in_force(today),
        "by": acceptance.actor_id,
        "at": acceptance.at,
        "revoked_by": acceptance.revoked_by,
        "revoked_at": acceptance.revoked_at,
        "revoke_reason": acceptance.revoke_reason,
    }


def risk_view(risk: Risk, today: date) -> dict[str, Any]:
    """One risk as it is (or was, at the reader's ``as_of``), judged on ``today``."""
    level = risk.level
    return {
        "kind": Risk.KIND,
        "id": str(risk.id),
        "ref": risk.ref,
        "version": risk.version,
        "title": risk.title,
        "description": risk.description,
        "category": risk.category.value,
        "sources": [{"kind": s.kind.value, "ref": s.ref} for s in risk.sources],
        "owner": risk.owner_id,
        "status": risk.status,
        "level": level.value if level is not None else None,
        "inherent": _assessment_view(risk.inherent),
        "current": _assessment_view(risk.current),
        "residual": _assessment_view(risk.residual),
        "assessments": [_assessment_view(a) for a in risk.assessments],
        "response": risk.response.value if risk.response is not None else None,
        "treatment_plan": risk.treatment_plan,
        "measures": [
            {
                "id": m.id,
                "what": m.what,
                "owner": m.owner_id,
                "due": m.due,
                "done_on": m.done_on,
                "done_by": m.done_by,
                "overdue": m.done_on is None and today > m.due,
            }
            for m in risk.measures
        ],
        "treatment_gaps": risk.treatment_gaps(today),
        "acceptance": _acceptance_view(risk.acceptance, today),
        "next_review_due": risk.next_review_due,
        "review_late": risk.review_late(today),
        "late_reviews": risk.late_reviews(today),
        "reviews": [
            {
                "number": r.number,
                "note": r.note,
                "missed": r.missed,
                "next_due": r.next_due,
                "by": r.actor_id,
                "at": r.at,
            }
            for r in risk.reviews
        ],
        "occurrences": [
            {
                "number": o.number,
                "what_happened": o.what_happened,
                "occurred_on": o.occurred_on,
                "rectification": str(o.rectification_id),
                "by": o.actor_id,
                "at": o.at,
            }
            for o in risk.occurrences
        ],
        "closing_reason": risk.closing_reason,
        "created_on": risk.created_on,
        "modified_on": risk.modified_on,
    }


def late_reviews(risks: Iterable[Risk], today: date) -> list[dict[str, Any]]:
    """R-K4: open risks whose next review is overdue on ``today``, the longest overdue first."""
    late = [risk for risk in risks if risk.review_late(today)]
    return [
        {
            "risk": str(risk.id),
            "ref": risk.ref,
            "title": risk.title,
            "owner": risk.owner_id,
            "level": risk.level.value if risk.level is not None else None,
            "due": risk.next_review_due,
            "days_late": (today - risk.next_review_due).days if risk.next_review_due else None,
        }
        for risk in sorted(late, key=lambda r: r.next_review_due or today)
    ]


def acceptances_near_expiry(
    risks: Iterable[Risk], policy: Policy, today: date
) -> list[dict[str, Any]]:
    """R-K2: acceptances in force that expire within ``acceptance_warning_days``, or expired
    and not replaced (the risk is open and still accepted), soonest first."""
    horizon = today + timedelta(days=policy.risk.acceptance_warning_days)
    found = []
    for risk in risks:
        acceptance = risk.acceptance
        if acceptance is None or not acceptance_expiring(
            risk.status, acceptance.expires_on, acceptance.revoked_by is not None, horizon
        ):
            continue
        found.append(
            {
                "risk": str(risk.id),
                "ref": risk.ref,
                "title": risk.title,
                "level": acceptance.level.value,
                "accepted_by": acceptance.actor_id,
                "expires_on": acceptance.expires_on,
                "days_left": (acceptance.expires_on - today).days,
                "expired": not acceptance.in_force(today),
            }
        )
    return sorted(found, key=lambda entry: entry["expires_on"])


def heat_map(risks: Iterable[Risk], grid: Grid, stage: str = Stage.CURRENT) -> dict[str, Any]:
    """R-K1: how many open risks sit in each likelihood × impact cell of ``grid``.

    ``stage`` picks the current (default), inherent or residual assessment of each risk;
    ``cells[i][j]`` counts likelihood ``likelihoods[i]`` × impact ``impacts[j]``, and
    ``levels[i][j]`` is that cell's level. Risks assessed on labels this grid lacks (an
    older grid) are counted in ``unplaced``, never moved to a cell they were not given.
    """
    try:
        chosen = Stage(stage)
    except ValueError:
        names = ", ".join(s.value for s in Stage)
        raise InvalidInput(f"stage {stage!r} is none of {names}") from None
    stages = (Stage.INHERENT, Stage.CURRENT) if chosen is Stage.CURRENT else (chosen,)
    cells = [[0 for _ in grid.impacts] for _ in grid.likelihoods]
    unplaced: list[str] = []
    for risk in risks:
        assessment = risk.latest(*stages)
        if assessment is None or risk.status == Status.CLOSED.value:
            continue
        where = grid.cell(assessment.likelihood, assessment.impact)
        if where is None:
            unplaced.append(risk.label)
            continue
        cells[where[0]][where[1]] += 1
    return {
        "stage": chosen.value,
        "likelihoods": list(grid.likelihoods),
        "impacts": list(grid.impacts),
        "levels": [[level.value for level in row] for row in grid.levels],
        "cells": cells,
        "unplaced": unplaced,
    }
