"""Rich renderings of risk and complaint views: panels, register and complaint tables, and the
heat map as a grid of counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import MISSING, fields, name_of, records, show, styled

LEVEL_STYLES = {"high": "bold red", "medium": "yellow", "low": "green"}


def _level(assessment: Any) -> str:
    """``high (high × medium, 3x3)`` for an assessment view, or ``-``."""
    if not isinstance(assessment, Mapping):
        return MISSING
    cell = f"{show(assessment.get('likelihood'))} × {show(assessment.get('impact'))}"
    return f"{show(assessment.get('level'))} ({cell}, {show(assessment.get('grid'))})"


def _flag(value: Any) -> Text:
    return Text("yes", style="bold red") if value else Text("no")


def risk_panel(view: Mapping[str, Any]) -> Panel:
    """One risk: inherent, current and residual side by side (R-K3), treatment, reviews."""
    acceptance = view.get("acceptance")
    level = str(view.get("level"))
    rows: list[tuple[str, Any]] = [
        ("title", view.get("title")),
        ("category", view.get("category")),
        ("owner", view.get("owner")),
        ("status", view.get("status")),
        (
            "sources",
            [f"{show(s.get('kind'))} {show(s.get('ref'))}" for s in view.get("sources") or []],
        ),
        ("inherent", _level(view.get("inherent"))),
        ("current", Text(_level(view.get("current")), style=LEVEL_STYLES.get(level, ""))),
        ("residual", _level(view.get("residual"))),
        ("response", view.get("response")),
        ("plan", view.get("treatment_plan")),
        ("still needs", view.get("treatment_gaps")),
        ("next review", view.get("next_review_due")),
        ("review late", _flag(view.get("review_late"))),
        ("missed reviews", view.get("late_reviews")),
    ]
    if isinstance(acceptance, Mapping):
        state = "in force" if acceptance.get("in_force") else "not in force"
        rows.append(
            (
                "acceptance",
                f"{show(acceptance.get('by'))} until {show(acceptance.get('expires_on'))} "
                f"({state}): {show(acceptance.get('reason'))}",
            )
        )
    parts: list[RenderableType] = [fields(rows)]
    tables = {
        "assessments": ["number", "stage", "likelihood", "impact", "level"],
        "measures": ["id", "what", "owner", "due", "done_on", "overdue"],
        "reviews": ["number", "at", "by", "missed", "next_due", "note"],
        "occurrences": ["number", "occurred_on", "what_happened"],
    }
    for key, columns in tables.items():
        if view.get(key):
            parts.append(records(key, view[key], columns))
    title = Text.assemble(("risk ", "dim"), (name_of(view), "bold"))
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def risks_table(views: Sequence[Mapping[str, Any]]) -> Table:
    """The register: one row per risk, its three levels side by side (R-K3)."""
    table = Table(title="risks", title_justify="left")
    for column in ("risk", "title", "category", "owner", "status"):
        table.add_column(column)
    for column in ("inherent", "current", "residual", "response", "next review", "late"):
        table.add_column(column)
    for view in views:
        levels = [
            styled((view.get(stage) or {}).get("level"), LEVEL_STYLES)
            for stage in ("inherent", "current", "residual")
        ]
        table.add_row(
            Text(name_of(view)),
            Text(show(view.get("title"))),
            Text(show(view.get("category"))),
            Text(show(view.get("owner"))),
            Text(show(view.get("status"))),
            *levels,
            Text(show(view.get("response"))),
            Text(show(view.get("next_review_due"))),
            _flag(view.get("review_late")),
        )
    return table


def heat_map_table(heat: Mapping[str, Any]) -> Table:
    """R-K1: likelihood rows (most likely on top) × impact columns, counts styled by level."""
    table = Table(title=f"risk heat map ({show(heat.get('stage'))})", title_justify="left")
    table.add_column("likelihood \\ impact")
    for impact in heat.get("impacts") or []:
        table.add_column(impact, justify="center")
    rows = list(
        zip(
            heat.get("likelihoods") or [],
            heat.get("cells") or [],
            heat.get("levels") or [],
            strict=True,
        )
    )
    for likelihood, counts, levels in reversed(rows):
        table.add_row(
            Text(likelihood),
            *(
                Text(str(count), style=LEVEL_STYLES.get(level, ""))
                for count, level in zip(counts, levels, strict=True)
            ),
        )
    return table


def _sla(view: Mapping[str, Any], key: str) -> str:
    sla = view.get(key)
    if not isinstance(sla, Mapping):
        return MISSING
    text = f"{show(sla.get('elapsed_hours'))} h of {show(sla.get('hours'))} h"
    if sla.get("done_at") is not None:
        return f"{text}, done {show(sla.get('done_at'))}, on time {show(sla.get('on_time'))}"
    if sla.get("due_at") is None:
        return f"{text}, paused"
    return f"{text}, due {show(sla.get('due_at'))}" + (" OVERDUE" if sla.get("overdue") else "")


def complaint_panel(view: Mapping[str, Any]) -> Panel:
    """One complaint: its two SLA clocks (R-C7), pauses, feedback and rectification."""
    feedback = view.get("feedback")
    rows: list[tuple[str, Any]] = [
        ("customer", view.get("customer")),
        ("subject", view.get("subject")),
        ("channel", view.get("channel")),
        ("owner", view.get("owner")),
        ("status", view.get("status")),
        ("received", view.get("received_at")),
        ("acknowledge", _sla(view, "acknowledge")),
        ("resolve", _sla(view, "resolve")),
        ("waiting on customer", view.get("waiting_on_customer")),
        ("overdue", _flag(view.get("overdue"))),
        ("resolution", view.get("resolution")),
        (
            "feedback",
            (
                f"{'satisfied' if feedback.get('satisfied') else 'dissatisfied'}"
                f"{': ' + feedback['comment'] if feedback.get('comment') else ''}"
            )
            if isinstance(feedback, Mapping)
            else None,
        ),
        ("rectification", view.get("rectification")),
    ]
    parts: list[RenderableType] = [fields(rows)]
    if view.get("pauses"):
        parts.append(records("waiting on the customer", view["pauses"], ["since", "until"]))
    title = Text.assemble(("complaint ", "dim"), (name_of(view), "bold"))
    return Panel(Group(*parts), title=title, title_align="left", expand=False)


def complaints_table(views: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="complaints", title_justify="left")
    for column in ("complaint", "customer", "subject", "owner", "status", "received"):
        table.add_column(column)
    for column in ("ack h", "resolve h"):
        table.add_column(column, justify="right")
    table.add_column("overdue")
    for view in views:
        table.add_row(
            Text(name_of(view)),
            Text(show(view.get("customer"))),
            Text(show(view.get("subject"))),
            Text(show(view.get("owner"))),
            Text(show(view.get("status"))),
            Text(show(view.get("received_at"))),
            Text(show((view.get("acknowledge") or {}).get("elapsed_hours"))),
            Text(show((view.get("resolve") or {}).get("elapsed_hours"))),
            _flag(view.get("overdue")),
        )
    return table
