"""``show risk|complaint ID``, ``list risks|complaints`` and ``list risk-heat-map``.

Registered on the ``show`` and ``list`` apps of :mod:`closedloop.adapters.cli.main`, which
imports this module once its apps and options exist.
"""

from __future__ import annotations

from typing import Annotated

import typer

from closedloop.adapters.cli import render_risk
from closedloop.adapters.cli.main import Only, _answer, _lists, _shows, list_app
from closedloop.adapters.cli.options import AsOfTime, Json, PolicyFile, Store
from closedloop.api import ClosedLoop

_shows(
    "risk",
    ClosedLoop.risk,
    render_risk.risk_panel,
    "A risk: inherent, current and residual level, treatment, reviews, occurrences.",
)
_shows(
    "complaint",
    ClosedLoop.complaint,
    render_risk.complaint_panel,
    "A complaint: its acknowledge and resolve SLA clocks, pauses, feedback.",
)
_lists(
    "risks",
    ClosedLoop.risks,
    render_risk.risks_table,
    "The risk register, in registration order.",
    Only("--late", "late", "only risks whose review is late"),
)
_lists(
    "complaints",
    ClosedLoop.complaints,
    render_risk.complaints_table,
    "Every complaint, in the order received.",
    Only("--overdue", "overdue", "only complaints with an SLA overdue"),
)


@list_app.command("risk-heat-map")
def list_heat_map(
    stage: Annotated[
        str, typer.Option("--stage", help="current, inherent or residual levels")
    ] = "current",
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Open risks counted per likelihood × impact cell of the policy's matrix."""
    _answer(
        lambda loop, when: loop.risk_heat_map(stage=stage, as_of=when),
        render_risk.heat_map_table,
        store=store,
        policy=policy,
        as_of=as_of,
        json_output=json_output,
    )
