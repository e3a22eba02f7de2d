"""``show risk|complaint ID``, ``list risks|complaints`` and ``list risk-heat-map``.

Registered on the ``show`` and ``list`` apps of :mod:`closedloop.adapters.cli.main`, which
imports this module once its apps and options exist.
"""

from __future__ import annotations

from typing import Annotated

import typer

from closedloop.adapters.cli import render_risk
from closedloop.adapters.cli.main import (
    AsOfTime,
    Json,
    PolicyFile,
    Ref,
    Store,
    _emit_json,
    _out,
    list_app,
    show_app,
)
from closedloop.api import ClosedLoop
from closedloop.application.reader import parse_as_of


@show_app.command("risk")
def show_risk(
    ref: Ref,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """A risk: inherent, current and residual level, treatment, reviews, occurrences."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        view = loop.risk(ref, as_of=when)
    if json_output:
        _emit_json(view)
    else:
        _out().print(render_risk.risk_panel(view))


@show_app.command("complaint")
def show_complaint(
    ref: Ref,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """A complaint: its acknowledge and resolve SLA clocks, pauses, feedback."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        view = loop.complaint(ref, as_of=when)
    if json_output:
        _emit_json(view)
    else:
        _out().print(render_risk.complaint_panel(view))


@list_app.command("risks")
def list_risks(
    late: Annotated[bool, typer.Option("--late", help="only risks whose review is late")] = False,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """The risk register, in registration order."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        views = loop.risks(late=late, as_of=when)
    if json_output:
        _emit_json(views)
    else:
        _out().print(render_risk.risks_table(views))


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
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        heat = loop.risk_heat_map(stage=stage, as_of=when)
    if json_output:
        _emit_json(heat)
    else:
        _out().print(render_risk.heat_map_table(heat))


@list_app.command("complaints")
def list_complaints(
    overdue: Annotated[
        bool, typer.Option("--overdue", help="only complaints with an SLA overdue")
    ] = False,
    as_of: AsOfTime = None,
    store: Store = None,
    policy: PolicyFile = None,
    json_output: Json = False,
) -> None:
    """Every complaint, in the order received."""
    when = parse_as_of(as_of)
    with ClosedLoop(store, policy=policy) as loop:
        views = loop.complaints(overdue=overdue, as_of=when)
    if json_output:
        _emit_json(views)
    else:
        _out().print(render_risk.complaints_table(views))
