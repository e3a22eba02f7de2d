"""Rich renderings of activities: one panel per activity (every rule's state in one place)
and the table of all of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from closedloop.adapters.cli.render import (
    MISSING,
    STATUS_STYLES,
    approval,
    fields,
    listing,
    name_of,
    panel,
    percent,
    records,
    show,
    styled,
)

ACTIVITY_TABLE_COLUMNS = ("kind", "theme", "window", "owner", "status", "budget", "spend")
EVALUATION_RATES = ("goal_achievement_rate", "conversion_rate", "cost_variance_pct", "roi")


def _window(value: Any) -> str:
    if not isinstance(value, Mapping):
        return show(value)
    return f"{show(value.get('start'))} … {show(value.get('end'))}"


def _activity_field(view: Mapping[str, Any], key: str) -> Any:
    """An activity's ``kind`` is its ``activity_kind`` (the view's own ``kind`` is "activity")."""
    if key == "kind":
        return view.get("activity_kind")
    if key == "window":
        return _window(view.get("window"))
    return view.get(key)


def _execution_plan(plan: Any) -> str:
    """R-A2: who wrote the execution plan and who approved it, or that it awaits approval."""
    if not isinstance(plan, Mapping):
        return MISSING
    decided = approval(plan.get("approval")) if plan.get("approval") else "awaiting approval"
    return f"by {show(plan.get('author'))}, {show(plan.get('submitted_at'))}; {decided}"


def _copy(copy: Any) -> str:
    """R-A3: whether the current copy was checked against the current lexicon, and its hits."""
    if not isinstance(copy, Mapping):
        return MISSING
    versions = (
        f"content version {show(copy.get('content_version'))}, "
        f"lexicon {show(copy.get('lexicon_version'))}"
    )
    needed = "required" if copy.get("required") else "not required"
    if not copy.get("checked_current"):
        return f"{needed}; {versions}: not checked"
    terms = copy.get("unexempted_terms")
    found = f"terms without exemption: {show(terms)}" if terms else "no term without exemption"
    return f"{needed}; {versions}: checked, {found}"


def _change(request: Mapping[str, Any]) -> str:
    """What a change request changes (R-A4): the new window, place, budget or content."""
    if request.get("cancel"):
        return "cancel"
    parts = []
    if request.get("window"):
        parts.append(f"window {_window(request['window'])}")
    if request.get("place") is not None:
        parts.append(f"place {show(request['place'])}")
    if request.get("budget_lines") is not None:
        parts.append(f"budget {show(request['budget_lines'])}")
    if request.get("content") is not None:
        parts.append(f"content {show(request['content'])}")
    return "; ".join(parts) or MISSING


def _evaluation(evaluation: Mapping[str, Any]) -> Table:
    """R-A7, R-A8: the numbers stored when it was evaluated; ratios as percentages."""
    rows = [
        (key.replace("_", " "), percent(value) if key in EVALUATION_RATES else value)
        for key, value in evaluation.items()
        if key != "achievements"
    ]
    return fields(rows)


def activity_panel(view: Mapping[str, Any]) -> Panel:
    """One activity: proposal, review and approval (R-A1), execution plan (R-A2), copy (R-A3),
    money (R-A5), changes (R-A4), incidents (R-A6), results and evaluation (R-A7, R-A8)."""
    rows: list[tuple[str, Any]] = [
        (key, _activity_field(view, key)) for key in ("kind", "theme", "window", "place")
    ]
    rows += [
        ("owner", view.get("owner")),
        ("status", styled(view.get("status"), STATUS_STYLES)),
        ("revision", view.get("revision")),
        ("customers", view.get("target_customers")),
        ("channels", view.get("channels")),
        ("content", view.get("content")),
        ("promotion", view.get("promotion_plan")),
        (
            "plan",
            " ".join(str(part) for part in (view.get("plan"), view.get("action_item")) if part),
        ),
        ("proposed by", view.get("submitted_by")),
        ("review", approval(view.get("review"))),
        ("approval", approval(view.get("approval"))),
        ("execution plan", _execution_plan(view.get("execution_plan"))),
        ("copy", _copy(view.get("copy"))),
        ("budget", view.get("budget")),
        ("spend", view.get("spend")),
        ("overspend approved", view.get("approved_overspend")),
        ("remaining", view.get("remaining")),
        ("started", view.get("started_at")),
        ("completed", view.get("completed_at")),
        ("missed objectives", view.get("missed_objectives")),
    ]
    if view.get("missing"):
        rows.append(("missing", view["missing"]))
    parts: list[RenderableType] = [fields(rows)]
    results = view.get("results") or {}
    evaluation = view.get("evaluation")
    achievements = evaluation.get("achievements", {}) if isinstance(evaluation, Mapping) else {}
    tables: list[tuple[str, list[Mapping[str, Any]], list[str]]] = [
        (
            "objectives",
            [
                {
                    **objective,
                    "result": results.get(objective.get("name")),
                    "achievement": percent(achievements.get(objective.get("name"))),
                }
                for objective in view.get("objectives") or []
            ],
            ["name", "metric", "target", "unit", "direction", "result", "achievement"],
        ),
        ("budget lines", view.get("budget_lines") or [], ["category", "amount"]),
        (
            "execution plan",
            (view.get("execution_plan") or {}).get("steps") or [],
            ["what", "owner", "start", "due"],
        ),
        (
            "copy checks",
            [
                {**check, "hits": [hit.get("term") for hit in check.get("hits") or []]}
                for check in (view.get("copy") or {}).get("checks") or []
            ],
            ["content_version", "lexicon_version", "hits", "by", "at"],
        ),
        (
            "exemptions",
            (view.get("copy") or {}).get("exemptions") or [],
            ["term", "content_version", "valid_from", "valid_until", "region", "source"],
        ),
        ("rejections", view.get("rejections") or [], ["stage", "revision", "by", "reason"]),
        ("expenses", view.get("expenses") or [], ["receipt", "amount", "category", "by", "at"]),
        ("overspends", view.get("overspends") or [], ["amount", "reason", "by", "at"]),
        (
            "change requests",
            [
                {
                    "number": request.get("number"),
                    "change": _change(request),
                    "reason": request.get("reason"),
                    "requested_by": request.get("requested_by"),
                    "decision": request.get("decision"),
                    "decided_by": request.get("decided_by"),
                    "decision_reason": request.get("decision_reason"),
                }
                for request in view.get("change_requests") or []
            ],
            ["number", "change", "reason", "requested_by", "decision"],
        ),
        ("incidents", view.get("incidents") or [], ["number", "severity", "problem"]),
        ("satisfaction", view.get("satisfaction") or [], ["score", "scale", "respondents"]),
    ]
    parts += [records(title, rows, columns) for title, rows, columns in tables if rows]
    if isinstance(view.get("summary"), Mapping):
        parts += [Text("summary", style="bold"), fields(view["summary"].items())]
    if isinstance(evaluation, Mapping):
        parts += [Text("evaluation", style="bold"), _evaluation(evaluation)]
    return panel("activity", view, parts)


def activities_table(views: Sequence[Mapping[str, Any]]) -> Table:
    """One row per activity; objectives, expenses and the rest are in ``show activity``."""
    table = listing("activities", "activity")
    for column in ACTIVITY_TABLE_COLUMNS:
        table.add_column(column, justify="right" if column in ("budget", "spend") else "left")
    table.add_column("goals met", justify="right")
    table.add_column("ROI", justify="right")
    for view in views:
        evaluation = view.get("evaluation")
        rates = evaluation if isinstance(evaluation, Mapping) else {}
        table.add_row(
            Text(name_of(view)),
            *(
                styled(view.get(key), STATUS_STYLES)
                if key == "status"
                else Text(show(_activity_field(view, key)))
                for key in ACTIVITY_TABLE_COLUMNS
            ),
            Text(percent(rates.get("goal_achievement_rate"))),
            Text(percent(rates.get("roi"))),
        )
    return table
