"""Rich renderings of the evaluation views and the closure certificate."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli import render_views_customers
from closedloop.adapters.cli.render import fields, percent, records, show, target_tree


def achievement(trees: Sequence[Mapping[str, Any]]) -> RenderableType:
    return Group(*(target_tree(tree) for tree in trees)) if trees else Text("no targets")


def plans(rows: Sequence[Mapping[str, Any]]) -> Table:
    columns = ["ref", "level", "period", "status", "revision", "approved_revision", "budget"]
    return records("plans: budget, allocated, spent", rows, [*columns, "allocated", "spent"])


def activities(view: Mapping[str, Any]) -> RenderableType:
    rows = []
    for a in view["activities"]:
        figures = a["evaluation"] or {}
        rows.append(
            {
                "ref": a["ref"],
                "kind": a["activity_kind"],
                "start": a["start"],
                "owner": a["owner"],
                "status": a["status"],
                "budget": a["budget"],
                "spend": a["spend"],
                "overspend": a["approved_overspend"],
                "goals": percent(figures.get("goal_achievement_rate")),
                "conversion": percent(figures.get("conversion_rate")),
                "per participant": figures.get("cost_per_participant"),
                "cost variance": percent(figures.get("cost_variance_pct")),
                "ROI": percent(figures.get("roi")),
            }
        )
    totals = [{"currency": c, **amounts} for c, amounts in view["totals"].items()]
    return Group(
        records("activities: money and evaluation", rows, list(rows[0]) if rows else []),
        records("totals", totals, ["currency", "budget", "spend", "approved_overspend"]),
    )


def rectifications(view: Mapping[str, Any]) -> RenderableType:
    summary = [
        (key.replace("_", " "), percent(value) if key.endswith("_rate") else value)
        for key, value in view.items()
        if key != "rectifications"
    ]
    columns = ["ref", "source", "owner", "status", "raised_on", "deadline", "overdue"]
    return Group(fields(summary), records("rectifications", view["rectifications"], columns))


def loop_health(view: Mapping[str, Any]) -> RenderableType:
    summary = [(key.replace("_", " "), value) for key, value in view.items() if key != "loops"]
    columns = ["review", "finding", "stage", "rectification", "verified_by", "closed_on"]
    return Group(fields(summary), records("loops", view["loops"], columns))


def certificate(view: Mapping[str, Any]) -> RenderableType:
    head = view["audit_head"]
    summary = [
        ("period", view["period"]),
        ("reviews", view["reviews"]),
        ("findings", view["findings"]),
        ("closed and verified", view["closed"]),
        ("waived by leadership", view["waived"]),
        ("audit head", f"{show(head['count'])} events, position {show(head['position'])}"),
        ("audit hash", head["hash"]),
        ("digest (SHA-256)", view["digest"]),
    ]
    columns = ["review", "finding", "stage", "rectification", "verified_by", "waived_by"]
    return Group(
        Text(f"Every finding of {view['period']} is closed and verified, or waived.", "bold"),
        fields(summary),
        records("evidence", view["evidence"], columns),
    )


VIEWS: dict[str, Callable[[Any], RenderableType]] = {
    "achievement": achievement,
    "plans": plans,
    "activities": activities,
    "rectifications": rectifications,
    "loop-health": loop_health,
    "customers": render_views_customers.customers,
    "complaints": render_views_customers.complaints,
    "risks": render_views_customers.risks,
}
